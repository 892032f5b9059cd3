// The README's whole flow, end to end: a real `strongroom up` process, `strongroom-cli` run as a
// subprocess for every step (single-command mode with CLOUDHSM_ROLE/CLOUDHSM_PIN, and interactive
// mode fed through stdin), asserting CloudHSM's JSON shapes and exit codes.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { as, cli, startCluster, type Cluster } from './harness.js';

const ADMIN_PW = 'Admin-pass-1';
const ALICE_PW = 'Alice-pass-1';
const BOB_PW = 'Bob-pass-11';

let c: Cluster;
let work: string;
const admin = () => as('admin', 'admin', ADMIN_PW);
const alice = () => as('crypto-user', 'alice', ALICE_PW);
const bob = () => as('crypto-user', 'bob', BOB_PW);

function ok(r: ReturnType<typeof cli>) {
  expect(r.json.error_code, JSON.stringify(r.json)).toBe(0);
  expect(r.code).toBe(0);
  return r.json.data;
}
function err(r: ReturnType<typeof cli>, re?: RegExp) {
  expect(r.json.error_code, r.stdout).toBe(1);
  expect(r.code).not.toBe(0);
  expect(typeof r.json.data).toBe('string');
  if (re) expect(r.json.data).toMatch(re);
  return r.json.data as string;
}

beforeAll(async () => {
  c = await startCluster();
  work = mkdtempSync(join(tmpdir(), 'strongroom-cli-'));
});
afterAll(async () => {
  await c?.cleanup();
});

