// EMSA-PSS encoding and verification (RFC 8017 §9.1.1, §9.1.2, MGF1 §B.2.1), for CKM_RSA_PKCS_PSS
// where the caller hands in a digest and node:crypto offers no "sign this digest" call. Hashing is
// node:crypto's; the RSA operation is node:crypto's raw (no-padding) RSA. This file is only the
// padding layout. Must never be used where crypto.sign can do the job (the CKM_SHA*_RSA_PKCS_PSS
// mechanisms use crypto.sign), nor change without the openssl cross-tests passing.

import crypto from 'node:crypto';
import { HASH_BYTES, type HashName } from './common.js';

function mgf1(hash: HashName, seed: Buffer, length: number): Buffer {
  const hLen = HASH_BYTES[hash];
  const out = Buffer.alloc(Math.ceil(length / hLen) * hLen);
  const counter = Buffer.alloc(4);
  for (let i = 0; i * hLen < length; i++) {
    counter.writeUInt32BE(i);
    crypto.createHash(hash).update(seed).update(counter).digest().copy(out, i * hLen);
  }
  return out.subarray(0, length);
}

function mPrimeHash(hash: HashName, mHash: Buffer, salt: Buffer): Buffer {
  return crypto.createHash(hash).update(Buffer.alloc(8)).update(mHash).update(salt).digest();
}

/** Largest salt that fits: emLen - hLen - 2. */
export function pssMaxSalt(hash: HashName, emBits: number): number {
  return Math.ceil(emBits / 8) - HASH_BYTES[hash] - 2;
}

/** EMSA-PSS-ENCODE(mHash, emBits) with a random salt of sLen bytes; caller has checked sLen ≤ pssMaxSalt. */
export function pssEncode(hash: HashName, mHash: Buffer, sLen: number, emBits: number): Buffer {
  const hLen = HASH_BYTES[hash];
  const emLen = Math.ceil(emBits / 8);
  if (mHash.length !== hLen || emLen < hLen + sLen + 2) throw new RangeError('EMSA-PSS: encoding error');
  const salt = crypto.randomBytes(sLen);
  const h = mPrimeHash(hash, mHash, salt);
  const db = Buffer.alloc(emLen - hLen - 1);
  db[emLen - sLen - hLen - 2] = 0x01;
  salt.copy(db, emLen - sLen - hLen - 1);
  const mask = mgf1(hash, h, db.length);
  for (let i = 0; i < db.length; i++) db[i] = (db[i] ?? 0) ^ (mask[i] ?? 0);
  db[0] = (db[0] ?? 0) & (0xff >> (8 * emLen - emBits));
  return Buffer.concat([db, h, Buffer.from([0xbc])]);
}

/** EMSA-PSS-VERIFY(mHash, EM, emBits) with a fixed salt length; true when consistent. */
export function pssVerify(hash: HashName, mHash: Buffer, em: Buffer, sLen: number, emBits: number): boolean {
  const hLen = HASH_BYTES[hash];
  const emLen = Math.ceil(emBits / 8);
  if (mHash.length !== hLen || em.length !== emLen || emLen < hLen + sLen + 2) return false;
  if (em[emLen - 1] !== 0xbc) return false;
  const topMask = 0xff & ~(0xff >> (8 * emLen - emBits));
  const maskedDb = em.subarray(0, emLen - hLen - 1);
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  if (((maskedDb[0] ?? 0) & topMask) !== 0) return false;
  const mask = mgf1(hash, h, maskedDb.length);
  const db = Buffer.alloc(maskedDb.length);
  for (let i = 0; i < db.length; i++) db[i] = (maskedDb[i] ?? 0) ^ (mask[i] ?? 0);
  db[0] = (db[0] ?? 0) & ~topMask & 0xff;
  const psLen = emLen - hLen - sLen - 2;
  for (let i = 0; i < psLen; i++) if (db[i] !== 0) return false;
  if (db[psLen] !== 0x01) return false;
  const salt = db.subarray(db.length - sLen);
  return crypto.timingSafeEqual(mPrimeHash(hash, mHash, salt), h);
}
