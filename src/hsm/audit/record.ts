// The audit record format (docs/audit-record.md): field order, canonical hashing, the
// checkpoint signing message, CloudHSM-style op names and the secret-field rule.
// Must never accept a detail field that could carry a secret (password, PIN, key material,
// plaintext); shared by the writer (log.ts) and the verifier (verify.ts), so both agree byte for byte.
import { createHash } from 'node:crypto';

export const FORMAT = 'strongroom-audit-v1';
export const GENESIS_PREV = '0'.repeat(64);
export const CHECKPOINT_OP = 'CHECKPOINT';
/** The result of the record written before a request runs (its outcome follows in a second record). */
export const REQUEST_RESULT = 'REQUEST';

/** Op names, following CloudHSM's audit opcodes where one exists (cloudhsm.md §9). */
export const AUDIT_OPS = [
  // login
  'CN_LOGIN',
  'CN_LOGOUT',
  'CN_APP_FINALIZE',
  'CN_CLOSE_SESSION',
  // users
  'CN_CREATE_USER',
  'CN_CREATE_CO',
  'CN_CREATE_APPLIANCE_USER',
  'CN_DELETE_USER',
  'CN_CHANGE_PSWD',
  'CN_SET_M_VALUE',
  'CN_APPROVE_TOKEN',
  'CN_DELETE_TOKEN',
  'CN_GET_TOKEN',
  // keys
  'CN_GENERATE_KEY',
  'CN_GENERATE_KEY_PAIR',
  'CN_CREATE_OBJECT',
  'CN_MODIFY_OBJECT',
  'CN_SET_ATTRIBUTE_VALUE',
  'CN_DESTROY_OBJECT',
  'CN_TOMBSTONE_OBJECT',
  'CN_SHARE_OBJECT',
  'CN_WRAP_KEY',
  'CN_UNWRAP_KEY',
  'CN_DERIVE_KEY',
  'CN_NIST_AES_WRAP',
  'CN_INSERT_MASKED_OBJECT_USER',
  'CN_EXTRACT_MASKED_OBJECT_USER',
  // cloning, backup, certificate authentication
  'CN_CLONE_SOURCE_STAGE1',
  'CN_CLONE_TARGET_INIT',
  'CN_CLONE_TARGET_STAGE1',
  'CN_BACKUP_BEGIN',
  'CN_BACKUP_END',
  'CN_RESTORE_BEGIN',
  'CN_RESTORE_END',
  'CN_CERT_AUTH_STORE_CERT',
  'CN_CERT_AUTH_VALIDATE_PEER_CERTS',
  'CN_CERT_AUTH_SOURCE_KEY_EXCHANGE',
  'CN_CERT_AUTH_TARGET_KEY_EXCHANGE',
  // instance
  'CN_INIT_TOKEN',
  'CN_INIT_DONE',
  'CN_GEN_KEY_ENC_KEY',
  'CN_GEN_PSWD_ENC_KEY',
  'CN_CLOSE_PARTITION_SESSIONS',
  'CN_STORE_KBK_SHARE',
  'CN_SET_NODEID',
  'CN_ZEROIZE',
  // crypto
  'CN_FIPS_RAND',
] as const;
export type AuditOp = (typeof AUDIT_OPS)[number];

export type DetailValue = string | number | boolean;

/** One line of the log. `sig` only on CHECKPOINT records. */
export interface AuditRecord {
  seq: number;
  time: string;
  hsmId: string;
  user: string | null;
  role: string | null;
  op: string;
  keyRefs: string[];
  result: string;
  detail: Record<string, DetailValue>;
  prev: string;
  sig?: string;
  hash: string;
}

/** Detail keys refused outright (compared case-insensitively, ignoring '_' and '-'). */
export const FORBIDDEN_DETAIL_KEYS = ['password', 'pin', 'data', 'plaintext', 'key', 'material'] as const;
/** Words refused anywhere inside a detail key (newPassword, user_pin, keyMaterial, clientSecret). */
const FORBIDDEN_WORDS = new Set(['password', 'passwd', 'pswd', 'pin', 'plaintext', 'material', 'secret']);

/** Why a detail key may not be logged, or null when it may. */
export function secretKeyReason(name: string): string | null {
  const flat = name.toLowerCase().replace(/[_-]/g, '');
  if ((FORBIDDEN_DETAIL_KEYS as readonly string[]).includes(flat)) return `"${name}" is a secret-bearing field name`;
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  const hit = words.find((w) => FORBIDDEN_WORDS.has(w));
  return hit ? `"${name}" contains the secret-bearing word "${hit}"` : null;
}

/** JSON with object keys sorted at every level and no whitespace. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** sha256 (hex) over the canonical record without `hash` and `sig`. */
export function recordHash(rec: Omit<AuditRecord, 'hash'> | AuditRecord): string {
  const { hash: _h, sig: _s, ...rest } = rec as AuditRecord;
  return createHash('sha256').update(canonicalJson(rest), 'utf8').digest('hex');
}

/** The bytes a checkpoint signs: the chain head (this checkpoint's seq and hash) bound to the HSM. */
export function checkpointMessage(hsmId: string, seq: number, hash: string): Buffer {
  return Buffer.from(`${FORMAT} checkpoint\n${hsmId}\n${seq}\n${hash}`, 'utf8');
}

/** The exact line written for a record (fixed field order, sorted detail, no trailing newline). */
export function serializeRecord(rec: AuditRecord): string {
  const detail: Record<string, DetailValue> = {};
  for (const k of Object.keys(rec.detail).sort()) detail[k] = rec.detail[k] as DetailValue;
  const ordered: Record<string, unknown> = {
    seq: rec.seq,
    time: rec.time,
    hsmId: rec.hsmId,
    user: rec.user,
    role: rec.role,
    op: rec.op,
    keyRefs: rec.keyRefs,
    result: rec.result,
    detail,
    prev: rec.prev,
  };
  if (rec.sig !== undefined) ordered['sig'] = rec.sig;
  ordered['hash'] = rec.hash;
  return JSON.stringify(ordered);
}
