// A three-HSM cluster in three zones on SQLite, through real processes: membership (hsm-info),
// read-through (a key made on one HSM works at once on the others), consistency of unshare on
// every HSM asked directly, a forged record refused by every HSM, tamper under load (zeroise, no
// failed operation, refuse everything, re-clone, serve again), the genuine-device check of
// cloning, and a session key lost with its HSM.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { StrongroomClient, HsmConnection, loadClientConfig } from '../../src/client/client.js';
import { HsmError } from '../../src/protocol/errors.js';
import { Barrier } from '../../src/hsm/barrier/barrier.js';
import { createCa, issueCertificate } from '../../src/pki/pki.js';
import { applianceConnect, applianceCreds } from '../../src/orchestrator/appliance.js';
import { as, cli, hsmProcesses, startCluster, startHsm, STRONGROOM, type Cluster, type HsmProcessInfo } from './harness.js';

const PW = 'Admin-pass-1';
const ALICE = 'Alice-pass-1';
const BOB = 'Bob-pass-111';
let c: Cluster;
const extra: ChildProcess[] = [];

beforeAll(async () => {
  c = await startCluster(['--hsms', '3']);
  expect(cli(c, ['cluster', 'activate', '--password', PW]).json.error_code).toBe(0);
  for (const [u, p] of [['alice', ALICE], ['bob', BOB]] as const) {
    expect(cli(c, ['user', 'create', '--username', u, '--role', 'crypto-user', '--password', p], as('admin', 'admin', PW)).json.error_code).toBe(0);
  }
}, 120_000);

afterAll(async () => {
  for (const p of extra) if (p.exitCode === null) p.kill('SIGKILL');
  await c?.cleanup();
});

async function direct(h: HsmProcessInfo, user?: [string, string]): Promise<HsmConnection> {
  const cfg = loadClientConfig(c.config);
  const conn = await HsmConnection.connect({ host: h.address, port: h.port, ca: cfg.ca, ...(cfg.cert && cfg.key ? { cert: cfg.cert, key: cfg.key } : {}) });
  if (user) await conn.call('login', { username: user[0], role: 'crypto-user', password: user[1] });
  return conn;
}

