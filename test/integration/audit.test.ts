// The audit log of a real session, checked with the shipped verifier
// (`strongroom audit verify --data-dir DIR`).
// Proves: a real session (activate, logins, user create, key generate, a failed login) is
// recorded and verifies (exit 0, one JSON line per HSM with ok:true, checkpoint signatures
// checked); editing one record's "result" in the middle makes verify exit non-zero naming exactly
// that record's seq; deleting a record is caught at its seq; an editor who also recomputes every
// hash after the edit is still caught, at the first device-signed checkpoint after it; and no
// password used in the session appears in the audit log (nor in hsm.log or the store files).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StrongroomClient, loadClientConfig } from '../../src/client/client.js';
import { recordHash, serializeRecord, type AuditRecord } from '../../src/hsm/audit/record.js';
import { STRONGROOM, startCluster, type Cluster } from './harness.js';

const ADMIN_PW = 'Admin-Pass-77';
const ALICE_PW = 'Alice-Pass-88';
const WRONG_PW = 'Wrong-Guess-99';

interface VerifyLine {
  log: string;
  signatures: string;
  ok: boolean;
  records?: number;
  checkpoints?: number;
  firstBadSeq?: number;
  reason?: string;
}

function verify(dir: string): { code: number | null; lines: VerifyLine[]; stdout: string } {
  const r = spawnSync(process.execPath, [STRONGROOM, 'audit', 'verify', '--data-dir', dir], { encoding: 'utf8', timeout: 30_000 });
  const lines = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as VerifyLine);
  return { code: r.status, lines, stdout: r.stdout + r.stderr };
}

