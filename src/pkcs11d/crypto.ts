// Encryption, decryption, signing, verification and digests (PKCS#11 §5.8–5.12), single- and
// multi-part. Multi-part input is accumulated in the daemon (at most 64 KiB, then
// CKR_DATA_LEN_RANGE) and sent to the HSM in one call at *Final. The size-query convention:
// a length query computes the result once and keeps it for the next call. Mechanism parameters
// are mapped from the library's MECH kinds to the HSM's MechParams here.
// Never logs or keeps data beyond the operation.

import { MAX_DATA, type MechParams } from '../protocol/operations.js';
import { Writer, type Mech, type Out } from './codec.js';
import { CKD, CKG_MGF1, CKZ_DATA_SPECIFIED, HASH_OF_CKM } from './constants.js';
import { fail, P11Error } from './errors.js';
import { mechFamily, mechName } from './slots.js';
import type { Connection, CryptoKind, CryptoOp, Session } from './sessions.js';

export interface Reply {
  rv: 'CKR_OK' | 'CKR_BUFFER_TOO_SMALL' | 'CKR_ATTRIBUTE_SENSITIVE' | 'CKR_ATTRIBUTE_TYPE_INVALID';
  body?: Buffer;
}

const EC_POINT_LENGTHS = [65, 97, 133];

/** CKM_ECDH1_DERIVE's publicData: a raw point, or one wrapped in a DER OCTET STRING (as CKA_EC_POINT). */
function rawPoint(b: Buffer): Buffer {
  if (b[0] === 0x04 && b.length > 2) {
    if (b[1]! < 0x80 && b.length === b[1]! + 2 && EC_POINT_LENGTHS.includes(b[1]!)) return b.subarray(2);
    if (b[1] === 0x81 && b.length === b[2]! + 3 && EC_POINT_LENGTHS.includes(b[2]!)) return b.subarray(3);
  }
  return b;
}

function paramInvalid(mech: string, msg: string): never {
  throw new P11Error('CKR_MECHANISM_PARAM_INVALID', `${mech}: ${msg}`);
}

function hashOf(mech: string, v: number | undefined): NonNullable<MechParams['hash']> {
  const h = v === undefined ? undefined : HASH_OF_CKM[v];
  if (!h) paramInvalid(mech, `hashAlg 0x${(v ?? 0).toString(16)} is not SHA-1 or SHA-2`);
  return h;
}
function mgfOf(mech: string, v: number | undefined): NonNullable<MechParams['mgf']> {
  const m = v === undefined ? undefined : CKG_MGF1[v];
  if (!m) paramInvalid(mech, `mgf 0x${(v ?? 0).toString(16)} is not an MGF1 with SHA-1 or SHA-2`);
  return m;
}

const KEY_WRAP_IV = new Set(['CKM_AES_KEY_WRAP', 'CKM_AES_KEY_WRAP_PAD', 'CKM_CLOUDHSM_AES_KEY_WRAP_NO_PAD', 'CKM_CLOUDHSM_AES_KEY_WRAP_PKCS5_PAD', 'CKM_CLOUDHSM_AES_KEY_WRAP_ZERO_PAD']);

/** The library's parameter struct (by kind) → the HSM's MechParams. The HSM checks what it means. */
export function mechParams(m: Mech, name: string): MechParams {
  const p: MechParams = {};
  const b64 = (b: Buffer) => b.toString('base64');
  switch (m.kind) {
    case 0:
      break;
    case 1:
      if (m.bytes && m.bytes.length > 0) {
        if (m.bytes.length > 64) paramInvalid(name, 'parameter longer than 64 bytes');
        if (KEY_WRAP_IV.has(name)) p.wrapIv = b64(m.bytes);
        else if (name === 'CKM_AES_GCM' || name === 'CKM_CLOUDHSM_AES_GCM') paramInvalid(name, 'takes CK_GCM_PARAMS');
        else p.iv = b64(m.bytes);
      }
      break;
    case 2:
      if (m.iv && m.iv.length > 0) p.iv = b64(m.iv);
      if (m.aad && m.aad.length > 0) {
        if (m.aad.length > MAX_DATA) paramInvalid(name, 'AAD longer than 64 KiB');
        p.aad = b64(m.aad);
      }
      p.tagBits = m.tagBits ?? 128;
      break;
    case 3:
    case 7:
      p.hash = hashOf(name, m.hashAlg);
      p.mgf = mgfOf(name, m.mgf);
      if (m.source === CKZ_DATA_SPECIFIED) {
        if (m.sourceData && m.sourceData.length > 0) {
          if (m.sourceData.length > 1024) paramInvalid(name, 'OAEP label longer than 1024 bytes');
          p.label = b64(m.sourceData);
        }
      } else if (m.source !== 0 || (m.sourceData && m.sourceData.length > 0)) {
        paramInvalid(name, 'OAEP source must be CKZ_DATA_SPECIFIED');
      }
      break;
    case 4:
      p.hash = hashOf(name, m.hashAlg);
      p.mgf = mgfOf(name, m.mgf);
      if (m.sLen === undefined || m.sLen > 1024) paramInvalid(name, 'sLen out of range');
      p.saltLength = m.sLen;
      break;
    case 5: {
      const kdf = m.kdf === undefined ? undefined : CKD[m.kdf];
      if (!kdf) paramInvalid(name, `kdf ${m.kdf ?? 0} is not supported (CKD_NULL or CKD_SHA*_KDF)`);
      if (m.sharedData && m.sharedData.length > 0) paramInvalid(name, 'shared data is not supported');
      const pub = rawPoint(m.publicData ?? Buffer.alloc(0));
      if (pub.length === 0 || pub.length > 1024) paramInvalid(name, 'publicData must be the peer public key');
      p.kdf = kdf;
      p.publicData = b64(pub);
      break;
    }
    case 6:
      if (!m.iv || m.iv.length !== 16) paramInvalid(name, 'cb must be 16 bytes');
      p.counterBits = m.counterBits ?? 128;
      p.iv = b64(m.iv);
      break;
    default:
      paramInvalid(name, `unknown parameter kind ${m.kind}`);
  }
  return p;
}

