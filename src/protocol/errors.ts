// The one error vocabulary of Strongroom: PKCS#11 CKR_* names with a human message.
// Every edge (wire, CLI, PKCS#11 library, AWS front ends) maps these names through a table.
// Must never carry secrets (passwords, key material, plaintext) in a message.

export const CKR = {
  CKR_OK: 0x0,
  CKR_HOST_MEMORY: 0x2,
  CKR_GENERAL_ERROR: 0x5,
  CKR_FUNCTION_FAILED: 0x6,
  CKR_ARGUMENTS_BAD: 0x7,
  CKR_ATTRIBUTE_READ_ONLY: 0x10,
  CKR_ATTRIBUTE_SENSITIVE: 0x11,
  CKR_ATTRIBUTE_TYPE_INVALID: 0x12,
  CKR_ATTRIBUTE_VALUE_INVALID: 0x13,
  CKR_ACTION_PROHIBITED: 0x1b,
  CKR_DATA_INVALID: 0x20,
  CKR_DATA_LEN_RANGE: 0x21,
  CKR_DEVICE_ERROR: 0x30,
  CKR_DEVICE_MEMORY: 0x31,
  CKR_DEVICE_REMOVED: 0x32,
  CKR_ENCRYPTED_DATA_INVALID: 0x40,
  CKR_ENCRYPTED_DATA_LEN_RANGE: 0x41,
  CKR_FUNCTION_NOT_SUPPORTED: 0x54,
  CKR_KEY_HANDLE_INVALID: 0x60,
  CKR_KEY_SIZE_RANGE: 0x62,
  CKR_KEY_TYPE_INCONSISTENT: 0x63,
  CKR_KEY_FUNCTION_NOT_PERMITTED: 0x68,
  CKR_KEY_NOT_WRAPPABLE: 0x69,
  CKR_KEY_UNEXTRACTABLE: 0x6a,
  CKR_MECHANISM_INVALID: 0x70,
  CKR_MECHANISM_PARAM_INVALID: 0x71,
  CKR_OBJECT_HANDLE_INVALID: 0x82,
  CKR_OPERATION_ACTIVE: 0x90,
  CKR_PIN_INCORRECT: 0xa0,
  CKR_PIN_INVALID: 0xa1,
  CKR_PIN_LEN_RANGE: 0xa2,
  CKR_PIN_LOCKED: 0xa4,
  CKR_SESSION_HANDLE_INVALID: 0xb3,
  CKR_SIGNATURE_INVALID: 0xc0,
  CKR_SIGNATURE_LEN_RANGE: 0xc1,
  CKR_TEMPLATE_INCOMPLETE: 0xd0,
  CKR_TEMPLATE_INCONSISTENT: 0xd1,
  CKR_UNWRAPPING_KEY_HANDLE_INVALID: 0xf0,
  CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT: 0xf2,
  CKR_USER_ALREADY_LOGGED_IN: 0x100,
  CKR_USER_NOT_LOGGED_IN: 0x101,
  CKR_USER_PIN_NOT_INITIALIZED: 0x102,
  CKR_USER_TYPE_INVALID: 0x103,
  CKR_WRAPPED_KEY_INVALID: 0x110,
  CKR_WRAPPED_KEY_LEN_RANGE: 0x112,
  CKR_WRAPPING_KEY_HANDLE_INVALID: 0x113,
  CKR_WRAPPING_KEY_TYPE_INCONSISTENT: 0x115,
  CKR_RANDOM_NO_RNG: 0x121,
  CKR_BUFFER_TOO_SMALL: 0x150,
  CKR_CRYPTOKI_NOT_INITIALIZED: 0x190,
  CKR_FUNCTION_REJECTED: 0x200,
  // Vendor-defined (CKR_VENDOR_DEFINED | n): states PKCS#11 has no name for.
  CKR_STRONGROOM_BUSY: 0x800000bb, // CloudHSM's response code 187 (0xBB): the HSM could not queue the request
  CKR_STRONGROOM_RECORD_TAMPERED: 0x80000101, // a sealed record failed to open
  CKR_STRONGROOM_NOT_FOUND: 0x80000102, // a user or other non-key object does not exist
  CKR_STRONGROOM_ALREADY_EXISTS: 0x80000103,
  CKR_STRONGROOM_CONFLICT: 0x80000104, // compare-and-swap lost: retry
  CKR_STRONGROOM_STATE: 0x80000105, // the cluster or node is in the wrong state for this
  CKR_STRONGROOM_FRAME_TOO_LARGE: 0x80000106,
  CKR_STRONGROOM_PROTOCOL: 0x80000107, // malformed frame or unknown operation
  CKR_STRONGROOM_AUDIT_FAILED: 0x80000108,
  CKR_STRONGROOM_STORE_UNAVAILABLE: 0x80000109, // the cluster store cannot be reached: changes fail, crypto goes on
} as const;

export type CkrName = keyof typeof CKR;

export function isCkrName(s: unknown): s is CkrName {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(CKR, s);
}

/** The single error class thrown anywhere in Strongroom; carries a CKR name and a message. */
export class HsmError extends Error {
  readonly code: CkrName;
  constructor(code: CkrName, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HsmError';
    this.code = code;
  }
  get value(): number {
    return CKR[this.code];
  }
  toWire(): { code: CkrName; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** Turns anything thrown into an HsmError without leaking internals (stack, secrets). */
export function toHsmError(err: unknown, fallback: CkrName = 'CKR_FUNCTION_FAILED'): HsmError {
  if (err instanceof HsmError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new HsmError(fallback, `internal failure: ${msg.slice(0, 200)}`, { cause: err });
}
