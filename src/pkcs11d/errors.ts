// The daemon's one error: P11Error carries a CK_RV name; everything thrown (HsmError from the
// client included) becomes a CK_RV through the single table below. Vendor CKR_STRONGROOM_* codes
// map to the nearest standard code, and nothing ever maps to CKR_GENERAL_ERROR.
// Messages must never carry PINs, key material or data.

import { HsmError, type CkrName } from '../protocol/errors.js';
import { CKR, type RvName } from './constants.js';

export class P11Error extends Error {
  readonly rv: RvName;
  constructor(rv: RvName, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'P11Error';
    this.rv = rv;
  }
}

export function fail(rv: RvName, message: string): never {
  throw new P11Error(rv, message);
}

/** HSM error names that are not standard CK_RVs, or that a PKCS#11 caller must not see as they are. */
const HSM_TO_RV: Partial<Record<CkrName, RvName>> = {
  CKR_GENERAL_ERROR: 'CKR_FUNCTION_FAILED',
  CKR_STRONGROOM_BUSY: 'CKR_FUNCTION_FAILED',
  CKR_STRONGROOM_RECORD_TAMPERED: 'CKR_DEVICE_ERROR',
  CKR_STRONGROOM_NOT_FOUND: 'CKR_FUNCTION_FAILED',
  CKR_STRONGROOM_ALREADY_EXISTS: 'CKR_FUNCTION_FAILED',
  CKR_STRONGROOM_CONFLICT: 'CKR_FUNCTION_FAILED',
  CKR_STRONGROOM_STATE: 'CKR_DEVICE_ERROR',
  CKR_STRONGROOM_FRAME_TOO_LARGE: 'CKR_DATA_LEN_RANGE',
  CKR_STRONGROOM_PROTOCOL: 'CKR_DEVICE_ERROR',
  CKR_STRONGROOM_AUDIT_FAILED: 'CKR_DEVICE_ERROR',
  CKR_STRONGROOM_STORE_UNAVAILABLE: 'CKR_DEVICE_ERROR',
};

/** The CK_RV name for anything thrown. */
export function rvName(err: unknown): RvName {
  if (err instanceof P11Error) return err.rv;
  if (err instanceof HsmError) return HSM_TO_RV[err.code] ?? err.code;
  return 'CKR_FUNCTION_FAILED';
}

export function rvValue(name: RvName): number {
  return CKR[name];
}

/** Rewrites an HSM error name in one context (e.g. a missing key is CKR_OBJECT_HANDLE_INVALID for C_GetAttributeValue). */
export async function renaming<T>(from: RvName, to: RvName, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (rvName(e) === from) throw new P11Error(to, e instanceof Error ? e.message : String(e), { cause: e });
    throw e;
  }
}
