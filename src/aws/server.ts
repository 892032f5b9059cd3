// The awsJson1_1 front end shared by the control plane and KMS: one node:http server, one request
// pipeline. read body (1 MiB cap) → route X-Amz-Target → authenticate (SigV4) → decode JSON →
// authorise (`<actionPrefix>:<Operation>` on the operation's resources by IAM, then the service's
// optional `authorize` hook, which may refine that decision with resource policies) → handler → encode →
// record one CloudTrail-shaped event → reply. Every throw becomes `{__type, message}` here and
// nowhere else. Never logs or records a field an operation marks secret, nor any credential.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { AwsError, ProtocolErrors, ProtocolMessages } from './errors.js';
import { checkEnvelope, parseAuthorization, verifySignature, type ParsedAuthorization, type ReceivedRequest } from './sigv4.js';
import { HIDDEN, eventTime, redact, userIdentityOf, type ApiCallEvent, type ApiCallUserIdentity, type ApiEventSink } from './cloudtrail.js';

export { AwsError } from './errors.js';

export interface AwsIdentity {
  type: 'Root' | 'IAMUser';
  accountId: string;
  arn: string;
  /** The IAM user name; for Root, the account's name (CloudTrail shows the account alias there). */
  userName: string;
  principalId: string;
  accessKeyId: string;
}

export interface AwsCallContext {
  requestId: string;
  /** The region of the SigV4 credential scope. */
  region: string;
  identity: AwsIdentity;
  sourceIp: string;
  userAgent: string;
  now: Date;
}

export interface AwsOperationSpec<I = any, O = any> {
  /**
   * Does the work. `input` is the decoded JSON body as sent (blobs are base64 strings, timestamps
   * epoch seconds). The result is JSON-encoded with Date → epoch seconds and Uint8Array → base64.
   */
  handler: (ctx: AwsCallContext, input: I) => Promise<O>;
  /** IAM resource ARN(s) this call acts on, for policy evaluation; default '*'. */
  resources?: (ctx: AwsCallContext, input: I) => string[] | Promise<string[]>;
  readOnly: boolean;
  /** Request (and response) field names whose values must never be logged (e.g. Plaintext, PreCoPassword). */
  secretFields?: string[];
  /** Field names left out of the event record altogether (large blobs such as CiphertextBlob). */
  omitFields?: string[];
}

export interface AwsService {
  targetPrefix: string; // 'BaldrApiService' | 'TrentService'
  signingName: string; // 'cloudhsm' | 'kms'
  actionPrefix: string; // IAM action namespace: 'cloudhsm' | 'kms'
  eventSource: string; // 'cloudhsmv2.amazonaws.com' | 'kms.amazonaws.com'
  operations: Record<string, AwsOperationSpec>;
  /** Error type for unknown operations / bad JSON / access denied in this service's vocabulary. */
  errors: { invalidRequest: string; accessDenied: string; internal: string };
  /**
   * Refines IAM's decision (resource policies, grants). Runs after IAM and before the handler,
   * whether IAM allowed or not; what it returns is enforced. Without it IAM's decision stands.
   * It may throw an AwsError (e.g. a malformed token), answered like a handler's.
   */
  authorize?: (request: AwsAuthorizeRequest) => AwsAuthorization | Promise<AwsAuthorization>;
}

/** Which kind of policy a denial is blamed on (AWS's message names it). */
export type AwsPolicyType = 'identity-based' | 'resource-based';

export type AwsAuthorization =
  | { allowed: true }
  | { allowed: false; explicitDeny: boolean; resource: string; /** Default: the call's action. */ action?: string; /** Default: identity-based. */ policyType?: AwsPolicyType };

export interface AwsAuthorizeRequest {
  ctx: AwsCallContext;
  operation: string;
  /** `<actionPrefix>:<Operation>`. */
  action: string;
  /** The decoded request body. */
  input: Record<string, unknown>;
  /** The operation's resources (['*'] when it names none). */
  resources: string[];
  /** IAM's decision for `action` on `resources`. */
  iam: AwsAuthorization;
  /** IAM's decision for the same caller on another action or resources. */
  iamFor(action: string, resources: string[]): AwsAuthorization;
}

