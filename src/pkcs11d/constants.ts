// PKCS#11 v2.40 numbers the daemon speaks: function positions in CK_FUNCTION_LIST, CK_RV values
// (the standard ones src/protocol/errors.ts lacks), CKA_/CKO_/CKK_/CKM_/CKF_/CKU_/CKS_ constants.
// Pure data; must never import anything but the protocol vocabulary.

import { CKR as PROTOCOL_CKR } from '../protocol/errors.js';

/** Function numbers: the 1-based positions in CK_FUNCTION_LIST (C_Initialize = 1 … C_WaitForSlotEvent = 68). */
export const FN = {
  C_Initialize: 1, C_Finalize: 2, C_GetInfo: 3, C_GetFunctionList: 4, C_GetSlotList: 5, C_GetSlotInfo: 6,
  C_GetTokenInfo: 7, C_GetMechanismList: 8, C_GetMechanismInfo: 9, C_InitToken: 10, C_InitPIN: 11, C_SetPIN: 12,
  C_OpenSession: 13, C_CloseSession: 14, C_CloseAllSessions: 15, C_GetSessionInfo: 16, C_GetOperationState: 17,
  C_SetOperationState: 18, C_Login: 19, C_Logout: 20, C_CreateObject: 21, C_CopyObject: 22, C_DestroyObject: 23,
  C_GetObjectSize: 24, C_GetAttributeValue: 25, C_SetAttributeValue: 26, C_FindObjectsInit: 27, C_FindObjects: 28,
  C_FindObjectsFinal: 29, C_EncryptInit: 30, C_Encrypt: 31, C_EncryptUpdate: 32, C_EncryptFinal: 33,
  C_DecryptInit: 34, C_Decrypt: 35, C_DecryptUpdate: 36, C_DecryptFinal: 37, C_DigestInit: 38, C_Digest: 39,
  C_DigestUpdate: 40, C_DigestKey: 41, C_DigestFinal: 42, C_SignInit: 43, C_Sign: 44, C_SignUpdate: 45,
  C_SignFinal: 46, C_SignRecoverInit: 47, C_SignRecover: 48, C_VerifyInit: 49, C_Verify: 50, C_VerifyUpdate: 51,
  C_VerifyFinal: 52, C_VerifyRecoverInit: 53, C_VerifyRecover: 54, C_DigestEncryptUpdate: 55,
  C_DecryptDigestUpdate: 56, C_SignEncryptUpdate: 57, C_DecryptVerifyUpdate: 58, C_GenerateKey: 59,
  C_GenerateKeyPair: 60, C_WrapKey: 61, C_UnwrapKey: 62, C_DeriveKey: 63, C_SeedRandom: 64, C_GenerateRandom: 65,
  C_GetFunctionStatus: 66, C_CancelFunction: 67, C_WaitForSlotEvent: 68,
} as const;

/** CK_RV values: the protocol's vocabulary plus the standard codes only the PKCS#11 edge needs. */
export const CKR = {
  ...PROTOCOL_CKR,
  CKR_SLOT_ID_INVALID: 0x3,
  CKR_FUNCTION_CANCELED: 0x50,
  CKR_FUNCTION_NOT_PARALLEL: 0x51,
  CKR_KEY_INDIGESTIBLE: 0x67,
  CKR_OPERATION_NOT_INITIALIZED: 0x91,
  CKR_SESSION_COUNT: 0xb1,
  CKR_SESSION_PARALLEL_NOT_SUPPORTED: 0xb4,
  CKR_SESSION_READ_ONLY: 0xb5,
  CKR_SESSION_EXISTS: 0xb6,
  CKR_SESSION_READ_ONLY_EXISTS: 0xb7,
  CKR_SAVED_STATE_INVALID: 0x160,
  CKR_STATE_UNSAVEABLE: 0x180,
  CKR_TOKEN_NOT_PRESENT: 0xe0,
  CKR_CURVE_NOT_SUPPORTED: 0x140,
} as const;
export type RvName = keyof typeof CKR;

export const CK_UNAVAILABLE_INFORMATION = 0xffffffffffffffffn;
export const CK_EFFECTIVELY_INFINITE = 0;

export const CKO = { DATA: 0, CERTIFICATE: 1, PUBLIC_KEY: 2, PRIVATE_KEY: 3, SECRET_KEY: 4 } as const;
export const CKK = { RSA: 0, EC: 3, GENERIC_SECRET: 0x10, AES: 0x1f } as const;
export const CKC_X_509 = 0;

