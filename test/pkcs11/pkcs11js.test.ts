// Node through pkcs11js (issue 4: "a user can use the token from Node through pkcs11js"): this
// process loads libstrongroom-pkcs11.so with pkcs11js against a real one-HSM cluster, as an
// application would, and checks each result with node:crypto: the slot and the token named after
// the cluster, a wrong PIN (CKR_PIN_INCORRECT), login as "user:password", an AES-256 key and an EC
// P-256 key pair made in the HSM, AES-GCM round trips (a caller IV used as given; a zeroed 12-byte
// IV buffer, into which the library writes the IV the HSM picked), AES-GCM under an imported known
// key opened by node:crypto (and node:crypto's ciphertext opened in the HSM), the vendor
// CKM_CLOUDHSM_AES_GCM (IV prepended), an ECDSA signature verified by node:crypto against
// CKA_EC_POINT, objects found by label, C_Finalize. The library starts the client daemon itself;
// the suite stops it by the pid it wrote.

import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as pkcs11js from 'pkcs11js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODULE, PIN, startP11Cluster, type P11Cluster } from './p11-cluster.js';

const P256_OID = Buffer.from('06082a8648ce3d030107', 'hex');
/** CloudHSM's vendor AES-GCM (the HSM picks the IV and prepends it): CKM_VENDOR_DEFINED | CKM_AES_GCM. */
const CKM_CLOUDHSM_AES_GCM = 0x80001087;

/** The raw point from CKA_EC_POINT (a DER OCTET STRING around 04||x||y) as a node:crypto key. */
function ecPublicKey(ecPoint: Buffer): crypto.KeyObject {
  const point = ecPoint[0] === 0x04 && ecPoint.length === 67 ? ecPoint.subarray(2) : ecPoint;
  expect(point.length).toBe(65);
  expect(point[0]).toBe(0x04);
  const b64 = (b: Buffer) => b.toString('base64url');
  return crypto.createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64(point.subarray(1, 33)), y: b64(point.subarray(33)) }, format: 'jwk' });
}

function gcmOpen(key: Buffer, iv: Buffer, aad: Buffer, ctTag: Buffer): Buffer {
  const d = crypto.createDecipheriv('aes-256-gcm', key, iv);
  d.setAAD(aad);
  d.setAuthTag(ctTag.subarray(ctTag.length - 16));
  return Buffer.concat([d.update(ctTag.subarray(0, ctTag.length - 16)), d.final()]);
}

