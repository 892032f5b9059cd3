// The audit log and its verifier: a real log verifies; every kind of tampering is caught and
// named by seq and line; reopening continues the chain; secret-looking detail keys are refused.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { appendFileSync, closeSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AUDIT_OPS, AuditLog, type AuditEntry } from '../../../src/hsm/audit/log.js';
import { recordHash, serializeRecord, type AuditRecord } from '../../../src/hsm/audit/record.js';
import { verifyAuditLog } from '../../../src/hsm/audit/verify.js';
import { HsmError } from '../../../src/protocol/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'strongroom-audit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const newPath = () => join(dir, `audit-${++n}.log`);

const device = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });

const entries: AuditEntry[] = [
  { user: 'admin', role: 'admin', op: 'CN_LOGIN', result: 'CKR_OK' },
  { user: 'admin', role: 'admin', op: 'CN_CREATE_USER', result: 'CKR_OK', detail: { username: 'alice', userRole: 'crypto-user' } },
  { user: 'alice', role: 'crypto-user', op: 'CN_LOGIN', result: 'CKR_PIN_INCORRECT' },
  { user: 'alice', role: 'crypto-user', op: 'CN_LOGIN', result: 'CKR_OK' },
  { user: 'alice', role: 'crypto-user', op: 'CN_GENERATE_KEY', keyRefs: ['0x0000000000200001'], result: 'CKR_OK', detail: { keyType: 'aes', bits: 256, extractable: false } },
  { user: 'alice', role: 'crypto-user', op: 'CN_SHARE_OBJECT', keyRefs: ['0x0000000000200001'], result: 'CKR_OK', detail: { with: 'bob' } },
  { user: 'alice', role: 'crypto-user', op: 'CN_DESTROY_OBJECT', keyRefs: ['0x0000000000200001'], result: 'CKR_OK' },
  { user: null, role: null, op: 'CN_LOGOUT', result: 'CKR_USER_NOT_LOGGED_IN' },
];

function writeLog(path: string, opts: { every?: number; signer?: KeyObject } = {}): void {
  const log = AuditLog.open({ path, hsmId: 'hsm-abc', signer: opts.signer ?? device.privateKey, checkpointEvery: opts.every ?? 3 });
  for (const e of entries) log.append(e);
  log.close();
}

const readLines = (p: string) => readFileSync(p, 'utf8').split('\n').filter(Boolean);
const writeLines = (p: string, lines: string[]) => writeFileSync(p, lines.map((l) => `${l}\n`).join(''));
const parse = (l: string) => JSON.parse(l) as AuditRecord;

