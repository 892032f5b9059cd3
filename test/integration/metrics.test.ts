// metrics.get through a real HSM process (`strongroom up`, one HSM): who may ask (the appliance
// user and admins; crypto users and anonymous connections are refused), counters and gauges that
// follow the operations done, a reply that holds nothing secret, no audit record per read, and an
// answer from a zeroised (tampered) HSM that says so.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StrongroomClient, type HsmConnection } from '../../src/client/client.js';
import { CKR, HsmError } from '../../src/protocol/errors.js';
import { HSM_NODE_STATES, ops, type HsmMetricsReport } from '../../src/protocol/operations.js';
import { applianceConnect, applianceCreds } from '../../src/orchestrator/appliance.js';
import { hsmProcesses, startCluster, STRONGROOM, type Cluster, type HsmProcessInfo } from './harness.js';

const PW = { admin: 'Admin-pass-1', alice: 'Alice-pass-1' };
const LABEL = 'metrics-secret-label';
const PLAINTEXT = Buffer.from('plaintext that must never show up').toString('base64');

let c: Cluster;
let h: HsmProcessInfo;
let appliance: HsmConnection;
let admin: StrongroomClient;
let alice: StrongroomClient;

function code(p: Promise<unknown>): Promise<string> {
  return p.then(() => 'CKR_OK', (e: unknown) => (e instanceof HsmError ? e.code : String(e)));
}

function countOf(r: HsmMetricsReport, command: string, result: string): number {
  return r.requests.find((x) => x.command === command && x.result === result)?.count ?? 0;
}

/** Every string anywhere in the reply must come from this fixed vocabulary (or be the node's ids). */
function allowedStrings(r: HsmMetricsReport): Set<string> {
  return new Set<string>([r.hsmId, r.clusterId, ...HSM_NODE_STATES, ...Object.keys(ops), ...Object.keys(CKR), 'ok', '(unknown)']);
}

function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, out);
  else if (typeof v === 'object' && v !== null) for (const x of Object.values(v)) strings(x, out);
  return out;
}

beforeAll(async () => {
  c = await startCluster();
  const anon = await StrongroomClient.connect(c.config);
  await anon.call('cluster.activate', { password: PW.admin });
  anon.close();
  admin = await StrongroomClient.connect(c.config);
  await admin.login('admin', 'admin', PW.admin);
  await admin.call('user.create', { username: 'alice', role: 'crypto-user', password: PW.alice });
  alice = await StrongroomClient.connect(c.config);
  await alice.login('alice', 'crypto-user', PW.alice);
  h = hsmProcesses(c)[0]!;
  appliance = await applianceConnect(applianceCreds(c.dir), h.address, h.port);
}, 120_000);

afterAll(async () => {
  appliance?.close();
  admin?.close();
  alice?.close();
  await c?.cleanup();
});