/** Drops an empty params object so mechanisms that take none see none. */
export function withParams<T extends object>(o: T, params: MechParams): T & { params?: MechParams } {
  return Object.keys(params).length === 0 ? o : { ...o, params };
}

const USAGE: Readonly<Record<Exclude<CryptoKind, 'digest'>, string>> = { encrypt: 'encrypt', decrypt: 'decrypt', sign: 'sign', verify: 'verify' };

/** Pure check that the key's type and class suit the mechanism and operation. */
function checkKeyFits(name: string, kind: CryptoKind, cls: string, keyType: string): void {
  const fam = mechFamily(name);
  const ok = fam === 'aes' ? keyType === 'aes'
    : fam === 'secret' ? keyType === 'aes' || keyType === 'generic-secret'
      : fam === 'rsa' ? keyType === 'rsa'
        : fam === 'ec' ? keyType === 'ec'
          : false;
  if (!ok) fail('CKR_KEY_TYPE_INCONSISTENT', `${name} does not take a ${keyType} key`);
  if (fam === 'rsa' || fam === 'ec') {
    const want = kind === 'sign' || kind === 'decrypt' ? 'private-key' : 'public-key';
    if (cls !== want) fail('CKR_KEY_TYPE_INCONSISTENT', `${name} ${kind} needs a ${want}, not a ${cls}`);
  } else if (cls !== 'secret-key') {
    fail('CKR_KEY_TYPE_INCONSISTENT', `${name} needs a secret key`);
  }
}

/** The IV length CloudHSM's library writes back through CK_GCM_PARAMS.pIv. */
const HSM_GCM_IV_BYTES = 12;

/**
 * The AES-GCM IV rules (docs/pkcs11-daemon-protocol.md, "AES-GCM IVs"). Pure check; true when the
 * HSM is to pick the IV of this C_EncryptInit and the library is to write it back into pIv.
 * - CKM_AES_GCM: a caller IV is used as given (PKCS#11 v2.40); a 12-byte all-zero pIv asks the
 *   HSM for a fresh IV (CloudHSM's library zeroes pIv and fills it with the HSM's IV); no IV at
 *   all is refused, since nobody could decrypt the result.
 * - CKM_CLOUDHSM_AES_GCM: the HSM picks the IV and prepends it to the output; pIv is NULL (an
 *   all-zero buffer is tolerated), any other IV is refused.
 */
function hsmGeneratesGcmIv(name: string, kind: CryptoKind, m: Mech): boolean {
  if (kind !== 'encrypt' && kind !== 'decrypt') return false;
  if (name !== 'CKM_AES_GCM' && name !== 'CKM_CLOUDHSM_AES_GCM') return false;
  const iv = m.kind === 2 ? (m.iv ?? Buffer.alloc(0)) : Buffer.alloc(0);
  const zero = iv.every((b) => b === 0);
  if (name === 'CKM_CLOUDHSM_AES_GCM') {
    if (!zero) paramInvalid(name, 'the HSM picks the IV and prepends it to the output: pIv must be NULL');
    return false;
  }
  if (m.kind !== 2) paramInvalid(name, 'takes CK_GCM_PARAMS');
  if (iv.length === 0) {
    paramInvalid(name, kind === 'decrypt' ? 'the IV is required to decrypt' : 'pIv must hold the IV, or 12 zero bytes for an IV the HSM picks and writes back');
  }
  return kind === 'encrypt' && iv.length === HSM_GCM_IV_BYTES && zero;
}

