// Benchmark suite "propagation": how soon a key change made on one HSM shows on another HSM of
// the same cluster, for one store engine (SQLite or etcd). Two (three) HsmConnections straight to
// two different HSMs (addresses from cluster.info): A makes the change, B is polled back to back.
// Measured from the change's acknowledgement on A to B's first matching reply:
//   generate → first successful encrypt on B (read-through on a cache miss: should be at once);
//   share → the sharee's first success on B; unshare → the sharee's first refusal on B;
//   delete → first CKR_KEY_HANDLE_INVALID on B (these three are bound by the store's change feed).
// Each change on A follows a random pause (jitterMs) so it is not in phase with B's feed poll.
// Must never count a reply it did not check: B's ciphertexts are decrypted on A and compared, and
// any reply other than success or CKR_KEY_HANDLE_INVALID ends the suite with an error.

import crypto from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { HsmConnection, type ConnectOptions } from '../src/client/connection.js';
import { HsmError } from '../src/protocol/errors.js';
import { BENCH_CU, startBenchCluster } from './cluster.js';
import { percentile } from './loop.js';

export interface PropagationOptions {
  engine: 'sqlite' | 'etcd';
  dir: string;
  subnetBase: string;
  etcdEndpoints?: string[];
  /** Keys measured (each goes through generate, share, unshare, delete). */
  keys: number;
  /** Keys run first and not counted. */
  warmupKeys: number;
  /**
   * A random pause of up to this long (ms) before each change on A, so changes do not fall in step
   * with B's feed poll (each step starts just after B saw the previous change, i.e. just after a tick).
   */
  jitterMs: number;
  /** A poll that has not seen the change after this long fails the suite. */
  timeoutMs: number;
  log: (s: string) => void;
}

export interface PropagationRow {
  engine: string;
  event: string;
  n: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Mean requests sent to B per key until it showed the change (1 = at once). */
  meanPolls: number;
}

const SHAREE = 'benchcu2';
const EVENTS = [
  'generate → first use on B (read-through)',
  'share → sharee’s first use on B',
  'unshare → sharee’s first refusal on B',
  'delete → first CKR_KEY_HANDLE_INVALID on B',
] as const;

/** Sends encrypts to `conn` back to back until one succeeds (want 'ok') or is refused as an invalid handle. */
async function pollUntil(conn: HsmConnection, ref: string, want: 'ok' | 'invalid', since: number, timeoutMs: number, msg: Buffer): Promise<{ ms: number; polls: number; ct?: { data: string; iv: string } }> {
  const data = msg.toString('base64');
  for (let polls = 1; ; polls++) {
    let outcome: 'ok' | 'invalid';
    let ct: { data: string; iv: string } | undefined;
    try {
      const r = await conn.call('crypto.encrypt', { mechanism: 'CKM_AES_GCM', ref, data });
      outcome = 'ok';
      ct = { data: r.data, iv: r.iv ?? '' };
    } catch (e) {
      if (!(e instanceof HsmError) || e.code !== 'CKR_KEY_HANDLE_INVALID') throw e;
      outcome = 'invalid';
    }
    const now = performance.now();
    if (outcome === want) return { ms: now - since, polls, ...(ct ? { ct } : {}) };
    if (now - since > timeoutMs) throw new Error(`bench: key ${ref}: B still answers ${outcome} ${timeoutMs} ms after the change on A`);
  }
}