describe('AuditLog writes a verifiable chain', () => {
  it('a real log verifies, with checkpoints every N records and one at close', () => {
    const p = newPath();
    writeLog(p);
    const lines = readLines(p).map(parse);
    // 8 records + checkpoints after records 3, 6 and at close.
    expect(lines.map((r) => r.op)).toEqual([
      'CN_LOGIN', 'CN_CREATE_USER', 'CN_LOGIN', 'CHECKPOINT',
      'CN_LOGIN', 'CN_GENERATE_KEY', 'CN_SHARE_OBJECT', 'CHECKPOINT',
      'CN_DESTROY_OBJECT', 'CN_LOGOUT', 'CHECKPOINT',
    ]);
    expect(lines[0]?.seq).toBe(1);
    expect(lines[0]?.prev).toBe('0'.repeat(64));
    expect(lines[4]?.prev).toBe(lines[3]?.hash);
    expect(lines[4]?.keyRefs).toEqual([]);
    expect(lines[5]?.detail).toEqual({ bits: 256, extractable: false, keyType: 'aes' });
    expect(verifyAuditLog(p, device.publicKey)).toEqual({ ok: true, records: 11, checkpoints: 3, unsignedTail: 0 });
    expect(verifyAuditLog(p, null)).toMatchObject({ ok: true, records: 11 });
  });

  it('an empty log verifies', () => {
    const p = newPath();
    AuditLog.open({ path: p, hsmId: 'h', signer: device.privateKey }).close();
    expect(verifyAuditLog(p, device.publicKey)).toEqual({ ok: true, records: 0, checkpoints: 0, unsignedTail: 0 });
  });

  it('reopening continues the chain from the last record', () => {
    const p = newPath();
    writeLog(p);
    const before = readLines(p).map(parse);
    const log = AuditLog.open({ path: p, hsmId: 'hsm-abc', signer: device.privateKey, checkpointEvery: 100 });
    expect(log.chainHead).toEqual({ seq: 11, hash: before[10]?.hash });
    log.append({ user: 'admin', role: 'admin', op: 'CN_LOGIN', result: 'CKR_OK' });
    log.close();
    const after = readLines(p).map(parse);
    expect(after[11]).toMatchObject({ seq: 12, prev: before[10]?.hash, op: 'CN_LOGIN' });
    expect(after[12]).toMatchObject({ seq: 13, op: 'CHECKPOINT' });
    expect(verifyAuditLog(p, device.publicKey)).toMatchObject({ ok: true, records: 13, checkpoints: 4 });
  });

  it('refuses to reopen a log of another HSM or one ending in a torn line', () => {
    const p = newPath();
    writeLog(p);
    expect(() => AuditLog.open({ path: p, hsmId: 'hsm-other', signer: device.privateKey })).toThrow(/belongs to HSM hsm-abc/);
    appendFileSync(p, '{"seq":12,"ti');
    expect(() => AuditLog.open({ path: p, hsmId: 'hsm-abc', signer: device.privateKey })).toThrow(/torn/);
    expect(verifyAuditLog(p, device.publicKey)).toMatchObject({ ok: false, firstBadSeq: 12, line: 12 });
  });

  it('writes a time-based checkpoint when records wait unsigned', async () => {
    const p = newPath();
    const log = AuditLog.open({ path: p, hsmId: 'h', signer: device.privateKey, checkpointMs: 40 });
    log.append({ user: 'a', role: 'admin', op: 'CN_LOGIN', result: 'CKR_OK' });
    await new Promise((r) => setTimeout(r, 150));
    expect(readLines(p).map(parse).map((r) => r.op)).toEqual(['CN_LOGIN', 'CHECKPOINT']);
    log.close();
    expect(readLines(p)).toHaveLength(2); // nothing unsigned, so no second checkpoint at close
    expect(verifyAuditLog(p, device.publicKey)).toMatchObject({ ok: true, checkpoints: 1 });
  });

  it('reports the unsigned tail of a log that was not closed', () => {
    const p = newPath();
    const log = AuditLog.open({ path: p, hsmId: 'h', signer: device.privateKey, checkpointEvery: 2 });
    for (const e of entries.slice(0, 3)) log.append(e);
    expect(verifyAuditLog(p, device.publicKey)).toEqual({ ok: true, records: 4, checkpoints: 1, unsignedTail: 1 });
    log.close();
  });

  it('exports the CloudHSM op names', () => {
    for (const op of ['CN_LOGIN', 'CN_LOGOUT', 'CN_CREATE_USER', 'CN_DELETE_USER', 'CN_CHANGE_PSWD', 'CN_GENERATE_KEY',
      'CN_GENERATE_KEY_PAIR', 'CN_DESTROY_OBJECT', 'CN_SHARE_OBJECT', 'CN_SET_ATTRIBUTE_VALUE', 'CN_WRAP_KEY',
      'CN_UNWRAP_KEY', 'CN_INSERT_MASKED_OBJECT_USER', 'CN_ZEROIZE', 'CN_INIT_TOKEN', 'CN_DERIVE_KEY']) {
      expect(AUDIT_OPS).toContain(op);
    }
  });
});

describe('verifyAuditLog catches tampering', () => {
  it('an edited field (result) fails at that record', () => {
    const p = newPath();
    writeLog(p);
    const lines = readLines(p);
    lines[2] = (lines[2] as string).replace('"CKR_PIN_INCORRECT"', '"CKR_OK"');
    writeLines(p, lines);
    expect(verifyAuditLog(p, device.publicKey)).toMatchObject({ ok: false, firstBadSeq: 3, line: 3, reason: expect.stringMatching(/hash/) });
  });

  it('an edited record with its own hash recomputed fails at the next record', () => {
    const p = newPath();
    writeLog(p);
    const lines = readLines(p);
    const r = parse(lines[2] as string);
    r.result = 'CKR_OK';
    r.hash = recordHash(r);
    lines[2] = serializeRecord(r);
    writeLines(p, lines);
    expect(verifyAuditLog(p, device.publicKey)).toMatchObject({ ok: false, firstBadSeq: 4, line: 4, reason: expect.stringMatching(/prev/) });
  });

  it('a whole rewritten chain (every hash recomputed) fails at the checkpoint signature', () => {
    const p = newPath();
    writeLog(p);
    const recs = readLines(p).map(parse);
    recs[2] = { ...(recs[2] as AuditRecord), result: 'CKR_OK' };
    let prev = '0'.repeat(64);
    for (const r of recs) {
      r.prev = prev;
      r.hash = recordHash(r);
      prev = r.hash;
    }
    writeLines(p, recs.map(serializeRecord));
    expect(verifyAuditLog(p, device.publicKey)).toMatchObject({ ok: false, firstBadSeq: 4, reason: expect.stringMatching(/signature/) });
    // Without the device key only the chain can be checked, and the rewritten chain is consistent.
    expect(verifyAuditLog(p, null)).toMatchObject({ ok: true });
  });

  it('a deleted line fails', () => {
    const p = newPath();
    writeLog(p);
    const lines = readLines(p);
    lines.splice(4, 1);
    writeLines(p, lines);
    expect(verifyAuditLog(p, device.publicKey)).toMatchObject({ ok: false, firstBadSeq: 5, line: 5, reason: expect.stringMatching(/missing/) });
  });

  it('a deleted first line fails', () => {
    const p = newPath();
    writeLog(p);
    writeLines(p, readLines(p).slice(1));
    expect(verifyAuditLog(p, null)).toMatchObject({ ok: false, firstBadSeq: 1, line: 1 });
  });

  it('swapped lines fail', () => {
    const p = newPath();
    writeLog(p);
    const lines = readLines(p);
    [lines[1], lines[2]] = [lines[2] as string, lines[1] as string];
    writeLines(p, lines);
    expect(verifyAuditLog(p, null)).toMatchObject({ ok: false, firstBadSeq: 2, line: 2 });
  });

  it('a forged checkpoint signature fails', () => {
    const p = newPath();
    writeLog(p);
    const lines = readLines(p);
    const cp = parse(lines[7] as string);
    expect(cp.op).toBe('CHECKPOINT');
    cp.sig = Buffer.from(cp.sig ?? '', 'base64').reverse().toString('base64');
    lines[7] = serializeRecord(cp);
    writeLines(p, lines);
    expect(verifyAuditLog(p, device.publicKey)).toMatchObject({ ok: false, firstBadSeq: 8, line: 8, reason: expect.stringMatching(/signature/) });
  });

  it('a log signed by another device key fails', () => {
    const p = newPath();
    writeLog(p, { signer: other.privateKey });
    expect(verifyAuditLog(p, device.publicKey)).toMatchObject({ ok: false, firstBadSeq: 4, line: 4 });
    expect(verifyAuditLog(p, other.publicKey)).toMatchObject({ ok: true });
  });

  it('an added field or reformatted line fails', () => {
    const p = newPath();
    writeLog(p);
    const lines = readLines(p);
    lines[1] = (lines[1] as string).replace('{"seq":2,', '{"seq":2, ');
    writeLines(p, lines);
    expect(verifyAuditLog(p, null)).toMatchObject({ ok: false, firstBadSeq: 2, reason: expect.stringMatching(/canonical/) });
  });
});

