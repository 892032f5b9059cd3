// KMS's error vocabulary (the `__type` names @aws-sdk/client-kms knows) and the one mapping from
// HSM replies (CKR_*) to it. Messages name the key or field at fault, never plaintext or passwords.

import { AwsError } from '../aws/errors.js';
import { HsmError } from '../protocol/errors.js';

export const K = {
  notFound: 'NotFoundException',
  disabled: 'DisabledException',
  invalidState: 'KMSInvalidStateException',
  invalidCiphertext: 'InvalidCiphertextException',
  incorrectKey: 'IncorrectKeyException',
  invalidKeyUsage: 'InvalidKeyUsageException',
  validation: 'ValidationException',
  denied: 'AccessDeniedException',
  internal: 'KMSInternalException',
  invalidArn: 'InvalidArnException',
  alreadyExists: 'AlreadyExistsException',
  invalidAliasName: 'InvalidAliasNameException',
  invalidMarker: 'InvalidMarkerException',
  limit: 'LimitExceededException',
  tag: 'TagException',
  unsupported: 'UnsupportedOperationException',
  invalidSignature: 'KMSInvalidSignatureException',
  invalidMac: 'KMSInvalidMacException',
  malformedPolicy: 'MalformedPolicyDocumentException',
  dependencyTimeout: 'DependencyTimeoutException',
  cksHasCmks: 'CustomKeyStoreHasCMKsException',
  cksInvalidState: 'CustomKeyStoreInvalidStateException',
  cksNameInUse: 'CustomKeyStoreNameInUseException',
  cksNotFound: 'CustomKeyStoreNotFoundException',
  clusterInUse: 'CloudHsmClusterInUseException',
  clusterInvalidConfig: 'CloudHsmClusterInvalidConfigurationException',
  clusterNotActive: 'CloudHsmClusterNotActiveException',
  clusterNotFound: 'CloudHsmClusterNotFoundException',
  clusterNotRelated: 'CloudHsmClusterNotRelatedException',
  incorrectTrustAnchor: 'IncorrectTrustAnchorException',
  throttling: 'ThrottlingException',
  invalidGrantId: 'InvalidGrantIdException',
  invalidGrantToken: 'InvalidGrantTokenException',
  dryRun: 'DryRunOperationException',
} as const;

export type KmsErrorName = (typeof K)[keyof typeof K];

export function kmsError(type: KmsErrorName, message: string, cause?: unknown): AwsError {
  const status = type === K.internal ? 500 : type === K.dependencyTimeout ? 503 : 400;
  return new AwsError(type, message, status, cause === undefined ? undefined : { cause });
}

export const validation = (msg: string): AwsError => kmsError(K.validation, msg);

/** HSM replies mapped once. `what` says which call on which key failed. */
const HSM_TO_KMS: Partial<Record<string, KmsErrorName>> = {
  CKR_ENCRYPTED_DATA_INVALID: K.invalidCiphertext,
  CKR_ENCRYPTED_DATA_LEN_RANGE: K.invalidCiphertext,
  CKR_KEY_HANDLE_INVALID: K.invalidState,
  CKR_OBJECT_HANDLE_INVALID: K.invalidState,
  CKR_KEY_FUNCTION_NOT_PERMITTED: K.invalidKeyUsage,
  CKR_KEY_TYPE_INCONSISTENT: K.invalidKeyUsage,
  CKR_SIGNATURE_INVALID: K.invalidSignature,
  CKR_SIGNATURE_LEN_RANGE: K.invalidSignature,
  CKR_DATA_LEN_RANGE: K.validation,
  CKR_ARGUMENTS_BAD: K.validation,
  CKR_USER_NOT_LOGGED_IN: K.invalidState,
  CKR_DEVICE_REMOVED: K.invalidState,
  CKR_DEVICE_ERROR: K.invalidState,
  CKR_STRONGROOM_BUSY: K.dependencyTimeout,
};

export function fromHsm(e: unknown, what: string): AwsError {
  if (e instanceof AwsError) return e;
  if (e instanceof HsmError) {
    const type = HSM_TO_KMS[e.code] ?? K.internal;
    return kmsError(type, `${what}: ${e.code}`, e);
  }
  return kmsError(K.internal, `${what}: internal error`, e);
}
