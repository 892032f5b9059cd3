// Bad input against a real node: 10,000 malformed or invalid frames from an unauthenticated
// connection and 10,000 from a logged-in crypto user, over raw mutual-TLS sockets.
// Proves: every well-formed-but-invalid request gets exactly one error reply with the CKR_* code
// the pipeline promises (predicted here from the same schemas the node validates against), and
// never an internal failure; broken framing (oversized declared length, truncation, garbage)
// gets an error reply and/or a closed connection; the HSM process stays up, its memory stays
// bounded, its users, keys and audit trail are unchanged, and a fresh connection works after.
// The generator is seeded: set FUZZ_SEED to replay a run (the seed is in every failure message).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import tls from 'node:tls';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { StrongroomClient, loadClientConfig, type ClientConfig } from '../../src/client/client.js';
import { encodeFrame, FrameDecoder, DEFAULT_MAX_FRAME, type ReplyFrame } from '../../src/protocol/frames.js';
import { isCkrName, type CkrName } from '../../src/protocol/errors.js';
import { ops, type OpName } from '../../src/protocol/operations.js';
import { startCluster, type Cluster } from './harness.js';

const ADMIN_PW = 'admin-password-1';
const ALICE_PW = 'alice-password-1';
const PER_CONNECTION = 10_000;
/** Frames sent before waiting for their replies; well under the node's 512 in flight. */
const BATCH = 200;
/** Longest error message accepted: three schema issues of a couple of hundred characters each. */
const MAX_MESSAGE = 1024;
const SEED = Number(process.env['FUZZ_SEED'] ?? Date.now() % 2 ** 31);

// --- a seeded generator --------------------------------------------------------------------------

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rnd = mulberry32(SEED);
const int = (n: number): number => Math.floor(rnd() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
const randBytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => int(256)));
const randString = (n: number): string => Array.from({ length: n }, () => String.fromCharCode(32 + int(95))).join('');

const OP_NAMES = Object.keys(ops) as OpName[];
const NOT_OPS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '', 'KEY.LIST', 'key.list ', 'crypto', 'key.', 'user.create\u0000'];

/** Values of every JSON type, several of them wrong for any given field. */
function junkValue(depth = 0): unknown {
  switch (int(depth > 2 ? 9 : 12)) {
    case 0: return null;
    case 1: return rnd() < 0.5;
    case 2: return 1.5;
    case 3: return -int(1000);
    case 4: return 2 ** 60;
    case 5: return randString(int(40));
    case 6: return rnd() < 0.1 ? 'A'.repeat(100_000 + int(60_000)) : 'A'.repeat(17_000 + int(5_000)); // longer than most string fields allow
    case 7: return '0x' + 'f'.repeat(17 + int(10));
    case 8: return '%%%not base64%%%';
    case 9: return [junkValue(depth + 1), junkValue(depth + 1)];
    case 10: return { [randString(6)]: junkValue(depth + 1) };
    default: return {};
  }
}

/** Params that the operation's schema rejects (checked with the schema the node uses). */
function badParams(op: OpName): unknown {
  const schema = ops[op].params;
  for (let tries = 0; tries < 20; tries++) {
    let p: unknown;
    const mode = int(5);
    if (mode === 0) p = pick([7, 'params', [], [1, 2], true, false, 0]);
    else if (mode === 1) p = { [`unknown_${randString(5)}`]: junkValue() }; // every schema is strict
    else {
      const shape = (schema as unknown as { shape?: Record<string, unknown> }).shape ?? {};
      const fields = Object.keys(shape);
      const o: Record<string, unknown> = {};
      for (const f of fields) if (rnd() < 0.5) o[f] = junkValue();
      if (fields.length) o[pick(fields)] = junkValue();
      p = o;
    }
    if (!schema.safeParse(p).success) return p;
  }
  return { unknown_field: 1 };
}