describe('pkcs11js against the cluster', () => {
  let p: P11Cluster;
  let mod: pkcs11js.PKCS11;
  let session: Buffer;
  let slot: Buffer;
  let aes: Buffer;
  let ecPub: Buffer;
  let ecPriv: Buffer;
  const saved: Record<string, string | undefined> = {};
  const message = Buffer.from('sealed in the cluster, opened by node:crypto');
  const aad = Buffer.from('header');

  const gcm = (iv: Buffer, mechanism = pkcs11js.CKM_AES_GCM): pkcs11js.Mechanism => {
    const parameter: pkcs11js.AesGCM = { type: pkcs11js.CK_PARAMS_AES_GCM_v240, iv, aad, ivBits: iv.length * 8, tagBits: 128 };
    return { mechanism, parameter };
  };
  const encrypt = (key: Buffer, iv: Buffer, data: Buffer, mechanism?: number): Buffer => {
    mod.C_EncryptInit(session, gcm(iv, mechanism), key);
    return Buffer.from(mod.C_Encrypt(session, data, Buffer.alloc(data.length + 32)));
  };
  const decrypt = (key: Buffer, iv: Buffer, data: Buffer, mechanism?: number): Buffer => {
    mod.C_DecryptInit(session, gcm(iv, mechanism), key);
    return Buffer.from(mod.C_Decrypt(session, data, Buffer.alloc(data.length)));
  };

  beforeAll(async () => {
    p = await startP11Cluster('pkcs11js');
    // The library reads its configuration from this process's environment.
    for (const k of ['STRONGROOM_CONFIG', 'STRONGROOM_PKCS11_SOCKET', 'STRONGROOM_PKCS11_IDLE_MS', 'STRONGROOM_DAEMON_CMD', 'STRONGROOM_PKCS11_DEBUG']) {
      saved[k] = process.env[k];
      const v = p.env[k];
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    mod = new pkcs11js.PKCS11();
    mod.load(MODULE);
    mod.C_Initialize();
  }, 120_000);

  afterAll(async () => {
    try {
      mod?.close();
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      await p?.cleanup();
    }
  });

  it('lists one slot whose token is named after the cluster', () => {
    const info = mod.C_GetInfo();
    expect(info.manufacturerID.trim()).toBe('Strongroom');
    expect(info.cryptokiVersion).toEqual({ major: 2, minor: 40 });
    const slots = mod.C_GetSlotList(true);
    expect(slots).toHaveLength(1);
    slot = slots[0]!;
    const { clusterId } = JSON.parse(readFileSync(p.cluster.config, 'utf8')) as { clusterId: string };
    const token = mod.C_GetTokenInfo(slot);
    expect(token.label.trim()).toBe(clusterId);
    expect(token.flags & pkcs11js.CKF_LOGIN_REQUIRED).toBeTruthy();
    expect(token.flags & pkcs11js.CKF_TOKEN_INITIALIZED).toBeTruthy();
    const mechs = mod.C_GetMechanismList(slot);
    for (const m of [pkcs11js.CKM_AES_GCM, pkcs11js.CKM_EC_KEY_PAIR_GEN, pkcs11js.CKM_ECDSA_SHA256]) expect(mechs).toContain(m);
  });

  it('refuses a wrong password with CKR_PIN_INCORRECT, then logs in as "user:password"', () => {
    session = mod.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    let err: unknown;
    try {
      mod.C_Login(session, pkcs11js.CKU_USER, 'alice:not-her-password');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(pkcs11js.Pkcs11Error);
    expect((err as pkcs11js.Pkcs11Error).code).toBe(pkcs11js.CKR_PIN_INCORRECT);
    mod.C_Login(session, pkcs11js.CKU_USER, PIN);
    expect(mod.C_GetSessionInfo(session).state).toBe(3); // CKS_RW_USER_FUNCTIONS
  });

  it('generates an AES-256 key and an EC P-256 key pair in the HSM', () => {
    aes = mod.C_GenerateKey(session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
      { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
      { type: pkcs11js.CKA_LABEL, value: 'node-aes' },
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_ENCRYPT, value: true },
      { type: pkcs11js.CKA_DECRYPT, value: true },
    ]);
    const [valueLen, sensitive] = mod.C_GetAttributeValue(session, aes, [{ type: pkcs11js.CKA_VALUE_LEN }, { type: pkcs11js.CKA_SENSITIVE }]);
    expect((valueLen!.value as Buffer).readUInt32LE(0)).toBe(32);
    expect((sensitive!.value as Buffer)[0]).toBe(1);
    const pair = mod.C_GenerateKeyPair(session, { mechanism: pkcs11js.CKM_EC_KEY_PAIR_GEN }, [
      { type: pkcs11js.CKA_EC_PARAMS, value: P256_OID },
      { type: pkcs11js.CKA_LABEL, value: 'node-ec' },
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_VERIFY, value: true },
    ], [
      { type: pkcs11js.CKA_LABEL, value: 'node-ec' },
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_SIGN, value: true },
      { type: pkcs11js.CKA_SENSITIVE, value: true },
    ]);
    ecPub = pair.publicKey;
    ecPriv = pair.privateKey;
    let err: unknown;
    try {
      mod.C_GetAttributeValue(session, ecPriv, [{ type: pkcs11js.CKA_VALUE }]);
    } catch (e) {
      err = e;
    }
    expect((err as pkcs11js.Pkcs11Error).code).toBe(pkcs11js.CKR_ATTRIBUTE_SENSITIVE);
  });

  it('AES-GCM with a caller IV: the HSM uses it as given and the round trip returns the plaintext', () => {
    const iv = crypto.randomBytes(12);
    const ct = encrypt(aes, iv, message);
    expect(ct.length).toBe(message.length + 16);
    expect(decrypt(aes, iv, ct)).toEqual(message);
    const tampered = Buffer.from(ct);
    tampered[0]! ^= 1;
    expect(() => decrypt(aes, iv, tampered)).toThrow(/CKR_ENCRYPTED_DATA_INVALID/);
  });

  it('AES-GCM with a zeroed IV buffer: the HSM picks the IV and the library writes it into the buffer', () => {
    const iv = Buffer.alloc(12);
    const ct = encrypt(aes, iv, message);
    expect(iv.equals(Buffer.alloc(12))).toBe(false);
    expect(decrypt(aes, iv, ct)).toEqual(message);
    const again = Buffer.alloc(12);
    encrypt(aes, again, message);
    expect(again.equals(iv)).toBe(false);
  });

  it('AES-GCM under an imported known key: node:crypto opens the HSM ciphertext and the HSM opens node:crypto\'s', () => {
    const known = crypto.randomBytes(32);
    const imported = mod.C_CreateObject(session, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
      { type: pkcs11js.CKA_VALUE, value: known },
      { type: pkcs11js.CKA_LABEL, value: 'node-known-aes' },
      { type: pkcs11js.CKA_TOKEN, value: false },
      { type: pkcs11js.CKA_ENCRYPT, value: true },
      { type: pkcs11js.CKA_DECRYPT, value: true },
    ]);
    for (const iv of [crypto.randomBytes(12), Buffer.alloc(12)]) {
      const ct = encrypt(imported, iv, message);
      expect(gcmOpen(known, iv, aad, ct)).toEqual(message);
    }
    // CKM_CLOUDHSM_AES_GCM: iv(12) || ciphertext || tag; pIv stays empty, a caller IV is refused.
    const vendor = encrypt(imported, Buffer.alloc(0), message, CKM_CLOUDHSM_AES_GCM);
    expect(vendor.length).toBe(12 + message.length + 16);
    expect(gcmOpen(known, vendor.subarray(0, 12), aad, vendor.subarray(12))).toEqual(message);
    expect(decrypt(imported, Buffer.alloc(0), vendor, CKM_CLOUDHSM_AES_GCM)).toEqual(message);
    expect(() => mod.C_EncryptInit(session, gcm(crypto.randomBytes(12), CKM_CLOUDHSM_AES_GCM), imported)).toThrow(/CKR_MECHANISM_PARAM_INVALID/);
    const iv = crypto.randomBytes(12);
    const c = crypto.createCipheriv('aes-256-gcm', known, iv);
    c.setAAD(aad);
    const ct = Buffer.concat([c.update(message), c.final(), c.getAuthTag()]);
    expect(decrypt(imported, iv, ct)).toEqual(message);
    mod.C_DestroyObject(session, imported);
  });

  it('signs with ECDSA P-256 in the HSM; node:crypto verifies against CKA_EC_POINT', () => {
    const data = Buffer.from('sign me through pkcs11js');
    mod.C_SignInit(session, { mechanism: pkcs11js.CKM_ECDSA_SHA256 }, ecPriv);
    const sig = Buffer.from(mod.C_Sign(session, data, Buffer.alloc(64)));
    expect(sig.length).toBe(64);
    const [point] = mod.C_GetAttributeValue(session, ecPub, [{ type: pkcs11js.CKA_EC_POINT }]);
    const pub = ecPublicKey(point!.value as Buffer);
    expect(crypto.verify('sha256', data, { key: pub, dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
    expect(crypto.verify('sha256', Buffer.from('something else'), { key: pub, dsaEncoding: 'ieee-p1363' }, sig)).toBe(false);
    mod.C_VerifyInit(session, { mechanism: pkcs11js.CKM_ECDSA_SHA256 }, ecPub);
    expect(mod.C_Verify(session, data, sig)).toBe(true);
  });

  it('finds the objects by label', () => {
    const find = (template: pkcs11js.Template): Buffer[] => {
      mod.C_FindObjectsInit(session, template);
      try {
        return mod.C_FindObjects(session, 100);
      } finally {
        mod.C_FindObjectsFinal(session);
      }
    };
    const ec = find([{ type: pkcs11js.CKA_LABEL, value: 'node-ec' }]);
    expect(ec.map((h) => h.toString('hex')).sort()).toEqual([ecPub, ecPriv].map((h) => h.toString('hex')).sort());
    const priv = find([{ type: pkcs11js.CKA_LABEL, value: 'node-ec' }, { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }]);
    expect(priv.map((h) => h.toString('hex'))).toEqual([ecPriv.toString('hex')]);
    expect(find([{ type: pkcs11js.CKA_LABEL, value: 'node-aes' }]).map((h) => h.toString('hex'))).toEqual([aes.toString('hex')]);
    expect(find([{ type: pkcs11js.CKA_LABEL, value: 'node-known-aes' }])).toEqual([]);
    expect(find([{ type: pkcs11js.CKA_LABEL, value: 'no-such-label' }])).toEqual([]);
  });

  it('logs out and finalizes; a call after C_Finalize is CKR_CRYPTOKI_NOT_INITIALIZED', () => {
    mod.C_Logout(session);
    mod.C_CloseSession(session);
    mod.C_Finalize();
    let err: unknown;
    try {
      mod.C_GetSlotList(true);
    } catch (e) {
      err = e;
    }
    expect((err as pkcs11js.Pkcs11Error).code).toBe(pkcs11js.CKR_CRYPTOKI_NOT_INITIALIZED);
  });
});
