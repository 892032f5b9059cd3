// The PKCS#11 client daemon end to end: a real cluster (`strongroom up`, one HSM), a real
// `strongroom client-daemon` process, and frames encoded from docs/pkcs11-daemon-protocol.md by
// test/pkcs11d/p11-client.ts (no C library needed). One test per behaviour the document promises.

import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, cli, startCluster, type Cluster } from '../integration/harness.js';
import {
  bool, bytes, CKF_SERIAL_SESSION, FN, mechGcm, mechNone, out, P11, RV, startDaemon, templateIn, templateQuery, u64,
  ulong, UNAVAILABLE, type DaemonProcess,
} from './p11-client.js';

const ADMIN_PW = 'Admin-pass-1';
const ALICE_PW = 'Alice-pass-1';
const PIN = `alice:${ALICE_PW}`;

const CKA = {
  CLASS: 0x0, TOKEN: 0x1, LABEL: 0x3, VALUE: 0x11, KEY_TYPE: 0x100, SENSITIVE: 0x103, ENCRYPT: 0x104, DECRYPT: 0x105,
  SIGN: 0x108, VERIFY: 0x10a, VALUE_LEN: 0x161, EC_PARAMS: 0x180, EC_POINT: 0x181, MODULUS: 0x120,
};
const CKO_SECRET_KEY = 4;
const CKO_PUBLIC_KEY = 2;
const CKM = {
  AES_KEY_GEN: 0x1080, EC_KEY_PAIR_GEN: 0x1040, AES_GCM: 0x1087, CLOUDHSM_AES_GCM: 0x80001087, ECDSA_SHA256: 0x1044,
  SHA256: 0x250, SHA256_HMAC: 0x251,
};
const P256_OID = Buffer.from('06082a8648ce3d030107', 'hex');

let c: Cluster;
let dir: string;
let daemon: DaemonProcess;
let p: P11;
let s: bigint;
let aes: bigint;
let ecPub: bigint;
let ecPriv: bigint;

beforeAll(async () => {
  c = await startCluster(['--hsms', '1']);
  expect(cli(c, ['cluster', 'activate', '--password', ADMIN_PW]).json.error_code).toBe(0);
  const created = cli(c, ['user', 'create', '--username', 'alice', '--role', 'crypto-user', '--password', ALICE_PW], as('admin', 'admin', ADMIN_PW));
  expect(created.json.error_code, created.stdout).toBe(0);
  dir = mkdtempSync(join(tmpdir(), 'strongroom-p11-'));
  daemon = await startDaemon(c.config, join(dir, 'run', 'd.sock'));
  p = await P11.connect(daemon.socket);
}, 120_000);

