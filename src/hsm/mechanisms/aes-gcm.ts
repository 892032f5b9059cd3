// AES-GCM: CKM_AES_GCM (encrypt/decrypt with a caller or HSM IV; wrap/unwrap with an HSM IV) and
// CKM_CLOUDHSM_AES_GCM (CKM_VENDOR_DEFINED | CKM_AES_GCM = 0x80001087: the HSM always picks the IV and
// prepends it). Wire formats:
//   CKM_AES_GCM encrypt       -> ciphertext || tag            (iv returned apart when generated)
//   CKM_AES_GCM wrap          -> iv(12) || ciphertext || tag  (the HSM generates the IV)
//   CKM_CLOUDHSM_AES_GCM any  -> iv(12) || ciphertext || tag(tagBits/8, default 16)
// Must never accept a caller-chosen IV where the HSM is the one to choose it, nor release
// plaintext whose tag did not verify.

import crypto from 'node:crypto';
import { HsmError, type CkrName } from '../../protocol/errors.js';
import type { ParsedMechParams } from '../../protocol/operations.js';
import { aesName, bytesParam, onlyParams, paramError } from './common.js';
import type { MechKey, MechanismEntry, MechOperation } from './types.js';

/**
 * Fresh random IVs from a pool refilled by the CSPRNG 4 KiB at a time: randomBytes(12) per call
 * costs more than the encryption of 1 KiB. Each IV is sliced off once and never handed out again.
 */
const IV_POOL = Buffer.alloc(4096);
let ivPos = IV_POOL.length;
function freshIv(): Buffer {
  if (ivPos + GCM_IV_BYTES > IV_POOL.length) {
    crypto.randomFillSync(IV_POOL);
    ivPos = 0;
  }
  const iv = Buffer.from(IV_POOL.subarray(ivPos, ivPos + GCM_IV_BYTES));
  ivPos += GCM_IV_BYTES;
  return iv;
}

export const GCM_IV_BYTES = 12;
const TAG_BITS = [96, 104, 112, 120, 128];
/** The AAD when none is given: shared, never written to (setAAD only reads it). */
const NO_AAD = Buffer.alloc(0);

interface GcmParams { iv: Buffer | undefined; aad: Buffer; tagBytes: number }

/** Pure check. `hsmIv`: the HSM picks the IV, so a caller IV must be absent (or all zero, as PKCS#11 callers pass). */
export function checkGcmParams(mech: string, op: MechOperation, params: ParsedMechParams, hsmIv: boolean): GcmParams {
  onlyParams(mech, params, ['iv', 'aad', 'tagBits']);
  const tagBits = params.tagBits ?? 128;
  if (!TAG_BITS.includes(tagBits)) throw paramError(mech, `tagBits must be one of ${TAG_BITS.join(', ')}`);
  const iv = bytesParam(params, 'iv');
  if (hsmIv) {
    if (iv !== undefined && iv.some((b) => b !== 0)) throw paramError(mech, 'the HSM generates the IV: pass no iv (or an all-zero one)');
    return { iv: undefined, aad: bytesParam(params, 'aad') ?? NO_AAD, tagBytes: tagBits / 8 };
  }
  if (iv !== undefined && (iv.length < 1 || iv.length > 64)) throw paramError(mech, 'iv must be 1 to 64 bytes (12 recommended)');
  if (iv === undefined && op === 'decrypt') throw paramError(mech, 'iv is required to decrypt');
  return { iv, aad: bytesParam(params, 'aad') ?? NO_AAD, tagBytes: tagBits / 8 };
}

function seal(key: MechKey, iv: Buffer, aad: Buffer, tagBytes: number, data: Buffer): Buffer {
  const c = crypto.createCipheriv(aesName(key, 'gcm') as crypto.CipherGCMTypes, key.key, iv, { authTagLength: tagBytes });
  c.setAAD(aad);
  return Buffer.concat([c.update(data), c.final(), c.getAuthTag()]);
}

