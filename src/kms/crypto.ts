// The cryptography of KMS operations, all of it done by HSMs through the client: symmetric
// encryption into ciphertext blobs (AES-256-GCM with AAD = header || encryption context), RSA-OAEP,
// signatures (KMS's algorithms on PKCS#11 mechanisms, hashing RAW messages here, DER for ECDSA as
// KMS returns it) and HMAC. Plaintext passes through in memory only; nothing here stores or logs it.

import { createHash } from 'node:crypto';
import type { AwsCallContext } from '../aws/server.js';
import type { KeyRow } from './db.js';
import { K, fromHsm, kmsError, validation } from './errors.js';
import { assemble, canonicalContext, header, parseBlob } from './ciphertext.js';
import { clientFor, findKey, MAC_ALGS, SIGNING_ALGS, usable, type Deps } from './operations/common.js';
import { HsmError } from '../protocol/errors.js';
import { poolFor } from './data-key-pool.js';

const b64 = (b: Buffer): string => b.toString('base64');

/** Encrypts up to 4 KiB (or a data key) under a symmetric KMS key's newest material. */
export async function sealSymmetric(d: Deps, k: KeyRow, plaintext: Buffer, ctx: Record<string, string> | undefined, op: string): Promise<Buffer> {
  const client = usable(d, k, 'ENCRYPT_DECRYPT', op);
  if (k.keySpec !== 'SYMMETRIC_DEFAULT') throw kmsError(K.invalidKeyUsage, `${op} needs a symmetric encryption key; ${k.arn} is ${k.keySpec}.`);
  const ver = k.versions[k.versions.length - 1]!;
  const hdr = header(k.keyId, ver.v);
  try {
    const r = await client.call('crypto.encrypt', { mechanism: 'CKM_AES_GCM', ref: ver.ref, data: b64(plaintext), params: { aad: b64(Buffer.concat([hdr, canonicalContext(ctx)])) } });
    return assemble(hdr, Buffer.from(r.iv!, 'base64'), Buffer.from(r.data, 'base64'));
  } catch (e) {
    throw fromHsm(e, `${op} with ${k.arn}`);
  }
}

/** Opens a ciphertext blob; `keyIdParam` (if given) must name the key the blob names. */
export async function openSymmetric(d: Deps, ctx: AwsCallContext, blob: Buffer, ectx: Record<string, string> | undefined, keyIdParam: string | undefined, op: string): Promise<{ key: KeyRow; plaintext: Buffer }> {
  const named = keyIdParam === undefined ? undefined : findKey(d, ctx, keyIdParam);
  if (keyIdParam !== undefined && !named) throw kmsError(K.notFound, `Key '${keyIdParam}' does not exist`);
  const p = parseBlob(blob);
  const k = findKey(d, ctx, p.keyId);
  if (named && (!k || named.keyId !== k.keyId)) throw kmsError(K.incorrectKey, `The key ID in the request does not identify the KMS key that encrypted the ciphertext.`);
  if (!k) throw kmsError(K.invalidCiphertext, 'The ciphertext refers to a KMS key that does not exist or is not yours.');
  const client = usable(d, k, 'ENCRYPT_DECRYPT', op);
  if (k.keySpec !== 'SYMMETRIC_DEFAULT') throw kmsError(K.invalidCiphertext, 'The ciphertext is not a symmetric ciphertext blob.');
  const ver = k.versions.find((v) => v.v === p.version);
  if (!ver) throw kmsError(K.invalidCiphertext, `The ciphertext names key material version ${p.version}, which ${k.arn} does not have.`);
  try {
    const r = await client.call('crypto.decrypt', { mechanism: 'CKM_AES_GCM', ref: ver.ref, data: b64(p.body), params: { iv: b64(p.iv), aad: b64(Buffer.concat([p.header, canonicalContext(ectx)])) } });
    return { key: k, plaintext: Buffer.from(r.data, 'base64') };
  } catch (e) {
    if (e instanceof HsmError && (e.code === 'CKR_ENCRYPTED_DATA_INVALID' || e.code === 'CKR_ENCRYPTED_DATA_LEN_RANGE')) {
      throw kmsError(K.invalidCiphertext, 'The ciphertext or the encryption context is not the one this key encrypted.');
    }
    throw fromHsm(e, `${op} with ${k.arn}`);
  }
}

// --- RSA-OAEP ---------------------------------------------------------------------------------

const OAEP: Record<string, { hash: 'sha1' | 'sha256'; mgf: 'mgf1-sha1' | 'mgf1-sha256' }> = {
  RSAES_OAEP_SHA_1: { hash: 'sha1', mgf: 'mgf1-sha1' },
  RSAES_OAEP_SHA_256: { hash: 'sha256', mgf: 'mgf1-sha256' },
};

export function oaepParams(k: KeyRow, alg: string | undefined): { hash: 'sha1' | 'sha256'; mgf: 'mgf1-sha1' | 'mgf1-sha256' } {
  const p = alg === undefined ? undefined : OAEP[alg];
  if (!p) throw kmsError(K.invalidKeyUsage, `${k.arn} is an RSA key: EncryptionAlgorithm must be RSAES_OAEP_SHA_1 or RSAES_OAEP_SHA_256.`);
  return p;
}

