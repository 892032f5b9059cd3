// The client library (SDK): a typed API over the wire protocol for the CLI, the PKCS#11 daemon,
// benchmarks and applications. Given one HSM it learns the others, connects to all, spreads
// stateless operations by least outstanding requests, pins session keys to their HSM, retries
// idempotent operations on another HSM, and reconnects (and logs in again) when an HSM returns.
// Keeps the login password in memory to log in on reconnection; never logs it, plaintext or keys.

import { HsmConnection, type ConnectOptions } from './connection.js';
import { loadClientConfig, type ClientConfig } from './config.js';
import { HsmError, type CkrName } from '../protocol/errors.js';
import type { OpName, OpParams, OpResult, RoleName } from '../protocol/operations.js';

/** Operations with no effect on the HSM's state: safe to send again to another HSM. */
export const IDEMPOTENT = new Set<OpName>([
  'cluster.info', 'cluster.device', 'mtls.listTrustAnchors', 'mtls.getEnforcement', 'whoami', 'user.list',
  'key.list', 'key.getPublic', 'crypto.sign', 'crypto.verify', 'crypto.encrypt', 'crypto.decrypt',
  'crypto.digest', 'crypto.random', 'mechanism.list', 'object.list', 'object.getValue',
]);

/** Session state: sent to every HSM, since the HSM session is the connection. */
const BROADCAST = new Set<OpName>(['login', 'logout']);

/** Replies that mean "this HSM cannot serve now": fail over (the request was not carried out). */
const NODE_FAILURES = new Set<CkrName>(['CKR_DEVICE_REMOVED', 'CKR_DEVICE_ERROR', 'CKR_STRONGROOM_BUSY']);

/** Params that name keys, so a session key's HSM can be found. */
const REF_FIELDS = ['ref', 'wrappingRef', 'payloadRef', 'unwrappingRef', 'baseRef'] as const;

export interface ClientOptions {
  /** Learn the other HSMs from the first one that answers, and connect to all (default true). */
  discover?: boolean;
  /** How long a call waits for some HSM to be reachable before it fails (default 15 s). */
  failoverWaitMs?: number;
  reconnectMs?: number;
}

interface Member {
  hsmId: string;
  address: string;
  port: number;
  conn: HsmConnection | undefined;
  healthy: boolean;
  connecting: boolean;
}

export class StrongroomClient {
  private readonly members = new Map<string, Member>();
  private creds: { username: string; role: RoleName; password: string } | undefined;
  /** Session key reference → the HSM it lives on. */
  private readonly pinned = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private discovering: Promise<void> | undefined;

  private constructor(readonly config: ClientConfig, private readonly opts: Required<ClientOptions>) {}

  /** Connects to the HSMs named in the configuration (an object, or a client.json path). */
  static async connect(config?: ClientConfig | string, opts: ClientOptions = {}): Promise<StrongroomClient> {
    const cfg = typeof config === 'object' ? config : loadClientConfig(config);
    const c = new StrongroomClient(cfg, { discover: opts.discover ?? true, failoverWaitMs: opts.failoverWaitMs ?? 15_000, reconnectMs: opts.reconnectMs ?? 500 });
    let lastErr: unknown;
    for (const h of cfg.hsms) {
      const m = c.member(`${h.address}:${h.port}`, h.address, h.port);
      try {
        await c.open(m);
        break;
      } catch (e) {
        lastErr = e;
      }
    }
    if (![...c.members.values()].some((m) => m.healthy)) {
      throw lastErr instanceof HsmError ? lastErr : new HsmError('CKR_DEVICE_REMOVED', 'no HSM of the cluster is reachable');
    }
    if (c.opts.discover) await c.discover();
    c.timer = setInterval(() => c.maintain(), c.opts.reconnectMs);
    c.timer.unref();
    return c;
  }

  /** HSMs known to this client, and whether each is connected. */
  get hsms(): Array<{ hsmId: string; address: string; port: number; healthy: boolean; inFlight: number }> {
    return [...this.members.values()].map((m) => ({ hsmId: m.hsmId, address: m.address, port: m.port, healthy: m.healthy, inFlight: m.conn?.inFlight ?? 0 }));
  }