/** Opens ct||tag; a failed tag throws `badCode` and releases nothing. */
function open(key: MechKey, iv: Buffer, aad: Buffer, tagBytes: number, ctTag: Buffer, lenCode: CkrName, badCode: CkrName, mech: string): Buffer {
  if (ctTag.length < tagBytes) throw new HsmError(lenCode, `${mech}: input is shorter than the ${tagBytes}-byte tag`);
  const d = crypto.createDecipheriv(aesName(key, 'gcm') as crypto.CipherGCMTypes, key.key, iv, { authTagLength: tagBytes });
  d.setAAD(aad);
  d.setAuthTag(ctTag.subarray(ctTag.length - tagBytes));
  const out = d.update(ctTag.subarray(0, ctTag.length - tagBytes));
  try {
    return Buffer.concat([out, d.final()]);
  } catch (err) {
    out.fill(0);
    throw new HsmError(badCode, `${mech}: authentication tag did not verify`, { cause: err });
  }
}

/** iv(12) || ct || tag with a fresh IV. */
function sealWithIv(key: MechKey, data: Buffer, p: GcmParams): Buffer {
  const iv = freshIv();
  return Buffer.concat([iv, seal(key, iv, p.aad, p.tagBytes, data)]);
}

function openWithIv(key: MechKey, input: Buffer, p: GcmParams, lenCode: CkrName, badCode: CkrName, mech: string): Buffer {
  if (input.length < GCM_IV_BYTES + p.tagBytes) throw new HsmError(lenCode, `${mech}: input is shorter than iv and tag`);
  return open(key, input.subarray(0, GCM_IV_BYTES), p.aad, p.tagBytes, input.subarray(GCM_IV_BYTES), lenCode, badCode, mech);
}

const AES = { keyTypes: ['aes' as const], minKeyBits: 128, maxKeyBits: 256 };

const GCM = 'CKM_AES_GCM';
const CLOUDHSM_GCM = 'CKM_CLOUDHSM_AES_GCM';

export const aesGcmMechanisms: MechanismEntry[] = [
  {
    name: GCM, value: 0x1087, ...AES, fips: true, operations: ['encrypt', 'decrypt', 'wrap', 'unwrap'],
    checkParams: (op, params) => void checkGcmParams(GCM, op, params, op === 'wrap' || op === 'unwrap'),
    encrypt(key, data, params) {
      const p = checkGcmParams(GCM, 'encrypt', params, false);
      const iv = p.iv ?? freshIv();
      const out = seal(key, iv, p.aad, p.tagBytes, data);
      return p.iv === undefined ? { data: out, iv } : { data: out };
    },
    decrypt(key, data, params) {
      const p = checkGcmParams(GCM, 'decrypt', params, false);
      if (p.iv === undefined) throw paramError(GCM, 'iv is required to decrypt');
      return open(key, p.iv, p.aad, p.tagBytes, data, 'CKR_ENCRYPTED_DATA_LEN_RANGE', 'CKR_ENCRYPTED_DATA_INVALID', GCM);
    },
    wrap: (key, payload, params) => sealWithIv(key, payload, checkGcmParams(GCM, 'wrap', params, true)),
    unwrap: (key, wrapped, params) =>
      openWithIv(key, wrapped, checkGcmParams(GCM, 'unwrap', params, true), 'CKR_WRAPPED_KEY_LEN_RANGE', 'CKR_WRAPPED_KEY_INVALID', GCM),
  },
  {
    name: CLOUDHSM_GCM, value: 0x80001087, ...AES, fips: true, operations: ['encrypt', 'decrypt', 'wrap', 'unwrap'],
    checkParams: (op, params) => void checkGcmParams(CLOUDHSM_GCM, op, params, true),
    encrypt: (key, data, params) => ({ data: sealWithIv(key, data, checkGcmParams(CLOUDHSM_GCM, 'encrypt', params, true)) }),
    decrypt: (key, data, params) =>
      openWithIv(key, data, checkGcmParams(CLOUDHSM_GCM, 'decrypt', params, true), 'CKR_ENCRYPTED_DATA_LEN_RANGE', 'CKR_ENCRYPTED_DATA_INVALID', CLOUDHSM_GCM),
    wrap: (key, payload, params) => sealWithIv(key, payload, checkGcmParams(CLOUDHSM_GCM, 'wrap', params, true)),
    unwrap: (key, wrapped, params) =>
      openWithIv(key, wrapped, checkGcmParams(CLOUDHSM_GCM, 'unwrap', params, true), 'CKR_WRAPPED_KEY_LEN_RANGE', 'CKR_WRAPPED_KEY_INVALID', CLOUDHSM_GCM),
  },
];
