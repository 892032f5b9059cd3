// The web console, served by the control plane under /console on its API endpoint (an HttpRoute
// of the AWS server): the static page, sign-in with an IAM access key pair, and a JSON API under
// /console/api/ read as the signed-in identity (overview.ts).
//
// Sign-in checks the pair against IAM in constant time, throttles failures per source IP, records
// a CloudTrail-shaped ConsoleLogin event (signin.amazonaws.com) for success and failure, and sets a
// random session id in an HttpOnly, SameSite=Strict cookie scoped to /console. Every POST must carry
// the X-Strongroom-Console header the page's fetch adds (and, when the browser sends Origin, a
// same-host Origin): defence in depth against cross-site requests. Every reply carries CSP
// default-src 'self', nosniff and X-Frame-Options DENY; API replies are not cached.
// Must never write a secret access key to a log, an event, a page or a reply.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { BodyTooLarge, readBody, sourceIpOf, type AwsAuthority, type AwsIdentity, type AwsService, type HttpRoute } from '../../aws/server.js';
import { HIDDEN, eventTime, userIdentityOf, type ApiCallEvent, type ApiCallUserIdentity, type ApiEventSink } from '../../aws/cloudtrail.js';
import { SessionTable, SignInThrottle, MAX_AGE_MS, secretMatches } from './sessions.js';
import { loadAssets, type StaticAsset } from './static.js';
import { overviewFor } from './overview.js';

export const CONSOLE_PATH = '/console';
export const SESSION_COOKIE = 'strongroom_console';
/** The header the page's fetch adds to every POST (a cross-site form or a simple request cannot). */
export const CSRF_HEADER = 'x-strongroom-console';
const SIGNIN_FAILED = 'Sign-in failed: the access key ID or the secret access key is not valid.';
const MAX_BODY = 8 * 1024;

const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export interface ConsoleOptions {
  iam: AwsAuthority;
  events: ApiEventSink;
  /** The cloudhsmv2 service: the console reads through its DescribeClusters and DescribeBackups. */
  service: AwsService;
  region: string;
  alive: (hsmId: string) => boolean;
  healthIntervalMs: number;
  clock?: () => Date;
  log?: (line: string) => void;
  /** The static folder (default: static.ts's staticDir()). */
  staticDir?: string;
}

export interface WebConsole {
  route: HttpRoute;
  /** Live sessions (tests). */
  readonly sessionCount: number;
}

