// The chaos runner shared by the SQLite and etcd chaos tests: 32 sign/encrypt requests in flight
// through the cluster-aware client, key creation now and then, and kill -9 of a random HSM (and
// whatever `alsoKill` adds) every few seconds; then every acknowledged key is checked on every HSM.

import { expect } from 'vitest';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { StrongroomClient, HsmConnection, loadClientConfig } from '../../src/client/client.js';
import { hsmProcesses, startHsm, STRONGROOM, type Cluster, type HsmProcessInfo } from './harness.js';

export const SECONDS = Number(process.env['CHAOS_SECONDS'] ?? 30);
export const IN_FLIGHT = 32;
export const CU_PW = 'Chaos-pass-1';

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}

/** A connection straight to one HSM, logged in as the chaos user (no client failover). */
export async function direct(c: Cluster, h: HsmProcessInfo): Promise<HsmConnection> {
  const cfg = loadClientConfig(c.config);
  const conn = await HsmConnection.connect({ host: h.address, port: h.port, ca: cfg.ca, ...(cfg.cert && cfg.key ? { cert: cfg.cert, key: cfg.key } : {}) });
  await conn.call('login', { username: 'app', role: 'crypto-user', password: CU_PW });
  return conn;
}

export interface ChaosExtras {
  /** Called in the chaos loop after each HSM kill (e.g. to kill -9 an etcd member too). */
  alsoKill?: () => Promise<void>;
}

export async function runChaos(c: Cluster, restarted: ChildProcess[], extras: ChaosExtras): Promise<StrongroomClient> {
  {
    const client = await StrongroomClient.connect(c.config);
    await client.login('app', 'crypto-user', CU_PW);
    expect(client.hsms.filter((h) => h.healthy)).toHaveLength(3);
    const ec = await client.call('key.generateKeyPair', { keyType: 'ec', curve: 'secp256r1', privateAttributes: { sign: true }, publicAttributes: { verify: true } });
    const aes = await client.call('key.generateSymmetric', { keyType: 'aes', keyLengthBytes: 32, attributes: { encrypt: true, decrypt: true } });
    const signRef = ec.private_key['key-reference'];
    const aesRef = aes.key['key-reference'];

    const stopAt = Date.now() + SECONDS * 1000;
    let ok = 0;
    const failures: string[] = [];
    const created: string[] = [];
    let createFailures = 0;
    const data = Buffer.alloc(1024, 7).toString('base64');

    const worker = async (i: number) => {
      while (Date.now() < stopAt) {
        try {
          if (i % 2 === 0) await client.call('crypto.sign', { mechanism: 'CKM_ECDSA_SHA256', ref: signRef, data });
          else await client.call('crypto.encrypt', { mechanism: 'CKM_AES_GCM', ref: aesRef, data });
          ok++;
        } catch (e) {
          failures.push(`${(e as { code?: string }).code}: ${(e as Error).message}`);
        }
      }
    };
    const creator = async () => {
      while (Date.now() < stopAt) {
        try {
          const k = await client.call('key.generateSymmetric', { keyType: 'aes', keyLengthBytes: 16, attributes: { encrypt: true, decrypt: true, label: 'chaos' } });
          created.push(k.key['key-reference']);
        } catch {
          createFailures++; // not acknowledged, so not promised
        }
        await sleep(200);
      }
    };
    const chaos = async () => {
      let kills = 0;
      while (Date.now() < stopAt - 4000) {
        await sleep(2000 + Math.random() * 2000);
        const hs = hsmProcesses(c);
        const victim = hs[Math.floor(Math.random() * hs.length)]!;
        try {
          process.kill(victim.pid, 'SIGKILL');
        } catch {
          continue;
        }
        kills++;
        await extras.alsoKill?.();
        await sleep(500 + Math.random() * 1000);
        restarted.push(await startHsm(victim));
      }
      return kills;
    };
    const [kills] = await Promise.all([chaos(), creator(), ...Array.from({ length: IN_FLIGHT }, (_, i) => worker(i))]);

    expect(failures.slice(0, 5)).toEqual([]);
    expect(ok).toBeGreaterThan(0);
    expect(kills).toBeGreaterThanOrEqual(Math.min(2, Math.floor(SECONDS / 10)));
    expect(created.length).toBeGreaterThan(0);
    console.log(`chaos: ${ok} operations, 0 failed, ${kills} kill -9, ${created.length} keys created (${createFailures} creations refused while an HSM died)`);

    // Every acknowledged key exists and works on every HSM, asked directly.
    await sleep(1000);
    for (const h of hsmProcesses(c)) {
      const conn = await direct(c, h);
      try {
        for (const ref of created) {
          const enc = await conn.call('crypto.encrypt', { mechanism: 'CKM_AES_GCM', ref, data: 'aGVsbG8=' });
          expect(enc.data.length).toBeGreaterThan(0);
        }
      } finally {
        conn.close();
      }
    }

    // Audit chains of every HSM verify (kill -9 included).
    const r = spawnSync(process.execPath, [STRONGROOM, 'audit', 'verify', '--data-dir', c.dir], { encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    return client;
  }
}