describe('metrics.get', () => {
  it('answers the appliance user and admins; crypto users and anonymous connections are refused', async () => {
    const r = await appliance.call('metrics.get', {});
    expect(r.hsmId).toBe(h.hsmId);
    expect(r.state).toBe('ACTIVE');
    expect(await code(admin.call('metrics.get', {}))).toBe('CKR_OK');
    expect(await code(alice.call('metrics.get', {}))).toBe('CKR_USER_TYPE_INVALID');
    const anon = await StrongroomClient.connect(c.config);
    expect(await code(anon.call('metrics.get', {}))).toBe('CKR_USER_NOT_LOGGED_IN');
    anon.close();
  });

  it('counts follow the operations done: per command and result, durations, keys, sessions, users', async () => {
    // The anonymous connection of the test above may take a moment to be gone on the HSM's side.
    let before = await appliance.call('metrics.get', {});
    for (let i = 0; i < 30 && before.sessions !== 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
      before = await appliance.call('metrics.get', {});
    }
    expect(before.sessions).toBe(2); // admin's and alice's connections
    expect(before.users).toBe(2); // admin and alice
    expect(before.usersMax).toBe(1024);
    expect(before.applianceSessions).toBe(1); // this one

    const key = await alice.call('key.generateSymmetric', { keyType: 'aes', keyLengthBytes: 32, attributes: { label: LABEL, encrypt: true, decrypt: true } });
    const ref = key.key['key-reference'];
    for (let i = 0; i < 20; i++) await alice.call('crypto.encrypt', { mechanism: 'CKM_AES_GCM', ref, data: PLAINTEXT });
    expect(await code(alice.call('crypto.encrypt', { mechanism: 'CKM_AES_GCM', ref: '0x00000000deadbeef', data: PLAINTEXT }))).toBe('CKR_KEY_HANDLE_INVALID');
    // A session key on its own connection, counted while the connection is open.
    const bob = await StrongroomClient.connect(c.config, { discover: false });
    await bob.login('alice', 'crypto-user', PW.alice);
    await bob.call('key.generateSymmetric', { keyType: 'aes', keyLengthBytes: 16, session: true });

    const after = await appliance.call('metrics.get', {});
    expect(countOf(after, 'crypto.encrypt', 'ok') - countOf(before, 'crypto.encrypt', 'ok')).toBe(20);
    expect(countOf(after, 'crypto.encrypt', 'CKR_KEY_HANDLE_INVALID') - countOf(before, 'crypto.encrypt', 'CKR_KEY_HANDLE_INVALID')).toBe(1);
    expect(countOf(after, 'key.generateSymmetric', 'ok') - countOf(before, 'key.generateSymmetric', 'ok')).toBe(2);
    expect(countOf(after, 'metrics.get', 'ok')).toBeGreaterThanOrEqual(2);
    // The refusals of the first test are counted under their CKR names.
    expect(countOf(after, 'metrics.get', 'CKR_USER_TYPE_INVALID')).toBe(1);
    expect(countOf(after, 'metrics.get', 'CKR_USER_NOT_LOGGED_IN')).toBe(1);
    expect(after.keysTokenOccupied - before.keysTokenOccupied).toBe(1);
    expect(after.keysSessionOccupied - before.keysSessionOccupied).toBe(1);
    expect(after.sessions - before.sessions).toBe(1);

    // The histogram: cumulative, the last bucket (+Inf) is the count, which grew by every request.
    const d = after.duration;
    expect(d.counts).toHaveLength(d.bounds.length + 1);
    for (let i = 1; i < d.bounds.length; i++) expect(d.bounds[i]).toBeGreaterThan(d.bounds[i - 1]!);
    for (let i = 1; i < d.counts.length; i++) expect(d.counts[i]).toBeGreaterThanOrEqual(d.counts[i - 1]!);
    expect(d.counts.at(-1)).toBe(d.count);
    expect(d.count).toBe(after.requests.reduce((n, x) => n + x.count, 0));
    expect(d.count - before.duration.count).toBeGreaterThanOrEqual(24); // 21 encrypts, 2 keys, a login
    expect(d.sum).toBeGreaterThan(before.duration.sum);
    expect(after.uptimeSeconds).toBeGreaterThan(0);

    // Closing the connection drops its session key and its session.
    bob.close();
    await new Promise((r) => setTimeout(r, 300));
    const closed = await appliance.call('metrics.get', {});
    expect(closed.keysSessionOccupied).toBe(before.keysSessionOccupied);
    expect(closed.sessions).toBe(before.sessions);

    // Nothing secret: no label, key reference, user name, password or data; only known names.
    const text = JSON.stringify(closed);
    for (const secret of [LABEL, ref, 'alice', 'admin', PW.alice, PW.admin, PLAINTEXT]) expect(text).not.toContain(secret);
    const allowed = allowedStrings(closed);
    expect(strings(closed).filter((s) => !allowed.has(s))).toEqual([]);
  });

  it('an operation name nobody defined is counted as (unknown), not as a new label', async () => {
    const raw = appliance as unknown as { call(op: string, params: object): Promise<unknown> };
    expect(await code(raw.call('no.such-op-' + 'x'.repeat(30), {}))).toBe('CKR_STRONGROOM_PROTOCOL');
    const r = await appliance.call('metrics.get', {});
    expect(countOf(r, '(unknown)', 'CKR_STRONGROOM_PROTOCOL')).toBe(1);
    expect(r.requests.some((x) => x.command.startsWith('no.such'))).toBe(false);
  });

  it('reads are not audited: the audit log does not grow with metrics.get', async () => {
    const log = join(h.dir, 'audit.log');
    const before = readFileSync(log, 'utf8');
    for (let i = 0; i < 5; i++) await appliance.call('metrics.get', {});
    await admin.call('metrics.get', {});
    expect(readFileSync(log, 'utf8')).toBe(before);
  });

  it('a zeroised (tampered) HSM still answers, with its state and no user count', async () => {
    const t = spawnSync(process.execPath, [STRONGROOM, 'hsm', 'tamper', '--data-dir', c.dir, '--hsm-id', h.hsmId], { encoding: 'utf8' });
    expect(t.status, t.stderr).toBe(0);
    let r: HsmMetricsReport | undefined;
    for (let i = 0; i < 50 && r?.state !== 'DEGRADED'; i++) {
      await new Promise((res) => setTimeout(res, 100));
      // Tamper drops every connection, ours included.
      appliance.close();
      appliance = await applianceConnect(applianceCreds(c.dir), h.address, h.port);
      r = await appliance.call('metrics.get', {}).catch(() => undefined);
    }
    expect(r?.state).toBe('DEGRADED');
    expect(r?.users).toBeUndefined();
    expect(r?.keysTokenOccupied).toBe(0);
    expect(r?.keysSessionOccupied).toBe(0);
  });
});