  /** Sends one operation, failing over between HSMs as described above. */
  async call<N extends OpName>(op: N, params: OpParams<N>): Promise<OpResult<N>> {
    if (BROADCAST.has(op)) return this.broadcast(op, params);
    const pin = this.pinnedHsm(params as Record<string, unknown>);
    const deadline = Date.now() + this.opts.failoverWaitMs;
    let lastErr: HsmError | undefined;
    for (let attempt = 0; ; attempt++) {
      const m = pin ? this.members.get(pin) : this.pick();
      if (pin && (!m || !m.healthy)) {
        throw new HsmError('CKR_KEY_HANDLE_INVALID', `session key ${this.pinnedRef(params as Record<string, unknown>)} was lost with HSM ${pin}: session keys live on one HSM only`);
      }
      if (!m) {
        if (Date.now() > deadline) throw lastErr ?? new HsmError('CKR_DEVICE_REMOVED', 'no HSM of the cluster is reachable');
        await sleep(Math.min(100 * (attempt + 1), 500));
        continue;
      }
      const conn = m.conn!;
      const sent = !conn.closed;
      try {
        const res = await conn.call(op, params);
        this.notePins(op, params as Record<string, unknown>, res, m.hsmId);
        return res;
      } catch (e) {
        const err = e instanceof HsmError ? e : new HsmError('CKR_FUNCTION_FAILED', String(e));
        if (!NODE_FAILURES.has(err.code)) throw err;
        lastErr = err;
        if (err.code !== 'CKR_STRONGROOM_BUSY') this.markDown(m);
        if (pin && err.code !== 'CKR_STRONGROOM_BUSY') {
          // Session keys live only as long as the connection to their HSM: that connection is gone.
          throw new HsmError('CKR_KEY_HANDLE_INVALID', `session key ${this.pinnedRef(params as Record<string, unknown>)} was lost with HSM ${pin}: session keys live on one HSM only`);
        }
        // A request that may have run must not run twice, unless running twice changes nothing.
        const mayHaveRun = sent && err.code === 'CKR_DEVICE_REMOVED';
        if (mayHaveRun && !IDEMPOTENT.has(op)) throw err;
        if (pin || Date.now() > deadline) throw err;
        if (err.code === 'CKR_STRONGROOM_BUSY') await sleep(5 + Math.random() * 20);
      }
    }
  }

  /** Logs in on every HSM (each connection is an HSM session), and again after reconnecting. */
  async login(username: string, role: RoleName, password: string, proof: Pick<OpParams<'login'>, 'mfaToken' | 'totp'> = {}): Promise<OpResult<'login'>> {
    return this.call('login', { username, role, password, ...proof });
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    for (const m of this.members.values()) m.conn?.close();
  }

  // --- internals ---------------------------------------------------------------------------------

  private async broadcast<N extends OpName>(op: N, params: OpParams<N>): Promise<OpResult<N>> {
    const live = [...this.members.values()].filter((m) => m.healthy);
    if (live.length === 0) throw new HsmError('CKR_DEVICE_REMOVED', 'no HSM of the cluster is reachable');
    const results: Array<PromiseSettledResult<OpResult<N>>> = [];
    if (op === 'login') {
      // One HSM first: a wrong password then counts once towards lockout, not once per HSM.
      const first = (await live[0]!.conn!.call(op, params)) as OpResult<'login'>;
      // MFA: a challenge logs nothing in, so it goes no further; after an MFA login the first HSM
      // hands out one single-use ticket per other HSM, which stand in for the second factor there.
      if (first['mfa-required']) return first as OpResult<N>;
      const { tickets, ...plain } = first;
      results.push({ status: 'fulfilled', value: plain as OpResult<N> });
      if (tickets) {
        const p = params as OpParams<'login'>;
        const rest = live.slice(1).map((m, i) => {
          const t = tickets[i];
          return t === undefined
            ? Promise.reject(new HsmError('CKR_PIN_INCORRECT', 'no MFA ticket left for this HSM'))
            : m.conn!.call('login', { username: p.username, role: p.role, password: p.password, ticket: t });
        });
        results.push(...((await Promise.allSettled(rest)) as Array<PromiseSettledResult<OpResult<N>>>));
        // The second factor was single-use: reconnections cannot log in again without the user.
        this.creds = undefined;
        results.forEach((r, i) => {
          if (r.status === 'rejected') this.markDown(live[i]!);
        });
        return plain as OpResult<N>;
      }
    }
    results.push(...(await Promise.allSettled(live.slice(results.length).map((m) => m.conn!.call(op, params)))));
    const ok = results.find((r) => r.status === 'fulfilled');
    const firstErr = results.find((r) => r.status === 'rejected');
    // A wrong password fails everywhere alike; a mix means some HSM failed: take it out.
    if (firstErr && !ok) throw (firstErr as PromiseRejectedResult).reason;
    results.forEach((r, i) => {
      if (r.status === 'rejected') this.markDown(live[i]!);
    });
    if (op === 'login') {
      const p = params as OpParams<'login'>;
      this.creds = { username: p.username, role: p.role, password: p.password };
    } else if (op === 'logout') {
      this.creds = undefined;
      this.pinned.clear();
    }
    return (ok as PromiseFulfilledResult<OpResult<N>>).value;
  }