/**
 * C_EncryptInit, C_DecryptInit, C_SignInit, C_VerifyInit, C_DigestInit. Returns the IV the HSM
 * picked when the library must write one back into CK_GCM_PARAMS.pIv (CKM_AES_GCM encrypt with a
 * zeroed 12-byte pIv), else undefined.
 */
export async function init(conn: Connection, session: number, kind: CryptoKind, mech: Mech, keyHandle?: number): Promise<Buffer | undefined> {
  const s = conn.session(session);
  if (s.ops[kind]) fail('CKR_OPERATION_ACTIVE', `a ${kind} operation is already active in this session`);
  conn.requireLogin();
  let ref: string | undefined;
  if (kind !== 'digest') {
    const e = conn.objects.entry(keyHandle ?? 0, 'CKR_KEY_HANDLE_INVALID');
    if (e.kind !== 'key') fail('CKR_KEY_HANDLE_INVALID', `object handle ${keyHandle ?? 0} is not a key`);
    const info = await conn.objects.infoForInit(keyHandle ?? 0, 'CKR_KEY_HANDLE_INVALID');
    if (info.attrs[USAGE[kind]] !== true) fail('CKR_KEY_FUNCTION_NOT_PERMITTED', `the key does not allow ${kind} (CKA_${kind.toUpperCase()} is false)`);
    const name = mechName(mech.type);
    const params = mechParams(mech, name);
    const hsmIv = hsmGeneratesGcmIv(name, kind, mech);
    checkKeyFits(name, kind, info.cls, String(info.attrs['key-type']));
    ref = e.ref;
    let iv: Buffer | undefined;
    if (hsmIv) {
      // From the HSM's generator, fresh for this operation; the operation encrypts once with it.
      const c = await conn.client();
      iv = Buffer.from((await c.call('crypto.random', { length: HSM_GCM_IV_BYTES })).data, 'base64');
      if (iv.length !== HSM_GCM_IV_BYTES) throw new P11Error('CKR_DEVICE_ERROR', `the HSM returned ${iv.length} random bytes, not ${HSM_GCM_IV_BYTES}`);
      params.iv = iv.toString('base64');
    }
    s.ops[kind] = { mech: name, params, ref, parts: [], length: 0, multi: false, kept: undefined };
    return iv;
  }
  const name = mechName(mech.type);
  if (mechFamily(name) !== 'none') fail('CKR_MECHANISM_INVALID', `${name} is not a digest`);
  s.ops.digest = { mech: name, params: mechParams(mech, name), ref, parts: [], length: 0, multi: false, kept: undefined };
  return undefined;
}

function active(s: Session, kind: CryptoKind): CryptoOp {
  const op = s.ops[kind];
  if (!op) fail('CKR_OPERATION_NOT_INITIALIZED', `C_${kind[0]!.toUpperCase()}${kind.slice(1)}Init was not called`);
  return op;
}

function inputCap(kind: CryptoKind): { max: number; code: 'CKR_DATA_LEN_RANGE' | 'CKR_ENCRYPTED_DATA_LEN_RANGE' } {
  return kind === 'decrypt' ? { max: MAX_DATA + 1024, code: 'CKR_ENCRYPTED_DATA_LEN_RANGE' } : { max: MAX_DATA, code: 'CKR_DATA_LEN_RANGE' };
}

/** One HSM call for the whole input. */
async function run(conn: Connection, kind: CryptoKind, op: CryptoOp, data: Buffer): Promise<Buffer> {
  const c = await conn.client();
  const d = data.toString('base64');
  const ref = op.ref ?? '';
  switch (kind) {
    case 'encrypt': {
      const r = await c.call('crypto.encrypt', withParams({ mechanism: op.mech, ref, data: d }, op.params));
      return Buffer.from(r.data, 'base64');
    }
    case 'decrypt':
      return Buffer.from((await c.call('crypto.decrypt', withParams({ mechanism: op.mech, ref, data: d }, op.params))).data, 'base64');
    case 'sign':
      return Buffer.from((await c.call('crypto.sign', withParams({ mechanism: op.mech, ref, data: d }, op.params))).signature, 'base64');
    case 'digest':
      return Buffer.from((await c.call('crypto.digest', { mechanism: op.mech, data: d })).digest, 'base64');
    case 'verify':
      throw new P11Error('CKR_FUNCTION_FAILED', 'verify has no output');
  }
}

/** The output convention: keep the result for a length query or a too-small buffer; deliver and end otherwise. */
export function deliver(result: Buffer, out: Out, keep: (r: Buffer) => void, end: () => void): Reply {
  const len = new Writer().u64(result.length);
  if (!out.present) {
    keep(result);
    return { rv: 'CKR_OK', body: len.done() };
  }
  if (out.capacity < BigInt(result.length)) {
    keep(result);
    return { rv: 'CKR_BUFFER_TOO_SMALL', body: len.done() };
  }
  end();
  return { rv: 'CKR_OK', body: len.bytes(result).done() };
}