export async function rsaEncrypt(d: Deps, k: KeyRow, plaintext: Buffer, alg: string | undefined, op: string): Promise<Buffer> {
  const client = usable(d, k, 'ENCRYPT_DECRYPT', op);
  try {
    const r = await client.call('crypto.encrypt', { mechanism: 'CKM_RSA_PKCS_OAEP', ref: k.publicRef!, data: b64(plaintext), params: oaepParams(k, alg) });
    return Buffer.from(r.data, 'base64');
  } catch (e) {
    throw fromHsm(e, `${op} with ${k.arn}`);
  }
}

export async function rsaDecrypt(d: Deps, k: KeyRow, ct: Buffer, alg: string | undefined, op: string): Promise<Buffer> {
  const client = usable(d, k, 'ENCRYPT_DECRYPT', op);
  try {
    const r = await client.call('crypto.decrypt', { mechanism: 'CKM_RSA_PKCS_OAEP', ref: k.versions[0]!.ref, data: b64(ct), params: oaepParams(k, alg) });
    return Buffer.from(r.data, 'base64');
  } catch (e) {
    if (e instanceof HsmError && (e.code === 'CKR_ENCRYPTED_DATA_INVALID' || e.code === 'CKR_ENCRYPTED_DATA_LEN_RANGE')) throw kmsError(K.invalidCiphertext, 'The ciphertext is not valid for this key.');
    throw fromHsm(e, `${op} with ${k.arn}`);
  }
}

// --- signatures -------------------------------------------------------------------------------

type Hash = 'sha256' | 'sha384' | 'sha512';
const HASH_BYTES: Record<Hash, number> = { sha256: 32, sha384: 48, sha512: 64 };
const DIGEST_INFO: Record<Hash, string> = {
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};
const FIELD_BYTES: Record<string, number> = { ECC_NIST_P256: 32, ECC_NIST_P384: 48, ECC_NIST_P521: 66 };

interface SigPlan { hash: Hash; mechanism: string; params?: { hash: Hash; mgf: `mgf1-${Hash}`; saltLength: number }; prefix?: Buffer }

function plan(k: KeyRow, alg: string): SigPlan {
  if (!SIGNING_ALGS[k.keySpec]?.includes(alg)) throw kmsError(K.invalidKeyUsage, `${alg} is not a signing algorithm of ${k.arn} (${k.keySpec}).`);
  const hash = `sha${alg.slice(-3)}` as Hash;
  if (alg.startsWith('ECDSA')) return { hash, mechanism: 'CKM_ECDSA' };
  if (alg.startsWith('RSASSA_PSS')) return { hash, mechanism: 'CKM_RSA_PKCS_PSS', params: { hash, mgf: `mgf1-${hash}`, saltLength: HASH_BYTES[hash] } };
  return { hash, mechanism: 'CKM_RSA_PKCS', prefix: Buffer.from(DIGEST_INFO[hash], 'hex') };
}

function digestOf(p: SigPlan, message: Buffer, messageType: string): Buffer {
  if (messageType === 'DIGEST') {
    if (message.length !== HASH_BYTES[p.hash]) throw validation(`A ${p.hash.toUpperCase()} digest is ${HASH_BYTES[p.hash]} bytes (got ${message.length}).`);
    return message;
  }
  if (message.length > 4096) throw validation('Message must be at most 4096 bytes; sign a DIGEST instead.');
  return createHash(p.hash).update(message).digest();
}

export async function sign(d: Deps, k: KeyRow, message: Buffer, messageType: string, alg: string): Promise<Buffer> {
  const client = usable(d, k, 'SIGN_VERIFY', 'Sign');
  const p = plan(k, alg);
  const digest = digestOf(p, message, messageType);
  try {
    const r = await client.call('crypto.sign', { mechanism: p.mechanism, ref: k.versions[0]!.ref, data: b64(p.prefix ? Buffer.concat([p.prefix, digest]) : digest), ...(p.params ? { params: p.params } : {}) });
    const sig = Buffer.from(r.signature, 'base64');
    return p.mechanism === 'CKM_ECDSA' ? derFromRaw(sig) : sig;
  } catch (e) {
    throw fromHsm(e, `Sign with ${k.arn}`);
  }
}

export async function verify(d: Deps, k: KeyRow, message: Buffer, messageType: string, alg: string, signature: Buffer): Promise<void> {
  const client = usable(d, k, 'SIGN_VERIFY', 'Verify');
  const p = plan(k, alg);
  const digest = digestOf(p, message, messageType);
  let sig = signature;
  if (p.mechanism === 'CKM_ECDSA') {
    const raw = rawFromDer(signature, FIELD_BYTES[k.keySpec]!);
    if (!raw) throw kmsError(K.invalidSignature, 'The signature is not a DER-encoded ECDSA signature.');
    sig = raw;
  }
  try {
    await client.call('crypto.verify', { mechanism: p.mechanism, ref: k.publicRef!, data: b64(p.prefix ? Buffer.concat([p.prefix, digest]) : digest), signature: b64(sig), ...(p.params ? { params: p.params } : {}) });
  } catch (e) {
    throw fromHsm(e, `Verify with ${k.arn}`);
  }
}

