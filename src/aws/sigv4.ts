// SigV4 verification for the AWS front ends: parse the Authorization header, then re-sign the
// request exactly as received (method, path, query, the SignedHeaders only, body) with the AWS
// SDK's own signer (@smithy/signature-v4) at the request's X-Amz-Date, and compare in constant
// time. There is no hand-written canonicalisation here. Never logs or returns the secret.

import { createHash, createHmac, timingSafeEqual, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { AwsError, ProtocolErrors, ProtocolMessages } from './errors.js';

/** How far X-Amz-Date may be from the server's clock (AWS: 15 minutes). */
export const MAX_SKEW_MS = 15 * 60 * 1000;

export interface ParsedAuthorization {
  accessKeyId: string;
  /** yyyymmdd of the credential scope. */
  scopeDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

/** The request as it reached us; header names lower-case, values as Node joined them. */
export interface ReceivedRequest {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  body: Buffer;
}

type SourceData = string | ArrayBuffer | ArrayBufferView;

function bytes(d: SourceData): Buffer {
  if (typeof d === 'string') return Buffer.from(d, 'utf8');
  if (ArrayBuffer.isView(d)) return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  return Buffer.from(d);
}

/** SHA-256 / HMAC-SHA-256 on node:crypto, in the shape the SDK signer takes (a Checksum constructor). */
export class NodeSha256 {
  private h: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.h = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(this.secret));
  }
  update(data: SourceData): void {
    this.h.update(bytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.h.digest()));
  }
  reset(): void {
    this.h = this.fresh();
  }
}

const incomplete = (msg: string) => new AwsError(ProtocolErrors.incompleteSignature, msg);

/** Parses `AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, SignedHeaders=a;b, Signature=hex`. */
export function parseAuthorization(header: string): ParsedAuthorization {
  const m = /^AWS4-HMAC-SHA256\s+(.*)$/s.exec(header.trim());
  if (!m) throw incomplete(`Authorization header requires the AWS4-HMAC-SHA256 algorithm.`);
  const parts = new Map<string, string>();
  for (const piece of m[1]!.split(',')) {
    const eq = piece.indexOf('=');
    if (eq < 0) continue;
    parts.set(piece.slice(0, eq).trim(), piece.slice(eq + 1).trim());
  }
  const credential = parts.get('Credential');
  const signedHeaders = parts.get('SignedHeaders');
  const signature = parts.get('Signature');
  const missing = [!credential && 'Credential', !signedHeaders && 'SignedHeaders', !signature && 'Signature'].filter(Boolean);
  if (missing.length) throw incomplete(`Authorization header requires '${missing.join("', '")}' parameter(s).`);
  const scope = credential!.split('/');
  if (scope.length !== 5 || scope[4] !== 'aws4_request' || !/^\d{8}$/.test(scope[1]!) || !scope[0] || !scope[2] || !scope[3]) {
    throw incomplete(`Credential should be scoped to a valid region, service and date: '${credential}'.`);
  }
  if (!/^[0-9a-f]{64}$/.test(signature!)) throw incomplete('Signature must be 64 lower-case hex characters.');
  const headers = signedHeaders!.split(';');
  if (headers.some((h) => !/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(h))) throw incomplete('SignedHeaders must be lower-case header names separated by semicolons.');
  return { accessKeyId: scope[0], scopeDate: scope[1]!, region: scope[2], service: scope[3], signedHeaders: headers, signature: signature! };
}

/** `20240102T030405Z` → Date, or undefined. */
export function parseAmzDate(s: string | undefined): Date | undefined {
  const m = s ? /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s) : null;
  if (!m) return undefined;
  const d = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

