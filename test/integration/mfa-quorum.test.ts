// MFA (token-sign and TOTP) and quorum (M of N) end to end, issue 7: real HSM processes, the CLI as
// a subprocess, and openssl doing every signature outside the HSM, as a user would
// (`openssl pkeyutl -sign -pkeyopt digest:sha256` over the decoded token).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HsmConnection, loadClientConfig } from '../../src/client/client.js';
import { HsmError } from '../../src/protocol/errors.js';
import type { TokenFile } from '../../src/protocol/operations.js';
import { base32Decode, totp } from '../../src/hsm/users/totp.js';
import { as, cli, haveTool, hsmProcesses, startCluster, type Cluster, type HsmProcessInfo } from './harness.js';

const HAVE_OPENSSL = haveTool('openssl');
const PW = 'Admin-pass-1';
const UPW = 'User-pass-11';
let work: string;

function openssl(args: string[]): Buffer {
  const r = spawnSync('openssl', args);
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr.toString()}`);
  return r.stdout;
}
/** An RSA-2048 key pair made by openssl: returns [private key path, public key path]. */
function keyPair(name: string): [string, string] {
  const key = join(work, `${name}.key`);
  const pub = join(work, `${name}.pub`);
  openssl(['genrsa', '-out', key, '2048']);
  openssl(['rsa', '-in', key, '-pubout', '-out', pub]);
  return [key, pub];
}
let n = 0;
/** openssl's signature over the base64-decoded unsigned bytes, in base64. */
function signB64(unsignedB64: string, key: string): string {
  const inp = join(work, `u${++n}.bin`);
  writeFileSync(inp, Buffer.from(unsignedB64, 'base64'));
  return openssl(['pkeyutl', '-sign', '-inkey', key, '-pkeyopt', 'digest:sha256', '-in', inp]).toString('base64');
}
function readTokens(path: string): TokenFile {
  return JSON.parse(readFileSync(path, 'utf8')) as TokenFile;
}
/** Signs every token of a file in place (MFA files). */
function signFile(path: string, key: string, out = path): string {
  const f = readTokens(path);
  for (const t of f.tokens) t.signed = signB64(t.unsigned, key);
  writeFileSync(out, JSON.stringify(f));
  return out;
}
/** A quorum approval file: one entry per approver, each signed with that approver's key. */
function approve(path: string, keys: string[], out: string): string {
  const f = readTokens(path);
  const t = f.tokens[0]!;
  writeFileSync(out, JSON.stringify({ version: '2.0', tokens: keys.map((k) => ({ ...t, signed: signB64(t.unsigned, k) })) }));
  return out;
}
function ok(r: ReturnType<typeof cli>) {
  expect(r.json.error_code, JSON.stringify(r.json)).toBe(0);
  return r.json.data;
}
function err(r: ReturnType<typeof cli>, re: RegExp): string {
  expect(r.json.error_code, r.stdout).toBe(1);
  expect(r.json.data).toMatch(re);
  return r.json.data as string;
}
const p = (name: string) => join(work, name);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Registers the user's quorum key: registration token from the HSM, signed, given back. */
function registerQuorum(c: Cluster, who: Record<string, string>, key: string, pub: string, tag: string): void {
  err(cli(c, ['user', 'change-quorum', 'token-sign', 'register', '--public-key', pub, '--token', p(`${tag}-reg.json`)], who), /unsigned token written to/);
  signFile(p(`${tag}-reg.json`), key);
  ok(cli(c, ['user', 'change-quorum', 'token-sign', 'register', '--public-key', pub, '--signed-token', p(`${tag}-reg.json`)], who));
}

/** Enrols token-sign MFA for a user: the non-interactive two runs. */
function enrolMfa(c: Cluster, who: Record<string, string>, user: string, key: string, pub: string, extra: string[] = []): unknown {
  const t = p(`${user}-enrol.json`);
  err(cli(c, ['user', 'change-mfa', 'token-sign', '--username', user, '--role', 'crypto-user', '--token', t], who), /unsigned token written to/);
  expect(readTokens(t).tokens[0]!.signed).toBe('');
  signFile(t, key);
  return ok(cli(c, ['user', 'change-mfa', 'token-sign', '--username', user, '--role', 'crypto-user', '--token', t, '--public-key', pub, ...extra], who));
}

function mfaLogin(c: Cluster, user: string, file: string): ReturnType<typeof cli> {
  return cli(c, ['login', '--username', user, '--role', 'crypto-user', '--password', UPW, 'mfa-token-sign', '--token', file]);
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'strongroom-mfa-'));
});

describe.skipIf(!HAVE_OPENSSL)('MFA and quorum on one HSM', () => {
  let c: Cluster;
  const admin = as('admin', 'admin', PW);
  const keys: Record<string, [string, string]> = {};

  beforeAll(async () => {
    c = await startCluster();
    ok(cli(c, ['cluster', 'activate', '--password', PW]));
    for (const [u, r] of [['alice', 'crypto-user'], ['bob', 'crypto-user'], ['dan', 'crypto-user'], ['admin2', 'admin'], ['admin3', 'admin'], ['admin4', 'admin']] as const) {
      ok(cli(c, ['user', 'create', '--username', u, '--role', r, '--password', UPW], admin));
    }
    for (const k of ['alice', 'mallory', 'admin', 'admin2', 'admin3', 'admin4', 'bob', 'dan']) keys[k] = keyPair(k);
  }, 120_000);
  afterAll(async () => {
    await c?.cleanup();
  });

  it('enrols token-sign MFA: the user signs the HSM challenge with a key that stays outside', () => {
    const r = enrolMfa(c, as('crypto-user', 'alice', UPW), 'alice', ...keys['alice']!) as { mfa: unknown };
    expect(r.mfa).toEqual([{ strategy: 'token-sign', status: 'enabled' }]);
    const users = ok(cli(c, ['user', 'list'])).users as Array<{ username: string; mfa: unknown; quorum: unknown }>;
    expect(users.find((u) => u.username === 'alice')).toMatchObject({ mfa: [{ strategy: 'token-sign', status: 'enabled' }], quorum: [] });
  });

  it('refuses an MFA login without the token, and CLOUDHSM_PIN alone', () => {
    err(cli(c, ['login', '--username', 'alice', '--role', 'crypto-user', '--password', UPW]), /token-sign MFA: log in with .*mfa-token-sign/);
    err(cli(c, ['key', 'list'], as('crypto-user', 'alice', UPW)), /MFA, so CLOUDHSM_PIN alone cannot log in/);
  });

  it('logs in with a signed token; refuses the wrong key, a reused token', () => {
    const t = p('alice-login.json');
    err(mfaLogin(c, 'alice', t), /unsigned token written to/);
    const tok = readTokens(t);
    expect(tok.version).toBe('2.0');
    expect(Buffer.from(tok.tokens[0]!.unsigned, 'base64')).toHaveLength(32);
    signFile(t, keys['mallory']![0], p('alice-wrong.json'));
    err(mfaLogin(c, 'alice', p('alice-wrong.json')), /MFA failed: the token signature does not verify/);
    signFile(t, keys['alice']![0]);
    expect(ok(mfaLogin(c, 'alice', t))).toEqual({ username: 'alice', role: 'crypto-user' });
    err(mfaLogin(c, 'alice', t), /MFA failed: the token does not answer a live challenge/);
  });

  it('admins register quorum keys (from a registration token, either way)', () => {
    for (const a of ['admin', 'admin2']) registerQuorum(c, as('admin', a, a === 'admin' ? PW : UPW), ...keys[a]!, a);
    // The CloudHSM way: quorum token-sign generate --service registration, sign, register --signed-token.
    const a3 = as('admin', 'admin3', UPW);
    ok(cli(c, ['quorum', 'token-sign', 'generate', '--service', 'registration', '--token', p('a3-reg.json')], a3));
    signFile(p('a3-reg.json'), keys['admin3']![0]);
    ok(cli(c, ['user', 'change-quorum', 'token-sign', 'register', '--public-key', keys['admin3']![1], '--signed-token', p('a3-reg.json')], a3));
    // A registration token signed by another key proves nothing.
    ok(cli(c, ['quorum', 'token-sign', 'generate', '--service', 'registration', '--token', p('a4-reg.json')], as('admin', 'admin4', UPW)));
    signFile(p('a4-reg.json'), keys['admin2']![0]);
    err(cli(c, ['user', 'change-quorum', 'token-sign', 'register', '--public-key', keys['admin4']![1], '--signed-token', p('a4-reg.json')], as('admin', 'admin4', UPW)), /not signed with the key being registered/);
    const users = ok(cli(c, ['user', 'list'])).users as Array<{ username: string; quorum: unknown[] }>;
    expect(users.filter((u) => u.quorum.length > 0).map((u) => u.username).sort()).toEqual(['admin', 'admin2', 'admin3']);
  });

  it('sets quorum values: no login to list them, and the quorum value must lead the user value', () => {
    expect(ok(cli(c, ['quorum', 'token-sign', 'list-quorum-values']))).toEqual({ user: 1, quorum: 1, cluster: 1 });
    err(cli(c, ['quorum', 'token-sign', 'set-quorum-value', '--service', 'user', '--value', '2'], admin), /set the quorum service's value to at least 2 before raising the user service's value/);
    ok(cli(c, ['quorum', 'token-sign', 'set-quorum-value', '--service', 'quorum', '--value', '2'], admin));
    err(cli(c, ['quorum', 'token-sign', 'set-quorum-value', '--service', 'user', '--value', '2'], admin), /Quorum approval is required for this operation/);
    ok(cli(c, ['quorum', 'token-sign', 'generate', '--service', 'quorum', '--token', p('q0.json')], admin));
    approve(p('q0.json'), [keys['admin']![0], keys['admin2']![0]], p('q0-signed.json'));
    ok(cli(c, ['quorum', 'token-sign', 'set-quorum-value', '--service', 'user', '--value', '2', '--approval', p('q0-signed.json')], admin));
    expect(ok(cli(c, ['quorum', 'token-sign', 'list-quorum-values']))).toEqual({ user: 2, quorum: 2, cluster: 1 });
  });

  it('quorum 2 for user management: one approval, an unregistered or tampered approval are refused; two succeed once', () => {
    const create = (extra: string[]) => cli(c, ['user', 'create', '--username', 'carol', '--role', 'crypto-user', '--password', UPW, ...extra], admin);
    err(create([]), /Quorum approval is required for this operation: this needs 2 approvals for service user/);
    const q = p('q.json');
    const gen = ok(cli(c, ['quorum', 'token-sign', 'generate', '--service', 'user', '--token', q], admin));
    expect(gen).toMatchObject({ service: 'user', 'token-timeout-seconds': 600 });
    const tok = readTokens(q).tokens[0]!;
    expect(JSON.parse(Buffer.from(tok.approval_data!, 'base64').toString())).toMatchObject({ service: 'user', username: 'admin' });
    err(cli(c, ['quorum', 'token-sign', 'generate', '--service', 'user', '--token', p('q-dup.json')], admin), /already has an active token for service user/);

    err(create(['--approval', approve(q, [keys['admin2']![0]], p('q-one.json'))]), /1 of 2 approvals/);
    err(create(['--approval', approve(q, [keys['admin3']![0], keys['admin4']![0]], p('q-unreg.json'))]), /approval 2 is not signed by the registered quorum key/);
    err(create(['--approval', approve(q, [keys['admin3']![0], keys['dan']![0]], p('q-cu.json'))]), /not signed by the registered quorum key of a user who may approve/);
    // Tampering: approval_data changed (what the approvers saw), or the unsigned bytes changed.
    const signed = JSON.parse(readFileSync(approve(q, [keys['admin2']![0], keys['admin3']![0]], p('q-two.json')), 'utf8')) as TokenFile;
    const data = JSON.parse(Buffer.from(signed.tokens[0]!.approval_data!, 'base64').toString());
    const forged = Buffer.from(JSON.stringify({ ...data, service: 'quorum' })).toString('base64');
    writeFileSync(p('q-tamper1.json'), JSON.stringify({ ...signed, tokens: signed.tokens.map((t) => ({ ...t, approval_data: forged })) }));
    err(create(['--approval', p('q-tamper1.json')]), /tampered with/);
    const flipped = Buffer.from(signed.tokens[0]!.unsigned, 'base64');
    flipped[0]! ^= 1;
    writeFileSync(p('q-tamper2.json'), JSON.stringify({ version: '2.0', tokens: signed.tokens.map((t) => ({ unsigned: flipped.toString('base64'), signed: t.signed })) }));
    err(create(['--approval', p('q-tamper2.json')]), /does not match a live quorum token/);

    const list = (ok(cli(c, ['quorum', 'token-sign', 'list'], admin)).tokens as Array<Record<string, unknown>>).filter((t) => t['service'] === 'user');
    expect(list).toEqual([expect.objectContaining({ username: 'admin', service: 'user', 'approvals-required': 2, 'number-of-approvals': 1, 'cluster-coverage': 'full' })]);

    expect(ok(create(['--approval', p('q-two.json')]))).toEqual({ username: 'carol', role: 'crypto-user' });
    // The token is spent: the same approvals cannot be replayed.
    err(cli(c, ['user', 'delete', '--username', 'carol', '--role', 'crypto-user', '--approval', p('q-two.json')], admin), /does not match a live quorum token/);
    expect((ok(cli(c, ['quorum', 'token-sign', 'list'], admin)).tokens as Array<{ service: string }>).filter((t) => t.service === 'user')).toEqual([]);
  });

  it('an admin resets a password with quorum approval; quorum token-sign delete', () => {
    ok(cli(c, ['quorum', 'token-sign', 'generate', '--service', 'user', '--token', p('q2.json')], admin));
    ok(cli(c, ['user', 'change-password', '--username', 'alice', '--role', 'crypto-user', '--password', UPW, '--approval', approve(p('q2.json'), [keys['admin']![0], keys['admin3']![0]], p('q2s.json'))], admin));
    ok(cli(c, ['quorum', 'token-sign', 'generate', '--service', 'user', '--token', p('q3.json')], admin));
    expect(ok(cli(c, ['quorum', 'token-sign', 'delete', '--scope', 'user'], admin))).toMatchObject({ deleted: 1 });
    expect((ok(cli(c, ['quorum', 'token-sign', 'list'], admin)).tokens as Array<{ username: string }>).map((t) => t.username)).toEqual(['admin4']);
    expect(ok(cli(c, ['quorum', 'token-sign', 'delete', '--scope', 'all'], admin))).toMatchObject({ deleted: 1 });
  });

  it('per-key use quorum: crypto sign with use-key-quorum-value 2 needs two approvals', () => {
    const bob = as('crypto-user', 'bob', UPW);
    const dan = as('crypto-user', 'dan', UPW);
    registerQuorum(c, bob, ...keys['bob']!, 'bob');
    registerQuorum(c, dan, ...keys['dan']!, 'dan');
    ok(cli(c, ['key', 'generate-asymmetric-pair', 'rsa', '--public-label', 'qpub', '--private-label', 'qpriv', '--modulus-size-bits', '2048', '--public-exponent', '65537',
      '--share-crypto-users', 'dan', '--use-key-quorum-value', '2', '--manage-key-quorum-value', '2', '--private-attributes', 'sign=true'], bob));
    const sign = (extra: string[]) => cli(c, ['crypto', 'sign', 'rsa-pkcs', '--key-filter', 'attr.label=qpriv', '--hash-function', 'sha256', '--data', 'aGVsbG8=', ...extra], bob);
    err(sign([]), /Quorum approval is required for this operation: this needs 2 approvals for service key-usage/);
    err(cli(c, ['quorum', 'token-sign', 'generate', '--service', 'user', '--token', p('k-bad.json')], bob), /only admins generate tokens for service user/);
    ok(cli(c, ['quorum', 'token-sign', 'generate', '--service', 'key-usage', '--token', p('k.json')], bob));
    err(sign(['--approval', approve(p('k.json'), [keys['bob']![0]], p('k-one.json'))]), /1 of 2 approvals for service key-usage/);
    // An admin's key is registered, but admins do not approve a crypto user's key.
    err(sign(['--approval', approve(p('k.json'), [keys['bob']![0], keys['admin']![0]], p('k-admin.json'))]), /approval 2 is not signed/);
    const r = ok(sign(['--approval', approve(p('k.json'), [keys['bob']![0], keys['dan']![0]], p('k-two.json'))]));
    expect(Buffer.from(r.signature, 'base64')).toHaveLength(256);
    err(sign(['--approval', p('k-two.json')]), /does not match a live quorum token/);
    // key-management on the same key (manage value 2): sharing needs approvals too.
    err(cli(c, ['key', 'unshare', '--filter', 'attr.label=qpriv', '--username', 'dan', '--role', 'crypto-user'], bob), /needs 2 approvals for service key-management/);
  });

  it('audits every step without a secret in the log', () => {
    const [h] = hsmProcesses(c);
    const log = readFileSync(join(h!.dir, 'audit.log'), 'utf8');
    const recs = log.trim().split('\n').map((l) => JSON.parse(l) as { op: string; result: string; detail: Record<string, unknown> });
    const ops = new Set(recs.map((r) => r.op));
    for (const op of ['CN_CHANGE_MFA', 'CN_REGISTER_QUORUM_KEY', 'CN_GET_TOKEN', 'CN_APPROVE_TOKEN', 'QUORUM_TOKEN_CONSUMED', 'CN_SET_M_VALUE', 'CN_DELETE_TOKEN']) expect(ops, op).toContain(op);
    expect(recs.some((r) => r.op === 'CN_LOGIN' && r.detail['mfa'] === 'token-sign' && r.result === 'CKR_OK')).toBe(true);
    expect(recs.some((r) => r.op === 'CN_LOGIN' && r.detail['mfa-result'] === 'failed' && r.result === 'CKR_PIN_INCORRECT')).toBe(true);
    expect(recs.some((r) => r.op === 'CN_CREATE_USER' && r.result === 'CKR_ACTION_PROHIBITED')).toBe(true);
    expect(log).not.toContain(UPW);
    const sig = readTokens(p('q-two.json')).tokens[0]!.signed;
    expect(log).not.toContain(sig.slice(0, 40));
  });
});

describe.skipIf(!HAVE_OPENSSL)('expiry and TOTP (short token lifetime, HSM clock one hour ahead)', () => {
  let c: Cluster;
  const OFFSET = 3_600_000;
  const admin = as('admin', 'admin', PW);
  beforeAll(async () => {
    c = await startCluster([], { STRONGROOM_TOKEN_TTL_MS: '4000', STRONGROOM_TEST_CLOCK_OFFSET_MS: String(OFFSET) });
    ok(cli(c, ['cluster', 'activate', '--password', PW]));
    for (const u of ['dave', 'erin']) ok(cli(c, ['user', 'create', '--username', u, '--role', 'crypto-user', '--password', UPW], admin));
  }, 120_000);
  afterAll(async () => {
    await c?.cleanup();
  });

  it('refuses an expired MFA login token and an expired quorum token', async () => {
    const [key, pub] = keyPair('dave');
    enrolMfa(c, as('crypto-user', 'dave', UPW), 'dave', key, pub, ['--change-quorum']);
    const t = p('dave-login.json');
    err(mfaLogin(c, 'dave', t), /unsigned token written/);
    signFile(t, key);
    await sleep(4500);
    err(mfaLogin(c, 'dave', t), /MFA failed: the token has expired/);

    const finn = as('crypto-user', 'finn', UPW);
    ok(cli(c, ['user', 'create', '--username', 'finn', '--role', 'crypto-user', '--password', UPW], admin));
    const [fk, fp] = keyPair('finn');
    registerQuorum(c, finn, fk, fp, 'finn');
    ok(cli(c, ['key', 'generate-asymmetric-pair', 'ec', '--curve', 'secp256r1', '--public-label', 'fpub', '--private-label', 'fpriv', '--use-key-quorum-value', '1', '--private-attributes', 'sign=true'], finn));
    ok(cli(c, ['quorum', 'token-sign', 'generate', '--service', 'key-usage', '--token', p('f.json')], finn));
    approve(p('f.json'), [fk], p('f-signed.json'));
    await sleep(4500);
    err(cli(c, ['crypto', 'sign', 'ecdsa', '--key-filter', 'attr.label=fpriv', '--hash-function', 'sha256', '--data', 'aGk=', '--approval', p('f-signed.json')], finn), /quorum token for service key-usage has expired/);
  });

  it('one key serves MFA and quorum: an admin resetting an MFA user\'s password, or removing MFA, drops the quorum key', () => {
    const quorumOf = (u: string) => (ok(cli(c, ['user', 'list'])).users as Array<{ username: string; mfa: unknown[]; quorum: unknown[] }>).find((x) => x.username === u)!;
    expect(quorumOf('dave')).toMatchObject({ mfa: [{ strategy: 'token-sign', status: 'enabled' }], quorum: [{ strategy: 'token-sign', status: 'enabled' }] });
    ok(cli(c, ['user', 'change-password', '--username', 'dave', '--role', 'crypto-user', '--password', UPW], admin));
    expect(quorumOf('dave')).toMatchObject({ mfa: [{ strategy: 'token-sign', status: 'enabled' }], quorum: [] });
    ok(cli(c, ['user', 'change-mfa', 'token-sign', '--username', 'dave', '--role', 'crypto-user', '--deregister'], admin));
    expect(quorumOf('dave')).toMatchObject({ mfa: [], quorum: [] });
    // kmsuser never gets MFA (KMS logs in with a password alone).
    ok(cli(c, ['user', 'create', '--username', 'kmsuser', '--role', 'crypto-user', '--password', UPW], admin));
    err(cli(c, ['user', 'change-mfa', 'totp', '--username', 'kmsuser', '--role', 'crypto-user'], admin), /kmsuser must not have MFA/);
  });

  it('TOTP: the current code logs in; a wrong or stale code, or the same code again, does not', () => {
    const erin = as('crypto-user', 'erin', UPW);
    const r = ok(cli(c, ['user', 'change-mfa', 'totp', '--username', 'erin', '--role', 'crypto-user'], erin));
    expect(r['otpauth-uri']).toMatch(/^otpauth:\/\/totp\/Strongroom%20[^?]+%3Aerin\?secret=[A-Z2-7]+&issuer=Strongroom.*&digits=6&period=30$/);
    const seed = base32Decode(r['totp-seed']);
    expect(seed).toHaveLength(20);
    const login = (code: string) => cli(c, ['login', '--username', 'erin', '--role', 'crypto-user', '--password', UPW, 'mfa-totp', '--code', code]);
    err(cli(c, ['login', '--username', 'erin', '--role', 'crypto-user', '--password', UPW]), /TOTP MFA/);
    const good = totp(seed, Date.now() + OFFSET);
    err(login(good === '000000' ? '000001' : '000000'), /MFA failed: the TOTP code is wrong or stale/);
    err(login(totp(seed, Date.now())), /MFA failed: the TOTP code is wrong or stale/); // the real clock's code is an hour stale for the HSM
    expect(ok(login(good))).toEqual({ username: 'erin', role: 'crypto-user' });
    err(login(good), /MFA failed: the TOTP code is wrong or stale/);
    const users = ok(cli(c, ['user', 'list'])).users as Array<{ username: string; mfa: unknown }>;
    expect(users.find((u) => u.username === 'erin')!.mfa).toEqual([{ strategy: 'totp', status: 'enabled' }]);
    const log = readFileSync(join(hsmProcesses(c)[0]!.dir, 'audit.log'), 'utf8');
    expect(log).not.toContain(r['totp-seed']);
  });
});

describe.skipIf(!HAVE_OPENSSL)('a cluster of three HSMs', () => {
  let c: Cluster;
  beforeAll(async () => {
    c = await startCluster(['--hsms', '3']);
    ok(cli(c, ['cluster', 'activate', '--password', PW]));
    ok(cli(c, ['user', 'create', '--username', 'fay', '--role', 'crypto-user', '--password', UPW], as('admin', 'admin', PW)));
    ok(cli(c, ['user', 'create', '--username', 'gus', '--role', 'crypto-user', '--password', UPW], as('admin', 'admin', PW)));
  }, 180_000);
  afterAll(async () => {
    await c?.cleanup();
  });

  async function direct(h: HsmProcessInfo, user: string): Promise<HsmConnection> {
    const cfg = loadClientConfig(c.config);
    const conn = await HsmConnection.connect({ host: h.address, port: h.port, ca: cfg.ca, ...(cfg.cert && cfg.key ? { cert: cfg.cert, key: cfg.key } : {}) });
    await conn.call('login', { username: user, role: 'crypto-user', password: UPW });
    return conn;
  }

  it('a quorum token generated on one HSM is accepted on another, once', async () => {
    const [key, pub] = keyPair('fay');
    const [a, b, cc] = hsmProcesses(c);
    const ca = await direct(a!, 'fay');
    const cb = await direct(b!, 'fay');
    const cc2 = await direct(cc!, 'fay');
    try {
      const reg = await ca.call('quorum.generate', { service: 'registration' });
      const t = reg.token.tokens[0]!;
      await cb.call('user.registerQuorum', { publicKey: readFileSync(pub, 'utf8'), token: { version: '2.0', tokens: [{ ...t, signed: signB64(t.unsigned, key) }] } });
      const k = await ca.call('key.generateKeyPair', { keyType: 'ec', curve: 'secp256r1', useKeyQuorumValue: 1, privateAttributes: { sign: true } });
      const ref = k.private_key['key-reference'];
      const gen = await ca.call('quorum.generate', { service: 'key-usage' });
      const u = gen.token.tokens[0]!;
      const approval = { version: '2.0' as const, tokens: [{ ...u, signed: signB64(u.unsigned, key) }] };
      const req = { mechanism: 'CKM_ECDSA_SHA256', ref, data: Buffer.from('hi').toString('base64') };
      await expect(cb.call('crypto.sign', req)).rejects.toThrow(/Quorum approval is required/);
      const r = await cb.call('crypto.sign', { ...req, approval });
      expect(Buffer.from(r.signature, 'base64').length).toBeGreaterThan(0);
      const again = await cc2.call('crypto.sign', { ...req, approval }).then(() => 'CKR_OK', (e: unknown) => (e instanceof HsmError ? e.code : String(e)));
      expect(again).toBe('CKR_SIGNATURE_INVALID');
    } finally {
      ca.close();
      cb.close();
      cc2.close();
    }
  });

  it('an MFA login opens a session on every HSM (one-time tickets), in interactive mode', () => {
    const [key, pub] = keyPair('gus');
    enrolMfa(c, as('crypto-user', 'gus', UPW), 'gus', key, pub);
    const t = p('gus-login.json');
    err(mfaLogin(c, 'gus', t), /unsigned token written/);
    signFile(t, key);
    const lines = [`login --username gus --role crypto-user --password ${UPW} mfa-token-sign --token ${t}`];
    for (let i = 0; i < 6; i++) lines.push(`key generate-symmetric aes --label g${i} --key-length-bytes 32`);
    lines.push('key list');
    const r = cli(c, ['interactive'], {}, lines.join('\n') + '\n');
    const outs = r.stdout.split(/\n(?=\{)/).map((s) => JSON.parse(s) as { error_code: number; data: any });
    expect(outs.map((o) => o.error_code), r.stdout).toEqual(outs.map(() => 0));
    expect(outs[0]!.data).toEqual({ username: 'gus', role: 'crypto-user' });
    expect((outs.at(-1)!.data.matched_keys as Array<{ attributes: { label: string } }>).map((k) => k.attributes.label).filter((l) => l.startsWith('g')).sort(), JSON.stringify(outs.at(-1)!.data)).toEqual(['g0', 'g1', 'g2', 'g3', 'g4', 'g5']);
    expect(readdirSync(join(c.dir, 'hsms'))).toHaveLength(3);
  });
});