/** Runs `f`; any error but CKR_BUFFER_TOO_SMALL ends the operation (PKCS#11 §5.8). */
async function ending<T>(s: Session, kind: CryptoKind, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    delete s.ops[kind];
    throw e;
  }
}

/** C_Encrypt, C_Decrypt, C_Sign, C_Digest. */
export async function single(conn: Connection, session: number, kind: CryptoKind, data: Buffer, out: Out): Promise<Reply> {
  const s = conn.session(session);
  const op = active(s, kind);
  const finish = (r: Buffer) => deliver(r, out, (k) => (op.kept = k), () => delete s.ops[kind]);
  if (op.kept) return finish(op.kept);
  if (op.multi) fail('CKR_OPERATION_ACTIVE', `a multi-part ${kind} is in progress: finish it with C_${kind}Final`);
  return ending(s, kind, async () => {
    const cap = inputCap(kind);
    if (data.length > cap.max) fail(cap.code, `input of ${data.length} bytes exceeds ${cap.max}`);
    return finish(await run(conn, kind, op, data));
  });
}

/** C_EncryptUpdate, C_DecryptUpdate (out given), C_SignUpdate, C_VerifyUpdate, C_DigestUpdate (no out). */
export async function update(conn: Connection, session: number, kind: CryptoKind, data: Buffer, out?: Out): Promise<Reply> {
  const s = conn.session(session);
  const op = active(s, kind);
  if (op.kept) fail('CKR_OPERATION_ACTIVE', 'a single-part result is waiting to be collected');
  // A NULL output buffer is a length query: the input is not consumed. Output comes at *Final.
  if (out && !out.present) return { rv: 'CKR_OK', body: new Writer().u64(0).done() };
  await ending(s, kind, async () => {
    const cap = inputCap(kind);
    if (op.length + data.length > cap.max) fail(cap.code, `multi-part input exceeds ${cap.max} bytes`);
  });
  op.parts.push(data);
  op.length += data.length;
  op.multi = true;
  return out ? { rv: 'CKR_OK', body: new Writer().u64(0).bytes(Buffer.alloc(0)).done() } : { rv: 'CKR_OK' };
}

/** C_EncryptFinal, C_DecryptFinal, C_SignFinal, C_DigestFinal. */
export async function final(conn: Connection, session: number, kind: CryptoKind, out: Out): Promise<Reply> {
  const s = conn.session(session);
  const op = active(s, kind);
  const finish = (r: Buffer) => deliver(r, out, (k) => (op.kept = k), () => delete s.ops[kind]);
  if (op.kept) return finish(op.kept);
  return ending(s, kind, async () => finish(await run(conn, kind, op, Buffer.concat(op.parts))));
}

async function verifyWith(conn: Connection, op: CryptoOp, data: Buffer, signature: Buffer): Promise<void> {
  if (data.length > MAX_DATA) fail('CKR_DATA_LEN_RANGE', `input of ${data.length} bytes exceeds ${MAX_DATA}`);
  if (signature.length > 1024) fail('CKR_SIGNATURE_LEN_RANGE', 'signature longer than 1024 bytes');
  const c = await conn.client();
  await c.call('crypto.verify', withParams({ mechanism: op.mech, ref: op.ref ?? '', data: data.toString('base64'), signature: signature.toString('base64') }, op.params));
}

/** C_Verify: always ends the operation. */
export async function verify(conn: Connection, session: number, data: Buffer, signature: Buffer): Promise<void> {
  const s = conn.session(session);
  const op = active(s, 'verify');
  if (op.multi) fail('CKR_OPERATION_ACTIVE', 'a multi-part verify is in progress: finish it with C_VerifyFinal');
  delete s.ops.verify;
  await verifyWith(conn, op, data, signature);
}

export async function verifyFinal(conn: Connection, session: number, signature: Buffer): Promise<void> {
  const s = conn.session(session);
  const op = active(s, 'verify');
  delete s.ops.verify;
  await verifyWith(conn, op, Buffer.concat(op.parts), signature);
}

/** C_DigestKey: keys never leave the HSM, so no key is digestible. */
export function digestKey(conn: Connection, session: number, keyHandle: number): void {
  const s = conn.session(session);
  active(s, 'digest');
  const e = conn.objects.entry(keyHandle, 'CKR_KEY_HANDLE_INVALID');
  if (e.kind !== 'key') fail('CKR_KEY_HANDLE_INVALID', `object handle ${keyHandle} is not a key`);
  delete s.ops.digest;
  fail('CKR_KEY_INDIGESTIBLE', 'key values never leave the HSM');
}