function deepArray(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}
function deepObject(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

// --- what the pipeline promises (src/hsm/server/dispatch.ts, first checks) -----------------------

type Expect = { id: number; code: CkrName };

/**
 * The reply dispatch owes a frame body, decided only from the protocol: not JSON or no integer id
 * → id 0 CKR_STRONGROOM_PROTOCOL; unknown op → CKR_STRONGROOM_PROTOCOL; params failing the op's
 * schema → CKR_ARGUMENTS_BAD. Returns null when the body would pass those checks.
 */
function promised(body: Buffer): Expect | null {
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch {
    return { id: 0, code: 'CKR_STRONGROOM_PROTOCOL' };
  }
  const f = (typeof v === 'object' && v !== null ? v : {}) as { id?: unknown; op?: unknown; params?: unknown };
  if (typeof f.id !== 'number' || !Number.isSafeInteger(f.id)) return { id: 0, code: 'CKR_STRONGROOM_PROTOCOL' };
  if (typeof f.op !== 'string' || !Object.prototype.hasOwnProperty.call(ops, f.op)) return { id: f.id, code: 'CKR_STRONGROOM_PROTOCOL' };
  if (!ops[f.op as OpName].params.safeParse(f.params ?? {}).success) return { id: f.id, code: 'CKR_ARGUMENTS_BAD' };
  return null;
}

interface Case {
  kind: string;
  bytes: Buffer;
  expect: Expect;
  /** Deliver one byte per write (exercises the decoder's reassembly). */
  trickle?: boolean;
}

const body = (o: unknown): Buffer => Buffer.from(JSON.stringify(o), 'utf8');
const frameOf = (b: Buffer): Buffer => {
  const h = Buffer.alloc(4);
  h.writeUInt32BE(b.length, 0);
  return Buffer.concat([h, b]);
};

/** One in-band fuzz case: framing intact, content invalid. `nextId` hands out unique ids. */
function protocolCase(nextId: () => number, extra: ((id: number) => Case | null) | null): Case {
  for (;;) {
    const w = rnd();
    // Weights: big bodies (deep, huge) are 1% each so a run moves tens, not hundreds, of megabytes.
    const kind = w < 0.01 ? 'deep' : w < 0.02 ? 'huge' : w < 0.04 ? 'proto' : pick(['unknownOp', 'badParams', 'badParams', 'badParams', 'badId', 'nonObject', 'notJson', 'randomBody', 'extra', 'extra'] as const);
    const id = nextId();
    let b: Buffer;
    switch (kind) {
      case 'unknownOp':
        b = body({ id, op: rnd() < 0.3 ? pick(NOT_OPS) : rnd() < 0.5 ? randString(1 + int(30)) : junkValue(), params: junkValue() });
        break;
      case 'badParams': {
        const op = pick(OP_NAMES);
        b = body({ id, op, params: badParams(op) });
        break;
      }
      case 'badId': {
        const o: Record<string, unknown> = { op: pick(OP_NAMES), params: {} };
        const bad = pick(['missing', '1', 1.5, null, [], {}, 2 ** 53, 1e300, true] as const);
        if (bad !== 'missing') o['id'] = bad;
        b = body(o);
        break;
      }
      case 'nonObject':
        b = body(pick([7, 'hello', [1, 2, 3], null, true, [{ id, op: 'whoami', params: {} }]]));
        break;
      case 'notJson': {
        const good = body({ id, op: 'whoami', params: {} });
        b = pick([good.subarray(0, 1 + int(good.length - 2)), Buffer.from(''), Buffer.from('{id:1}'), Buffer.from('\u0000\u0001'), Buffer.from('{"id":1,}')]);
        break;
      }
      case 'proto':
        // Prototype-pollution shapes: own "__proto__" / "constructor" keys, as JSON.parse makes them.
        b = Buffer.from(pick([
          `{"id":${id},"op":"${pick(OP_NAMES)}","params":{"__proto__":{"role":"admin","user":{"username":"admin","role":"admin"}}}}`,
          `{"id":${id},"op":"login","params":{"username":"alice","role":"crypto-user","password":"x","__proto__":{"isAdmin":true}}}`,
          `{"id":${id},"op":"key.list","params":{"filter":{"attributes":{"__proto__":{"owner":"alice"}}}}}`,
          `{"id":${id},"op":"crypto.sign","params":{"constructor":{"prototype":{"polluted":true}}}}`,
        ]));
        break;
      case 'randomBody':
        b = randBytes(int(512));
        break;
      case 'deep':
        // 100,000 levels (≈ 200 KiB, under the cap): as the whole body, or inside params.
        b = pick([
          () => Buffer.from(deepArray(100_000)),
          () => Buffer.from(deepObject(40_000)),
          () => Buffer.from(`{"id":${id},"op":"crypto.sign","params":{"ref":${deepArray(90_000)}}}`),
          () => Buffer.from(`{"id":${id},"op":"key.list","params":{"filter":${deepObject(40_000)}}}`),
          () => Buffer.from(`{"id":${id},"op":${deepArray(90_000)},"params":{}}`),
        ])();
        break;
      case 'huge':
        b = pick([
          () => body({ id, op: 'crypto.digest', params: { mechanism: 'CKM_SHA256', data: 'A'.repeat(200_000) } }),
          () => body({ id, op: 'key.list', params: Object.fromEntries(Array.from({ length: 12_000 }, (_, i) => [`k${i}`, i])) }),
          () => body({ id, op: 'key.generateKeyPair', params: { keyType: 'ec', curve: 'secp256r1', shareWith: Array.from({ length: 30_000 }, () => 'bob') } }),
          () => body({ id, op: 'crypto.encrypt', params: { mechanism: 'CKM_AES_GCM', ref: '0x1', data: 'QUFB', params: { aad: '#'.repeat(150_000) } } }),
          () => body({ id, op: 'key.list', params: { filter: { attributes: { ['k'.repeat(150_000)]: 7 } } } }),
          () => body({ id, op: 'whoami', params: { ['\u0001'.repeat(30_000)]: 1 } }),
        ])();
        break;
      case 'extra': {
        const c = extra?.(id);
        if (!c) continue;
        return c;
      }
    }
    if (b.length > DEFAULT_MAX_FRAME) continue; // in-band cases keep the framing intact
    const expect = promised(b);
    if (!expect) continue; // the mutation happened to be valid: draw again
    return { kind, bytes: frameOf(b), expect, ...(b.length < 2000 && rnd() < 0.003 ? { trickle: true } : {}) };
  }
}

// --- a raw mutual-TLS connection that sees every reply, id 0 included -----------------------------

class RawConn {
  readonly replies: ReplyFrame[] = [];
  closed = false;
  decodeError: string | undefined;
  private readonly decoder = new FrameDecoder(64 * 1024 * 1024);
  private wake: (() => void) | undefined;

  private constructor(private readonly socket: tls.TLSSocket) {
    socket.on('data', (d: Buffer) => {
      try {
        for (const f of this.decoder.push(d)) {
          if ('body' in f) this.replies.push(f.body as ReplyFrame);
          else this.decodeError = f.parseError;
        }
      } catch (e) {
        this.decodeError = (e as Error).message;
      }
      this.wake?.();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
  }

  static open(cfg: ClientConfig): Promise<RawConn> {
    const h = cfg.hsms[0]!;
    return new Promise((resolve, reject) => {
      const s = tls.connect({ host: h.address, port: h.port, ca: cfg.ca, ...(cfg.cert && cfg.key ? { cert: cfg.cert, key: cfg.key } : {}), minVersion: 'TLSv1.3' });
      s.setNoDelay(true);
      s.once('secureConnect', () => resolve(new RawConn(s)));
      s.once('error', reject);
    });
  }

  write(b: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(b);
  }

  async trickle(b: Buffer): Promise<void> {
    for (const byte of b) {
      this.write(Buffer.from([byte]));
      await new Promise((r) => setImmediate(r));
    }
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Resolves when `pred` holds, or false after ms. */
  async until(pred: () => boolean, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!pred()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 200));
        this.wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
    return true;
  }

  /** One request, awaiting its reply by id. */
  async call(id: number, op: string, params: unknown): Promise<ReplyFrame> {
    const seen = this.replies.length;
    this.write(encodeFrame({ id, op, params }));
    let found: ReplyFrame | undefined;
    await this.until(() => (found = this.replies.slice(seen).find((r) => r.id === id)) !== undefined || this.closed, 30_000);
    if (!found) throw new Error(`no reply to ${op} (id ${id}); closed=${this.closed}`);
    return found;
  }
}

// --- helpers --------------------------------------------------------------------------------------

function hsmPid(cluster: Cluster): number {
  const out = execFileSync('ps', ['--ppid', String(cluster.proc.pid), '-o', 'pid=,args='], { encoding: 'utf8' });
  const line = out.split('\n').find((l) => l.includes(' hsm '));
  if (!line) throw new Error(`no HSM child of ${cluster.proc.pid}: ${out}`);
  return Number(line.trim().split(/\s+/)[0]);
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Audit records other than logins and checkpoints (the fuzz must add none). */
function auditOps(cluster: Cluster): string[] {
  const out: string[] = [];
  for (const id of readdirSync(join(cluster.dir, 'hsms'))) {
    const text = readFileSync(join(cluster.dir, 'hsms', id, 'audit.log'), 'utf8');
    for (const line of text.split('\n')) {
      if (!line) continue;
      const r = JSON.parse(line) as { op: string; result: string };
      if (r.op !== 'CN_LOGIN' && r.op !== 'CHECKPOINT') out.push(`${r.op}:${r.result}`);
    }
  }
  return out;
}

const isInternal = (code: string): boolean => code === 'CKR_FUNCTION_FAILED' || code === 'CKR_GENERAL_ERROR';

/**
 * Sends `cases` on one connection in batches and checks every reply against its promise: replies
 * with an id match that id's expected code; replies with id 0 are counted against the cases
 * promised id 0 (all CKR_STRONGROOM_PROTOCOL). Between batches a whoami proves the session is
 * still the one it was (`who`).
 */
async function runStream(conn: RawConn, total: number, next: () => Case, who: string | null): Promise<{ byKind: Record<string, number> }> {
  const byKind: Record<string, number> = {};
  let probeId = 1_000_000_000;
  for (let i = 0; i < total; i += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, total - i) }, next);
    conn.replies.length = 0;
    const start = 0;
    for (const c of batch) {
      byKind[c.kind] = (byKind[c.kind] ?? 0) + 1;
      if (c.trickle) await conn.trickle(c.bytes);
      else conn.write(c.bytes);
    }
    const got = await conn.until(() => conn.replies.length - start >= batch.length || conn.closed, 30_000);
    const replies = conn.replies.slice(start);
    expect(conn.closed, `seed ${SEED}: connection closed during batch at ${i}`).toBe(false);
    expect(got && replies.length, `seed ${SEED}: replies for batch at ${i}`).toBe(batch.length);

    const wantById = new Map<number, Case>();
    let wantZero = 0;
    for (const c of batch) {
      if (c.expect.id === 0) wantZero++;
      else wantById.set(c.expect.id, c);
    }
    let zero = 0;
    for (const r of replies) {
      expect(r.ok, `seed ${SEED}: a fuzz frame succeeded: ${JSON.stringify(r).slice(0, 300)}`).toBe(false);
      if (r.ok) continue;
      expect(isCkrName(r.error.code), `seed ${SEED}: not a CKR name: ${r.error.code}`).toBe(true);
      expect(isInternal(r.error.code), `seed ${SEED}: internal failure: ${r.error.message}`).toBe(false);
      expect(typeof r.error.message === 'string' && r.error.message.length > 0).toBe(true);
      // Messages name the fault; they must not echo the caller's input back at length.
      expect(r.error.message.length, `seed ${SEED}: ${r.error.message.length}-char message: ${r.error.message.slice(0, 120)}`).toBeLessThanOrEqual(MAX_MESSAGE);
      if (r.id === 0) {
        zero++;
        expect(r.error.code, `seed ${SEED}: id-0 reply ${r.error.message}`).toBe('CKR_STRONGROOM_PROTOCOL');
        continue;
      }
      const c = wantById.get(r.id);
      expect(c, `seed ${SEED}: reply to an id never sent (${r.id})`).toBeDefined();
      expect(r.error.code, `seed ${SEED}: ${c?.kind} case ${c?.bytes.subarray(4, 204).toString()} → ${r.error.message}`).toBe(c?.expect.code);
      wantById.delete(r.id);
    }
    expect(wantById.size, `seed ${SEED}: cases without a reply`).toBe(0);
    expect(zero).toBe(wantZero);

    const probe = await conn.call(probeId++, 'whoami', {});
    expect(probe.ok && (probe.result as { username: string | null }).username).toBe(who);
  }
  return { byKind };
}

