// Helpers shared by the mechanism families: parameter decoding and checks, hash facts, key facts,
// and promise wrappers around node:crypto's thread-pool sign/verify.
// Must never log, keep or put into an error message any key material, data or parameter value.

import crypto from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { HsmError } from '../../protocol/errors.js';
import type { ParsedMechParams } from '../../protocol/operations.js';
import type { MechKey } from './types.js';

export type HashName = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';
export const HASH_BYTES: Readonly<Record<HashName, number>> = { sha1: 20, sha224: 28, sha256: 32, sha384: 48, sha512: 64 };
export type MgfName = NonNullable<ParsedMechParams['mgf']>;
export const MGF1_FOR: Readonly<Record<HashName, MgfName>> = {
  sha1: 'mgf1-sha1', sha224: 'mgf1-sha224', sha256: 'mgf1-sha256', sha384: 'mgf1-sha384', sha512: 'mgf1-sha512',
};
/** The PKCS#11 spelling of each hash, for mechanism names (CKM_SHA256_..., CKM_SHA1_...). */
export const HASH_TAG: Readonly<Record<HashName, string>> = { sha1: 'SHA1', sha224: 'SHA224', sha256: 'SHA256', sha384: 'SHA384', sha512: 'SHA512' };
export const HASHES: readonly HashName[] = ['sha1', 'sha224', 'sha256', 'sha384', 'sha512'];

export function paramError(mech: string, msg: string): HsmError {
  return new HsmError('CKR_MECHANISM_PARAM_INVALID', `${mech}: ${msg}`);
}

type BinaryParam = 'iv' | 'aad' | 'label' | 'publicData' | 'wrapIv';

/** Refuses parameters the mechanism does not take, so a misplaced one is never silently ignored. */
export function onlyParams(mech: string, params: ParsedMechParams, allowed: readonly (keyof ParsedMechParams)[]): void {
  // for-in, not Object.entries: same order (params is a plain parsed object), no arrays per call.
  for (const k in params) {
    if (params[k as keyof ParsedMechParams] !== undefined && !allowed.includes(k as keyof ParsedMechParams)) throw paramError(mech, `does not take the parameter '${k}'`);
  }
}

/** A binary parameter's bytes (the wire schema has checked the base64 and size, and decoded it). */
export function bytesParam(params: ParsedMechParams, field: BinaryParam): Buffer | undefined {
  return params[field];
}

/** The mgf parameter must name MGF1 with the same hash: node:crypto cannot use a different one. */
export function checkMgf(mech: string, hash: HashName, params: ParsedMechParams): void {
  if (params.mgf !== undefined && params.mgf !== MGF1_FOR[hash]) {
    throw paramError(mech, `mgf must be ${MGF1_FOR[hash]} to match the hash ${hash}`);
  }
}

/**
 * Raw bytes of a secret key: a fresh copy of the material on every call, for code that cannot take
 * the KeyObject (noble, AES-KW). node:crypto ciphers and HMAC take `key.key` itself instead.
 */
export function secretBytes(key: MechKey): Buffer {
  return key.key.export();
}

/** node:crypto cipher name for AES of this secret key's length, e.g. aes-256-gcm. */
export function aesName(key: MechKey, mode: string): string {
  return `aes-${(key.key.symmetricKeySize ?? 0) * 8}-${mode}`;
}

/** RSA modulus length in bytes (k in PKCS#1). */
export function rsaModulusBytes(key: MechKey): number {
  const bits = key.key.asymmetricKeyDetails?.modulusLength ?? key.sizeBits;
  return Math.ceil(bits / 8);
}

export function rsaModulusBits(key: MechKey): number {
  return key.key.asymmetricKeyDetails?.modulusLength ?? key.sizeBits;
}

