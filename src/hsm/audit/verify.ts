// The audit log verifier: recomputes every record hash and prev link, checks seq continuity
// from 1 and the device signature on every checkpoint (docs/audit-record.md).
// Must never modify the log, and never report ok for a log it could not read end to end.
import { readFileSync } from 'node:fs';
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import {
  CHECKPOINT_OP,
  GENESIS_PREV,
  checkpointMessage,
  recordHash,
  serializeRecord,
  type AuditRecord,
} from './record.js';

export type AuditVerifyResult =
  | {
      ok: true;
      /** All records, checkpoints included. */
      records: number;
      checkpoints: number;
      /** Records after the last checkpoint (not yet covered by a device signature). */
      unsignedTail: number;
    }
  | { ok: false; firstBadSeq: number; line: number; reason: string };

const HEX64 = /^[0-9a-f]{64}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function shapeError(r: unknown): string | null {
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return 'not a JSON object';
  const o = r as Record<string, unknown>;
  if (!Number.isSafeInteger(o['seq'])) return 'seq is not an integer';
  if (typeof o['time'] !== 'string' || Number.isNaN(Date.parse(o['time']))) return 'time is not a timestamp';
  if (typeof o['hsmId'] !== 'string') return 'hsmId is not a string';
  if (o['user'] !== null && typeof o['user'] !== 'string') return 'user is not a string or null';
  if (o['role'] !== null && typeof o['role'] !== 'string') return 'role is not a string or null';
  if (typeof o['op'] !== 'string') return 'op is not a string';
  if (!Array.isArray(o['keyRefs']) || !o['keyRefs'].every((k) => typeof k === 'string')) return 'keyRefs is not a string array';
  if (typeof o['result'] !== 'string') return 'result is not a string';
  const d = o['detail'];
  if (typeof d !== 'object' || d === null || Array.isArray(d)) return 'detail is not an object';
  for (const v of Object.values(d)) {
    if (!['string', 'number', 'boolean'].includes(typeof v)) return 'detail holds a non-scalar value';
  }
  if (typeof o['prev'] !== 'string' || !HEX64.test(o['prev'])) return 'prev is not 64 hex digits';
  if (typeof o['hash'] !== 'string' || !HEX64.test(o['hash'])) return 'hash is not 64 hex digits';
  if (o['op'] === CHECKPOINT_OP) {
    if (typeof o['sig'] !== 'string' || !BASE64.test(o['sig'])) return 'checkpoint without a base64 sig';
  } else if (o['sig'] !== undefined) {
    return 'sig on a record that is not a checkpoint';
  }
  return null;
}

/**
 * Verifies the whole log at path. With devicePublicKey, every checkpoint signature must verify
 * under it; with null, signatures are only checked for form (the chain is still fully checked).
 */
export function verifyAuditLog(path: string, devicePublicKey: KeyObject | null): AuditVerifyResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { ok: false, firstBadSeq: 1, line: 1, reason: `cannot read ${path}: ${(err as Error).message}` };
  }
  const pub = devicePublicKey && devicePublicKey.type === 'private' ? createPublicKey(devicePublicKey) : devicePublicKey;
  const lines = text.split('\n');
  const terminated = text.endsWith('\n');
  if (terminated) lines.pop();
  if (text.length === 0) lines.length = 0;

  let prev = GENESIS_PREV;
  let hsmId: string | null = null;
  let checkpoints = 0;
  let sinceCheckpoint = 0;
  for (let i = 0; i < lines.length; i++) {
    const expected = i + 1;
    const bad = (reason: string): AuditVerifyResult => ({ ok: false, firstBadSeq: expected, line: i + 1, reason });
    const line = lines[i] as string;
    if (!terminated && i === lines.length - 1) return bad('the last line has no newline (torn write or truncation)');
    if (line.length === 0) return bad('empty line');
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return bad('not valid JSON');
    }
    const shape = shapeError(parsed);
    if (shape) return bad(`malformed record: ${shape}`);
    const rec = parsed as AuditRecord;
    if (serializeRecord(rec) !== line) return bad('line is not in canonical form (fields added, reordered or reformatted)');
    if (rec.seq !== expected) {
      return bad(`seq ${rec.seq} where ${expected} was expected (a record is missing, inserted or reordered)`);
    }
    if (hsmId === null) hsmId = rec.hsmId;
    else if (rec.hsmId !== hsmId) return bad(`hsmId ${rec.hsmId} differs from the log's ${hsmId}`);
    if (rec.prev !== prev) {
      return bad(expected === 1 ? 'the first record must have prev = 64 zeros' : `prev does not match the hash of seq ${expected - 1}`);
    }
    if (recordHash(rec) !== rec.hash) return bad('hash does not match the record contents (record altered)');
    if (rec.op === CHECKPOINT_OP) {
      if (pub) {
        let good = false;
        try {
          good = verify('sha256', checkpointMessage(rec.hsmId, rec.seq, rec.hash), pub, Buffer.from(rec.sig ?? '', 'base64'));
        } catch {
          good = false;
        }
        if (!good) return bad('checkpoint signature does not verify under the device key');
      }
      checkpoints++;
      sinceCheckpoint = 0;
    } else {
      sinceCheckpoint++;
    }
    prev = rec.hash;
  }
  return { ok: true, records: lines.length, checkpoints, unsignedTail: sinceCheckpoint };
}