/** What the server needs from IAM (control-plane/iam's IamStore implements it). */
export interface AwsAuthority {
  /** The secret and identity behind an active access key, or undefined for unknown or inactive keys. */
  resolveAccessKey(accessKeyId: string): { secretAccessKey: string; identity: AwsIdentity } | undefined;
  /** Policy decision for `action` (e.g. 'cloudhsm:CreateCluster') on every one of `resources`. */
  authorize(identity: AwsIdentity, action: string, resources: string[]): AwsAuthorization;
}

export interface AwsServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface AwsServerOptions {
  host: string;
  port: number;
  services: AwsService[];
  /** control-plane/iam IamStore. */
  iam: AwsAuthority;
  /** control-plane/events EventLog. */
  events: ApiEventSink;
  clock?: () => Date;
  /** Where internal faults are reported (never secrets); default stderr. */
  log?: (line: string) => void;
  maxBodyBytes?: number;
  /**
   * Plain HTTP routes beside the AWS API (which is POST /): path prefix → handler, such as
   * '/metrics' or '/console'. A route owns its whole exchange, authentication included: the AWS
   * pipeline (SigV4, IAM, the event history) does not run for it.
   */
  routes?: Record<string, HttpRoute>;
  /**
   * Told of every API call once its reply is settled (for metrics); a throw is logged and ignored.
   * Runs beside the event history, for calls no event records too (an unknown X-Amz-Target).
   */
  onCall?: (call: AwsCallRecord) => void;
}

/** One API call as AwsServerOptions.onCall sees it. */
export interface AwsCallRecord {
  /** The service the X-Amz-Target named, or undefined when it named none. */
  service: AwsService | undefined;
  /** The operation, or undefined when the service has none of that name (so a caller cannot mint names). */
  operation: string | undefined;
  /** The reply's __type, or '' when the call succeeded. */
  errorType: string;
  /** From the request's arrival to the reply being ready (the event recorded). */
  seconds: number;
}

/** A plain HTTP handler served next to the AWS API (see AwsServerOptions.routes). */
export type HttpRoute = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export const MAX_BODY_BYTES = 1024 * 1024;
const CONTENT_TYPE = 'application/x-amz-json-1.1';

/**
 * awsJson1_1 values: Date → epoch seconds, bytes → base64, recursively; everything else as
 * JSON.stringify would see it. Done before stringify rather than in a replacer, because stringify
 * calls Buffer's toJSON (an array of every byte as a number) before a replacer sees the value.
 */
function toAwsJson(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(toAwsJson);
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value)) out[k] = toAwsJson((value as Record<string, unknown>)[k]);
  return out;
}

export function encodeAwsJson(value: unknown): string {
  return JSON.stringify(toAwsJson(value ?? {}));
}

/**
 * What the event records of a reply: redact(JSON.parse(payload)). For a plain-object result the
 * top-level fields that are omitted or secret are set aside before encoding, so a large blob
 * (a CiphertextBlob, a Plaintext) is neither encoded nor parsed again; the record is the same.
 */
function responseElements(output: unknown, payload: string, secret: ReadonlySet<string>, omit: ReadonlySet<string>): unknown {
  if (typeof output !== 'object' || output === null || Array.isArray(output) || ArrayBuffer.isView(output) || output instanceof Date || Object.getPrototypeOf(output) !== Object.prototype) {
    return redact(JSON.parse(payload), secret, omit);
  }
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(output)) {
    if (omit.has(k)) continue;
    rest[k] = secret.has(k) && v !== undefined ? HIDDEN : v;
  }
  return redact(JSON.parse(encodeAwsJson(rest)), secret, omit);
}

/** A request body over the limit of readBody (whose rest is never read: close the connection). */
export class BodyTooLarge extends Error {}

/** A request body of at most `max` bytes (declared or sent); BodyTooLarge beyond that. */
export function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > max) return reject(new BodyTooLarge());
    const chunks: Buffer[] = [];
    let total = 0;
    req.on('data', (c: Buffer) => {
      total += c.length;
      if (total > max) {
        req.removeAllListeners('data');
        req.pause();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(c);
    });
    req.once('end', () => resolve(Buffer.concat(chunks, total)));
    req.once('error', reject);
  });
}

