// The AWS front ends' error: a service error name (`__type`), a message and an HTTP status, turned
// into `{"__type": …, "message": …}` in one place (server.ts). Also the protocol-level names AWS
// uses for authentication faults. A message must never carry a secret (keys, passwords, plaintext).

export class AwsError extends Error {
  constructor(
    /** The error shape name, e.g. 'CloudHsmInvalidRequestException'. */
    readonly type: string,
    message: string,
    /** 400 for client errors, 500 for faults; a few protocol errors use others (413). */
    readonly status = 400,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AwsError';
  }
}

/** Names shared by every awsJson1_1 service (the ones AWS returns before a service sees the call). */
export const ProtocolErrors = {
  unknownOperation: 'UnknownOperationException',
  missingAuth: 'MissingAuthenticationTokenException',
  incompleteSignature: 'IncompleteSignatureException',
  invalidSignature: 'InvalidSignatureException',
  unrecognizedClient: 'UnrecognizedClientException',
  serialization: 'SerializationException',
} as const;

/** AWS's wording for the common authentication faults (messages copied in spirit, not secrets). */
export const ProtocolMessages = {
  missingAuth: 'Missing Authentication Token',
  unrecognizedClient: 'The security token included in the request is invalid.',
  badSignature:
    'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
} as const;
