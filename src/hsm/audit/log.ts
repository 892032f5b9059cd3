// The per-node append-only audit log: one JSON record per line, each hash-chained to the one
// before, with periodic CHECKPOINT records signed by the device key (format: docs/audit-record.md).
// Must never log a secret (detail keys are screened), never buffer a record it has not written
// (append is synchronous so a failure reaches the caller, who refuses the request), and never
// write again after a failed write.
import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { sign, type KeyObject } from 'node:crypto';
import { HsmError, isCkrName } from '../../protocol/errors.js';
import {
  CHECKPOINT_OP,
  GENESIS_PREV,
  REQUEST_RESULT,
  checkpointMessage,
  recordHash,
  secretKeyReason,
  serializeRecord,
  type AuditRecord,
  type DetailValue,
} from './record.js';

export { AUDIT_OPS, FORBIDDEN_DETAIL_KEYS, REQUEST_RESULT, type AuditOp, type AuditRecord } from './record.js';

export interface AuditLogOptions {
  path: string;
  hsmId: string;
  /** The device private key, EC P-256; signs checkpoints. */
  signer: KeyObject;
  /** Write a checkpoint after this many records (default 100). */
  checkpointEvery?: number;
  /** Write a checkpoint when records have waited this long unsigned (default 60000; Infinity: never). */
  checkpointMs?: number;
}

export interface AuditEntry {
  user: string | null;
  role: string | null;
  /** A CloudHSM-style op name (AUDIT_OPS) or another UPPER_SNAKE name; CHECKPOINT is reserved. */
  op: string;
  keyRefs?: string[];
  /** 'CKR_OK' or another CKR_* name; 'REQUEST' for the record written before the handler runs. */
  result: string;
  detail?: Record<string, string | number | boolean>;
}

const MAX_TEXT = 1024;
const MAX_DETAIL_KEYS = 64;
const MAX_KEY_REFS = 1024;
const TAIL_CHUNK = 64 * 1024;

function fail(msg: string, cause?: unknown): HsmError {
  return new HsmError('CKR_STRONGROOM_AUDIT_FAILED', `audit: ${msg}`, cause === undefined ? undefined : { cause });
}

export class AuditLog {
  private fd: number | null;
  private seq: number;
  private head: string;
  private unsigned: number;
  private lastCheckpointAt: number;
  private broken: HsmError | null = null;
  private readonly timer: NodeJS.Timeout | null;

  private constructor(
    private readonly path: string,
    private readonly hsmId: string,
    private readonly signer: KeyObject,
    private readonly checkpointEvery: number,
    private readonly checkpointMs: number,
    fd: number,
    last: AuditRecord | null,
  ) {
    this.fd = fd;
    this.seq = last?.seq ?? 0;
    this.head = last?.hash ?? GENESIS_PREV;
    this.unsigned = last && last.op !== CHECKPOINT_OP ? 1 : 0;
    this.lastCheckpointAt = Date.now();
    if (Number.isFinite(checkpointMs)) {
      this.timer = setInterval(() => this.tick(), checkpointMs);
      this.timer.unref();
    } else {
      this.timer = null;
    }
  }