function receivedRequest(req: IncomingMessage, body: Buffer): ReceivedRequest {
  const url = new URL(req.url ?? '/', 'http://x');
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
  return { method: req.method ?? 'POST', path: url.pathname, query, headers, body };
}

function toUserIdentity(identity: AwsIdentity | undefined, auth: ParsedAuthorization | undefined): ApiCallUserIdentity {
  if (identity) return userIdentityOf(identity);
  return auth ? { type: 'Unknown', accessKeyId: auth.accessKeyId } : { type: 'Unknown' };
}

/** The caller's address as CloudTrail shows it (an IPv4-mapped IPv6 address as plain IPv4). */
export function sourceIpOf(req: IncomingMessage): string {
  return (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
}

export function accessDeniedMessage(identity: AwsIdentity, action: string, resource: string, explicitDeny: boolean, policyType: AwsPolicyType = 'identity-based'): string {
  const why = explicitDeny ? `with an explicit deny in ${policyType === 'identity-based' ? 'an' : 'a'} ${policyType} policy` : `because no ${policyType} policy allows the ${action} action`;
  return `User: ${identity.arn} is not authorized to perform: ${action} on resource: ${resource} ${why}`;
}

export function startAwsServer(opts: AwsServerOptions): Promise<AwsServer> {
  const clock = opts.clock ?? (() => new Date());
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const maxBody = opts.maxBodyBytes ?? MAX_BODY_BYTES;
  const byPrefix = new Map(opts.services.map((s) => [s.targetPrefix, s]));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const requestId = randomUUID();
    const now = clock();
    let service: AwsService | undefined;
    let operation = '';
    let spec: AwsOperationSpec | undefined;
    let auth: ParsedAuthorization | undefined;
    let identity: AwsIdentity | undefined;
    let input: unknown = null;
    let output: unknown;
    let status = 200;
    let error: { type: string; message: string } | undefined;
    let closeAfter = false;
    const sourceIp = sourceIpOf(req);
    const userAgent = String(req.headers['user-agent'] ?? '');

    try {
      const target = String(req.headers['x-amz-target'] ?? '');
      const dot = target.lastIndexOf('.');
      service = dot > 0 ? byPrefix.get(target.slice(0, dot)) : undefined;
      operation = dot > 0 ? target.slice(dot + 1) : target;
      let body: Buffer;
      try {
        body = await readBody(req, maxBody);
      } catch (e) {
        if (e instanceof BodyTooLarge) {
          closeAfter = true;
          throw new AwsError(service?.errors.invalidRequest ?? ProtocolErrors.serialization, `Request body exceeds the limit of ${maxBody} bytes.`, 413);
        }
        throw e;
      }
      if (req.method !== 'POST') throw new AwsError(ProtocolErrors.unknownOperation, `Only POST is supported (got ${req.method}).`);
      if (!service || !Object.hasOwn(service.operations, operation)) {
        throw new AwsError(ProtocolErrors.unknownOperation, target ? `Unknown operation ${target}.` : 'Missing X-Amz-Target header.');
      }
      spec = service.operations[operation]!;

      // Authenticate.
      const authorization = req.headers['authorization'];
      if (!authorization) throw new AwsError(ProtocolErrors.missingAuth, ProtocolMessages.missingAuth);
      auth = parseAuthorization(authorization);
      const received = receivedRequest(req, body);
      const date = checkEnvelope(received, auth, service.signingName, now);
      const key = opts.iam.resolveAccessKey(auth.accessKeyId);
      if (!key) throw new AwsError(ProtocolErrors.unrecognizedClient, ProtocolMessages.unrecognizedClient);
      await verifySignature(received, auth, key.secretAccessKey, date);
      identity = key.identity;

      // Decode.
      const text = body.toString('utf8').trim();
      try {
        input = text === '' ? {} : JSON.parse(text);
      } catch {
        throw new AwsError(service.errors.invalidRequest, 'The request body is not valid JSON.');
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        throw new AwsError(service.errors.invalidRequest, 'The request body must be a JSON object.');
      }

      // Authorise.
      const ctx: AwsCallContext = { requestId, region: auth.region, identity, sourceIp, userAgent, now };
      const listed = spec.resources ? await spec.resources(ctx, input) : ['*'];
      const resources = listed.length ? listed : ['*'];
      const action = `${service.actionPrefix}:${operation}`;
      const who = identity;
      let decision = opts.iam.authorize(who, action, resources);
      if (service.authorize) {
        decision = await service.authorize({
          ctx, operation, action, input: input as Record<string, unknown>, resources, iam: decision,
          iamFor: (a, r) => opts.iam.authorize(who, a, r.length ? r : ['*']),
        });
      }
      if (!decision.allowed) {
        const denied = decision.action ?? action;
        throw new AwsError(service.errors.accessDenied, accessDeniedMessage(identity, denied, decision.resource, decision.explicitDeny, decision.policyType));
      }

      output = (await spec.handler(ctx, input)) ?? {};
    } catch (e) {
      if (e instanceof AwsError) {
        status = e.status;
        error = { type: e.type, message: e.message };
      } else {
        status = 500;
        error = { type: service?.errors.internal ?? 'InternalFailure', message: `An internal error occurred (request ${requestId}).` };
        log(`aws: ${service?.targetPrefix ?? '?'}.${operation} request ${requestId} failed: ${(e as Error)?.stack ?? String(e)}`);
      }
    }

    let payload = error ? JSON.stringify({ __type: error.type, message: error.message }) : encodeAwsJson(output);

    if (service && (spec || error)) {
      const secret = new Set(spec?.secretFields ?? []);
      const omit = new Set(spec?.omitFields ?? []);
      const event: ApiCallEvent = {
        eventVersion: '1.08',
        eventTime: eventTime(now),
        eventSource: service.eventSource,
        eventName: operation || '(none)',
        awsRegion: auth?.region ?? '',
        sourceIPAddress: sourceIp,
        userAgent,
        userIdentity: toUserIdentity(identity, auth),
        requestParameters: input === null ? null : redact(input, secret, omit),
        responseElements: error || spec?.readOnly ? null : responseElements(output, payload, secret, omit),
        ...(error ? { errorCode: error.type, errorMessage: error.message } : {}),
        requestID: requestId,
        eventID: randomUUID(),
        readOnly: spec?.readOnly ?? false,
        eventType: 'AwsApiCall',
        managementEvent: true,
        eventCategory: 'Management',
        ...(identity ? { recipientAccountId: identity.accountId } : {}),
        httpStatus: status,
      };
      try {
        if (opts.events.record) await opts.events.record(event);
        else opts.events.append(event);
      } catch (e) {
        log(`aws: could not record the event of request ${requestId}: ${(e as Error).message}`);
        status = 500;
        error = { type: service.errors.internal, message: `The call could not be recorded in the event history (request ${requestId}).` };
        payload = JSON.stringify({ __type: error.type, message: error.message });
      }
    }

    if (opts.onCall) {
      try {
        opts.onCall({ service, operation: spec ? operation : undefined, errorType: error?.type ?? '', seconds: (performance.now() - started) / 1000 });
      } catch (e) {
        log(`aws: the call hook failed for request ${requestId}: ${(e as Error).message}`);
      }
    }

    res.writeHead(status, {
      'Content-Type': CONTENT_TYPE,
      'Content-Length': Buffer.byteLength(payload),
      'x-amzn-RequestId': requestId,
      ...(closeAfter ? { Connection: 'close' } : {}),
    });
    res.end(payload, () => {
      if (closeAfter) req.socket.destroy();
    });
  }

  const routes = Object.entries(opts.routes ?? {}).sort(([a], [b]) => b.length - a.length);
  /** The route whose prefix is the path or a parent of it (the longest); '/' is always the AWS API. */
  const routeFor = (url: string | undefined): HttpRoute | undefined => {
    if (routes.length === 0) return undefined;
    const path = (url ?? '/').split('?')[0]!;
    if (path === '/') return undefined;
    return routes.find(([prefix]) => path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : prefix + '/'))?.[1];
  };

  const server = createServer((req, res) => {
    (routeFor(req.url) ?? handle)(req, res).catch((e: unknown) => {
      log(`aws: reply failed: ${(e as Error)?.message}`);
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 70_000;

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      const port = (server.address() as AddressInfo).port;
      const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
      resolve({
        url: `http://${host}:${port}`,
        port,
        close: () =>
          new Promise<void>((res) => {
            server.close(() => res());
            server.closeAllConnections();
          }),
      });
    });
  });
}
