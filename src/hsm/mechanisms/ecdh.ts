// CKM_ECDH1_DERIVE: ECDH (SP 800-56A cofactor-free, as PKCS#11 CKM_ECDH1_DERIVE) on node:crypto.
// params.publicData is the peer's public key, SPKI DER or an uncompressed point 04||x||y on the
// base key's curve. params.kdf:
//   'null' (default)  the raw shared secret Z, truncated to its leftmost lengthBytes (longer is an error)
//   'sha1'…'sha512'   ANSI X9.63 KDF without shared info: K = H(Z || 00000001) || H(Z || 00000002) || …
// Must never return Z or the derived value anywhere but to the caller, and never accept a peer
// key on another curve.

import crypto from 'node:crypto';
import { HsmError } from '../../protocol/errors.js';
import type { ParsedMechParams } from '../../protocol/operations.js';
import { CURVE_FIELD_BYTES, CURVE_JWK, bytesParam, curveOf, onlyParams, paramError, type CurveName, type HashName } from './common.js';
import type { MechKey, MechanismEntry, MechOperation } from './types.js';

const NAME = 'CKM_ECDH1_DERIVE';
/** Cap on a KDF output: more than any key this HSM makes. */
export const ECDH_MAX_KDF_BYTES = 512;

export function checkEcdhParams(params: ParsedMechParams): { peer: Buffer; kdf: 'null' | HashName } {
  onlyParams(NAME, params, ['publicData', 'kdf']);
  const peer = bytesParam(params, 'publicData');
  if (peer === undefined || peer.length === 0) throw paramError(NAME, 'publicData (the peer public key) is required');
  return { peer, kdf: params.kdf ?? 'null' };
}

/** Parses the peer key; it must be an EC public key on `curve`. */
export function peerKey(peer: Buffer, curve: CurveName): crypto.KeyObject {
  let key: crypto.KeyObject;
  try {
    if (peer[0] === 0x04 && peer.length === 1 + 2 * CURVE_FIELD_BYTES[curve]) {
      const n = CURVE_FIELD_BYTES[curve];
      key = crypto.createPublicKey({
        key: { kty: 'EC', crv: CURVE_JWK[curve], x: peer.subarray(1, 1 + n).toString('base64url'), y: peer.subarray(1 + n).toString('base64url') },
        format: 'jwk',
      });
    } else {
      key = crypto.createPublicKey({ key: peer, format: 'der', type: 'spki' });
    }
  } catch (err) {
    throw new HsmError('CKR_MECHANISM_PARAM_INVALID', `${NAME}: publicData is not a valid ${curve} public key`, { cause: err });
  }
  if (key.asymmetricKeyType !== 'ec' || curveOf(key, NAME) !== curve) {
    throw paramError(NAME, `publicData must be a public key on ${curve}`);
  }
  return key;
}

/** ANSI X9.63 KDF (no shared info) over node:crypto hashes. */
export function x963Kdf(hash: HashName, z: Buffer, lengthBytes: number): Buffer {
  const parts: Buffer[] = [];
  const counter = Buffer.alloc(4);
  for (let i = 1, have = 0; have < lengthBytes; i++) {
    counter.writeUInt32BE(i);
    const block = crypto.createHash(hash).update(z).update(counter).digest();
    parts.push(block);
    have += block.length;
  }
  const out = Buffer.concat(parts);
  const result = Buffer.from(out.subarray(0, lengthBytes));
  out.fill(0);
  return result;
}

function checkLength(kdf: 'null' | HashName, curve: CurveName, lengthBytes: number): void {
  const max = kdf === 'null' ? CURVE_FIELD_BYTES[curve] : ECDH_MAX_KDF_BYTES;
  if (!Number.isInteger(lengthBytes) || lengthBytes < 1 || lengthBytes > max) {
    throw new HsmError('CKR_KEY_SIZE_RANGE', `${NAME}: derived length must be 1 to ${max} bytes with kdf ${kdf}`);
  }
}

export const ecdhMechanisms: MechanismEntry[] = [
  {
    name: NAME, value: 0x1050, keyTypes: ['ec'], minKeyBits: 256, maxKeyBits: 521, fips: true, operations: ['derive'],
    checkParams: (_op: MechOperation, params) => void checkEcdhParams(params),
    derive(baseKey: MechKey, params: ParsedMechParams, lengthBytes: number) {
      const { peer, kdf } = checkEcdhParams(params);
      const curve = curveOf(baseKey.key, NAME);
      checkLength(kdf, curve, lengthBytes);
      const publicKey = peerKey(peer, curve);
      const z = crypto.diffieHellman({ privateKey: baseKey.key, publicKey });
      try {
        return kdf === 'null' ? Buffer.from(z.subarray(0, lengthBytes)) : x963Kdf(kdf, z, lengthBytes);
      } finally {
        z.fill(0);
      }
    },
  },
];