afterAll(async () => {
  await p?.close().catch(() => undefined);
  await daemon?.stop();
  await c?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function encrypt(session: bigint, mech: Buffer, key: bigint, data: Buffer): Promise<Buffer> {
  await p.ok(FN.C_EncryptInit, u64(session), mech, u64(key));
  const b = await p.ok(FN.C_Encrypt, u64(session), bytes(data), out(data.length + 64));
  b.n();
  return Buffer.from(b.bytes());
}

describe('pkcs11 client daemon', () => {
  it('creates the socket directory 0700', () => {
    expect(statSync(join(dir, 'run')).mode & 0o777).toBe(0o700);
  });

  it('reports one slot, the token and the mechanisms with their PKCS#11 numbers', async () => {
    const q = await p.ok(FN.C_GetSlotList, u64(1), out());
    expect(q.n()).toBe(1);
    const l = await p.ok(FN.C_GetSlotList, u64(1), out(4));
    expect(l.n()).toBe(1);
    expect(l.n()).toBe(1);
    expect(await p.rv(FN.C_GetTokenInfo, u64(7))).toBe(RV.SLOT_ID_INVALID);
    const ti = await p.ok(FN.C_GetTokenInfo, u64(1));
    expect(ti.bytes().length).toBe(32);
    const ml = await p.ok(FN.C_GetMechanismList, u64(1), out());
    const n = ml.n();
    const all = await p.ok(FN.C_GetMechanismList, u64(1), out(n));
    expect(all.n()).toBe(n);
    const types: number[] = [];
    for (let i = 0; i < n; i++) types.push(all.n());
    expect(types).toEqual(expect.arrayContaining([CKM.AES_GCM, CKM.ECDSA_SHA256, CKM.SHA256, CKM.AES_KEY_GEN, CKM.EC_KEY_PAIR_GEN]));
    expect((await p.call(FN.C_GetMechanismList, u64(1), out(1))).rv).toBe(RV.BUFFER_TOO_SMALL);
    const info = await p.ok(FN.C_GetMechanismInfo, u64(1), u64(CKM.AES_GCM));
    expect([info.n(), info.n()]).toEqual([16, 32]);
    const flags = info.n();
    expect(flags & 0x1).toBe(0x1); // CKF_HW
    expect(flags & 0x300).toBe(0x300); // CKF_ENCRYPT | CKF_DECRYPT
    expect(flags & 0x800).toBe(0); // no CKF_SIGN
    expect(await p.rv(FN.C_GetMechanismInfo, u64(1), u64(0x7777))).toBe(RV.MECHANISM_INVALID);
  });

  it('opens sessions and logs in with "user:password" as CKU_USER', async () => {
    expect(await p.rv(FN.C_OpenSession, u64(1), u64(0))).toBe(RV.SESSION_PARALLEL_NOT_SUPPORTED);
    s = await p.openSession();
    expect(await p.rv(FN.C_GetSessionInfo, u64(999))).toBe(RV.SESSION_HANDLE_INVALID);
    expect(await p.rv(FN.C_Login, u64(s), u64(0), bytes(PIN))).toBe(RV.USER_TYPE_INVALID); // CKU_SO
    expect(await p.login(s, 'alice:wrong-password')).toBe(RV.PIN_INCORRECT);
    expect(await p.login(s, 'no-colon')).toBe(RV.PIN_INCORRECT);
    expect(await p.login(s, PIN)).toBe(RV.OK);
    expect(await p.login(s, PIN)).toBe(RV.USER_ALREADY_LOGGED_IN);
    const si = await p.ok(FN.C_GetSessionInfo, u64(s));
    expect([si.n(), si.n(), si.n()]).toEqual([1, 3, CKF_SERIAL_SESSION | 0x2]); // slot 1, CKS_RW_USER_FUNCTIONS
  });

  it('generates an AES key and an EC key pair, and finds them by label', async () => {
    const b = await p.ok(FN.C_GenerateKey, u64(s), mechNone(CKM.AES_KEY_GEN), templateIn([
      [CKA.CLASS, ulong(CKO_SECRET_KEY)], [CKA.VALUE_LEN, ulong(32)], [CKA.LABEL, Buffer.from('p11-aes')],
      [CKA.ENCRYPT, bool(true)], [CKA.DECRYPT, bool(true)], [CKA.TOKEN, bool(true)],
    ]));
    aes = b.u64();
    const kp = await p.ok(FN.C_GenerateKeyPair, u64(s), mechNone(CKM.EC_KEY_PAIR_GEN),
      templateIn([[CKA.EC_PARAMS, P256_OID], [CKA.VERIFY, bool(true)], [CKA.LABEL, Buffer.from('p11-ec')]]),
      templateIn([[CKA.SIGN, bool(true)], [CKA.LABEL, Buffer.from('p11-ec')]]));
    ecPub = kp.u64();
    ecPriv = kp.u64();
    expect(new Set([aes, ecPub, ecPriv]).size).toBe(3);
    expect(await p.find(s, [[CKA.LABEL, Buffer.from('p11-aes')]])).toEqual([aes]);
    expect((await p.find(s, [[CKA.LABEL, Buffer.from('p11-ec')]])).sort()).toEqual([ecPub, ecPriv].sort());
    expect(await p.find(s, [[CKA.LABEL, Buffer.from('p11-ec')], [CKA.CLASS, ulong(CKO_PUBLIC_KEY)]])).toEqual([ecPub]);
    expect(await p.find(s, [[CKA.LABEL, Buffer.from('nothing-has-this')]])).toEqual([]);
    // Handles are stable: a new search gives the same handle.
    expect(await p.find(s, [[CKA.LABEL, Buffer.from('p11-aes')]])).toEqual([aes]);
  });

  it('refuses templates that are incomplete, inconsistent or read-only', async () => {
    expect(await p.rv(FN.C_GenerateKey, u64(s), mechNone(CKM.AES_KEY_GEN), templateIn([[CKA.LABEL, Buffer.from('x')]]))).toBe(RV.TEMPLATE_INCOMPLETE);
    expect(await p.rv(FN.C_GenerateKey, u64(s), mechNone(CKM.AES_KEY_GEN), templateIn([[CKA.VALUE_LEN, ulong(32)], [CKA.CLASS, ulong(CKO_PUBLIC_KEY)]]))).toBe(RV.TEMPLATE_INCONSISTENT);
    expect(await p.rv(FN.C_GenerateKey, u64(s), mechNone(CKM.AES_KEY_GEN), templateIn([[CKA.VALUE_LEN, ulong(32)], [0x163, bool(true)]]))).toBe(RV.ATTRIBUTE_READ_ONLY); // CKA_LOCAL
    expect(await p.rv(FN.C_GenerateKey, u64(s), mechNone(CKM.AES_KEY_GEN), templateIn([[CKA.VALUE_LEN, ulong(32)], [0x7fff, bool(true)]]))).toBe(RV.ATTRIBUTE_TYPE_INVALID);
    expect(await p.rv(FN.C_GenerateKey, u64(s), mechNone(CKM.AES_KEY_GEN), templateIn([[CKA.VALUE_LEN, ulong(32)], [CKA.ENCRYPT, Buffer.from([1, 2])]]))).toBe(RV.ATTRIBUTE_VALUE_INVALID);
  });

  it('reads attributes: sensitive values are unavailable, the rest come back encoded as PKCS#11 says', async () => {
    const a = await p.call(FN.C_GetAttributeValue, u64(s), u64(aes), templateQuery([[CKA.VALUE, 64], [CKA.LABEL, 64], [CKA.VALUE_LEN, 8], [CKA.MODULUS, 8]]));
    expect(a.rv).toBe(RV.ATTRIBUTE_SENSITIVE);
    expect(a.body.u32()).toBe(4);
    expect(a.body.u64()).toBe(UNAVAILABLE);
    expect(a.body.n()).toBe(7);
    expect(a.body.bytes().toString()).toBe('p11-aes');
    expect(a.body.n()).toBe(8);
    expect(a.body.bytes().readBigUInt64LE(0)).toBe(32n);
    expect(a.body.u64()).toBe(UNAVAILABLE); // CKA_MODULUS is no attribute of an AES key
    // Length query (NULL pValue), then a too-small buffer.
    const q = await p.call(FN.C_GetAttributeValue, u64(s), u64(aes), templateQuery([[CKA.LABEL, undefined]]));
    expect(q.rv).toBe(RV.OK);
    expect([q.body.u32(), q.body.n()]).toEqual([1, 7]);
    const small = await p.call(FN.C_GetAttributeValue, u64(s), u64(aes), templateQuery([[CKA.LABEL, 3]]));
    expect(small.rv).toBe(RV.BUFFER_TOO_SMALL);
    expect([small.body.u32(), small.body.u64()]).toEqual([1, UNAVAILABLE]);
    const ec = await p.call(FN.C_GetAttributeValue, u64(s), u64(ecPub), templateQuery([[CKA.EC_PARAMS, 64], [CKA.EC_POINT, 128], [CKA.VALUE, 128]]));
    expect(ec.rv).toBe(RV.ATTRIBUTE_TYPE_INVALID); // public EC keys have no CKA_VALUE
    ec.body.u32();
    ec.body.u64();
    expect(ec.body.bytes()).toEqual(P256_OID);
    ec.body.u64();
    const point = ec.body.bytes();
    expect([point[0], point[1], point[2], point.length]).toEqual([0x04, 65, 0x04, 67]);
    expect(await p.rv(FN.C_GetAttributeValue, u64(s), u64(424242), templateQuery([[CKA.LABEL, 8]]))).toBe(RV.OBJECT_HANDLE_INVALID);
  });

  it('signs and verifies with ECDSA-SHA256, single- and multi-part', async () => {
    const data = Buffer.from('the quick brown fox jumps over the lazy dog');
    await p.ok(FN.C_SignInit, u64(s), mechNone(CKM.ECDSA_SHA256), u64(ecPriv));
    const len = (await p.ok(FN.C_Sign, u64(s), bytes(data), out())).n();
    expect(len).toBe(64);
    const sb = await p.ok(FN.C_Sign, u64(s), bytes(data), out(64));
    expect(sb.n()).toBe(64);
    const sig = Buffer.from(sb.bytes());
    await p.ok(FN.C_VerifyInit, u64(s), mechNone(CKM.ECDSA_SHA256), u64(ecPub));
    expect(await p.rv(FN.C_Verify, u64(s), bytes(data), bytes(sig))).toBe(RV.OK);
    const bad = Buffer.from(sig);
    bad[10]! ^= 1;
    await p.ok(FN.C_VerifyInit, u64(s), mechNone(CKM.ECDSA_SHA256), u64(ecPub));
    expect(await p.rv(FN.C_Verify, u64(s), bytes(data), bytes(bad))).toBe(RV.SIGNATURE_INVALID);

    await p.ok(FN.C_SignInit, u64(s), mechNone(CKM.ECDSA_SHA256), u64(ecPriv));
    await p.ok(FN.C_SignUpdate, u64(s), bytes(data.subarray(0, 10)));
    await p.ok(FN.C_SignUpdate, u64(s), bytes(data.subarray(10)));
    const fb = await p.ok(FN.C_SignFinal, u64(s), out(128));
    expect(fb.n()).toBe(64);
    const sig2 = Buffer.from(fb.bytes());
    await p.ok(FN.C_VerifyInit, u64(s), mechNone(CKM.ECDSA_SHA256), u64(ecPub));
    await p.ok(FN.C_VerifyUpdate, u64(s), bytes(data.subarray(0, 5)));
    await p.ok(FN.C_VerifyUpdate, u64(s), bytes(data.subarray(5)));
    expect(await p.rv(FN.C_VerifyFinal, u64(s), bytes(sig2))).toBe(RV.OK);
    // A key without CKA_SIGN, and a key of the wrong type.
    expect(await p.rv(FN.C_SignInit, u64(s), mechNone(CKM.ECDSA_SHA256), u64(ecPub))).toBe(RV.KEY_FUNCTION_NOT_PERMITTED);
    expect(await p.rv(FN.C_EncryptInit, u64(s), mechGcm(CKM.AES_GCM, Buffer.alloc(12), Buffer.alloc(0), 128), u64(ecPub))).toBe(RV.KEY_FUNCTION_NOT_PERMITTED);
    expect(await p.rv(FN.C_SignInit, u64(s), mechNone(CKM.ECDSA_SHA256), u64(999999))).toBe(RV.KEY_HANDLE_INVALID);
  });

  it('encrypts and decrypts with AES-GCM under the size-query convention', async () => {
    const plain = Buffer.from('attack at dawn, bring snacks');
    const iv = Buffer.from('000102030405060708090a0b', 'hex');
    const aad = Buffer.from('header');
    await p.ok(FN.C_EncryptInit, u64(s), mechGcm(CKM.AES_GCM, iv, aad, 128), u64(aes));
    const q = await p.ok(FN.C_Encrypt, u64(s), bytes(plain), out());
    const need = q.n();
    expect(need).toBe(plain.length + 16);
    const small = await p.call(FN.C_Encrypt, u64(s), bytes(plain), out(4));
    expect(small.rv).toBe(RV.BUFFER_TOO_SMALL);
    expect(small.body.n()).toBe(need);
    const full = await p.ok(FN.C_Encrypt, u64(s), bytes(plain), out(need));
    expect(full.n()).toBe(need);
    const ct = Buffer.from(full.bytes());
    // The operation ended with the delivery.
    expect(await p.rv(FN.C_Encrypt, u64(s), bytes(plain), out(need))).toBe(RV.OPERATION_NOT_INITIALIZED);
    // Same key, IV and AAD give the same ciphertext.
    expect(await encrypt(s, mechGcm(CKM.AES_GCM, iv, aad, 128), aes, plain)).toEqual(ct);

    await p.ok(FN.C_DecryptInit, u64(s), mechGcm(CKM.AES_GCM, iv, aad, 128), u64(aes));
    const dq = await p.ok(FN.C_Decrypt, u64(s), bytes(ct), out());
    expect(dq.n()).toBe(plain.length);
    const d = await p.ok(FN.C_Decrypt, u64(s), bytes(ct), out(plain.length));
    d.n();
    expect(d.bytes()).toEqual(plain);

    // Multi-part: the daemon buffers and answers at Final; HSM-chosen IV (CKM_CLOUDHSM_AES_GCM).
    await p.ok(FN.C_EncryptInit, u64(s), mechGcm(CKM.CLOUDHSM_AES_GCM, Buffer.alloc(12), Buffer.alloc(0), 128), u64(aes));
    const u1 = await p.ok(FN.C_EncryptUpdate, u64(s), bytes(plain.subarray(0, 7)), out(64));
    expect(u1.n()).toBe(0);
    await p.ok(FN.C_EncryptUpdate, u64(s), bytes(plain.subarray(7)), out(64));
    const flen = (await p.ok(FN.C_EncryptFinal, u64(s), out())).n();
    expect(flen).toBe(12 + plain.length + 16);
    const fin = await p.ok(FN.C_EncryptFinal, u64(s), out(flen));
    fin.n();
    const ct2 = Buffer.from(fin.bytes());
    await p.ok(FN.C_DecryptInit, u64(s), mechGcm(CKM.CLOUDHSM_AES_GCM, Buffer.alloc(12), Buffer.alloc(0), 128), u64(aes));
    await p.ok(FN.C_DecryptUpdate, u64(s), bytes(ct2), out(1024));
    const df = await p.ok(FN.C_DecryptFinal, u64(s), out(1024));
    df.n();
    expect(df.bytes()).toEqual(plain);
  });

  it('caps multi-part input at 64 KiB', async () => {
    await p.ok(FN.C_EncryptInit, u64(s), mechGcm(CKM.AES_GCM, Buffer.alloc(12, 1), Buffer.alloc(0), 128), u64(aes));
    await p.ok(FN.C_EncryptUpdate, u64(s), bytes(Buffer.alloc(60 * 1024)), out(0));
    expect(await p.rv(FN.C_EncryptUpdate, u64(s), bytes(Buffer.alloc(8 * 1024)), out(0))).toBe(RV.DATA_LEN_RANGE);
    expect(await p.rv(FN.C_EncryptFinal, u64(s), out())).toBe(RV.OPERATION_NOT_INITIALIZED);
  });

  it('digests through the HSM', async () => {
    const data = Buffer.from('abc');
    await p.ok(FN.C_DigestInit, u64(s), mechNone(CKM.SHA256));
    const b = await p.ok(FN.C_Digest, u64(s), bytes(data), out(32));
    b.n();
    expect(b.bytes()).toEqual(createHash('sha256').update(data).digest());
  });

  it('answers CKR_OPERATION_NOT_INITIALIZED and CKR_OPERATION_ACTIVE out of sequence', async () => {
    expect(await p.rv(FN.C_Encrypt, u64(s), bytes('x'), out())).toBe(RV.OPERATION_NOT_INITIALIZED);
    expect(await p.rv(FN.C_SignFinal, u64(s), out())).toBe(RV.OPERATION_NOT_INITIALIZED);
    expect(await p.rv(FN.C_VerifyFinal, u64(s), bytes('x'))).toBe(RV.OPERATION_NOT_INITIALIZED);
    expect(await p.rv(FN.C_FindObjects, u64(s), u64(10))).toBe(RV.OPERATION_NOT_INITIALIZED);
    expect(await p.rv(FN.C_DigestUpdate, u64(s), bytes('x'))).toBe(RV.OPERATION_NOT_INITIALIZED);
    await p.ok(FN.C_SignInit, u64(s), mechNone(CKM.ECDSA_SHA256), u64(ecPriv));
    expect(await p.rv(FN.C_SignInit, u64(s), mechNone(CKM.ECDSA_SHA256), u64(ecPriv))).toBe(RV.OPERATION_ACTIVE);
    await p.ok(FN.C_SignFinal, u64(s), out(64));
  });

  it('answers CKR_SESSION_HANDLE_INVALID for a session that does not exist', async () => {
    expect(await p.rv(FN.C_EncryptInit, u64(12345), mechNone(CKM.AES_GCM), u64(aes))).toBe(RV.SESSION_HANDLE_INVALID);
    expect(await p.rv(FN.C_CloseSession, u64(12345))).toBe(RV.SESSION_HANDLE_INVALID);
    expect(await p.rv(FN.C_FindObjectsInit, u64(12345), templateIn([]))).toBe(RV.SESSION_HANDLE_INVALID);
  });

  it('keeps login per connection: another application is not logged in', async () => {
    const other = await P11.connect(daemon.socket);
    try {
      const os = await other.openSession();
      const si = await other.ok(FN.C_GetSessionInfo, u64(os));
      si.n();
      expect(si.n()).toBe(2); // CKS_RW_PUBLIC_SESSION
      expect(await other.rv(FN.C_GenerateKey, u64(os), mechNone(CKM.AES_KEY_GEN), templateIn([[CKA.VALUE_LEN, ulong(16)]]))).toBe(RV.USER_NOT_LOGGED_IN);
      expect(await other.rv(FN.C_Logout, u64(os))).toBe(RV.USER_NOT_LOGGED_IN);
      // A read-only session cannot create token objects once logged in.
      const ro = await other.openSession(CKF_SERIAL_SESSION);
      expect(await other.login(ro, PIN)).toBe(RV.OK);
      expect(await other.rv(FN.C_GenerateKey, u64(ro), mechNone(CKM.AES_KEY_GEN), templateIn([[CKA.VALUE_LEN, ulong(16)]]))).toBe(RV.SESSION_READ_ONLY);
    } finally {
      await other.close();
    }
    // The first connection is still logged in.
    expect(await p.find(s, [[CKA.LABEL, Buffer.from('p11-aes')]])).toEqual([aes]);
  });

  it('closes the sessions (and their session objects) when the socket closes', async () => {
    const a = await P11.connect(daemon.socket);
    const as1 = await a.openSession();
    expect(await a.login(as1, PIN)).toBe(RV.OK);
    await a.ok(FN.C_GenerateKey, u64(as1), mechNone(CKM.AES_KEY_GEN), templateIn([
      [CKA.VALUE_LEN, ulong(16)], [CKA.TOKEN, bool(false)], [CKA.LABEL, Buffer.from('p11-session-key')],
    ]));
    expect(await a.find(as1, [[CKA.LABEL, Buffer.from('p11-session-key')]])).toHaveLength(1);
    await a.close();
    await new Promise((r) => setTimeout(r, 300));
    const b = await P11.connect(daemon.socket);
    try {
      const bs = await b.openSession();
      expect(await b.login(bs, PIN)).toBe(RV.OK);
      expect(await b.find(bs, [[CKA.LABEL, Buffer.from('p11-session-key')]])).toEqual([]);
      expect(await b.find(bs, [[CKA.LABEL, Buffer.from('p11-aes')]])).toHaveLength(1);
      // C_CloseSession of the last session logs the application out.
      await b.ok(FN.C_CloseSession, u64(bs));
      const bs2 = await b.openSession();
      const si = await b.ok(FN.C_GetSessionInfo, u64(bs2));
      si.n();
      expect(si.n()).toBe(2);
    } finally {
      await b.close();
    }
  });

  it('joins the sockets of one library instance (same id in C_Initialize): shared sessions and login, ended by the last socket', async () => {
    const id = bytes(Buffer.alloc(16, 7));
    const a = await P11.connect(daemon.socket);
    const b = await P11.connect(daemon.socket);
    const stranger = await P11.connect(daemon.socket);
    let sa = 0n;
    try {
      await a.ok(FN.C_Initialize, u64(0), id);
      await b.ok(FN.C_Initialize, u64(0), id);
      await stranger.ok(FN.C_Initialize, u64(0), bytes(Buffer.alloc(16, 8)));
      sa = await a.openSession();
      expect(await a.login(sa, PIN)).toBe(RV.OK);
      // The session opened on socket a is usable on socket b, logged in, and side by side.
      const [ga, gb] = await Promise.all([
        a.ok(FN.C_GenerateRandom, u64(sa), u64(16)),
        b.ok(FN.C_GenerateRandom, u64(sa), u64(16)),
      ]);
      expect(ga.bytes()).toHaveLength(16);
      expect(gb.bytes()).toHaveLength(16);
      const si = await b.ok(FN.C_GetSessionInfo, u64(sa));
      si.n();
      expect(si.n()).toBe(3); // CKS_RW_USER_FUNCTIONS
      expect(await b.find(sa, [[CKA.LABEL, Buffer.from('p11-aes')]])).toHaveLength(1);
      // Another instance sees neither the session nor the login.
      expect(await stranger.rv(FN.C_GetSessionInfo, u64(sa))).toBe(RV.SESSION_HANDLE_INVALID);
      // Closing one socket keeps the instance; closing the last ends its sessions.
      await a.close();
      await new Promise((r) => setTimeout(r, 200));
      expect(await b.rv(FN.C_GetSessionInfo, u64(sa))).toBe(RV.OK);
    } finally {
      await b.close();
      await stranger.close();
    }
    await new Promise((r) => setTimeout(r, 200));
    const again = await P11.connect(daemon.socket);
    try {
      await again.ok(FN.C_Initialize, u64(0), id);
      expect(await again.rv(FN.C_GetSessionInfo, u64(sa))).toBe(RV.SESSION_HANDLE_INVALID);
    } finally {
      await again.close();
    }
  });

  it('generates random bytes', async () => {
    const b = await p.ok(FN.C_GenerateRandom, u64(s), u64(40));
    expect(b.bytes().length).toBe(40);
  });

  it('exits after the idle period without connections and removes its socket', async () => {
    const sock = join(dir, 'idle', 'i.sock');
    const d = await startDaemon(c.config, sock, { STRONGROOM_PKCS11_IDLE_MS: '500' });
    const code = await new Promise<number | null>((res) => {
      const t = setTimeout(() => res(-1), 10_000);
      d.proc.once('exit', (c2) => {
        clearTimeout(t);
        res(c2);
      });
    });
    expect(code).toBe(0);
    expect(existsSync(sock)).toBe(false);
  });
});