export type CurveName = 'secp256r1' | 'secp384r1' | 'secp521r1' | 'secp256k1';
const NODE_CURVES: Readonly<Record<string, CurveName>> = {
  prime256v1: 'secp256r1', secp256r1: 'secp256r1', 'P-256': 'secp256r1',
  secp384r1: 'secp384r1', 'P-384': 'secp384r1',
  secp521r1: 'secp521r1', 'P-521': 'secp521r1',
  secp256k1: 'secp256k1',
};
export const CURVE_FIELD_BYTES: Readonly<Record<CurveName, number>> = { secp256r1: 32, secp384r1: 48, secp521r1: 66, secp256k1: 32 };
export const CURVE_JWK: Readonly<Record<CurveName, string>> = { secp256r1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521', secp256k1: 'secp256k1' };

/** The named curve of an EC KeyObject, in the protocol's spelling. */
export function curveOf(key: KeyObject, mech: string): CurveName {
  const n = key.asymmetricKeyDetails?.namedCurve;
  const c = n === undefined ? undefined : NODE_CURVES[n];
  if (c === undefined) throw new HsmError('CKR_KEY_TYPE_INCONSISTENT', `${mech}: unsupported EC curve ${n ?? '(none)'}`);
  return c;
}

/**
 * Sign/verify jobs this process has in libuv's thread pool, and whether a cheap one already ran on
 * the event loop in this turn. Process-wide on purpose, as the pool is. Scheduling only: where an
 * operation runs never changes its result or its error.
 */
let poolJobs = 0;
let inlineThisTurn = false;
const endTurn = (): void => {
  inlineThisTurn = false;
};

/**
 * Whether a cheap operation (tens of µs) should run on the event loop now rather than in the pool:
 * only when no pool job is outstanding and none ran inline this turn, i.e. at one or two requests
 * in flight, where the hand-off to a pool thread and back costs more CPU than the operation. Under
 * load the pool keeps taking the work, so throughput across cores is unchanged.
 */
function mayInline(): boolean {
  if (poolJobs > 0 || inlineThisTurn) return false;
  inlineThisTurn = true;
  setImmediate(endTurn);
  return true;
}

/** crypto.sign in its callback form, which runs in libuv's thread pool rather than on the event loop. */
export function signAsync(alg: string | null, data: Buffer, key: crypto.SignKeyObjectInput | crypto.SignPrivateKeyInput): Promise<Buffer> {
  poolJobs++;
  return new Promise((resolve, reject) => {
    crypto.sign(alg, data, key, (err, sig) => {
      poolJobs--;
      if (err) reject(new HsmError('CKR_FUNCTION_FAILED', 'signing failed', { cause: err }));
      else resolve(sig);
    });
  });
}

/** crypto.verify in its callback form (thread pool). A malformed signature is false, not an error. */
export function verifyAsync(
  alg: string | null,
  data: Buffer,
  key: crypto.VerifyKeyObjectInput | crypto.VerifyPublicKeyInput,
  signature: Buffer,
): Promise<boolean> {
  poolJobs++;
  return new Promise((resolve, reject) => {
    crypto.verify(alg, data, key, signature, (err, ok) => {
      poolJobs--;
      if (err) reject(new HsmError('CKR_FUNCTION_FAILED', 'verification failed', { cause: err }));
      else resolve(ok);
    });
  });
}

/** signAsync for cheap operations (ECDSA on 256-bit curves): on the event loop when mayInline() says so. */
export function signCheap(alg: string | null, data: Buffer, key: crypto.SignKeyObjectInput | crypto.SignPrivateKeyInput): Promise<Buffer> {
  if (!mayInline()) return signAsync(alg, data, key);
  try {
    return Promise.resolve(crypto.sign(alg, data, key));
  } catch (err) {
    return Promise.reject(new HsmError('CKR_FUNCTION_FAILED', 'signing failed', { cause: err }));
  }
}

/** verifyAsync for cheap operations, as signCheap. */
export function verifyCheap(
  alg: string | null,
  data: Buffer,
  key: crypto.VerifyKeyObjectInput | crypto.VerifyPublicKeyInput,
  signature: Buffer,
): Promise<boolean> {
  if (!mayInline()) return verifyAsync(alg, data, key, signature);
  try {
    return Promise.resolve(crypto.verify(alg, data, key, signature));
  } catch (err) {
    return Promise.reject(new HsmError('CKR_FUNCTION_FAILED', 'verification failed', { cause: err }));
  }
}

/** Constant-time comparison of a presented MAC with the computed one; a length mismatch is false. */
export function macEqual(computed: Buffer | Uint8Array, presented: Buffer): boolean {
  if (computed.length !== presented.length) return false;
  return crypto.timingSafeEqual(computed, presented);
}

/** The signature must have exactly the mechanism's length (PKCS#11 CKR_SIGNATURE_LEN_RANGE). */
export function checkSignatureLength(mech: string, signature: Buffer, expected: number): void {
  if (signature.length !== expected) {
    throw new HsmError('CKR_SIGNATURE_LEN_RANGE', `${mech}: signature must be ${expected} bytes, got ${signature.length}`);
  }
}
