// The mechanism table: every mechanism the HSM offers, by PKCS#11 name, and the one place that
// decides whether a mechanism may run an operation with a key (operation, FIPS mode, key type,
// key class, key size). Dispatch, mechanism.list and the FIPS filter all read this table.
// Vendor values, as CloudHSM's cloudhsm_pkcs11_vendor_defs.h defines them (CKM_VENDOR_DEFINED
// 0x80000000 | the standard mechanism, or | 0x216F for zero padding):
//   0x80002109 CKM_CLOUDHSM_AES_KEY_WRAP_NO_PAD     0x8000210A CKM_CLOUDHSM_AES_KEY_WRAP_PKCS5_PAD
//   0x8000216F CKM_CLOUDHSM_AES_KEY_WRAP_ZERO_PAD   0x80001087 CKM_CLOUDHSM_AES_GCM
// Must never run crypto itself, nor hold state beyond the table (no singleton: defaultRegistry()
// builds a fresh one per call).

import { HsmError } from '../../protocol/errors.js';
import { aesCbcMechanisms } from './aes-cbc.js';
import { aesCtrMechanisms } from './aes-ctr.js';
import { aesEcbMechanisms } from './aes-ecb.js';
import { aesGcmMechanisms } from './aes-gcm.js';
import { aesKwMechanisms } from './aes-kw.js';
import { cmacMechanisms } from './cmac.js';
import { digestMechanisms } from './digest.js';
import { ecdhMechanisms } from './ecdh.js';
import { ecdsaMechanisms } from './ecdsa.js';
import { hmacMechanisms } from './hmac.js';
import { rsaAesKwMechanisms } from './rsa-aes-kw.js';
import { rsaOaepMechanisms } from './rsa-oaep.js';
import { rsaPkcsMechanisms } from './rsa-pkcs.js';
import { rsaPssMechanisms } from './rsa-pss.js';
import type { MechKey, MechOperation, MechanismEntry } from './types.js';

/** The key class an operation needs, for asymmetric keys (secret keys are always 'secret-key'). */
const ASYMMETRIC_CLASS: Readonly<Record<MechOperation, MechKey['class'] | undefined>> = {
  sign: 'private-key', decrypt: 'private-key', unwrap: 'private-key', derive: 'private-key',
  verify: 'public-key', encrypt: 'public-key', wrap: 'public-key', digest: undefined,
};

/** Curves outside FIPS 186-5's approved set, refused in FIPS mode whatever the mechanism. */
const NON_FIPS_CURVES: readonly string[] = ['secp256k1'];

/** PKCS#11 names a wrong wrapping/unwrapping key apart from a wrong key elsewhere. */
function keyTypeCode(op: MechOperation): 'CKR_WRAPPING_KEY_TYPE_INCONSISTENT' | 'CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT' | 'CKR_KEY_TYPE_INCONSISTENT' {
  if (op === 'wrap') return 'CKR_WRAPPING_KEY_TYPE_INCONSISTENT';
  if (op === 'unwrap') return 'CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT';
  return 'CKR_KEY_TYPE_INCONSISTENT';
}

/** Whether an entry is FIPS-approved for one operation. */
export function isFipsFor(entry: MechanismEntry, op: MechOperation): boolean {
  return entry.fips && !(entry.nonFipsOperations ?? []).includes(op);
}

export class MechanismRegistry {
  readonly #entries = new Map<string, MechanismEntry>();

  constructor(entries: MechanismEntry[]) {
    for (const e of entries) {
      if (this.#entries.has(e.name)) throw new Error(`mechanism ${e.name} registered twice`);
      for (const op of e.operations) {
        if (op === 'digest' ? !e.digest : !e[op]) throw new Error(`mechanism ${e.name} lists ${op} but does not implement it`);
      }
      this.#entries.set(e.name, e);
    }
  }

  /** The entry for a CKM_* name; CKR_MECHANISM_INVALID when unknown. */
  get(name: string): MechanismEntry {
    const e = this.#entries.get(name);
    if (!e) throw new HsmError('CKR_MECHANISM_INVALID', `unknown mechanism ${name}`);
    return e;
  }

  list(): MechanismEntry[] {
    return [...this.#entries.values()];
  }

  /**
   * Pure check that `name` may run `op` with `key` (when given). Order, fixed so a bad call always
   * gets the same code: mechanism → operation → FIPS → key type → key class → key size → FIPS curve.
   */
  require(name: string, op: MechOperation, key?: MechKey, fipsMode = false): MechanismEntry {
    const e = this.get(name);
    if (!e.operations.includes(op)) throw new HsmError('CKR_MECHANISM_INVALID', `${name} does not support ${op}`);
    if (fipsMode && !isFipsFor(e, op)) throw new HsmError('CKR_MECHANISM_INVALID', `${name} is not FIPS-approved for ${op}`);
    if (key === undefined || op === 'digest') return e;
    if (!e.keyTypes.includes(key.keyType)) {
      throw new HsmError(keyTypeCode(op), `${name} takes ${e.keyTypes.join(' or ')} keys, not ${key.keyType}`);
    }
    const wantClass = key.keyType === 'rsa' || key.keyType === 'ec' ? ASYMMETRIC_CLASS[op] : 'secret-key';
    if (wantClass !== undefined && key.class !== wantClass) {
      throw new HsmError(keyTypeCode(op), `${name} ${op} needs a ${wantClass}, not a ${key.class}`);
    }
    if (key.sizeBits < e.minKeyBits || key.sizeBits > e.maxKeyBits) {
      throw new HsmError('CKR_KEY_SIZE_RANGE', `${name} takes keys of ${e.minKeyBits} to ${e.maxKeyBits} bits, not ${key.sizeBits}`);
    }
    if (fipsMode && key.curve !== undefined && NON_FIPS_CURVES.includes(key.curve)) {
      throw new HsmError('CKR_KEY_TYPE_INCONSISTENT', `${key.curve} keys are not FIPS-approved`);
    }
    return e;
  }
}

/** A fresh registry holding every mechanism Strongroom implements. */
export function defaultRegistry(): MechanismRegistry {
  return new MechanismRegistry([
    ...aesGcmMechanisms, ...aesCbcMechanisms, ...aesCtrMechanisms, ...aesEcbMechanisms, ...aesKwMechanisms,
    ...rsaPkcsMechanisms, ...rsaPssMechanisms, ...rsaOaepMechanisms, ...rsaAesKwMechanisms,
    ...ecdsaMechanisms, ...ecdhMechanisms, ...hmacMechanisms, ...cmacMechanisms, ...digestMechanisms,
  ]);
}