describe('strongroom-cli, the README flow', () => {
  it('writes client.json and the trust anchor, and the cluster waits for activation', () => {
    const cfg = JSON.parse(readFileSync(c.config, 'utf8'));
    expect(cfg.hsms[0].port).toBe(c.port);
    expect(readFileSync(join(c.dir, 'customerCA.crt'), 'utf8')).toMatch(/BEGIN CERTIFICATE/);
    const info = ok(cli(c, ['cluster', 'hsm-info']));
    expect(info.hsms[0]).toMatchObject({ 'availability-zone': 'local-1a', state: 'INITIALIZED' });
    const users = ok(cli(c, ['user', 'list']));
    expect(users.users).toEqual([expect.objectContaining({ username: 'admin', role: 'unactivated-admin', locked: 'false' })]);
  });

  it('activates the cluster, and the admin creates users', () => {
    expect(ok(cli(c, ['cluster', 'activate', '--password', ADMIN_PW]))).toMatchObject({ state: 'ACTIVE' });
    expect(ok(cli(c, ['login', '--username', 'admin', '--role', 'admin', '--password', ADMIN_PW]))).toEqual({ username: 'admin', role: 'admin' });
    expect(ok(cli(c, ['user', 'create', '--username', 'alice', '--role', 'crypto-user', '--password', ALICE_PW], admin()))).toEqual({ username: 'alice', role: 'crypto-user' });
    ok(cli(c, ['user', 'create', '--username', 'Bob', '--role', 'crypto-user', '--password', BOB_PW], admin()));
    ok(cli(c, ['user', 'create', '--username', 'carol', '--role', 'crypto-user', '--password', 'Carol-pass-1'], admin()));
    const users = ok(cli(c, ['user', 'list'])).users as Array<{ username: string; role: string }>;
    expect(users.map((u) => u.username).sort()).toEqual(['admin', 'alice', 'bob', 'carol']);
    for (const u of users) expect(Object.keys(u).sort()).toEqual(['cluster-coverage', 'locked', 'mfa', 'quorum', 'role', 'username']);
  });

  it('generates an AES key as a crypto user and finds it by filter', () => {
    const k = ok(cli(c, ['key', 'generate-symmetric', 'aes', '--label', 'k1', '--key-length-bytes', '32', '--attributes', 'encrypt=true', 'decrypt=true'], alice())).key;
    expect(k['key-reference']).toMatch(/^0x[0-9a-f]{16}$/);
    expect(k.attributes).toMatchObject({ 'key-type': 'aes', class: 'secret-key', label: 'k1', encrypt: true, decrypt: true, 'key-length-bytes': 32, extractable: true, sensitive: true });
    const list = ok(cli(c, ['key', 'list', '--filter', 'attr.label=k1', '--verbose'], alice()));
    expect(list.matched_keys).toHaveLength(1);
    expect(list.matched_keys[0]['key-info']['key-owners']).toEqual([{ username: 'alice', 'key-coverage': 'full' }]);
    expect(list.matched_keys[0].attributes['check-value']).toMatch(/^0x[0-9a-f]{6}$/);
  });

  it('encrypts and decrypts with AES-GCM and computes an HMAC', () => {
    const enc = ok(cli(c, ['crypto', 'encrypt', 'aes-gcm', '--key-filter', 'attr.label=k1', '--data', Buffer.from('attack at dawn').toString('base64')], alice()));
    const dec = ok(cli(c, ['crypto', 'decrypt', 'aes-gcm', '--key-filter', 'attr.label=k1', '--data', enc.data, '--iv', enc.iv], alice()));
    expect(Buffer.from(dec.data, 'base64').toString()).toBe('attack at dawn');
    ok(cli(c, ['key', 'generate-symmetric', 'generic-secret', '--label', 'mac1', '--key-length-bytes', '32'], alice()));
    const mac = ok(cli(c, ['crypto', 'mac', 'hmac', '--key-filter', 'attr.label=mac1', '--hash-function', 'sha256', '--data', 'aGVsbG8='], alice()));
    ok(cli(c, ['crypto', 'verify-mac', 'hmac', '--key-filter', 'attr.label=mac1', '--hash-function', 'sha256', '--data', 'aGVsbG8=', '--mac', mac.mac], alice()));
  });

  it('generates RSA and EC pairs, signs with rsa-pkcs, rsa-pkcs-pss and ecdsa, and verifies', () => {
    const rsa = ok(cli(c, ['key', 'generate-asymmetric-pair', 'rsa', '--public-label', 'rsa-pub', '--private-label', 'rsa-priv', '--modulus-size-bits', '2048', '--public-exponent', '65537', '--private-attributes', 'sign=true', '--public-attributes', 'verify=true'], alice()));
    expect(rsa.public_key.attributes).toMatchObject({ 'modulus-size-bits': 2048, 'public-exponent': '0x010001', class: 'public-key' });
    expect(rsa.private_key.attributes).toMatchObject({ class: 'private-key', sign: true, sensitive: true });
    ok(cli(c, ['key', 'generate-asymmetric-pair', 'ec', '--curve', 'secp256r1', '--public-label', 'ec-pub', '--private-label', 'ec-priv', '--private-attributes', 'sign=true', '--public-attributes', 'verify=true'], alice()));
    const data = Buffer.from('the quick brown fox').toString('base64');
    for (const [mech, priv, pub] of [['rsa-pkcs', 'rsa-priv', 'rsa-pub'], ['rsa-pkcs-pss', 'rsa-priv', 'rsa-pub'], ['ecdsa', 'ec-priv', 'ec-pub']] as const) {
      const s = ok(cli(c, ['crypto', 'sign', mech, '--key-filter', `attr.label=${priv}`, '--hash-function', 'sha256', '--data', data], alice()));
      expect(s.signature).toMatch(/^[A-Za-z0-9+/]+=*$/);
      ok(cli(c, ['crypto', 'verify', mech, '--key-filter', `attr.label=${pub}`, '--hash-function', 'sha256', '--data', data, '--signature', s.signature], alice()));
      err(cli(c, ['crypto', 'verify', mech, '--key-filter', `attr.label=${pub}`, '--hash-function', 'sha256', '--data', Buffer.from('tampered').toString('base64'), '--signature', s.signature], alice()));
    }
  });

  it('exports a public key with generate-file and imports it back with import pem', () => {
    const path = join(work, 'ec-pub.pem');
    ok(cli(c, ['key', 'generate-file', '--encoding', 'pem', '--path', path, '--filter', 'attr.label=ec-pub'], alice()));
    expect(readFileSync(path, 'utf8')).toMatch(/BEGIN PUBLIC KEY/);
    const imp = ok(cli(c, ['key', 'import', 'pem', '--path', path, '--label', 'ec-imported', '--key-type-class', 'ec-public', '--attributes', 'verify=true'], bob()));
    expect(imp.key.attributes).toMatchObject({ class: 'public-key', label: 'ec-imported', local: false });
    const ref = join(work, 'ec-ref.pem');
    ok(cli(c, ['key', 'generate-file', '--encoding', 'reference-pem', '--path', ref, '--filter', 'attr.label=ec-priv'], alice()));
    expect(readFileSync(ref, 'utf8')).toMatch(/BEGIN/);
  });

  it('shares, unshares and sets attributes; the ambiguous filter names the count', () => {
    ok(cli(c, ['key', 'share', '--filter', 'attr.label=ec-priv', '--username', 'bob', '--role', 'crypto-user'], alice()));
    const data = Buffer.from('shared').toString('base64');
    ok(cli(c, ['crypto', 'sign', 'ecdsa', '--key-filter', 'attr.label=ec-priv', '--hash-function', 'sha256', '--data', data], bob()));
    err(cli(c, ['key', 'delete', '--filter', 'attr.label=ec-priv'], bob()), /owner/);
    ok(cli(c, ['key', 'unshare', '--filter', 'attr.label=ec-priv', '--username', 'bob', '--role', 'crypto-user'], alice()));
    err(cli(c, ['crypto', 'sign', 'ecdsa', '--key-filter', 'attr.label=ec-priv', '--hash-function', 'sha256', '--data', data], bob()));
    ok(cli(c, ['key', 'set-attribute', '--filter', 'attr.label=k1', '--name', 'label', '--value', 'k1-renamed'], alice()));
    ok(cli(c, ['key', 'set-attribute', '--filter', 'attr.label=k1-renamed', '--name', 'wrap', '--value', 'true'], alice()));
    ok(cli(c, ['key', 'generate-symmetric', 'aes', '--label', 'dup', '--key-length-bytes', '16'], alice()));
    ok(cli(c, ['key', 'generate-symmetric', 'aes', '--label', 'dup', '--key-length-bytes', '16'], alice()));
    const m = err(cli(c, ['key', 'delete', '--filter', 'attr.label=dup'], alice()));
    expect(m).toBe('Key selection criteria matched 2 keys. Refine selection criteria to select a single key.');
  });

  it('wraps a key and unwraps it again (aes-gcm, aes-no-pad, rsa-oaep)', () => {
    ok(cli(c, ['key', 'generate-symmetric', 'aes', '--label', 'payload', '--key-length-bytes', '32', '--attributes', 'encrypt=true', 'decrypt=true'], alice()));
    ok(cli(c, ['key', 'set-attribute', '--filter', 'attr.label=k1-renamed', '--name', 'unwrap', '--value', 'true'], alice()));
    for (const mech of ['aes-gcm', 'aes-no-pad', 'aes-zero-pad', 'aes-pkcs5-pad', 'cloudhsm-aes-gcm']) {
      const w = ok(cli(c, ['key', 'wrap', mech, '--payload-filter', 'attr.label=payload', '--wrapping-filter', 'attr.label=k1-renamed'], alice()));
      expect(w.wrapped_key_data).toMatch(/^[A-Za-z0-9+/]+=*$/);
      const u = ok(cli(c, ['key', 'unwrap', mech, '--filter', 'attr.label=k1-renamed', '--key-type-class', 'aes', '--label', `unwrapped-${mech}`, '--data', w.wrapped_key_data, '--attributes', 'decrypt=true'], alice()));
      expect(u.key.attributes).toMatchObject({ label: `unwrapped-${mech}`, local: false });
    }
    // The unwrapped key is the same key: what the payload encrypts, the unwrapped copy decrypts.
    const enc = ok(cli(c, ['crypto', 'encrypt', 'aes-gcm', '--key-filter', 'attr.label=payload', '--data', 'c2VjcmV0'], alice()));
    const dec = ok(cli(c, ['crypto', 'decrypt', 'aes-gcm', '--key-filter', 'attr.label=unwrapped-aes-no-pad', '--data', enc.data, '--iv', enc.iv], alice()));
    expect(dec.data).toBe('c2VjcmV0');
    // RSA-OAEP: wrap to an RSA public key, unwrap with its private key.
    ok(cli(c, ['key', 'generate-asymmetric-pair', 'rsa', '--public-label', 'kek-pub', '--private-label', 'kek-priv', '--modulus-size-bits', '2048', '--public-exponent', '65537', '--public-attributes', 'wrap=true', '--private-attributes', 'unwrap=true'], alice()));
    const w = ok(cli(c, ['key', 'wrap', 'rsa-oaep', '--payload-filter', 'attr.label=payload', '--wrapping-filter', 'attr.label=kek-pub', '--hash-function', 'sha256', '--mgf', 'mgf1-sha256'], alice()));
    ok(cli(c, ['key', 'unwrap', 'rsa-oaep', '--filter', 'attr.label=kek-priv', '--key-type-class', 'aes', '--label', 'from-oaep', '--data', w.wrapped_key_data, '--hash-function', 'sha256', '--mgf', 'mgf1-sha256'], alice()));
  });

  it('deletes keys, changes passwords and deletes users', () => {
    ok(cli(c, ['key', 'delete', '--filter', 'attr.label=from-oaep'], alice()));
    expect(ok(cli(c, ['key', 'list', '--filter', 'attr.label=from-oaep'], alice())).matched_keys).toHaveLength(0);
    ok(cli(c, ['user', 'change-password', '--username', 'alice', '--role', 'crypto-user', '--password', 'Alice-pass-2'], alice()));
    err(cli(c, ['key', 'list'], alice()));
    ok(cli(c, ['key', 'list'], as('crypto-user', 'alice', 'Alice-pass-2')));
    ok(cli(c, ['user', 'delete', '--username', 'carol', '--role', 'crypto-user'], admin()));
    expect(ok(cli(c, ['user', 'list'])).users.map((u: { username: string }) => u.username)).not.toContain('carol');
  });

  it('interactive mode: prompt, login, commands, quit', () => {
    const input = ['help', 'login --username bob --role crypto-user --password ' + BOB_PW, 'key list', 'logout', 'quit', ''].join('\n');
    const r = cli(c, ['interactive'], {}, input);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('aws-cloudhsm >');
    expect(r.stdout).toContain('"username": "bob"');
    expect(r.stdout).toContain('"matched_keys"');
  });

  it('CLI misuse prints a JSON error and exits non-zero', () => {
    const alice = () => as('crypto-user', 'alice', 'Alice-pass-2');
    err(cli(c, ['frobnicate']));
    err(cli(c, ['key', 'generate-symmetric', 'aes', '--label', 'x', '--key-length-bytes', '17'], alice()), /16, 24 or 32/);
    err(cli(c, ['key', 'generate-symmetric', 'aes', '--key-length-bytes', '16'], alice()), /label/);
    err(cli(c, ['user', 'create', '--username', 'dave', '--role', 'crypto-user', '--password', 'short'], admin()));
    err(cli(c, ['key', 'list', '--bogus-flag'], alice()));
    writeFileSync(join(work, 'x'), '');
  });
});