  private member(key: string, address: string, port: number, hsmId?: string): Member {
    for (const m of this.members.values()) if (m.address === address && m.port === port) {
      if (hsmId && m.hsmId !== hsmId) {
        this.members.delete(m.hsmId);
        m.hsmId = hsmId;
        this.members.set(hsmId, m);
      }
      return m;
    }
    const m: Member = { hsmId: hsmId ?? key, address, port, conn: undefined, healthy: false, connecting: false };
    this.members.set(m.hsmId, m);
    return m;
  }

  private async open(m: Member): Promise<void> {
    m.connecting = true;
    try {
      const o: ConnectOptions = { host: m.address, port: m.port, ca: this.config.ca, timeoutMs: 5_000 };
      if (this.config.cert && this.config.key) {
        o.cert = this.config.cert;
        o.key = this.config.key;
      }
      const conn = await HsmConnection.connect(o);
      try {
        const dev = await conn.call('cluster.device', {});
        if (dev.state === 'DEGRADED' || dev.state === 'UNCLONED' || dev.state === 'ERROR') {
          throw new HsmError('CKR_DEVICE_ERROR', `HSM ${dev['hsm-id']} is ${dev.state}`);
        }
        if (m.hsmId !== dev['hsm-id']) {
          this.members.delete(m.hsmId);
          m.hsmId = dev['hsm-id'];
          this.members.set(m.hsmId, m);
        }
        if (this.creds) await conn.call('login', this.creds);
      } catch (e) {
        conn.close();
        throw e;
      }
      if (this.closed) {
        conn.close();
        return;
      }
      m.conn?.close();
      m.conn = conn;
      m.healthy = true;
    } finally {
      m.connecting = false;
    }
  }

  private markDown(m: Member): void {
    m.healthy = false;
    m.conn?.close();
    for (const [ref, hsm] of this.pinned) if (hsm === m.hsmId) this.pinned.set(ref, `${hsm} (lost)`);
  }

  private pick(): Member | undefined {
    let best: Member | undefined;
    for (const m of this.members.values()) {
      if (!m.healthy || !m.conn || m.conn.closed) continue;
      if (!best || m.conn.inFlight < best.conn!.inFlight) best = m;
    }
    return best;
  }

  private pinnedRef(params: Record<string, unknown>): string | undefined {
    if (this.pinned.size === 0) return undefined;
    for (const f of REF_FIELDS) {
      const v = params[f];
      if (typeof v === 'string' && this.pinned.has(normRef(v))) return v;
    }
    return undefined;
  }

  private pinnedHsm(params: Record<string, unknown>): string | undefined {
    if (this.pinned.size === 0) return undefined;
    for (const f of REF_FIELDS) {
      const v = params[f];
      const hsm = typeof v === 'string' ? this.pinned.get(normRef(v)) : undefined;
      if (hsm !== undefined) return hsm;
    }
    return undefined;
  }

  private notePins(op: OpName, params: Record<string, unknown>, res: unknown, hsmId: string): void {
    if (params['session'] !== true) return;
    const r = res as { key?: { 'key-reference': string }; public_key?: { 'key-reference': string }; private_key?: { 'key-reference': string } };
    for (const k of [r.key, r.public_key, r.private_key]) if (k) this.pinned.set(normRef(k['key-reference']), hsmId);
    void op;
  }

  /** Learns the members from any healthy HSM. */
  private discover(): Promise<void> {
    if (this.discovering) return this.discovering;
    this.discovering = (async () => {
      const m = this.pick();
      if (!m) return;
      const info = await m.conn!.call('cluster.info', {});
      await Promise.all(info.hsms.map(async (h) => {
        const mem = this.member(h['hsm-id'], h.address, h.port, h['hsm-id']);
        if (!mem.healthy && !mem.connecting && (h.state === 'ACTIVE' || h.state === 'INITIALIZED')) {
          await this.open(mem).catch(() => undefined);
        }
      }));
    })().finally(() => {
      this.discovering = undefined;
    });
    return this.discovering;
  }

  private lastDiscover = 0;

  private maintain(): void {
    if (this.closed) return;
    for (const m of this.members.values()) {
      if (m.conn?.closed && m.healthy) this.markDown(m);
      if (!m.healthy && !m.connecting) void this.open(m).catch(() => undefined);
    }
    if (this.opts.discover && Date.now() - this.lastDiscover > 5_000) {
      this.lastDiscover = Date.now();
      void this.discover().catch(() => undefined);
    }
  }
}

const CANONICAL_REF = /^0x[0-9a-f]{16}$/;

function normRef(ref: string): string {
  if (CANONICAL_REF.test(ref)) return ref;
  try {
    return '0x' + BigInt(ref).toString(16).padStart(16, '0');
  } catch {
    return ref;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export { HsmConnection } from './connection.js';
export { loadClientConfig, configPath, type ClientConfig } from './config.js';