/** A connection-breaking case on its own connection: the node replies an error or closes, or both. */
async function framingCase(cfg: ClientConfig, login: boolean, send: (c: RawConn) => void | Promise<void>, kind: string): Promise<{ replies: ReplyFrame[]; closed: boolean }> {
  const c = await RawConn.open(cfg);
  if (login) {
    const r = await c.call(1, 'login', { username: 'alice', role: 'crypto-user', password: ALICE_PW });
    expect(r.ok, `login before ${kind}`).toBe(true);
    c.replies.length = 0;
  }
  await send(c);
  const closed = await c.until(() => c.closed, 15_000);
  expect(closed, `seed ${SEED}: ${kind}: the node should close the connection`).toBe(true);
  for (const r of c.replies) {
    expect(r.ok, `${kind}: ${JSON.stringify(r).slice(0, 200)}`).toBe(false);
    if (!r.ok) {
      expect(isCkrName(r.error.code)).toBe(true);
      expect(isInternal(r.error.code)).toBe(false);
    }
  }
  c.destroy();
  return { replies: [...c.replies], closed };
}

/** Connection-breaking faults: oversized declared lengths, truncated frames, random byte streams. */
async function framingFaults(cfg: ClientConfig, login: boolean, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const which = i % 4;
    if (which === 0) {
      // A declared length beyond the 256 KiB cap: one FRAME_TOO_LARGE reply, then the node hangs up
      // without reading (or buffering) the body.
      const len = pick([DEFAULT_MAX_FRAME + 1, DEFAULT_MAX_FRAME * 4, 0x7fffffff, 0xffffffff, DEFAULT_MAX_FRAME + 1 + int(1e9)]);
      const r = await framingCase(cfg, login, (c) => {
        const h = Buffer.alloc(4);
        h.writeUInt32BE(len, 0);
        c.write(Buffer.concat([h, randBytes(int(64 * 1024))]));
      }, `oversized ${len}`);
      expect(r.replies.map((x) => (x.ok ? 'ok' : x.error.code)), `seed ${SEED}: declared length ${len}`).toEqual(['CKR_STRONGROOM_FRAME_TOO_LARGE']);
    } else if (which === 1) {
      // A frame cut short, then end of stream: no reply is owed (the frame never completed).
      const r = await framingCase(cfg, login, (c) => {
        const whole = frameOf(body({ id: 9, op: 'whoami', params: {} }));
        c.write(whole.subarray(0, 1 + int(whole.length - 2)));
        c.end();
      }, 'truncated');
      expect(r.replies).toEqual([]);
    } else {
      // Random bytes as the stream itself, then end of stream.
      const junk = randBytes(1 + int(4096));
      await framingCase(cfg, login, (c) => {
        c.write(junk);
        c.end();
      }, 'random stream');
    }
  }
}

