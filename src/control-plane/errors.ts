// The CloudHSMv2 error vocabulary (reference §1 "Errors") and the one mapping from HSM error
// codes (CKR_*) to it. Messages name the field or resource at fault, never a secret.

import { AwsError } from '../aws/errors.js';
import { HsmError } from '../protocol/errors.js';

export const E = {
  invalid: 'CloudHsmInvalidRequestException',
  notFound: 'CloudHsmResourceNotFoundException',
  denied: 'CloudHsmAccessDeniedException',
  internal: 'CloudHsmInternalFailureException',
  service: 'CloudHsmServiceException',
  tag: 'CloudHsmTagException',
} as const;

export const invalid = (msg: string): AwsError => new AwsError(E.invalid, msg, 400);
export const notFound = (msg: string): AwsError => new AwsError(E.notFound, msg, 400);
export const tagError = (msg: string): AwsError => new AwsError(E.tag, msg, 400);

/** HSM replies mapped once: argument and state faults are the caller's; the rest are ours. */
const HSM_TO_AWS: Record<string, string> = {
  CKR_ARGUMENTS_BAD: E.invalid,
  CKR_STRONGROOM_STATE: E.invalid,
  CKR_ENCRYPTED_DATA_INVALID: E.invalid,
  CKR_FUNCTION_REJECTED: E.invalid,
  CKR_STRONGROOM_NOT_FOUND: E.notFound,
};

export function fromHsm(e: unknown, what: string): AwsError {
  if (e instanceof AwsError) return e;
  if (e instanceof HsmError) {
    const type = HSM_TO_AWS[e.code] ?? E.internal;
    return new AwsError(type, `${what}: ${e.message}`, type === E.internal ? 500 : 400, { cause: e });
  }
  return new AwsError(E.internal, `${what}: ${(e as Error).message}`, 500, { cause: e });
}