function code(p: Promise<unknown>): Promise<string> {
  return p.then(() => 'CKR_OK', (e: unknown) => (e instanceof HsmError ? e.code : String(e)));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a cluster of three HSMs', () => {
  it('hsm-info lists every HSM with its zone, address and state', () => {
    const r = cli(c, ['cluster', 'hsm-info']);
    expect(r.json.error_code).toBe(0);
    const hsms = r.json.data.hsms as Array<Record<string, unknown>>;
    expect(hsms.map((h) => h['availability-zone'])).toEqual(['local-1a', 'local-1b', 'local-1c']);
    expect(new Set(hsms.map((h) => h['address'])).size).toBe(3);
    for (const h of hsms) {
      expect(h['state']).toBe('ACTIVE');
      expect(h['address']).toMatch(/^127\.\d+\.[123]\.10$/);
      expect(h).toHaveProperty('key-count');
      expect(h['hsm-id']).toMatch(/^hsm-[a-z2-7]{11}$/);
    }
  });

  it('a key made on one HSM works at once on every other (read-through), and the client sees all three', async () => {
    const [a, b, cc] = hsmProcesses(c);
    const ca = await direct(a!, ['alice', ALICE]);
    const k = await ca.call('key.generateSymmetric', { keyType: 'aes', keyLengthBytes: 32, attributes: { encrypt: true, decrypt: true } });
    const ref = k.key['key-reference'];
    const enc = await ca.call('crypto.encrypt', { mechanism: 'CKM_AES_GCM', ref, data: 'aGVsbG8=' });
    for (const h of [b!, cc!]) {
      const conn = await direct(h, ['alice', ALICE]);
      const dec = await conn.call('crypto.decrypt', { mechanism: 'CKM_AES_GCM', ref, data: enc.data, params: { iv: enc.iv! } });
      expect(dec.data).toBe('aGVsbG8=');
      conn.close();
    }
    ca.close();
    const client = await StrongroomClient.connect(c.config);
    expect(client.hsms.filter((h) => h.healthy)).toHaveLength(3);
    client.close();
  });

  it('after unshare, the unshared user can no longer use the key on any HSM (each asked directly)', async () => {
    const hs = hsmProcesses(c);
    const alice = await direct(hs[0]!, ['alice', ALICE]);
    const pair = await alice.call('key.generateKeyPair', { keyType: 'ec', curve: 'secp256r1', privateAttributes: { sign: true } });
    const ref = pair.private_key['key-reference'];
    await alice.call('key.share', { ref, username: 'bob' });
    const bobs = await Promise.all(hs.map((h) => direct(h, ['bob', BOB])));
    for (const b of bobs) expect(await code(b.call('crypto.sign', { mechanism: 'CKM_ECDSA_SHA256', ref, data: 'aGk=' }))).toBe('CKR_OK');
    await alice.call('key.unshare', { ref, username: 'bob' });
    const t0 = Date.now();
    const visibleAfter: number[] = [];
    for (const b of bobs) {
      // The bound is the store's change feed (SQLite: polled every 20 ms); allow generous slack here.
      for (;;) {
        const r = await code(b.call('crypto.sign', { mechanism: 'CKM_ECDSA_SHA256', ref, data: 'aGk=' }));
        if (r !== 'CKR_OK') {
          expect(r).toBe('CKR_KEY_HANDLE_INVALID');
          visibleAfter.push(Date.now() - t0);
          break;
        }
        if (Date.now() - t0 > 2000) throw new Error('unshare not visible within 2 s');
        await sleep(5);
      }
    }
    console.log(`unshare visible on every HSM after ${visibleAfter.join(' / ')} ms`);
    for (const b of bobs) b.close();
    alice.close();
  });

  it('a forged record written straight into the store is refused by every HSM', async () => {
    const ref = '0x0000f0f0f0f0f0f0';
    const clusterId = JSON.parse((await import('node:fs')).readFileSync(join(c.dir, 'cluster.json'), 'utf8')).clusterId as string;
    const forged = new Barrier(randomBytes(32), clusterId).seal(`key/${ref}`, 1, Buffer.from(JSON.stringify({
      ref, class: 'secret-key', keyType: 'aes', attrs: { encrypt: true, 'key-type': 'aes', class: 'secret-key', label: 'forged' },
      owner: 'alice', shared: [], quorum: { manage: 0, use: 0 }, material: randomBytes(32).toString('base64'),
    })));
    const db = new Database(join(c.dir, 'store.sqlite'));
    db.pragma('busy_timeout = 5000');
    db.transaction(() => {
      db.prepare('INSERT INTO records (id, version, value) VALUES (?, 1, ?)').run(`key/${ref}`, forged);
      db.prepare("INSERT INTO changes (id, kind, version) VALUES (?, 'put', 1)").run(`key/${ref}`);
    })();
    db.close();
    for (const h of hsmProcesses(c)) {
      const conn = await direct(h, ['alice', ALICE]);
      const err = await conn.call('crypto.encrypt', { mechanism: 'CKM_AES_GCM', ref, data: 'aGk=' }).then(() => undefined, (e: unknown) => e as HsmError);
      expect(err?.code).toBe('CKR_STRONGROOM_RECORD_TAMPERED');
      expect(err?.message).toContain(`key/${ref}`);
      // Everything else still works on this HSM.
      expect((await conn.call('key.list', {})).total_key_count).toBeGreaterThan(0);
      conn.close();
    }
  });

  it('a new HSM joins the running cluster (strongroom hsm add) and serves every existing key at once', async () => {
    const alice = await direct(hsmProcesses(c)[0]!, ['alice', ALICE]);
    const k = await alice.call('key.generateSymmetric', { keyType: 'aes', keyLengthBytes: 32, attributes: { encrypt: true, decrypt: true } });
    alice.close();
    const { spawn } = await import('node:child_process');
    const { createInterface } = await import('node:readline');
    const proc = spawn(process.execPath, [STRONGROOM, 'hsm', 'add', '--data-dir', c.dir, '--availability-zone', 'local-1b'], { stdio: ['ignore', 'pipe', 'inherit'] });
    extra.push(proc);
    const line = await new Promise<string>((res, rej) => {
      createInterface({ input: proc.stdout! }).once('line', res);
      proc.once('exit', (code) => rej(new Error(`hsm add exited with ${code}`)));
    });
    const added = JSON.parse(line) as { 'hsm-id': string; 'availability-zone': string; address: string; state: string };
    expect(added).toMatchObject({ 'availability-zone': 'local-1b', state: 'ACTIVE' });
    expect(added.address).toMatch(/^127\.\d+\.2\.11$/);
    const h = hsmProcesses(c).find((x) => x.hsmId === added['hsm-id'])!;
    const conn = await direct(h, ['alice', ALICE]);
    expect(await code(conn.call('crypto.encrypt', { mechanism: 'CKM_AES_GCM', ref: k.key['key-reference'], data: 'aGk=' }))).toBe('CKR_OK');
    conn.close();
    await sleep(2500);
    const info = cli(c, ['cluster', 'hsm-info']).json.data.hsms as Array<{ 'hsm-id': string; state: string }>;
    expect(info).toHaveLength(4);
    expect(info.find((x) => x['hsm-id'] === added['hsm-id'])?.state).toBe('ACTIVE');
  });

  it('cloning refuses a recipient whose device certificate is not from the fleet CA', async () => {
    const h = hsmProcesses(c)[0]!;
    const appliance = await applianceConnect(applianceCreds(c.dir), h.address, h.port);
    const fake = await createCa('Not the manufacturer', { keyType: 'ec' });
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const cert = await issueCertificate({ issuerCertPem: fake.certPem, issuerKey: fake.keyPem, subjectPublicKey: pair.publicKey, commonName: 'hsm-fake', organizationalUnit: 'device', kind: 'server', ipAddresses: ['127.0.0.1'] });
    const err = await appliance.call('cluster.cloneExport', { recipientCertificate: cert }).then(() => undefined, (e: unknown) => e as HsmError);
    expect(err?.code).toBe('CKR_FUNCTION_REJECTED');
    expect(err?.message).toMatch(/not a genuine HSM/);
    // And a crypto user, or anyone without the appliance certificate, cannot ask at all.
    const alice = await direct(h, ['alice', ALICE]);
    expect(await code(alice.call('cluster.cloneExport', { recipientCertificate: cert }))).toBe('CKR_USER_NOT_LOGGED_IN');
    alice.close();
    appliance.close();
  });

  it('tamper under load: no failed operation; the HSM refuses everything until re-cloned; then it serves again', async () => {
    const client = await StrongroomClient.connect(c.config);
    await client.login('alice', 'crypto-user', ALICE);
    const pair = await client.call('key.generateKeyPair', { keyType: 'ec', curve: 'secp256r1', privateAttributes: { sign: true } });
    const ref = pair.private_key['key-reference'];
    const victim = hsmProcesses(c)[1]!;
    let ok = 0;
    const failures: string[] = [];
    let stop = false;
    const worker = async () => {
      while (!stop) {
        try {
          await client.call('crypto.sign', { mechanism: 'CKM_ECDSA_SHA256', ref, data: 'aGk=' });
          ok++;
        } catch (e) {
          failures.push(String(e));
        }
      }
    };
    const workers = Array.from({ length: 16 }, worker);
    await sleep(1000);
    const t = spawnSync(process.execPath, [STRONGROOM, 'hsm', 'tamper', '--data-dir', c.dir, '--hsm-id', victim.hsmId], { encoding: 'utf8' });
    expect(t.status, t.stderr).toBe(0);
    await sleep(1500);
    stop = true;
    await Promise.all(workers);
    expect(failures.slice(0, 3)).toEqual([]);
    expect(ok).toBeGreaterThan(100);

    // The tampered HSM: DEGRADED in hsm-info, and it serves nothing (TLS now shows only its device
    // certificate, which a client trusting the customer CA refuses; an appliance connection gets CKR_DEVICE_ERROR).
    const info = cli(c, ['cluster', 'hsm-info']).json.data.hsms as Array<{ 'hsm-id': string; state: string }>;
    expect(info.find((h) => h['hsm-id'] === victim.hsmId)?.state).toBe('DEGRADED');
    expect(await code(direct(victim, ['alice', ALICE]))).not.toBe('CKR_OK');
    const app = await applianceConnect(applianceCreds(c.dir), victim.address, victim.port);
    expect(await code(app.call('key.list', {}))).toBe('CKR_DEVICE_ERROR');
    app.close();

    // Re-clone: it serves again, with every key.
    const r = spawnSync(process.execPath, [STRONGROOM, 'hsm', 'clone', '--data-dir', c.dir, '--hsm-id', victim.hsmId], { encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const back = await direct(victim, ['alice', ALICE]);
    expect(await code(back.call('crypto.sign', { mechanism: 'CKM_ECDSA_SHA256', ref, data: 'aGk=' }))).toBe('CKR_OK');
    back.close();
    client.close();
    // Both sides of the cloning are in the audit logs, and every chain verifies.
    const v = spawnSync(process.execPath, [STRONGROOM, 'audit', 'verify', '--data-dir', c.dir], { encoding: 'utf8' });
    expect(v.status, v.stdout).toBe(0);
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(join(victim.dir, 'audit.log'), 'utf8')).toContain('CN_CLONE_TARGET');
    expect(readFileSync(join(victim.dir, 'audit.log'), 'utf8')).toContain('CN_ZEROIZE');
  });

  it('a session key lost with its HSM is CKR_KEY_HANDLE_INVALID, saying why', async () => {
    const client = await StrongroomClient.connect(c.config);
    await client.login('alice', 'crypto-user', ALICE);
    const k = await client.call('key.generateSymmetric', { keyType: 'aes', keyLengthBytes: 16, session: true, attributes: { encrypt: true } });
    const ref = k.key['key-reference'];
    await client.call('crypto.encrypt', { mechanism: 'CKM_AES_GCM', ref, data: 'aGk=' });
    // The client pinned the session key to the HSM that made it: kill that HSM.
    const pinnedHsm = (client as unknown as { pinned: Map<string, string> }).pinned.get(ref)!;
    const victim = hsmProcesses(c).find((h) => h.hsmId === pinnedHsm)!;
    process.kill(victim.pid, 'SIGKILL');
    await sleep(300);
    const err = await client.call('crypto.encrypt', { mechanism: 'CKM_AES_GCM', ref, data: 'aGk=' }).then(() => undefined, (e: unknown) => e as HsmError);
    expect(err?.code).toBe('CKR_KEY_HANDLE_INVALID');
    expect(err?.message).toMatch(/lost with HSM/);
    client.close();
    extra.push(await startHsm(victim));
  });
});