describe('audit log of a real session', () => {
  let cluster: Cluster;
  let logPath = '';
  let original = '';
  const parse = (text: string): AuditRecord[] => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditRecord);

  beforeAll(async () => {
    cluster = await startCluster();
    const cfg = loadClientConfig(cluster.config);
    const admin = await StrongroomClient.connect(cfg);
    const alice = await StrongroomClient.connect(cfg);
    const other = await StrongroomClient.connect(cfg);
    try {
      await admin.call('cluster.activate', { password: ADMIN_PW });
      await admin.login('admin', 'admin', ADMIN_PW);
      await admin.call('user.create', { username: 'alice', role: 'crypto-user', password: ALICE_PW });
      await alice.login('alice', 'crypto-user', ALICE_PW);
      await alice.call('key.generateSymmetric', { keyType: 'aes', keyLengthBytes: 32, attributes: { label: 'audited', encrypt: true, decrypt: true } });
      await expect(other.login('alice', 'crypto-user', WRONG_PW)).rejects.toMatchObject({ code: 'CKR_PIN_INCORRECT' });
      await admin.call('user.changePassword', { username: 'alice', role: 'crypto-user', password: 'Alice-Pass-2nd' });
    } finally {
      admin.close();
      alice.close();
      other.close();
    }
    const ids = readdirSync(join(cluster.dir, 'hsms'));
    expect(ids).toHaveLength(1);
    logPath = join(cluster.dir, 'hsms', ids[0]!, 'audit.log');
  }, 60_000);

  afterAll(async () => {
    await cluster?.cleanup();
  });

  it('records the session, a REQUEST record before each outcome', () => {
    const recs = parse(readFileSync(logPath, 'utf8'));
    // Login records carry the session's user at request time (none yet: '-'); the user logging
    // in is in detail.username.
    const seen = recs.map((r) => `${r.op} ${r.user ?? '-'}${r.detail['username'] ? ` ${String(r.detail['username'])}` : ''} ${r.result}`);
    expect(seen).toEqual(expect.arrayContaining([
      'CN_CHANGE_PSWD - admin CKR_OK', // cluster activate
      'CN_LOGIN admin admin CKR_OK',
      'CN_CREATE_USER admin alice CKR_OK',
      'CN_LOGIN alice alice CKR_OK',
      'CN_GENERATE_KEY alice CKR_OK',
      'CN_LOGIN - alice CKR_PIN_INCORRECT', // the failed login
      'CN_CHANGE_PSWD admin alice CKR_OK',
    ]));
    for (const [i, r] of recs.entries()) {
      if (r.op === 'CHECKPOINT' || r.result === 'REQUEST' || r.user === 'app_user' || i === 0) continue;
      expect(recs.slice(0, i).some((q) => q.op === r.op && q.result === 'REQUEST'), `REQUEST before ${seen[i]}`).toBe(true);
    }
    const key = recs.find((r) => r.op === 'CN_GENERATE_KEY' && r.result === 'CKR_OK');
    expect(key?.keyRefs).toHaveLength(1);
    expect(key?.keyRefs[0]).toMatch(/^0x[0-9a-f]{16}$/);
  });

  it('verifies while the cluster runs: exit 0, ok:true', () => {
    const r = verify(cluster.dir);
    expect(r.code, r.stdout).toBe(0);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatchObject({ log: logPath, ok: true, signatures: 'checked' });
  });

  it('contains no password used in the session (nor do hsm.log and the store files)', () => {
    const files = [logPath, join(cluster.dir, 'hsms', readdirSync(join(cluster.dir, 'hsms'))[0]!, 'hsm.log')];
    for (const f of ['store.sqlite', 'store.sqlite-wal']) if (existsSync(join(cluster.dir, f))) files.push(join(cluster.dir, f));
    for (const f of files) {
      const bytes = readFileSync(f);
      for (const pw of [ADMIN_PW, ALICE_PW, WRONG_PW, 'Alice-Pass-2nd']) {
        expect(bytes.includes(Buffer.from(pw, 'utf8')), `${pw} found in ${f}`).toBe(false);
        expect(bytes.includes(Buffer.from(Buffer.from(pw).toString('base64').slice(0, 12))), `base64 of ${pw} found in ${f}`).toBe(false);
      }
    }
  });

  it('after a stop, the closed log verifies with a signed checkpoint at its end', async () => {
    await cluster.stop();
    original = readFileSync(logPath, 'utf8');
    const recs = parse(original);
    expect(recs.at(-1)?.op).toBe('CHECKPOINT');
    const r = verify(cluster.dir);
    expect(r.code, r.stdout).toBe(0);
    expect(r.lines[0]).toMatchObject({ ok: true, records: recs.length, unsignedTail: 0 });
  });

  it('an edited "result" in the middle fails verification, naming that record', () => {
    const lines = original.split('\n').filter(Boolean);
    // A non-checkpoint record from the middle of the file.
    let i = Math.floor(lines.length / 2);
    while (JSON.parse(lines[i]!).op === 'CHECKPOINT') i--;
    const rec = JSON.parse(lines[i]!) as AuditRecord;
    const forged = rec.result === 'CKR_OK' ? 'CKR_PIN_INCORRECT' : 'CKR_OK';
    lines[i] = lines[i]!.replace(`"result":"${rec.result}"`, `"result":"${forged}"`);
    expect(lines[i]).not.toBe(original.split('\n')[i]);
    writeFileSync(logPath, lines.join('\n') + '\n');

    const r = verify(cluster.dir);
    expect(r.code, r.stdout).not.toBe(0);
    expect(r.lines[0]).toMatchObject({ ok: false, firstBadSeq: rec.seq });
    expect(r.lines[0]?.reason).toMatch(/hash does not match/);
    expect(r.stdout).toContain(`"firstBadSeq":${rec.seq}`);
  });

  it('a deleted record fails verification at its seq', () => {
    const lines = original.split('\n').filter(Boolean);
    const i = Math.floor(lines.length / 3);
    const seq = (JSON.parse(lines[i]!) as AuditRecord).seq;
    lines.splice(i, 1);
    writeFileSync(logPath, lines.join('\n') + '\n');
    const r = verify(cluster.dir);
    expect(r.code, r.stdout).not.toBe(0);
    expect(r.lines[0]).toMatchObject({ ok: false, firstBadSeq: seq });
  });

  it('an edit with every later hash recomputed is still caught, by the device signature on the next checkpoint', () => {
    const recs = parse(original);
    let i = Math.floor(recs.length / 2);
    while (recs[i]!.op === 'CHECKPOINT') i--;
    recs[i] = { ...recs[i]!, result: recs[i]!.result === 'CKR_OK' ? 'CKR_PIN_INCORRECT' : 'CKR_OK' };
    // Re-chain from the edit on, as a forger without the device key would.
    for (let j = i; j < recs.length; j++) {
      const r = recs[j]!;
      r.prev = j === 0 ? r.prev : recs[j - 1]!.hash;
      r.hash = recordHash(r);
    }
    writeFileSync(logPath, recs.map(serializeRecord).join('\n') + '\n');
    const nextCheckpoint = recs.slice(i).find((r) => r.op === 'CHECKPOINT');
    expect(nextCheckpoint).toBeDefined();
    const r = verify(cluster.dir);
    expect(r.code, r.stdout).not.toBe(0);
    expect(r.lines[0]).toMatchObject({ ok: false, firstBadSeq: nextCheckpoint!.seq });
    expect(r.lines[0]?.reason).toMatch(/signature/);
  });

  it('the untouched log verifies again (the failures came from the edits)', () => {
    writeFileSync(logPath, original);
    const r = verify(cluster.dir);
    expect(r.code, r.stdout).toBe(0);
    expect(r.lines[0]?.ok).toBe(true);
  });
});
