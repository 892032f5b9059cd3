// Key plumbing for the PKI module: turns node KeyObjects (or PEM) into WebCrypto keys for
// @peculiar/x509 and picks the signature algorithm that matches a key.
// Must never export, log or keep private key material beyond the CryptoKey handed back.
import 'reflect-metadata';
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { HsmError } from '../protocol/errors.js';

/** The WebCrypto implementation every PKI call uses (node's, passed explicitly). */
export const webcrypto: Crypto = globalThis.crypto;
x509.cryptoProvider.set(webcrypto);

interface Profile {
  importAlg: RsaHashedImportParams | EcKeyImportParams;
  signAlg: Algorithm | EcdsaParams;
}

const EC_CURVES: Record<string, { namedCurve: string; hash: string }> = {
  prime256v1: { namedCurve: 'P-256', hash: 'SHA-256' },
  secp384r1: { namedCurve: 'P-384', hash: 'SHA-384' },
  secp521r1: { namedCurve: 'P-521', hash: 'SHA-512' },
};

/** The WebCrypto import and signature parameters for a signing key (RSA PKCS#1 v1.5 or ECDSA). */
export function profileOf(key: KeyObject): Profile {
  if (key.asymmetricKeyType === 'rsa') {
    const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    return { importAlg: alg, signAlg: alg };
  }
  if (key.asymmetricKeyType === 'ec') {
    const curve = EC_CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''];
    if (curve) {
      return {
        importAlg: { name: 'ECDSA', namedCurve: curve.namedCurve },
        signAlg: { name: 'ECDSA', hash: curve.hash } as EcdsaParams,
      };
    }
  }
  throw new HsmError(
    'CKR_KEY_TYPE_INCONSISTENT',
    `certificate keys must be RSA or EC P-256/384/521, got ${key.asymmetricKeyType ?? 'unknown'}` +
      (key.asymmetricKeyDetails?.namedCurve ? ` ${key.asymmetricKeyDetails.namedCurve}` : ''),
  );
}

export function toPrivateKeyObject(key: KeyObject | string): KeyObject {
  if (typeof key !== 'string') {
    if (key.type !== 'private') throw new HsmError('CKR_KEY_TYPE_INCONSISTENT', 'issuerKey must be a private key');
    return key;
  }
  try {
    return createPrivateKey(key);
  } catch (err) {
    throw new HsmError('CKR_ARGUMENTS_BAD', 'issuerKey is not a readable PEM private key', { cause: err });
  }
}

/** A non-extractable WebCrypto signing key plus the signature algorithm to use with it. */
export async function signingKey(key: KeyObject): Promise<{ key: CryptoKey; alg: Algorithm | EcdsaParams }> {
  const p = profileOf(key);
  const der = key.export({ type: 'pkcs8', format: 'der' });
  const ck = await webcrypto.subtle.importKey('pkcs8', der, p.importAlg, false, ['sign']);
  return { key: ck, alg: p.signAlg };
}

export async function verifyingKey(key: KeyObject): Promise<CryptoKey> {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const p = profileOf(pub);
  return webcrypto.subtle.importKey('spki', pub.export({ type: 'spki', format: 'der' }), p.importAlg, true, [
    'verify',
  ]);
}

/** SubjectPublicKeyInfo DER of any public (or private) KeyObject. */
export function spkiDer(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return pub.export({ type: 'spki', format: 'der' });
}
