// ECDSA: CKM_ECDSA (input is a digest, signed as is, via @noble/curves since node:crypto always
// hashes first) and CKM_ECDSA_SHA{1,224,256,384,512} (hash-and-sign with crypto.sign on the thread
// pool; on 256-bit curves on the event loop when nothing else is waiting). Signatures are PKCS#11's raw r || s, each padded to the curve's size (ieee-p1363).
// secp256k1 keys are refused in FIPS mode by the registry. Must never emit DER signatures.

import crypto from 'node:crypto';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { HsmError } from '../../protocol/errors.js';
import type { ParsedMechParams } from '../../protocol/operations.js';
import {
  CURVE_FIELD_BYTES, HASHES, HASH_TAG, checkSignatureLength, curveOf, onlyParams, signAsync, signCheap, verifyAsync, verifyCheap,
  type CurveName, type HashName,
} from './common.js';
import type { MechKey, MechanismEntry, MechOperation } from './types.js';

const EC = { keyTypes: ['ec' as const], minKeyBits: 256, maxKeyBits: 521 };
const NOBLE = { secp256r1: p256, secp384r1: p384, secp521r1: p521, secp256k1 } as const;
/** CKM_ECDSA accepts inputs up to the longest SHA-2 digest. */
const MAX_RAW_INPUT = 64;

const check = (mech: string, params: ParsedMechParams): void => onlyParams(mech, params, []);

function jwkBytes(v: string | undefined, mech: string): Buffer {
  if (v === undefined) throw new HsmError('CKR_KEY_TYPE_INCONSISTENT', `${mech}: EC key lacks a coordinate`);
  return Buffer.from(v, 'base64url');
}

/** The uncompressed point 04 || x || y of an EC KeyObject (public or private). */
export function ecPoint(key: crypto.KeyObject, mech: string): Buffer {
  const pub = key.type === 'private' ? crypto.createPublicKey(key) : key;
  const jwk = pub.export({ format: 'jwk' });
  return Buffer.concat([Buffer.from([4]), jwkBytes(jwk.x, mech), jwkBytes(jwk.y, mech)]);
}

function checkRawInput(mech: string, data: Buffer): void {
  if (data.length < 1 || data.length > MAX_RAW_INPUT) throw new HsmError('CKR_DATA_LEN_RANGE', `${mech}: input must be a digest of 1 to ${MAX_RAW_INPUT} bytes`);
}

const RAW = 'CKM_ECDSA';

const rawEcdsa: MechanismEntry = {
  name: RAW, value: 0x1041, ...EC, fips: true, operations: ['sign', 'verify'],
  checkParams: (_op: MechOperation, params) => check(RAW, params),
  sign(key, data, params) {
    check(RAW, params);
    checkRawInput(RAW, data);
    const curve: CurveName = curveOf(key.key, RAW);
    const d = jwkBytes(key.key.export({ format: 'jwk' }).d, RAW);
    try {
      // noble signs on the event loop; hedged (RFC 6979 k plus fresh entropy), high S allowed as in OpenSSL.
      return Buffer.from(NOBLE[curve].sign(data, d, { prehash: false, lowS: false, extraEntropy: true }));
    } finally {
      d.fill(0);
    }
  },
  verify(key, data, signature, params) {
    check(RAW, params);
    checkRawInput(RAW, data);
    const curve = curveOf(key.key, RAW);
    checkSignatureLength(RAW, signature, 2 * CURVE_FIELD_BYTES[curve]);
    try {
      return NOBLE[curve].verify(signature, data, ecPoint(key.key, RAW), { prehash: false, lowS: false });
    } catch {
      return false;
    }
  },
};

const HASH_ECDSA_VALUES: Readonly<Record<HashName, number>> = { sha1: 0x1042, sha224: 0x1043, sha256: 0x1044, sha384: 0x1045, sha512: 0x1046 };

function hashEcdsa(hash: HashName): MechanismEntry {
  const name = `CKM_ECDSA_${HASH_TAG[hash]}`;
  return {
    name, value: HASH_ECDSA_VALUES[hash], ...EC, fips: true, operations: ['sign', 'verify'],
    ...(hash === 'sha1' ? { nonFipsOperations: ['sign' as const] } : {}),
    checkParams: (_op: MechOperation, params) => check(name, params),
    sign(key: MechKey, data, params) {
      check(name, params);
      // P-256 and secp256k1 sign in tens of µs: inline at low load (signCheap), else the pool.
      return (key.sizeBits <= 256 ? signCheap : signAsync)(hash, data, { key: key.key, dsaEncoding: 'ieee-p1363' });
    },
    verify(key: MechKey, data, signature, params) {
      check(name, params);
      checkSignatureLength(name, signature, 2 * CURVE_FIELD_BYTES[curveOf(key.key, name)]);
      return (key.sizeBits <= 256 ? verifyCheap : verifyAsync)(hash, data, { key: key.key, dsaEncoding: 'ieee-p1363' }, signature);
    },
  };
}

export const ecdsaMechanisms: MechanismEntry[] = [rawEcdsa, ...HASHES.map(hashEcdsa)];
