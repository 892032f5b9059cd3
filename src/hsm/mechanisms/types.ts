// The shape of one mechanism entry in the registry. Entries hold node:crypto work only;
// PKCS#11 rules about keys (attributes, ownership) are checked by handlers before a mechanism runs.
// A mechanism must never log or keep its inputs.

import type { KeyObject } from 'node:crypto';
import type { ParsedMechParams } from '../../protocol/operations.js';

export type MechOperation = 'encrypt' | 'decrypt' | 'sign' | 'verify' | 'digest' | 'wrap' | 'unwrap' | 'derive';
export type KeyTypeName = 'aes' | 'generic-secret' | 'rsa' | 'ec';
export type Awaitable<T> = T | Promise<T>;

/** What a mechanism sees of a key: its class, type, size and the node:crypto KeyObject. */
export interface MechKey {
  class: 'secret-key' | 'public-key' | 'private-key';
  keyType: KeyTypeName;
  /** Key size in bits: AES/generic-secret length, RSA modulus, EC field size. */
  sizeBits: number;
  curve?: string;
  key: KeyObject;
}

export interface MechanismEntry {
  /** PKCS#11 name, e.g. CKM_AES_GCM. */
  name: string;
  /** PKCS#11 numeric value (vendor values for CloudHSM's own). */
  value: number;
  keyTypes: KeyTypeName[];
  minKeyBits: number;
  maxKeyBits: number;
  /** FIPS 140-3 approved for the operations listed (less any in nonFipsOperations). */
  fips: boolean;
  operations: MechOperation[];
  /** Operations of a FIPS entry that are offered outside FIPS mode only (e.g. PKCS#1 v1.5 encryption). */
  nonFipsOperations?: MechOperation[];
  /** Pure check of the parameters for an operation; throws HsmError(CKR_MECHANISM_PARAM_INVALID). */
  checkParams?(op: MechOperation, params: ParsedMechParams, key: MechKey | undefined): void;
  encrypt?(key: MechKey, data: Buffer, params: ParsedMechParams): Awaitable<{ data: Buffer; iv?: Buffer }>;
  decrypt?(key: MechKey, data: Buffer, params: ParsedMechParams): Awaitable<Buffer>;
  sign?(key: MechKey, data: Buffer, params: ParsedMechParams): Awaitable<Buffer>;
  verify?(key: MechKey, data: Buffer, signature: Buffer, params: ParsedMechParams): Awaitable<boolean>;
  digest?(data: Buffer): Awaitable<Buffer>;
  /** payload: raw bytes of a secret key, or PKCS#8 DER of a private key. */
  wrap?(wrappingKey: MechKey, payload: Buffer, params: ParsedMechParams): Awaitable<Buffer>;
  unwrap?(unwrappingKey: MechKey, wrapped: Buffer, params: ParsedMechParams): Awaitable<Buffer>;
  /** Returns lengthBytes of derived secret. */
  derive?(baseKey: MechKey, params: ParsedMechParams, lengthBytes: number): Awaitable<Buffer>;
}
