// The CloudTrail-shaped record the AWS front ends emit for every call (read-only, denied and
// failed ones too), the sink interface they emit it to, and the redaction of secret fields.
// Must never let a field marked secret through: redaction runs on every record, at any depth.

export const HIDDEN = 'HIDDEN_DUE_TO_SECURITY_REASONS';

export interface ApiCallUserIdentity {
  type: 'Root' | 'IAMUser' | 'Unknown';
  principalId?: string;
  arn?: string;
  accountId?: string;
  accessKeyId?: string;
  userName?: string;
}

/** The userIdentity of a known caller (its access key id, never its secret). */
export function userIdentityOf(identity: Required<Omit<ApiCallUserIdentity, 'type'>> & { type: 'Root' | 'IAMUser' }): ApiCallUserIdentity {
  const { type, principalId, arn, accountId, accessKeyId, userName } = identity;
  return { type, principalId, arn, accountId, accessKeyId, userName };
}

/** CloudTrail's eventTime: ISO 8601 to the second. */
export function eventTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** One CloudTrail record (eventVersion 1.08 fields that make sense for Strongroom). */
export interface ApiCallEvent {
  eventVersion: string;
  eventTime: string;
  eventSource: string;
  eventName: string;
  awsRegion: string;
  sourceIPAddress: string;
  userAgent: string;
  userIdentity: ApiCallUserIdentity;
  requestParameters: unknown;
  responseElements: unknown;
  /** What CloudTrail adds to some events (ConsoleLogin: LoginTo, MFAUsed). */
  additionalEventData?: Record<string, unknown>;
  errorCode?: string;
  errorMessage?: string;
  requestID: string;
  eventID: string;
  readOnly: boolean;
  /** AwsConsoleSignIn: a sign-in to the web console (eventSource signin.amazonaws.com, ConsoleLogin). */
  eventType: 'AwsApiCall' | 'AwsServiceEvent' | 'AwsConsoleSignIn';
  managementEvent: boolean;
  eventCategory: 'Management';
  recipientAccountId?: string;
  /** HTTP status of the reply (not a CloudTrail field; handy when reading the log). */
  httpStatus?: number;
}

/** Where the front ends write events (control-plane/events/EventLog implements it). */
export interface ApiEventSink {
  /** Appends one record; throwing makes the call fail with an internal error. */
  append(event: ApiCallEvent): void;
  /**
   * Optional group commit: resolves once the record is written (with the others recorded in the
   * same turn of the event loop, in one write); rejecting makes the call fail like append's throw.
   * The front ends reply only after it resolves, so no acknowledged call lacks its record.
   */
  record?(event: ApiCallEvent): Promise<void>;
}

/**
 * Deep copy of `value` with every property named in `secret` replaced by HIDDEN and every
 * property named in `omit` removed. Dates become ISO strings, byte arrays a length note.
 */
export function redact(value: unknown, secret: ReadonlySet<string>, omit: ReadonlySet<string> = new Set(), depth = 0): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (depth > 32) return '[too deep]';
  if (value instanceof Date) return value.toISOString();
  if (ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  if (Array.isArray(value)) return value.map((v) => redact(v, secret, omit, depth + 1));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (omit.has(k)) continue;
      out[k] = secret.has(k) ? HIDDEN : redact(v, secret, omit, depth + 1);
    }
    return out;
  }
  return value;
}