  /** Opens (or creates) the log at opts.path and continues its chain from the last record. */
  static open(opts: AuditLogOptions): AuditLog {
    const { signer } = opts;
    if (
      signer.type !== 'private' ||
      signer.asymmetricKeyType !== 'ec' ||
      signer.asymmetricKeyDetails?.namedCurve !== 'prime256v1'
    ) {
      throw new HsmError('CKR_KEY_TYPE_INCONSISTENT', 'audit: signer must be the EC P-256 device private key');
    }
    if (typeof opts.hsmId !== 'string' || opts.hsmId.length === 0 || opts.hsmId.length > 128) {
      throw new HsmError('CKR_ARGUMENTS_BAD', 'audit: hsmId must be 1 to 128 characters');
    }
    const every = opts.checkpointEvery ?? 100;
    const ms = opts.checkpointMs ?? 60_000;
    if (!Number.isInteger(every) || every < 1) {
      throw new HsmError('CKR_ARGUMENTS_BAD', `audit: checkpointEvery must be a positive integer, got ${every}`);
    }
    if (!(ms > 0)) throw new HsmError('CKR_ARGUMENTS_BAD', `audit: checkpointMs must be positive, got ${ms}`);

    let fd: number;
    try {
      mkdirSync(dirname(opts.path), { recursive: true });
      fd = openSync(opts.path, 'a+', 0o600);
    } catch (err) {
      throw fail(`cannot open ${opts.path}`, err);
    }
    try {
      const last = readLastRecord(fd, opts.path);
      if (last && last.hsmId !== opts.hsmId) {
        throw fail(`${opts.path} belongs to HSM ${last.hsmId}, not ${opts.hsmId}`);
      }
      return new AuditLog(opts.path, opts.hsmId, signer, every, ms, fd, last);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /** The chain head: the last record's seq and hash (seq 0 and 64 zeros for an empty log). */
  get chainHead(): { seq: number; hash: string } {
    return { seq: this.seq, hash: this.head };
  }

  /** Writes one record synchronously; throws CKR_STRONGROOM_AUDIT_FAILED if it cannot. */
  append(entry: AuditEntry): void {
    this.usable();
    const rec = this.build(entry);
    this.write(rec);
    this.unsigned++;
    if (this.unsigned >= this.checkpointEvery || Date.now() - this.lastCheckpointAt >= this.checkpointMs) {
      this.checkpoint();
    }
  }

  /** Writes a CHECKPOINT record whose signature covers the chain head, and syncs the file. */
  checkpoint(): void {
    this.usable();
    const body: Omit<AuditRecord, 'hash'> = {
      seq: this.seq + 1,
      time: new Date().toISOString(),
      hsmId: this.hsmId,
      user: null,
      role: null,
      op: CHECKPOINT_OP,
      keyRefs: [],
      result: 'CKR_OK',
      detail: {},
      prev: this.head,
    };
    const hash = recordHash(body);
    let sig: string;
    try {
      sig = sign('sha256', checkpointMessage(this.hsmId, body.seq, hash), this.signer).toString('base64');
    } catch (err) {
      throw fail('cannot sign checkpoint with the device key', err);
    }
    this.write({ ...body, sig, hash });
    try {
      fsyncSync(this.fd as number);
    } catch (err) {
      this.broken = fail(`fsync of ${this.path} failed`, err);
      throw this.broken;
    }
    this.unsigned = 0;
    this.lastCheckpointAt = Date.now();
  }

  /** Signs the unsigned tail (if any) and closes the file. Idempotent. */
  close(): void {
    if (this.fd === null) return;
    if (this.timer) clearInterval(this.timer);
    let err: unknown = null;
    if (this.unsigned > 0 && !this.broken) {
      try {
        this.checkpoint();
      } catch (e) {
        err = e;
      }
    }
    closeSync(this.fd);
    this.fd = null;
    if (err) throw err;
  }

  private tick(): void {
    if (this.fd === null || this.broken || this.unsigned === 0) return;
    try {
      this.checkpoint();
    } catch {
      // checkpoint() recorded the failure in this.broken; the next append reports it.
    }
  }

  private usable(): void {
    if (this.fd === null) throw fail(`${this.path} is closed`);
    if (this.broken) throw fail(`${this.path} failed earlier and accepts no more records`, this.broken);
  }

  private build(e: AuditEntry): AuditRecord {
    if (typeof e.op !== 'string' || !/^[A-Z][A-Z0-9_]{0,63}$/.test(e.op)) {
      throw fail(`op must be an UPPER_SNAKE name, got ${JSON.stringify(e.op)}`);
    }
    if (e.op === CHECKPOINT_OP) throw fail('op CHECKPOINT is reserved for checkpoint()');
    if (!isCkrName(e.result) && e.result !== REQUEST_RESULT) {
      throw fail(`result must be a CKR_* name or ${REQUEST_RESULT}, got ${JSON.stringify(e.result)}`);
    }
    checkText(e.user, 'user', true);
    checkText(e.role, 'role', true);
    const keyRefs = e.keyRefs ?? [];
    if (!Array.isArray(keyRefs) || keyRefs.length > MAX_KEY_REFS) throw fail('keyRefs must be an array of at most 1024');
    keyRefs.forEach((k, i) => checkText(k, `keyRefs[${i}]`, false));
    const detail: Record<string, DetailValue> = {};
    const given = e.detail ?? {};
    if (typeof given !== 'object' || given === null || Array.isArray(given)) throw fail('detail must be an object');
    const names = Object.keys(given);
    if (names.length > MAX_DETAIL_KEYS) throw fail(`detail has more than ${MAX_DETAIL_KEYS} fields`);
    for (const name of names) {
      const why = secretKeyReason(name);
      if (why) throw fail(`detail field refused, the log never holds secrets: ${why}`);
      const v = given[name];
      if (typeof v === 'string') checkText(v, `detail.${name}`, false);
      else if (typeof v === 'number') {
        if (!Number.isFinite(v)) throw fail(`detail.${name} must be a finite number`);
      } else if (typeof v !== 'boolean') throw fail(`detail.${name} must be a string, number or boolean`);
      detail[name] = v as DetailValue;
    }
    const body: Omit<AuditRecord, 'hash'> = {
      seq: this.seq + 1,
      time: new Date().toISOString(),
      hsmId: this.hsmId,
      user: e.user,
      role: e.role,
      op: e.op,
      keyRefs: [...keyRefs],
      result: e.result,
      detail,
      prev: this.head,
    };
    return { ...body, hash: recordHash(body) };
  }

  private write(rec: AuditRecord): void {
    const buf = Buffer.from(`${serializeRecord(rec)}\n`, 'utf8');
    try {
      let off = 0;
      while (off < buf.length) off += writeSync(this.fd as number, buf, off, buf.length - off);
    } catch (err) {
      // A partial line may now be on disk: refuse everything after it.
      this.broken = fail(`write to ${this.path} failed`, err);
      throw this.broken;
    }
    this.seq = rec.seq;
    this.head = rec.hash;
  }
}

function checkText(v: unknown, field: string, nullable: boolean): void {
  if (v === null && nullable) return;
  if (typeof v !== 'string' || v.length > MAX_TEXT) {
    throw fail(`${field} must be a string of at most ${MAX_TEXT} characters${nullable ? ' or null' : ''}`);
  }
}

/** Reads and checks the last record of an existing log (null when empty). */
function readLastRecord(fd: number, path: string): AuditRecord | null {
  const size = fstatSync(fd).size;
  if (size === 0) return null;
  let tail = Buffer.alloc(0);
  let pos = size;
  let nl = -1;
  while (pos > 0) {
    const len = Math.min(TAIL_CHUNK, pos);
    pos -= len;
    const chunk = Buffer.alloc(len);
    readSync(fd, chunk, 0, len, pos);
    tail = Buffer.concat([chunk, tail]);
    nl = tail.subarray(0, tail.length - 1).lastIndexOf(0x0a);
    if (nl >= 0) break;
  }
  if (tail[tail.length - 1] !== 0x0a) {
    throw fail(`${path} ends in a torn line (an interrupted write); verify and repair it before reopening`);
  }
  const line = tail.subarray(nl + 1, tail.length - 1).toString('utf8');
  let rec: AuditRecord;
  try {
    rec = JSON.parse(line) as AuditRecord;
  } catch (err) {
    throw fail(`${path}: the last line is not JSON`, err);
  }
  if (
    typeof rec !== 'object' ||
    rec === null ||
    !Number.isInteger(rec.seq) ||
    typeof rec.hash !== 'string' ||
    serializeRecord(rec) !== line ||
    recordHash(rec) !== rec.hash
  ) {
    throw fail(`${path}: the last record does not check out (seq ${String((rec as { seq?: unknown })?.seq)})`);
  }
  return rec;
}
