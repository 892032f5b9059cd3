// AES key wrap on node:crypto's id-aesNNN-wrap (RFC 3394) and id-aesNNN-wrap-pad (RFC 5649) ciphers:
//   CKM_AES_KEY_WRAP                     0x2109      RFC 3394, default IV A6A6A6A6A6A6A6A6
//   CKM_AES_KEY_WRAP_PAD                 0x210a      RFC 5649 (KWP), default AIV prefix A65959A6
//   CKM_CLOUDHSM_AES_KEY_WRAP_NO_PAD     0x80002109  = RFC 3394
//   CKM_CLOUDHSM_AES_KEY_WRAP_PKCS5_PAD  0x8000210a  PKCS#5 pad to a multiple of 8, then RFC 3394
//   CKM_CLOUDHSM_AES_KEY_WRAP_ZERO_PAD   0x8000216f  implemented as RFC 5649 (the project reference
//                                                    calls it "aes-zero-pad (RFC 5649)")
// (vendor values as CloudHSM's cloudhsm_pkcs11_vendor_defs.h defines them.) params.wrapIv overrides the
// IV (8 bytes for RFC 3394 forms, 4 for RFC 5649). Must never return a payload whose integrity
// check failed, nor say which check failed.

import crypto from 'node:crypto';
import { HsmError } from '../../protocol/errors.js';
import type { ParsedMechParams } from '../../protocol/operations.js';
import { bytesParam, onlyParams, paramError, secretBytes } from './common.js';
import type { MechKey, MechanismEntry, MechOperation } from './types.js';

export const KW_DEFAULT_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');
export const KWP_DEFAULT_AIV = Buffer.from('a65959a6', 'hex');

type Scheme = 'kw' | 'kwp' | 'kw-pkcs5';

export function checkKwParams(mech: string, scheme: Scheme, params: ParsedMechParams): { iv: Buffer } {
  onlyParams(mech, params, ['wrapIv']);
  const iv = bytesParam(params, 'wrapIv');
  const want = scheme === 'kwp' ? 4 : 8;
  if (iv !== undefined && iv.length !== want) throw paramError(mech, `wrapIv must be ${want} bytes, got ${iv.length}`);
  return { iv: iv ?? (scheme === 'kwp' ? KWP_DEFAULT_AIV : KW_DEFAULT_IV) };
}

function cipherName(kek: Buffer, scheme: Scheme): string {
  return `id-aes${kek.length * 8}-wrap${scheme === 'kwp' ? '-pad' : ''}`;
}

/** RFC 3394 / RFC 5649 wrap of `payload` under raw KEK bytes. */
export function kwWrap(kek: Buffer, payload: Buffer, iv: Buffer, kwp: boolean): Buffer {
  const c = crypto.createCipheriv(cipherName(kek, kwp ? 'kwp' : 'kw'), kek, iv);
  return Buffer.concat([c.update(payload), c.final()]);
}

/** RFC 3394 / RFC 5649 unwrap; a failed integrity check is CKR_WRAPPED_KEY_INVALID. */
export function kwUnwrap(kek: Buffer, wrapped: Buffer, iv: Buffer, kwp: boolean, mech: string): Buffer {
  const d = crypto.createDecipheriv(cipherName(kek, kwp ? 'kwp' : 'kw'), kek, iv);
  try {
    return Buffer.concat([d.update(wrapped), d.final()]);
  } catch (err) {
    throw new HsmError('CKR_WRAPPED_KEY_INVALID', `${mech}: wrapped key failed its integrity check`, { cause: err });
  }
}

/** Pure length checks before any cipher runs. */
export function checkWrapLength(mech: string, scheme: Scheme, payloadLength: number): void {
  if (scheme === 'kw' && (payloadLength < 16 || payloadLength % 8 !== 0)) {
    throw new HsmError('CKR_KEY_SIZE_RANGE', `${mech}: the key to wrap must be a multiple of 8 bytes and at least 16 (use a padding variant)`);
  }
  if (scheme === 'kw-pkcs5' && payloadLength < 8) {
    throw new HsmError('CKR_KEY_SIZE_RANGE', `${mech}: the key to wrap must be at least 8 bytes`);
  }
  if (payloadLength < 1) throw new HsmError('CKR_KEY_SIZE_RANGE', `${mech}: nothing to wrap`);
}

export function checkUnwrapLength(mech: string, scheme: Scheme, wrappedLength: number): void {
  const min = scheme === 'kwp' ? 16 : 24;
  if (wrappedLength < min || wrappedLength % 8 !== 0) {
    throw new HsmError('CKR_WRAPPED_KEY_LEN_RANGE', `${mech}: wrapped key must be a multiple of 8 bytes and at least ${min}`);
  }
}

function pkcs5Pad(data: Buffer): Buffer {
  const n = 8 - (data.length % 8);
  return Buffer.concat([data, Buffer.alloc(n, n)]);
}

function pkcs5Unpad(data: Buffer, mech: string): Buffer {
  const n = data[data.length - 1] ?? 0;
  let bad = n < 1 || n > 8 || n > data.length ? 1 : 0;
  for (let i = 0; i < 8; i++) {
    const b = data[data.length - 1 - i] ?? 0;
    if (i < n && b !== n) bad |= 1;
  }
  if (bad) {
    data.fill(0);
    throw new HsmError('CKR_WRAPPED_KEY_INVALID', `${mech}: wrapped key failed its integrity check`);
  }
  return data.subarray(0, data.length - n);
}

function kwEntry(name: string, value: number, scheme: Scheme): MechanismEntry {
  return {
    name, value, keyTypes: ['aes'], minKeyBits: 128, maxKeyBits: 256, fips: true, operations: ['wrap', 'unwrap'],
    checkParams: (_op: MechOperation, params) => void checkKwParams(name, scheme, params),
    wrap(key: MechKey, payload: Buffer, params: ParsedMechParams) {
      const { iv } = checkKwParams(name, scheme, params);
      checkWrapLength(name, scheme, payload.length);
      const input = scheme === 'kw-pkcs5' ? pkcs5Pad(payload) : payload;
      return kwWrap(secretBytes(key), input, iv, scheme === 'kwp');
    },
    unwrap(key: MechKey, wrapped: Buffer, params: ParsedMechParams) {
      const { iv } = checkKwParams(name, scheme, params);
      checkUnwrapLength(name, scheme, wrapped.length);
      const out = kwUnwrap(secretBytes(key), wrapped, iv, scheme === 'kwp', name);
      return scheme === 'kw-pkcs5' ? pkcs5Unpad(out, name) : out;
    },
  };
}

export const aesKwMechanisms: MechanismEntry[] = [
  kwEntry('CKM_AES_KEY_WRAP', 0x2109, 'kw'),
  kwEntry('CKM_AES_KEY_WRAP_PAD', 0x210a, 'kwp'),
  kwEntry('CKM_CLOUDHSM_AES_KEY_WRAP_NO_PAD', 0x80002109, 'kw'),
  kwEntry('CKM_CLOUDHSM_AES_KEY_WRAP_PKCS5_PAD', 0x8000210a, 'kw-pkcs5'),
  kwEntry('CKM_CLOUDHSM_AES_KEY_WRAP_ZERO_PAD', 0x8000216f, 'kwp'),
];
