// Read-only key facts the HSM computes (check-value, modulus, ec-point, sizes) and key generation
// on node:crypto. Pure functions over KeyObjects; must never return private or secret material.

import { createCipheriv, createHash, createPublicKey, generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { HsmError } from '../../protocol/errors.js';
import type { Attributes } from './attributes.js';

const genKeyPair = promisify(generateKeyPair);

export const CURVE_TO_OPENSSL: Record<string, string> = {
  secp256r1: 'prime256v1',
  secp384r1: 'secp384r1',
  secp521r1: 'secp521r1',
  secp256k1: 'secp256k1',
};
const OPENSSL_TO_CURVE: Record<string, string> = Object.fromEntries(Object.entries(CURVE_TO_OPENSSL).map(([k, v]) => [v, k]));

export function checkSymmetricLength(keyType: 'aes' | 'generic-secret', n: number): void {
  if (keyType === 'aes' && ![16, 24, 32].includes(n)) {
    throw new HsmError('CKR_KEY_SIZE_RANGE', `AES keys are 16, 24 or 32 bytes long, not ${n}`);
  }
  if (keyType === 'generic-secret' && (n < 1 || n > 800)) {
    throw new HsmError('CKR_KEY_SIZE_RANGE', `generic secret keys are 1 to 800 bytes long, not ${n}`);
  }
}

export function checkRsaParams(bits: number, e: number): void {
  if (bits < 2048 || bits > 4096 || bits % 256 !== 0) {
    throw new HsmError('CKR_KEY_SIZE_RANGE', `RSA modulus size must be 2048 to 4096 bits in steps of 256, not ${bits}`);
  }
  if (e % 2 !== 1 || e < 65537) {
    throw new HsmError('CKR_TEMPLATE_INCONSISTENT', `RSA public exponent must be odd and at least 65537, not ${e}`);
  }
}

export function symmetricFacts(keyType: 'aes' | 'generic-secret', raw: Buffer): Attributes {
  let kcv: Buffer;
  if (keyType === 'aes') {
    // KCV: first 3 bytes of AES-ECB over a zero block (the usual key check value).
    const c = createCipheriv(`aes-${raw.length * 8}-ecb`, raw, null);
    c.setAutoPadding(false);
    kcv = Buffer.concat([c.update(Buffer.alloc(16)), c.final()]).subarray(0, 3);
  } else {
    kcv = createHash('sha1').update(raw).digest().subarray(0, 3);
  }
  return { 'key-length-bytes': raw.length, 'check-value': '0x' + kcv.toString('hex') };
}

/** Facts shared by both halves of a pair (computed from the public key). */
export function asymmetricFacts(pub: KeyObject): { keyType: 'rsa' | 'ec'; facts: Attributes; sizeBits: number; curve?: string } {
  const spki = pub.export({ format: 'der', type: 'spki' });
  const kcv = '0x' + createHash('sha1').update(spki).digest().subarray(0, 3).toString('hex');
  const jwk = pub.export({ format: 'jwk' });
  if (pub.asymmetricKeyType === 'rsa') {
    const n = Buffer.from(jwk.n!, 'base64url');
    const e = Buffer.from(jwk.e!, 'base64url');
    const bits = pub.asymmetricKeyDetails?.modulusLength ?? n.length * 8;
    return {
      keyType: 'rsa',
      sizeBits: bits,
      facts: { 'check-value': kcv, modulus: '0x' + n.toString('hex'), 'modulus-size-bits': bits, 'public-exponent': '0x' + e.toString('hex') },
    };
  }
  if (pub.asymmetricKeyType === 'ec') {
    const osslCurve = pub.asymmetricKeyDetails?.namedCurve ?? '';
    const curve = OPENSSL_TO_CURVE[osslCurve];
    if (!curve) throw new HsmError('CKR_KEY_TYPE_INCONSISTENT', `unsupported EC curve ${osslCurve}`);
    const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
    const sizeBits = curve === 'secp384r1' ? 384 : curve === 'secp521r1' ? 521 : 256;
    return { keyType: 'ec', sizeBits, curve, facts: { 'check-value': kcv, curve, 'ec-point': '0x' + point.toString('hex') } };
  }
  throw new HsmError('CKR_KEY_TYPE_INCONSISTENT', `unsupported key type ${pub.asymmetricKeyType ?? 'unknown'}`);
}

export async function generateRsa(bits: number, e: number): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  checkRsaParams(bits, e);
  return genKeyPair('rsa', { modulusLength: bits, publicExponent: e });
}

export async function generateEc(curve: string): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  const named = CURVE_TO_OPENSSL[curve];
  if (!named) throw new HsmError('CKR_ATTRIBUTE_VALUE_INVALID', `unsupported curve ${curve}`);
  return genKeyPair('ec', { namedCurve: named });
}

export function generateSecret(keyType: 'aes' | 'generic-secret', n: number): Buffer {
  checkSymmetricLength(keyType, n);
  return randomBytes(n);
}

export { createPublicKey };