function cookieOf(req: IncomingMessage, name: string): string | undefined {
  for (const part of String(req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The host[:port] of an Origin header; undefined for "null" or anything unparsable. */
function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host || undefined;
  } catch {
    return undefined;
  }
}

class HttpFailure extends Error {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let body: Buffer;
  try {
    body = await readBody(req, MAX_BODY);
  } catch (e) {
    if (e instanceof BodyTooLarge) throw new HttpFailure(413, 'The request body is too large.', { Connection: 'close' });
    throw e;
  }
  const text = body.toString('utf8').trim();
  if (text === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    v = undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new HttpFailure(400, 'The request body must be a JSON object.');
  return v as Record<string, unknown>;
}

export function createWebConsole(opts: ConsoleOptions): WebConsole {
  const clock = opts.clock ?? (() => new Date());
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const now = () => clock().getTime();
  const sessions = new SessionTable(now);
  const throttle = new SignInThrottle(now);
  const assets: Map<string, StaticAsset> = loadAssets(opts.staticDir);

  function send(res: ServerResponse, status: number, body: string | Buffer, headers: Record<string, string | number>): void {
    const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Length': buf.length, ...headers });
    res.end(res.req.method === 'HEAD' ? undefined : buf);
  }
  function json(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
    send(res, status, JSON.stringify(value), { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  }

  /** One ConsoleLogin record, as CloudTrail writes it (without the secret, ever). */
  async function recordSignIn(req: IncomingMessage, who: ApiCallUserIdentity, ok: boolean, status: number, why?: string): Promise<void> {
    const t = clock();
    const event: ApiCallEvent = {
      eventVersion: '1.08',
      eventTime: eventTime(t),
      eventSource: 'signin.amazonaws.com',
      eventName: 'ConsoleLogin',
      awsRegion: opts.region,
      sourceIPAddress: sourceIpOf(req),
      userAgent: String(req.headers['user-agent'] ?? '').slice(0, 512),
      userIdentity: who,
      requestParameters: null,
      responseElements: { ConsoleLogin: ok ? 'Success' : 'Failure' },
      additionalEventData: { LoginTo: `${CONSOLE_PATH}/`, MobileVersion: 'No', MFAUsed: 'No' },
      ...(ok ? {} : { errorMessage: why ?? 'Failed authentication' }),
      requestID: randomUUID(),
      eventID: randomUUID(),
      readOnly: false,
      eventType: 'AwsConsoleSignIn',
      managementEvent: true,
      eventCategory: 'Management',
      ...(who.accountId ? { recipientAccountId: who.accountId } : {}),
      httpStatus: status,
    };
    if (opts.events.record) await opts.events.record(event);
    else opts.events.append(event);
  }

  async function signIn(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const ip = sourceIpOf(req);
    const wait = throttle.retryAfter(ip);
    if (wait > 0) {
      await recordSignIn(req, { type: 'Unknown' }, false, 429, 'Too many failed sign-ins from this address');
      throw new HttpFailure(429, `Too many failed sign-ins from this address: try again in ${wait} s.`, { 'Retry-After': String(wait) });
    }
    const body = await readJson(req);
    const id = body['accessKeyId'];
    const secret = body['secretAccessKey'];
    if (typeof id !== 'string' || typeof secret !== 'string' || id.length > 128 || secret.length > 256) {
      throw new HttpFailure(400, 'Give accessKeyId and secretAccessKey as strings.');
    }
    // Neither half has whitespace in it: a pasted pair keeps working with a stray space or newline.
    const key = opts.iam.resolveAccessKey(id.trim());
    if (!secretMatches(key?.secretAccessKey, secret.trim())) {
      throttle.fail(ip);
      // A key id that is not in IAM is not echoed unless it has a key id's shape: people paste a
      // secret into the wrong field, and it must not land in the event history.
      const who: ApiCallUserIdentity = key
        ? userIdentityOf(key.identity)
        : { type: 'Unknown', accessKeyId: /^AKIA[A-Z2-7]{16}$/.test(id.trim()) ? id.trim() : HIDDEN };
      await recordSignIn(req, who, false, 401);
      throw new HttpFailure(401, SIGNIN_FAILED);
    }
    const sid = sessions.create(key!.identity);
    try {
      await recordSignIn(req, userIdentityOf(key!.identity), true, 200);
    } catch (e) {
      sessions.delete(sid);
      throw e;
    }
    const secure = (req.socket as TLSSocket).encrypted === true ? '; Secure' : '';
    const cookie = `${SESSION_COOKIE}=${sid}; HttpOnly; SameSite=Strict; Path=${CONSOLE_PATH}; Max-Age=${MAX_AGE_MS / 1000}${secure}`;
    const { type, arn, accountId, userName, accessKeyId } = key!.identity;
    json(res, 200, { identity: { type, arn, accountId, userName, accessKeyId } }, { 'Set-Cookie': cookie });
  }

  /** The signed-in identity, re-resolved through IAM (a key made inactive or deleted ends the session). */
  function signedIn(req: IncomingMessage): { sid: string; identity: AwsIdentity } {
    const sid = cookieOf(req, SESSION_COOKIE);
    const s = sessions.get(sid);
    if (!s || sid === undefined) throw new HttpFailure(401, 'Not signed in.');
    const key = opts.iam.resolveAccessKey(s.identity.accessKeyId);
    if (!key) {
      sessions.delete(sid);
      throw new HttpFailure(401, 'Not signed in (the access key is no longer active).');
    }
    return { sid, identity: key.identity };
  }

  /** POSTs must come from the page: the custom header, and a same-host Origin when one is sent. */
  function checkPost(req: IncomingMessage): void {
    if (req.headers[CSRF_HEADER] !== '1') throw new HttpFailure(403, `A console request must carry the ${CSRF_HEADER} header.`);
    const origin = req.headers.origin;
    if (origin !== undefined && hostOf(origin) !== req.headers.host) throw new HttpFailure(403, 'Cross-origin console requests are refused.');
  }

  async function api(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const method = req.method ?? 'GET';
    const route = `${method === 'HEAD' ? 'GET' : method} ${path}`;
    switch (route) {
      case 'POST signin':
        checkPost(req);
        return signIn(req, res);
      case 'POST signout': {
        checkPost(req);
        sessions.delete(cookieOf(req, SESSION_COOKIE));
        return json(res, 200, { signedOut: true }, { 'Set-Cookie': `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=${CONSOLE_PATH}; Max-Age=0` });
      }
      case 'GET overview': {
        const { identity } = signedIn(req);
        const o = await overviewFor(opts, identity, { sourceIp: sourceIpOf(req), userAgent: String(req.headers['user-agent'] ?? '') });
        return json(res, 200, o);
      }
      default:
        if (['signin', 'signout', 'overview'].includes(path)) throw new HttpFailure(405, `${method} is not allowed here.`);
        throw new HttpFailure(404, 'No such console API.');
    }
  }

  const route: HttpRoute = async (req, res) => {
    // The raw path, not URL-normalised: only the exact asset names and API paths are served.
    const path = (req.url ?? '/').split('?')[0]!;
    try {
      if (path === CONSOLE_PATH) {
        return send(res, 308, '', { Location: `${CONSOLE_PATH}/` });
      }
      const sub = path.slice(CONSOLE_PATH.length + 1);
      if (sub.startsWith('api/')) return await api(req, res, sub.slice(4));
      const asset = assets.get(sub);
      if (!asset) throw new HttpFailure(404, 'Not found.');
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpFailure(405, `${req.method} is not allowed here.`);
      return send(res, 200, asset.body, { 'Content-Type': asset.contentType, 'Cache-Control': 'no-cache' });
    } catch (e) {
      if (e instanceof HttpFailure) return json(res, e.status, { message: e.message }, e.headers);
      log(`console: ${req.method} ${path} failed: ${(e as Error)?.stack ?? String(e)}`);
      return json(res, 500, { message: 'An internal error occurred.' });
    }
  };

  return {
    route,
    get sessionCount() {
      return sessions.size;
    },
  };
}