describe('AuditLog refuses', () => {
  const open = () => AuditLog.open({ path: newPath(), hsmId: 'h', signer: device.privateKey });

  it.each(['password', 'Password', 'pin', 'PIN', 'data', 'plaintext', 'key', 'material', 'newPassword', 'user_pin', 'keyMaterial', 'clientSecret'])(
    'a secret-looking detail key: %s',
    (name) => {
      const log = open();
      let err: unknown;
      try {
        log.append({ user: 'a', role: 'crypto-user', op: 'CN_CHANGE_PSWD', result: 'CKR_OK', detail: { [name]: 'x' } });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(HsmError);
      expect((err as HsmError).code).toBe('CKR_STRONGROOM_AUDIT_FAILED');
      expect((err as HsmError).message).toMatch(/never holds secrets/);
      log.close();
      expect(log.chainHead.seq).toBe(0);
    },
  );

  it('allows ordinary detail keys such as keyType and label', () => {
    const log = open();
    log.append({ user: 'a', role: 'crypto-user', op: 'CN_GENERATE_KEY', result: 'CKR_OK', detail: { keyType: 'aes', label: 'k1', keyRef: '0x1' } });
    log.close();
  });

  it('a result that is not a CKR name, a reserved op, and a non-EC signer', () => {
    const log = open();
    expect(() => log.append({ user: null, role: null, op: 'CN_LOGIN', result: 'OK' })).toThrow(/CKR_/);
    log.append({ user: 'admin', role: 'admin', op: 'CN_LOGIN', result: 'REQUEST' }); // the pre-handler record
    expect(() => log.append({ user: null, role: null, op: 'CHECKPOINT', result: 'CKR_OK' })).toThrow(/reserved/);
    expect(() => log.append({ user: null, role: null, op: 'cn login', result: 'CKR_OK' })).toThrow(/UPPER_SNAKE/);
    log.close();
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect(() => AuditLog.open({ path: newPath(), hsmId: 'h', signer: rsa.privateKey })).toThrow(/P-256/);
  });

  it('appends after close', () => {
    const log = open();
    log.close();
    expect(() => log.append({ user: null, role: null, op: 'CN_LOGIN', result: 'CKR_OK' })).toThrow(/closed/);
  });

  it('a write failure throws to the caller, and the log accepts nothing after it', () => {
    const log = open();
    log.append({ user: null, role: null, op: 'CN_LOGIN', result: 'CKR_OK' });
    // Close the descriptor underneath the log to simulate a failing disk.
    closeSync((log as unknown as { fd: number }).fd);
    expect(() => log.append({ user: null, role: null, op: 'CN_LOGOUT', result: 'CKR_OK' })).toThrow(HsmError);
    expect(() => log.append({ user: null, role: null, op: 'CN_LOGOUT', result: 'CKR_OK' })).toThrow(/failed earlier/);
    (log as unknown as { fd: number | null }).fd = null; // already closed above
  });
});