// --- HMAC -------------------------------------------------------------------------------------

function macMechanism(k: KeyRow, alg: string): string {
  if (MAC_ALGS[k.keySpec] !== alg) throw kmsError(K.invalidKeyUsage, `${alg} is not the MAC algorithm of ${k.arn} (${k.keySpec}).`);
  return `CKM_SHA${alg.slice(-3)}_HMAC`;
}

export async function mac(d: Deps, k: KeyRow, message: Buffer, alg: string): Promise<Buffer> {
  const client = usable(d, k, 'GENERATE_VERIFY_MAC', 'GenerateMac');
  try {
    const r = await client.call('crypto.sign', { mechanism: macMechanism(k, alg), ref: k.versions[0]!.ref, data: b64(message) });
    return Buffer.from(r.signature, 'base64');
  } catch (e) {
    throw fromHsm(e, `GenerateMac with ${k.arn}`);
  }
}

export async function verifyMac(d: Deps, k: KeyRow, message: Buffer, alg: string, tag: Buffer): Promise<void> {
  const client = usable(d, k, 'GENERATE_VERIFY_MAC', 'VerifyMac');
  try {
    await client.call('crypto.verify', { mechanism: macMechanism(k, alg), ref: k.versions[0]!.ref, data: b64(message), signature: b64(tag) });
  } catch (e) {
    if (e instanceof HsmError && (e.code === 'CKR_SIGNATURE_INVALID' || e.code === 'CKR_SIGNATURE_LEN_RANGE')) throw kmsError(K.invalidMac, 'The MAC does not verify.');
    throw fromHsm(e, `VerifyMac with ${k.arn}`);
  }
}

/** KMS's own store's client, or the connected custom key store's (CustomKeyStoreInvalidState if not). */
function storeClient(d: Deps, storeId: string | undefined): Deps['own'] {
  const client = storeId ? d.custom.client(storeId) : d.own;
  if (!client) throw kmsError(K.cksInvalidState, `Custom key store ${storeId} is not connected.`);
  return client;
}

export async function random(d: Deps, n: number, storeId?: string): Promise<Buffer> {
  const client = storeClient(d, storeId);
  try {
    return Buffer.from((await client.call('crypto.random', { length: n })).data, 'base64');
  } catch (e) {
    throw fromHsm(e, 'GenerateRandom');
  }
}

/**
 * Bytes for a data key, from the HSMs of the key's own store like random(), but drawn from a small
 * pool filled POOL_BYTES at a time (the next piece fetched ahead when half is used, so callers do
 * not queue behind a refill), so GenerateDataKey costs one HSM round trip (the encryption) rather
 * than two. Every byte comes from an HSM's random generator, is handed out once, and is zeroed in
 * the pool as it is handed out; the pool holds at most 2 × POOL_BYTES not yet used. A failed
 * fetch fails the calls waiting on it, as random() would.
 */
export async function dataKeyBytes(d: Deps, n: number, storeId?: string): Promise<Buffer> {
  const pool = poolFor(storeClient(d, storeId));
  try {
    return await pool.take(n);
  } catch (e) {
    throw fromHsm(e, 'GenerateDataKey');
  }
}

/** The client a random request for a key's data key goes to (its own store). */
export { clientFor };

// --- ECDSA signature encodings ------------------------------------------------------------------

function derInt(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  let v = b.subarray(i);
  if (v[0]! & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
  return Buffer.concat([Buffer.from([0x02]), derLen(v.length), v]);
}

function derLen(n: number): Buffer {
  return n < 0x80 ? Buffer.from([n]) : Buffer.from([0x81, n]);
}

export function derFromRaw(raw: Buffer): Buffer {
  const n = raw.length / 2;
  const body = Buffer.concat([derInt(raw.subarray(0, n)), derInt(raw.subarray(n))]);
  return Buffer.concat([Buffer.from([0x30]), derLen(body.length), body]);
}

export function rawFromDer(der: Buffer, n: number): Buffer | undefined {
  let pos = 0;
  const readLen = (): number | undefined => {
    const first = der[pos++];
    if (first === undefined) return undefined;
    if (first < 0x80) return first;
    if (first !== 0x81) return undefined;
    return der[pos++];
  };
  if (der[pos++] !== 0x30) return undefined;
  const total = readLen();
  if (total === undefined || pos + total !== der.length) return undefined;
  const out: Buffer[] = [];
  for (let i = 0; i < 2; i++) {
    if (der[pos++] !== 0x02) return undefined;
    const len = readLen();
    if (len === undefined || len === 0 || pos + len > der.length) return undefined;
    let v = der.subarray(pos, pos + len);
    pos += len;
    while (v.length > n && v[0] === 0) v = v.subarray(1);
    if (v.length > n) return undefined;
    out.push(Buffer.concat([Buffer.alloc(n - v.length), v]));
  }
  return pos === der.length ? Buffer.concat(out) : undefined;
}
