// The CLI's mechanism words mapped to PKCS#11 mechanism names and parameters, as tables:
// wrap/unwrap, sign/verify (raw data or a precomputed digest), HMAC and encrypt/decrypt.
// Also the DER DigestInfo prefixes the CLI prepends for `crypto sign rsa-pkcs --data-type digest`.
// Pure data and mapping; the HSM's mechanism registry decides what it actually supports.

import { CliError } from './output.js';
import type { MechParams } from '../protocol/operations.js';

export const HASHES = ['sha1', 'sha224', 'sha256', 'sha384', 'sha512'] as const;
export type Hash = (typeof HASHES)[number];
export const MGFS = ['mgf1-sha1', 'mgf1-sha224', 'mgf1-sha256', 'mgf1-sha384', 'mgf1-sha512'] as const;
export type Mgf = (typeof MGFS)[number];

export function isHash(s: string): s is Hash {
  return (HASHES as readonly string[]).includes(s);
}
export function isMgf(s: string): s is Mgf {
  return (MGFS as readonly string[]).includes(s);
}

/** Digest length in bytes per hash. */
export const HASH_LEN: Record<Hash, number> = { sha1: 20, sha224: 28, sha256: 32, sha384: 48, sha512: 64 };

/** DER DigestInfo prefix per hash (PKCS #1 v2.2, RFC 8017 section 9.2 note 1). */
export const DIGEST_INFO_PREFIX: Record<Hash, string> = {
  sha1: '3021300906052b0e03021a05000414',
  sha224: '302d300d06096086480165030402040500041c',
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};

/** Wraps a precomputed digest in DigestInfo; the digest length must match the hash. */
export function digestInfo(hash: Hash, digest: Buffer): Buffer {
  if (digest.length !== HASH_LEN[hash]) {
    throw new CliError(`a ${hash} digest is ${HASH_LEN[hash]} bytes, got ${digest.length}`);
  }
  return Buffer.concat([Buffer.from(DIGEST_INFO_PREFIX[hash], 'hex'), digest]);
}

const HASH_UPPER: Record<Hash, string> = { sha1: 'SHA1', sha224: 'SHA224', sha256: 'SHA256', sha384: 'SHA384', sha512: 'SHA512' };

// --- wrap / unwrap -----------------------------------------------------------------------------

export interface WrapMech {
  name: string;
  mechanism: string;
  summary: string;
  /** Takes --hash-function and --mgf (RSA-OAEP based). */
  oaep?: boolean;
  /** Takes --tag-length-bits (and --iv on unwrap). */
  gcm?: boolean;
}

export const WRAP_MECHANISMS: readonly WrapMech[] = [
  { name: 'aes-gcm', mechanism: 'CKM_AES_GCM', summary: 'AES-GCM (HSM-generated 12-byte IV)', gcm: true },
  { name: 'cloudhsm-aes-gcm', mechanism: 'CKM_CLOUDHSM_AES_GCM', summary: 'AES-GCM with the IV prepended to the output' },
  { name: 'aes-no-pad', mechanism: 'CKM_CLOUDHSM_AES_KEY_WRAP_NO_PAD', summary: 'AES key wrap without padding (RFC 3394)' },
  { name: 'aes-pkcs5-pad', mechanism: 'CKM_CLOUDHSM_AES_KEY_WRAP_PKCS5_PAD', summary: 'AES key wrap with PKCS #5 padding' },
  { name: 'aes-zero-pad', mechanism: 'CKM_CLOUDHSM_AES_KEY_WRAP_ZERO_PAD', summary: 'AES key wrap with zero padding (RFC 5649)' },
  { name: 'rsa-aes', mechanism: 'CKM_RSA_AES_KEY_WRAP', summary: 'RSA-AES key wrap', oaep: true },
  { name: 'rsa-oaep', mechanism: 'CKM_RSA_PKCS_OAEP', summary: 'RSA-OAEP', oaep: true },
  { name: 'rsa-pkcs', mechanism: 'CKM_RSA_PKCS', summary: 'RSA PKCS #1 v1.5' },
];

export function wrapMechanism(name: string): WrapMech {
  const m = WRAP_MECHANISMS.find((w) => w.name === name);
  if (!m) throw new CliError(`unknown wrapping mechanism '${name}'`);
  return m;
}

