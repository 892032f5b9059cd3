// Token signing (reference §3): the HSM hands out random tokens, the holder signs each one with an
// RSA key that never enters the HSM (`openssl pkeyutl -sign -pkeyopt digest:sha256`), and the HSM
// checks the signature with the registered public key. Pure helpers: no store, no audit.
// Must never accept a signature it did not verify, or a key that is not RSA.

import { constants, createHash, createPublicKey, publicDecrypt, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import { HsmError } from '../../protocol/errors.js';
import type { TokenFile } from '../../protocol/operations.js';

/** CloudHSM's MFA and quorum keys are RSA-2048 (sha256WithRSAEncryption); we also take 3072 and 4096. */
export const RSA_BITS = [2048, 3072, 4096];

/** Parses and checks a token-signing public key; returns it re-encoded as SPKI PEM. */
export function checkSigningKey(pem: string): string {
  let k: KeyObject;
  try {
    k = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new HsmError('CKR_ARGUMENTS_BAD', 'the public key is not a PEM public key (-----BEGIN PUBLIC KEY-----)');
  }
  const bits = k.asymmetricKeyDetails?.modulusLength ?? 0;
  if (k.asymmetricKeyType !== 'rsa' || !RSA_BITS.includes(bits)) {
    throw new HsmError('CKR_KEY_TYPE_INCONSISTENT', `token-sign keys are RSA-2048 (or 3072/4096), not ${k.asymmetricKeyType ?? 'unknown'}${bits ? `-${bits}` : ''}`);
  }
  return k.export({ format: 'pem', type: 'spki' }).toString();
}

/** DER DigestInfo prefix for SHA-256 (RFC 8017 §9.2, note 1). */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/**
 * True when sigB64 is a PKCS#1 v1.5 sha256WithRSAEncryption signature whose digest IS the 32-byte
 * unsigned token. That is what `openssl pkeyutl -sign -pkeyopt digest:sha256` makes: pkeyutl signs
 * its input as an already computed digest (it does not hash it again), and CloudHSM's unsigned
 * tokens are SHA-256 values. So the check is EMSA-PKCS1-v1_5 encoding of the token itself, not
 * crypto.verify('sha256', …), which would hash the token once more.
 */
export function verifyToken(pem: string, unsigned: Buffer, sigB64: string): boolean {
  if (!sigB64 || unsigned.length !== 32) return false;
  try {
    const key = createPublicKey({ key: pem, format: 'pem' });
    const sig = Buffer.from(sigB64, 'base64');
    if (sig.length !== Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8)) return false;
    const got = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, sig);
    const want = Buffer.concat([SHA256_DIGEST_INFO, unsigned]);
    return got.length === want.length && timingSafeEqual(got, want);
  } catch {
    return false;
  }
}

export function sha256(b: Buffer): Buffer {
  return createHash('sha256').update(b).digest();
}

/** A fresh random token to sign: 32 bytes (SHA-256 of a nonce and its purpose). */
export function newUnsigned(purpose: string): Buffer {
  return sha256(Buffer.concat([Buffer.from(purpose + '\0'), randomBytes(32)]));
}

export function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The file CloudHSM's CLI writes: `{"version":"2.0","tokens":[{"unsigned":"…","signed":""}]}`. */
export function tokenFile(entries: Array<{ unsigned: Buffer; approvalData?: Buffer }>): TokenFile {
  return {
    version: '2.0',
    tokens: entries.map((e) => (e.approvalData
      ? { approval_data: e.approvalData.toString('base64'), unsigned: e.unsigned.toString('base64'), signed: '' }
      : { unsigned: e.unsigned.toString('base64'), signed: '' })),
  };
}