export const CKA = {
  CLASS: 0x0, TOKEN: 0x1, PRIVATE: 0x2, LABEL: 0x3, APPLICATION: 0x10, VALUE: 0x11, OBJECT_ID: 0x12,
  CERTIFICATE_TYPE: 0x80, ISSUER: 0x81, SERIAL_NUMBER: 0x82, TRUSTED: 0x86, CERTIFICATE_CATEGORY: 0x87,
  CHECK_VALUE: 0x90, KEY_TYPE: 0x100, SUBJECT: 0x101, ID: 0x102, SENSITIVE: 0x103, ENCRYPT: 0x104,
  DECRYPT: 0x105, WRAP: 0x106, UNWRAP: 0x107, SIGN: 0x108, SIGN_RECOVER: 0x109, VERIFY: 0x10a,
  VERIFY_RECOVER: 0x10b, DERIVE: 0x10c, START_DATE: 0x110, END_DATE: 0x111, MODULUS: 0x120, MODULUS_BITS: 0x121,
  PUBLIC_EXPONENT: 0x122, PRIVATE_EXPONENT: 0x123, PRIME_1: 0x124, PRIME_2: 0x125, EXPONENT_1: 0x126,
  EXPONENT_2: 0x127, COEFFICIENT: 0x128, VALUE_LEN: 0x161, EXTRACTABLE: 0x162, LOCAL: 0x163,
  NEVER_EXTRACTABLE: 0x164, ALWAYS_SENSITIVE: 0x165, KEY_GEN_MECHANISM: 0x166, MODIFIABLE: 0x170,
  COPYABLE: 0x171, DESTROYABLE: 0x172, EC_PARAMS: 0x180, EC_POINT: 0x181, ALWAYS_AUTHENTICATE: 0x202,
  WRAP_WITH_TRUSTED: 0x210,
} as const;

export const CKM = {
  RSA_PKCS_KEY_PAIR_GEN: 0x0, RSA_PKCS: 0x1, RSA_PKCS_OAEP: 0x9, GENERIC_SECRET_KEY_GEN: 0x350,
  EC_KEY_PAIR_GEN: 0x1040, ECDH1_DERIVE: 0x1050, AES_KEY_GEN: 0x1080,
  SHA_1: 0x220, SHA224: 0x255, SHA256: 0x250, SHA384: 0x260, SHA512: 0x270,
} as const;

export const CKF = {
  // slot
  TOKEN_PRESENT: 0x1,
  // token
  RNG: 0x1, LOGIN_REQUIRED: 0x4, USER_PIN_INITIALIZED: 0x8, TOKEN_INITIALIZED: 0x400,
  // session
  RW_SESSION: 0x2, SERIAL_SESSION: 0x4,
  // mechanism
  HW: 0x1, ENCRYPT: 0x100, DECRYPT: 0x200, DIGEST: 0x400, SIGN: 0x800, VERIFY: 0x2000, GENERATE: 0x8000,
  GENERATE_KEY_PAIR: 0x10000, WRAP: 0x20000, UNWRAP: 0x40000, DERIVE: 0x80000, EC_F_P: 0x100000,
  EC_NAMED_CURVE: 0x800000, EC_UNCOMPRESS: 0x1000000,
} as const;

export const CKU = { SO: 0, USER: 1, CONTEXT_SPECIFIC: 2 } as const;
export const CKS = { RO_PUBLIC_SESSION: 0, RO_USER_FUNCTIONS: 1, RW_PUBLIC_SESSION: 2, RW_USER_FUNCTIONS: 3 } as const;

/** CK_EC_KDF_TYPE → the HSM's kdf names. */
export const CKD: Readonly<Record<number, 'null' | 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512'>> = {
  1: 'null', 2: 'sha1', 5: 'sha224', 6: 'sha256', 7: 'sha384', 8: 'sha512',
};
/** Hash mechanisms (OAEP/PSS hashAlg) → the HSM's hash names. */
export const HASH_OF_CKM: Readonly<Record<number, 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512'>> = {
  [CKM.SHA_1]: 'sha1', [CKM.SHA224]: 'sha224', [CKM.SHA256]: 'sha256', [CKM.SHA384]: 'sha384', [CKM.SHA512]: 'sha512',
};
/** CK_RSA_PKCS_MGF_TYPE → the HSM's mgf names. */
export const CKG_MGF1: Readonly<Record<number, 'mgf1-sha1' | 'mgf1-sha224' | 'mgf1-sha256' | 'mgf1-sha384' | 'mgf1-sha512'>> = {
  1: 'mgf1-sha1', 2: 'mgf1-sha256', 3: 'mgf1-sha384', 4: 'mgf1-sha512', 5: 'mgf1-sha224',
};
export const CKZ_DATA_SPECIFIED = 1;

/** DER of the named-curve OIDs (CKA_EC_PARAMS) ↔ the HSM's curve names. */
export const CURVE_OIDS: Readonly<Record<string, string>> = {
  secp256r1: '06082a8648ce3d030107',
  secp384r1: '06052b81040022',
  secp521r1: '06052b81040023',
  secp256k1: '06052b8104000a',
};