function amz(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/**
 * Checks what can be checked without the secret: X-Amz-Date present and signed, matching the
 * scope date, within 15 minutes of `now`; the service in the scope; host signed.
 * Returns the request date.
 */
export function checkEnvelope(req: ReceivedRequest, auth: ParsedAuthorization, signingName: string, now: Date): Date {
  if (auth.service !== signingName) {
    throw new AwsError(ProtocolErrors.invalidSignature, `Credential should be scoped to correct service: '${signingName}'.`);
  }
  const raw = req.headers['x-amz-date'];
  const date = parseAmzDate(raw);
  if (!date) throw incomplete(`Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header in the form yyyyMMddTHHmmssZ.`);
  if (!auth.signedHeaders.includes('x-amz-date') || !auth.signedHeaders.includes('host')) {
    throw incomplete(`SignedHeaders must include 'host' and 'x-amz-date'.`);
  }
  for (const h of auth.signedHeaders) if (req.headers[h] === undefined) throw incomplete(`Signed header '${h}' is not in the request.`);
  if (raw!.slice(0, 8) !== auth.scopeDate) {
    throw new AwsError(ProtocolErrors.invalidSignature, `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.scopeDate}' != '${raw!.slice(0, 8)}', from '${raw}'.`);
  }
  const skew = date.getTime() - now.getTime();
  if (skew < -MAX_SKEW_MS) {
    throw new AwsError(ProtocolErrors.invalidSignature, `Signature expired: ${raw} is now earlier than ${amz(new Date(now.getTime() - MAX_SKEW_MS))} (${amz(now)} - 15 min.)`);
  }
  if (skew > MAX_SKEW_MS) {
    throw new AwsError(ProtocolErrors.invalidSignature, `Signature not yet current: ${raw} is still later than ${amz(new Date(now.getTime() + MAX_SKEW_MS))} (${amz(now)} + 15 min.)`);
  }
  return date;
}

/**
 * Signers by credential and scope, reused across requests (the SDK signer is stateless per
 * request and keeps its own cache of derived signing keys).
 */
const signers = new Map<string, { secret: string; signer: SignatureV4 }>();

function signerFor(auth: ParsedAuthorization, secretAccessKey: string): SignatureV4 {
  const key = `${auth.accessKeyId}\n${auth.region}\n${auth.service}`;
  const hit = signers.get(key);
  if (hit && hit.secret === secretAccessKey) return hit.signer;
  const signer = new SignatureV4({
    service: auth.service,
    region: auth.region,
    credentials: { accessKeyId: auth.accessKeyId, secretAccessKey },
    sha256: NodeSha256,
    applyChecksum: false,
    uriEscapePath: true,
  });
  if (signers.size >= 1_000) signers.clear();
  signers.set(key, { secret: secretAccessKey, signer });
  return signer;
}

/**
 * Re-signs the received request with `secret` using the SDK signer and compares signatures in
 * constant time. Throws InvalidSignatureException on any mismatch.
 */
export async function verifySignature(req: ReceivedRequest, auth: ParsedAuthorization, secretAccessKey: string, date: Date): Promise<void> {
  const declared = req.headers['x-amz-content-sha256'];
  if (declared !== undefined && declared !== createHash('sha256').update(req.body).digest('hex')) {
    throw new AwsError(ProtocolErrors.invalidSignature, `The provided 'x-amz-content-sha256' header does not match what was computed.`);
  }
  const headers: Record<string, string> = {};
  for (const h of auth.signedHeaders) headers[h] = req.headers[h]!;
  const signer = signerFor(auth, secretAccessKey);
  const host = headers['host'] ?? '';
  const signed = await signer.sign(
    { method: req.method, protocol: 'http:', hostname: host, path: req.path, query: req.query, headers, body: req.body },
    { signingDate: date, signableHeaders: new Set(auth.signedHeaders) },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers['authorization'] ?? ''))?.[1];
  const got = Buffer.from(auth.signature, 'utf8');
  const want = Buffer.from(expected ?? '', 'utf8');
  const sameList = /SignedHeaders=([^,]+)/.exec(String(signed.headers['authorization'] ?? ''))?.[1] === auth.signedHeaders.join(';');
  if (!expected || want.length !== got.length || !timingSafeEqual(want, got) || !sameList) {
    throw new AwsError(ProtocolErrors.invalidSignature, ProtocolMessages.badSignature);
  }
}