/** OAEP-style parameters: --hash-function (required) and --mgf (defaults to MGF1 with the same hash). */
export function oaepParams(hash: string | undefined, mgf: string | undefined): MechParams {
  if (hash === undefined) throw new CliError('missing required flag --hash-function');
  if (!isHash(hash)) throw new CliError(`invalid --hash-function '${hash}' [possible values: ${HASHES.join(', ')}]`);
  const m = mgf ?? `mgf1-${hash}`;
  if (!isMgf(m)) throw new CliError(`invalid --mgf '${m}' [possible values: ${MGFS.join(', ')}]`);
  return { hash, mgf: m };
}

// --- sign / verify -----------------------------------------------------------------------------

export const SIGN_MECHANISMS = ['rsa-pkcs', 'rsa-pkcs-pss', 'ecdsa'] as const;
export type SignMech = (typeof SIGN_MECHANISMS)[number];

export interface SignPlan {
  mechanism: string;
  /** The bytes to send as `data`. */
  data: Buffer;
  params?: MechParams;
}

/**
 * Maps `crypto sign|verify <mech> --hash-function H [--data-type raw|digest]` to a mechanism.
 * raw: the HSM hashes (CKM_SHA256_RSA_PKCS, CKM_SHA256_RSA_PKCS_PSS, CKM_ECDSA_SHA256);
 * digest: the data is the digest (CKM_RSA_PKCS over DigestInfo, CKM_RSA_PKCS_PSS, CKM_ECDSA).
 */
export function signPlan(
  mech: SignMech,
  hash: Hash,
  dataType: 'raw' | 'digest',
  data: Buffer,
  pss?: { mgf?: string | undefined; saltLength?: number | undefined },
): SignPlan {
  const H = HASH_UPPER[hash];
  if (dataType === 'digest' && data.length !== HASH_LEN[hash]) {
    throw new CliError(`--data-type digest needs a ${HASH_LEN[hash]}-byte ${hash} digest, got ${data.length} bytes`);
  }
  switch (mech) {
    case 'rsa-pkcs':
      return dataType === 'raw'
        ? { mechanism: `CKM_${H}_RSA_PKCS`, data }
        : { mechanism: 'CKM_RSA_PKCS', data: digestInfo(hash, data) };
    case 'rsa-pkcs-pss': {
      const mgf = pss?.mgf ?? `mgf1-${hash}`;
      if (!isMgf(mgf)) throw new CliError(`invalid --mgf '${mgf}' [possible values: ${MGFS.join(', ')}]`);
      const params: MechParams = { hash, mgf, saltLength: pss?.saltLength ?? HASH_LEN[hash] };
      return dataType === 'raw'
        ? { mechanism: `CKM_${H}_RSA_PKCS_PSS`, data, params }
        : { mechanism: 'CKM_RSA_PKCS_PSS', data, params };
    }
    case 'ecdsa':
      return dataType === 'raw' ? { mechanism: `CKM_ECDSA_${H}`, data } : { mechanism: 'CKM_ECDSA', data };
  }
}

// --- HMAC ----------------------------------------------------------------------------------------

export function hmacMechanism(hash: Hash): string {
  return hash === 'sha1' ? 'CKM_SHA_1_HMAC' : `CKM_${HASH_UPPER[hash]}_HMAC`;
}

// --- encrypt / decrypt (beyond CloudHSM's CLI) -----------------------------------------------

export interface CipherMech {
  name: string;
  mechanism: string;
  summary: string;
  iv: 'none' | 'optional-on-encrypt';
  aad?: boolean;
  oaep?: boolean;
}

export const CIPHER_MECHANISMS: readonly CipherMech[] = [
  { name: 'aes-gcm', mechanism: 'CKM_AES_GCM', summary: 'AES-GCM', iv: 'optional-on-encrypt', aad: true },
  { name: 'aes-cbc-pad', mechanism: 'CKM_AES_CBC_PAD', summary: 'AES-CBC with PKCS #7 padding', iv: 'optional-on-encrypt' },
  { name: 'rsa-oaep', mechanism: 'CKM_RSA_PKCS_OAEP', summary: 'RSA-OAEP', iv: 'none', oaep: true },
];