// --- the tests ------------------------------------------------------------------------------------

describe('bad input against a real node', () => {
  let cluster: Cluster;
  let cfg: ClientConfig;
  let admin: StrongroomClient;
  let alice: StrongroomClient;
  let pid: number;
  let rssBefore: number;
  let before: { users: unknown; keys: unknown; audit: string[] };
  const aliceRefs: string[] = [];

  async function snapshot(): Promise<{ users: unknown; keys: unknown; audit: string[] }> {
    return {
      users: await admin.call('user.list', {}),
      keys: await alice.call('key.list', { verbose: true }),
      audit: auditOps(cluster),
    };
  }

  beforeAll(async () => {
    cluster = await startCluster();
    cfg = loadClientConfig(cluster.config);
    admin = await StrongroomClient.connect(cfg);
    await admin.call('cluster.activate', { password: ADMIN_PW });
    await admin.login('admin', 'admin', ADMIN_PW);
    await admin.call('user.create', { username: 'alice', role: 'crypto-user', password: ALICE_PW });
    alice = await StrongroomClient.connect(cfg);
    await alice.login('alice', 'crypto-user', ALICE_PW);
    const aes = await alice.call('key.generateSymmetric', { keyType: 'aes', keyLengthBytes: 32, attributes: { label: 'fuzz-aes', encrypt: true, decrypt: true } });
    const ec = await alice.call('key.generateKeyPair', { keyType: 'ec', curve: 'secp256r1', privateAttributes: { label: 'fuzz-ec', sign: true } });
    aliceRefs.push(aes.key['key-reference'], ec.private_key['key-reference'], ec.public_key['key-reference']);
    pid = hsmPid(cluster);
    before = await snapshot();
    rssBefore = rssBytes(pid);
  }, 60_000);

  afterAll(async () => {
    admin?.close();
    alice?.close();
    await cluster?.cleanup();
  });

  it('answers 10,000 invalid frames on an unauthenticated connection, each with its promised CKR code', async () => {
    let next = 1;
    // Valid shape, but the operation needs a login (or the appliance): CKR_USER_NOT_LOGGED_IN.
    const needsLogin = (id: number): Case => {
      const [op, params] = pick([
        ['key.list', {}],
        ['logout', {}],
        ['crypto.random', { length: 16 }],
        ['mtls.getEnforcement', {}],
        ['mtls.setEnforcement', { level: 'none' }],
        ['user.create', { username: 'mallory', role: 'admin', password: 'mallory-pass-1' }],
        ['crypto.sign', { mechanism: 'CKM_ECDSA_SHA256', ref: aliceRefs[1]!, data: 'aGk=' }],
        ['cluster.initialize', { clusterCertificate: 'x', trustAnchor: 'y' }],
      ] as const);
      return { kind: 'needsLogin', bytes: encodeFrame({ id, op, params }), expect: { id, code: 'CKR_USER_NOT_LOGGED_IN' } };
    };
    const conn = await RawConn.open(cfg);
    const { byKind } = await runStream(conn, PER_CONNECTION - 40, () => protocolCase(() => next++, needsLogin), null);
    conn.destroy();
    for (const k of ['unknownOp', 'badParams', 'badId', 'nonObject', 'notJson', 'randomBody', 'deep', 'huge', 'proto', 'needsLogin']) {
      expect(byKind[k] ?? 0, `kind ${k} was exercised`).toBeGreaterThan(50);
    }
    await framingFaults(cfg, false, 40);
    expect(cluster.proc.exitCode).toBeNull();
    expect(alive(pid)).toBe(true);
  }, 120_000);

  it('answers 10,000 invalid frames on a logged-in crypto-user connection, each with its promised CKR code', async () => {
    let next = 1;
    // Valid shape, refused later in the pipeline: by the permission matrix (admin-only
    // operations), by a missing key handle, an unknown mechanism or an unknown filter attribute.
    const missingRef = (): string => '0x7f' + randBytes(7).toString('hex');
    const semantic = (id: number): Case => {
      const [op, params, code] = pick([
        ['user.create', { username: 'mallory', role: 'admin', password: 'mallory-pass-1' }, 'CKR_USER_TYPE_INVALID'],
        ['user.delete', { username: 'admin', role: 'admin' }, 'CKR_USER_TYPE_INVALID'],
        ['mtls.setEnforcement', { level: 'none' }, 'CKR_USER_TYPE_INVALID'],
        ['mtls.deregisterTrustAnchor', { certificateReference: '0x1' }, 'CKR_USER_TYPE_INVALID'],
        ['crypto.sign', { mechanism: 'CKM_ECDSA_SHA256', ref: missingRef(), data: 'aGk=' }, 'CKR_KEY_HANDLE_INVALID'],
        ['crypto.verify', { mechanism: 'CKM_ECDSA_SHA256', ref: missingRef(), data: 'aGk=', signature: 'AAAA' }, 'CKR_KEY_HANDLE_INVALID'],
        ['crypto.encrypt', { mechanism: 'CKM_AES_GCM', ref: missingRef(), data: 'aGk=' }, 'CKR_KEY_HANDLE_INVALID'],
        ['crypto.decrypt', { mechanism: 'CKM_AES_GCM', ref: missingRef(), data: 'aGk=' }, 'CKR_KEY_HANDLE_INVALID'],
        ['key.getPublic', { ref: missingRef() }, 'CKR_KEY_HANDLE_INVALID'],
        ['crypto.encrypt', { mechanism: 'CKM_NO_SUCH_THING', ref: aliceRefs[0]!, data: 'aGk=' }, 'CKR_MECHANISM_INVALID'],
        ['crypto.digest', { mechanism: 'CKM_NO_SUCH_DIGEST', data: 'aGk=' }, 'CKR_MECHANISM_INVALID'],
        ['crypto.encrypt', { mechanism: 'CKM_AES_GCM', ref: aliceRefs[1]!, data: 'aGk=' }, 'CKR_KEY_FUNCTION_NOT_PERMITTED'],
        ['key.list', { filter: { attributes: { [`no-such-attr-${int(1000)}`]: 'x' } } }, 'CKR_ATTRIBUTE_TYPE_INVALID'],
      ] as const);
      return { kind: 'semantic', bytes: encodeFrame({ id, op, params }), expect: { id, code } };
    };
    const conn = await RawConn.open(cfg);
    const login = await conn.call(999_999_999, 'login', { username: 'alice', role: 'crypto-user', password: ALICE_PW });
    expect(login.ok).toBe(true);
    const { byKind } = await runStream(conn, PER_CONNECTION - 12, () => protocolCase(() => next++, semantic), 'alice');
    conn.destroy();
    expect(byKind['semantic'] ?? 0).toBeGreaterThan(50);
    await framingFaults(cfg, true, 12);
    expect(cluster.proc.exitCode).toBeNull();
    expect(alive(pid)).toBe(true);
  }, 120_000);

  it('a frame of exactly the cap is read (and answered), one byte more is refused', async () => {
    const c = await RawConn.open(cfg);
    const atCap = Buffer.alloc(DEFAULT_MAX_FRAME, 0x20); // all spaces: not JSON
    c.write(frameOf(atCap));
    expect(await c.until(() => c.replies.length === 1, 10_000)).toBe(true);
    expect(c.replies[0]).toMatchObject({ id: 0, ok: false, error: { code: 'CKR_STRONGROOM_PROTOCOL' } });
    const ok = await c.call(5, 'whoami', {});
    expect(ok.ok).toBe(true);
    c.write(frameOf(Buffer.alloc(DEFAULT_MAX_FRAME + 1, 0x20)));
    expect(await c.until(() => c.closed, 10_000)).toBe(true);
    expect(c.replies.at(-1)).toMatchObject({ id: 0, ok: false, error: { code: 'CKR_STRONGROOM_FRAME_TOO_LARGE' } });
    c.destroy();
  });

  it('the FRAME_TOO_LARGE reply reaches a client that is still sending the oversized body', async () => {
    // The node must not reset the connection under the reply: closing a socket with unread input
    // makes the kernel send RST, and the peer may then lose the reply it had been sent.
    const lost: number[] = [];
    for (let i = 0; i < 30; i++) {
      const c = await RawConn.open(cfg);
      // A busy connection first (its TCP windows open wide), then the oversized frame.
      c.write(frameOf(Buffer.alloc(DEFAULT_MAX_FRAME, 0x20)));
      expect(await c.until(() => c.replies.length === 1, 10_000)).toBe(true);
      const len = DEFAULT_MAX_FRAME + 1 + i * 40_000;
      c.write(frameOf(Buffer.alloc(len, 0x20)));
      expect(await c.until(() => c.closed, 10_000)).toBe(true);
      if (c.replies.at(-1)?.ok !== false || (c.replies.at(-1) as { error?: { code?: string } }).error?.code !== 'CKR_STRONGROOM_FRAME_TOO_LARGE') lost.push(i);
      c.destroy();
    }
    expect(lost, 'attempts whose FRAME_TOO_LARGE reply never arrived').toEqual([]);
  });

  it('left users, keys and the audit trail as they were, with the HSM process up and its memory bounded', async () => {
    expect(cluster.proc.exitCode).toBeNull();
    expect(alive(pid)).toBe(true);
    expect(hsmPid(cluster)).toBe(pid); // the same process, not a restarted one
    const after = await snapshot();
    expect(after.users).toEqual(before.users);
    expect(after.keys).toEqual(before.keys);
    // Only logins may have been audited during the fuzz: nothing reached a handler that audits.
    expect(after.audit).toEqual(before.audit);
    const grown = rssBytes(pid) - rssBefore;
    expect(grown, `HSM RSS grew by ${(grown / 1e6).toFixed(1)} MB`).toBeLessThan(100 * 1024 * 1024);
  });

  it('serves a fresh connection normally afterwards: generate a key, sign, verify', async () => {
    const c = await StrongroomClient.connect(cfg);
    try {
      await c.login('alice', 'crypto-user', ALICE_PW);
      const kp = await c.call('key.generateKeyPair', {
        keyType: 'ec', curve: 'secp256r1', privateAttributes: { sign: true, label: 'after-fuzz' }, publicAttributes: { verify: true },
      });
      const data = Buffer.from('still standing').toString('base64');
      const { signature } = await c.call('crypto.sign', { mechanism: 'CKM_ECDSA_SHA256', ref: kp.private_key['key-reference'], data });
      await expect(c.call('crypto.verify', { mechanism: 'CKM_ECDSA_SHA256', ref: kp.public_key['key-reference'], data, signature })).resolves.toEqual({ message: 'Signature verified successfully' });
    } finally {
      c.close();
    }
  });
});