export async function propagationSuite(o: PropagationOptions): Promise<PropagationRow[]> {
  const bc = await startBenchCluster(o.dir, {
    hsms: 2, subnetBase: o.subnetBase, extraCryptoUsers: [SHAREE],
    ...(o.etcdEndpoints ? { etcdEndpoints: o.etcdEndpoints } : {}),
  });
  const conns: HsmConnection[] = [];
  try {
    const info = await bc.client.call('cluster.info', {});
    const active = info.hsms.filter((h) => h.state === 'ACTIVE' || h.state === 'INITIALIZED'); // as the client's discovery
    if (active.length < 2 || active[0]!.address === active[1]!.address) throw new Error(`bench: need two usable HSMs, cluster.info lists ${JSON.stringify(info.hsms.map((h) => [h.address, h.state]))}`);
    const [hA, hB] = active as [typeof active[0], typeof active[0]];
    const cfg = bc.client.config;
    const open = async (h: { address: string; port: number }, username: string): Promise<HsmConnection> => {
      const co: ConnectOptions = { host: h.address, port: h.port, ca: cfg.ca, timeoutMs: 5_000 };
      if (cfg.cert && cfg.key) {
        co.cert = cfg.cert;
        co.key = cfg.key;
      }
      const c = await HsmConnection.connect(co);
      conns.push(c);
      await c.call('login', { username, role: 'crypto-user', password: BENCH_CU.password });
      return c;
    };
    const a = await open(hA, BENCH_CU.username);
    const b = await open(hB, BENCH_CU.username);
    const b2 = await open(hB, SHAREE);
    o.log(`bench: propagation (${o.engine}): A = ${hA['hsm-id']} ${hA.address}:${hA.port}, B = ${hB['hsm-id']} ${hB.address}:${hB.port}; ${o.warmupKeys} warm-up + ${o.keys} keys`);

    const samples = EVENTS.map(() => ({ ms: [] as number[], polls: 0 }));
    const msg = crypto.randomBytes(64);
    for (let i = 0; i < o.warmupKeys + o.keys; i++) {
      const counted = i >= o.warmupKeys;
      const add = (k: number, r: { ms: number; polls: number }): void => {
        if (!counted) return;
        samples[k]!.ms.push(r.ms);
        samples[k]!.polls += r.polls;
      };
      const checkCt = async (ct: { data: string; iv: string } | undefined, ref: string): Promise<void> => {
        const pt = await a.call('crypto.decrypt', { mechanism: 'CKM_AES_GCM', ref, data: ct!.data, params: { iv: ct!.iv } });
        if (!Buffer.from(pt.data, 'base64').equals(msg)) throw new Error(`bench: wrong reply: B's ciphertext under ${ref} does not decrypt on A`);
      };

      const pause = (): Promise<void> => new Promise((r) => setTimeout(r, Math.random() * o.jitterMs));

      await pause();
      const gen = await a.call('key.generateSymmetric', { keyType: 'aes', keyLengthBytes: 32, attributes: { label: `bench-prop-${i}`, encrypt: true, decrypt: true } });
      let t = performance.now();
      const ref = gen.key['key-reference'];
      const used = await pollUntil(b, ref, 'ok', t, o.timeoutMs, msg);
      add(0, used);
      await checkCt(used.ct, ref);

      await pause();
      await a.call('key.share', { ref, username: SHAREE });
      t = performance.now();
      const shared = await pollUntil(b2, ref, 'ok', t, o.timeoutMs, msg);
      add(1, shared);
      await checkCt(shared.ct, ref);

      await pause();
      await a.call('key.unshare', { ref, username: SHAREE });
      t = performance.now();
      add(2, await pollUntil(b2, ref, 'invalid', t, o.timeoutMs, msg));

      await pause();
      await a.call('key.delete', { ref });
      t = performance.now();
      add(3, await pollUntil(b, ref, 'invalid', t, o.timeoutMs, msg));
    }
    return EVENTS.map((event, k) => {
      const s = Float64Array.from(samples[k]!.ms).sort();
      return { engine: o.engine, event, n: s.length, p50Ms: percentile(s, 50), p99Ms: percentile(s, 99), maxMs: s[s.length - 1] ?? NaN, meanPolls: samples[k]!.polls / Math.max(1, s.length) };
    });
  } finally {
    for (const c of conns) c.close();
    await bc.stop();
  }
}
