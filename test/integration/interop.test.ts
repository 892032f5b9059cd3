// Interoperability against independent implementations, through a real `strongroom up` process:
// signatures made by the HSM verify with the `openssl` command line and the reverse; a key made by
// openssl and RSA-OAEP-wrapped by openssl unwraps into the HSM and works outside it afterwards; and
// the NIST/RFC known-answer vectors of test/vectors/ run through the HSM (vector keys enter the HSM
// RSA-OAEP-wrapped, since secret keys cannot be imported in clear).
// Must never compare the HSM with itself only: every expected value comes from openssl, node:crypto
// outside the HSM, or a published vector.

import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StrongroomClient } from '../../src/client/client.js';
import { HsmError } from '../../src/protocol/errors.js';
import type { AttributeTemplate } from '../../src/protocol/operations.js';
import { haveTool, startCluster, type Cluster } from './harness.js';

const HAVE_OPENSSL = haveTool('openssl');
if (!HAVE_OPENSSL) console.warn('interop.test.ts: openssl not found; the openssl interop tests are skipped (CI requires it)');

const ADMIN_PW = 'admin-password-1';
const ALICE_PW = 'alice-password-1';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const b64 = (b: Buffer): string => b.toString('base64');
const unb64 = (s: string): Buffer => Buffer.from(s, 'base64');

function vectors<T>(file: string): T {
  return JSON.parse(readFileSync(new URL(`../vectors/${file}`, import.meta.url), 'utf8')) as T;
}

function openssl(args: string[]): Buffer {
  return execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
}
function opensslOk(args: string[]): boolean {
  try {
    openssl(args);
    return true;
  } catch {
    return false;
  }
}

/** DER INTEGER of an unsigned big-endian value (short form lengths suffice up to P-384). */
function derInteger(v: Buffer): Buffer {
  let i = 0;
  while (i < v.length - 1 && v[i] === 0) i++;
  let body = v.subarray(i);
  if ((body[0]! & 0x80) !== 0) body = Buffer.concat([Buffer.from([0]), body]);
  return Buffer.concat([Buffer.from([0x02, body.length]), body]);
}

/** PKCS#11 r || s to the DER ECDSA-Sig-Value openssl reads. */
function rsToDer(sig: Buffer): Buffer {
  const n = sig.length / 2;
  const body = Buffer.concat([derInteger(sig.subarray(0, n)), derInteger(sig.subarray(n))]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

/** DER ECDSA-Sig-Value (as openssl writes it) to PKCS#11 r || s with `size`-byte halves. */
function derToRs(der: Buffer, size: number): Buffer {
  expect(der[0]).toBe(0x30);
  let off = 2;
  const out: Buffer[] = [];
  for (let k = 0; k < 2; k++) {
    expect(der[off]).toBe(0x02);
    const len = der[off + 1]!;
    let v = der.subarray(off + 2, off + 2 + len);
    while (v.length > size && v[0] === 0) v = v.subarray(1);
    out.push(Buffer.concat([Buffer.alloc(size - v.length), v]));
    off += 2 + len;
  }
  return Buffer.concat(out);
}

let cluster: Cluster;
let admin: StrongroomClient;
let alice: StrongroomClient;
let dir: string;
const file = (name: string, data?: Buffer | string): string => {
  const p = join(dir, name);
  if (data !== undefined) writeFileSync(p, data);
  return p;
};

/** An RSA-2048 pair whose private half unwraps and whose public PEM comes from key.getPublic. */
let oaepKek: { priv: string; pem: string };

/**
 * Puts a secret key into the HSM the way an outside party would: RSA-OAEP (SHA-256, MGF1-SHA-256)
 * encryption under the HSM's public key with node:crypto, then key.unwrap with CKM_RSA_PKCS_OAEP.
 */
async function importSecret(raw: Buffer, keyType: 'aes' | 'generic-secret', attributes: AttributeTemplate): Promise<{ ref: string; kcv: string }> {
  const wrapped = crypto.publicEncrypt({ key: oaepKek.pem, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, raw);
  const r = await alice.call('key.unwrap', {
    mechanism: 'CKM_RSA_PKCS_OAEP', unwrappingRef: oaepKek.priv, wrapped: b64(wrapped),
    keyClass: 'secret-key', keyType, params: { hash: 'sha256', mgf: 'mgf1-sha256' }, attributes,
  });
  return { ref: r.key['key-reference'], kcv: String(r.key.attributes['check-value']) };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strongroom-interop-'));
  cluster = await startCluster();
  admin = await StrongroomClient.connect(cluster.config);
  await admin.call('cluster.activate', { password: ADMIN_PW });
  await admin.login('admin', 'admin', ADMIN_PW);
  await admin.call('user.create', { username: 'alice', role: 'crypto-user', password: ALICE_PW });
  alice = await StrongroomClient.connect(cluster.config);
  await alice.login('alice', 'crypto-user', ALICE_PW);
  const kp = await alice.call('key.generateKeyPair', {
    keyType: 'rsa', modulusSizeBits: 2048, privateAttributes: { unwrap: true, label: 'oaep-kek' }, publicAttributes: { wrap: true, encrypt: true },
  });
  const priv = kp.private_key['key-reference'];
  oaepKek = { priv, pem: (await alice.call('key.getPublic', { ref: priv })).pem };
});

afterAll(async () => {
  alice?.close();
  admin?.close();
  await cluster?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!HAVE_OPENSSL)('signatures: HSM ↔ openssl command line', () => {
  const data = Buffer.from('Strongroom interop: the quick brown fox jumps over the lazy dog\n');

  it('RSA-2048 CKM_SHA256_RSA_PKCS and CKM_SHA256_RSA_PKCS_PSS signatures made by the HSM verify with openssl dgst', async () => {
    const kp = await alice.call('key.generateKeyPair', {
      keyType: 'rsa', modulusSizeBits: 2048, privateAttributes: { sign: true }, publicAttributes: { verify: true },
    });
    const ref = kp.private_key['key-reference'];
    const pub = file('rsa-pub.pem', (await alice.call('key.getPublic', { ref })).pem);
    const msg = file('rsa-data', data);

    const pkcs1 = unb64((await alice.call('crypto.sign', { mechanism: 'CKM_SHA256_RSA_PKCS', ref, data: b64(data) })).signature);
    expect(pkcs1.length).toBe(256);
    const sig1 = file('rsa-pkcs1.sig', pkcs1);
    expect(opensslOk(['dgst', '-sha256', '-verify', pub, '-signature', sig1, msg])).toBe(true);

    const pss = unb64((await alice.call('crypto.sign', { mechanism: 'CKM_SHA256_RSA_PKCS_PSS', ref, data: b64(data) })).signature);
    const sig2 = file('rsa-pss.sig', pss);
    const pssOpts = ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32'];
    expect(opensslOk(['dgst', '-sha256', '-verify', pub, ...pssOpts, '-signature', sig2, msg])).toBe(true);
    // -1 = "salt length equals the digest length": the same check, spelled as openssl documents it.
    expect(opensslOk(['dgst', '-sha256', '-verify', pub, '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:-1', '-signature', sig2, msg])).toBe(true);

    // The verifier is not vacuous: a PKCS#1 signature is not a PSS one, and other data fails.
    expect(opensslOk(['dgst', '-sha256', '-verify', pub, ...pssOpts, '-signature', sig1, msg])).toBe(false);
    const other = file('rsa-other', Buffer.concat([data, Buffer.from('!')]));
    expect(opensslOk(['dgst', '-sha256', '-verify', pub, '-signature', sig1, other])).toBe(false);
  });

  it('ECDSA P-256 CKM_ECDSA_SHA256 signatures (r||s) made by the HSM verify with openssl dgst once DER-encoded', async () => {
    const kp = await alice.call('key.generateKeyPair', {
      keyType: 'ec', curve: 'secp256r1', privateAttributes: { sign: true }, publicAttributes: { verify: true },
    });
    const ref = kp.private_key['key-reference'];
    const pub = file('ec-pub.pem', (await alice.call('key.getPublic', { ref: kp.public_key['key-reference'] })).pem);
    const msg = file('ec-data', data);
    const rs = unb64((await alice.call('crypto.sign', { mechanism: 'CKM_ECDSA_SHA256', ref, data: b64(data) })).signature);
    expect(rs.length).toBe(64);
    const sig = file('ec.sig', rsToDer(rs));
    expect(opensslOk(['dgst', '-sha256', '-verify', pub, '-signature', sig, msg])).toBe(true);
    const bad = Buffer.from(rs);
    bad[10] = bad[10]! ^ 1;
    expect(opensslOk(['dgst', '-sha256', '-verify', pub, '-signature', file('ec-bad.sig', rsToDer(bad)), msg])).toBe(false);
  });

  it.each([
    { name: 'RSA-2048 PKCS#1 v1.5', mechanism: 'CKM_SHA256_RSA_PKCS', gen: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'], sigopt: [] as string[] },
    { name: 'RSA-2048 PSS', mechanism: 'CKM_SHA256_RSA_PKCS_PSS', gen: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'], sigopt: ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32'] },
    { name: 'ECDSA P-256', mechanism: 'CKM_ECDSA_SHA256', gen: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], sigopt: [] as string[] },
  ])('$name: a signature made by openssl verifies in the HSM on the imported public key', async ({ name, mechanism, gen, sigopt }) => {
    const tag = name.replace(/[^A-Za-z0-9]/g, '');
    const keyFile = file(`ossl-${tag}.key`);
    openssl(['genpkey', ...gen, '-out', keyFile]);
    const pubPem = openssl(['pkey', '-in', keyFile, '-pubout']).toString();
    const imported = await alice.call('key.importPublic', { pem: pubPem, attributes: { verify: true } });
    const ref = imported.key['key-reference'];
    const msg = file(`ossl-${tag}.data`, data);
    let sig = openssl(['dgst', '-sha256', '-sign', keyFile, ...sigopt, msg]);
    if (mechanism === 'CKM_ECDSA_SHA256') sig = derToRs(sig, 32);

    const ok = await alice.call('crypto.verify', { mechanism, ref, data: b64(data), signature: b64(sig) });
    expect(ok.message).toMatch(/verified/);
    const err = await alice.call('crypto.verify', { mechanism, ref, data: b64(Buffer.concat([data, Buffer.from('!')])), signature: b64(sig) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HsmError);
    expect((err as HsmError).code).toBe('CKR_SIGNATURE_INVALID');
  });
});

describe.skipIf(!HAVE_OPENSSL)('a key made by openssl, wrapped by openssl, used by the HSM', () => {
  it('openssl-made AES-256 key: RSA-OAEP-wrapped by openssl pkeyutl, unwrapped into the HSM, GCM output decrypts outside, KCV matches', async () => {
    const keyFile = file('aes256.key');
    writeFileSync(keyFile, openssl(['rand', '32']));
    const raw = readFileSync(keyFile);
    expect(raw.length).toBe(32);
    const hsmPub = file('hsmpub.pem', oaepKek.pem);
    const wrappedFile = file('aes256.wrapped');
    openssl([
      'pkeyutl', '-encrypt', '-pubin', '-inkey', hsmPub, '-pkeyopt', 'rsa_padding_mode:oaep',
      '-pkeyopt', 'rsa_oaep_md:sha256', '-pkeyopt', 'rsa_mgf1_md:sha256', '-in', keyFile, '-out', wrappedFile,
    ]);
    const r = await alice.call('key.unwrap', {
      mechanism: 'CKM_RSA_PKCS_OAEP', unwrappingRef: oaepKek.priv, wrapped: b64(readFileSync(wrappedFile)),
      keyClass: 'secret-key', keyType: 'aes', params: { hash: 'sha256', mgf: 'mgf1-sha256' },
      attributes: { encrypt: true, decrypt: true, label: 'from-openssl' },
    });
    const ref = r.key['key-reference'];

    // KCV: openssl's AES-256-ECB of one zero block, first 3 bytes.
    const zeros = file('zero-block', Buffer.alloc(16));
    const ecb = openssl(['enc', '-aes-256-ecb', '-K', raw.toString('hex'), '-nopad', '-in', zeros]);
    expect(r.key.attributes['check-value']).toBe('0x' + ecb.subarray(0, 3).toString('hex'));

    // GCM: openssl enc has no AEAD modes, so node:crypto (outside the HSM process, holding the key
    // openssl made) is the "outside" implementation here.
    const plaintext = Buffer.from('data the HSM encrypts under a key it did not make');
    const aad = Buffer.from('header');
    const enc = await alice.call('crypto.encrypt', { mechanism: 'CKM_AES_GCM', ref, data: b64(plaintext), params: { aad: b64(aad) } });
    expect(enc.iv).toBeDefined();
    const iv = unb64(enc.iv!);
    expect(iv.length).toBe(12);
    const ctTag = unb64(enc.data);
    const d = crypto.createDecipheriv('aes-256-gcm', raw, iv);
    d.setAAD(aad);
    d.setAuthTag(ctTag.subarray(ctTag.length - 16));
    expect(Buffer.concat([d.update(ctTag.subarray(0, ctTag.length - 16)), d.final()])).toEqual(plaintext);

    // And the other way: node:crypto encrypts, the HSM decrypts.
    const iv2 = crypto.randomBytes(12);
    const c = crypto.createCipheriv('aes-256-gcm', raw, iv2);
    const ct2 = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
    const dec = await alice.call('crypto.decrypt', { mechanism: 'CKM_AES_GCM', ref, data: b64(ct2), params: { iv: b64(iv2) } });
    expect(unb64(dec.data)).toEqual(plaintext);
  });
});

// --- known-answer vectors through the HSM process -----------------------------------------------

interface GcmCase { name: string; key: string; iv: string; aad: string; plaintext: string; ciphertext: string }
interface KwCase { name: string; mechanism: string; kek: string; key: string; wrapped: string }
interface MacCase { name: string; mechanism: string; key: string; message: string; mac: string }
interface DigestFile { message: string; cases: Array<{ mechanism: string; digest: string }> }
interface ModesFile { plaintext: string; cases: Array<{ name: string; mechanism: string; key: string; iv: string; ciphertext: string }> }

describe('known-answer vectors (test/vectors/) through the HSM', () => {
  it.each(vectors<{ cases: GcmCase[] }>('aes-gcm.json').cases)('AES-GCM $name: encrypt with the vector IV gives C||T, decrypt gives P', async (v) => {
    const { ref } = await importSecret(hex(v.key), 'aes', { encrypt: true, decrypt: true });
    const params = { iv: b64(hex(v.iv)), ...(v.aad ? { aad: b64(hex(v.aad)) } : {}) };
    const enc = await alice.call('crypto.encrypt', { mechanism: 'CKM_AES_GCM', ref, data: b64(hex(v.plaintext)), params });
    expect(unb64(enc.data).toString('hex')).toBe(v.ciphertext);
    expect(enc.iv).toBeUndefined(); // a caller IV is not echoed back
    const dec = await alice.call('crypto.decrypt', { mechanism: 'CKM_AES_GCM', ref, data: b64(hex(v.ciphertext)), params });
    expect(unb64(dec.data).toString('hex')).toBe(v.plaintext);
  });

  it.each(vectors<{ cases: KwCase[] }>('aes-kw.json').cases)('$mechanism $name: key.wrap of the vector key gives the RFC ciphertext, key.unwrap gives the key back', async (v) => {
    const kek = await importSecret(hex(v.kek), 'aes', { wrap: true, unwrap: true });
    const key = hex(v.key);
    const payloadType = [16, 24, 32].includes(key.length) ? 'aes' : 'generic-secret';
    const payload = await importSecret(key, payloadType, { extractable: true });
    const w = await alice.call('key.wrap', { mechanism: v.mechanism, wrappingRef: kek.ref, payloadRef: payload.ref });
    expect(unb64(w.wrapped_key_data).toString('hex')).toBe(v.wrapped);
    // Unwrapping the RFC ciphertext yields the same key: its check value equals the payload's.
    const u = await alice.call('key.unwrap', {
      mechanism: v.mechanism, unwrappingRef: kek.ref, wrapped: b64(hex(v.wrapped)), keyClass: 'secret-key', keyType: payloadType,
    });
    expect(u.key.attributes['check-value']).toBe(payload.kcv);
    expect(u.key.attributes['key-length-bytes']).toBe(key.length);
  });

  it.each(vectors<{ cases: MacCase[] }>('mac.json').cases)('$mechanism $name: crypto.sign gives the published MAC', async (v) => {
    const keyType = v.mechanism === 'CKM_AES_CMAC' ? 'aes' : 'generic-secret';
    const { ref } = await importSecret(hex(v.key), keyType, { sign: true, verify: true });
    const s = await alice.call('crypto.sign', { mechanism: v.mechanism, ref, data: b64(hex(v.message)) });
    expect(unb64(s.signature).toString('hex')).toBe(v.mac);
    await expect(alice.call('crypto.verify', { mechanism: v.mechanism, ref, data: b64(hex(v.message)), signature: b64(hex(v.mac)) }))
      .resolves.toMatchObject({ message: expect.stringMatching(/verified/) });
  });

  const digests = vectors<DigestFile>('digest.json');
  it.each(digests.cases)('$mechanism of "abc" (FIPS 180): crypto.digest gives the published digest', async (v) => {
    const d = await alice.call('crypto.digest', { mechanism: v.mechanism, data: b64(hex(digests.message)) });
    expect(unb64(d.digest).toString('hex')).toBe(v.digest);
  });

  const modes = vectors<ModesFile>('aes-modes.json');
  it.each(modes.cases)('$mechanism $name (SP 800-38A): crypto.encrypt with the vector IV gives the published ciphertext', async (v) => {
    const { ref } = await importSecret(hex(v.key), 'aes', { encrypt: true, decrypt: true });
    const params = v.iv ? { iv: b64(hex(v.iv)) } : {};
    const enc = unb64((await alice.call('crypto.encrypt', { mechanism: v.mechanism, ref, data: b64(hex(modes.plaintext)), params })).data);
    if (v.mechanism === 'CKM_AES_CBC_PAD') {
      // The vector is the raw CBC output; CBC_PAD adds one block of padding (README).
      expect(enc.length).toBe(hex(v.ciphertext).length + 16);
      expect(enc.subarray(0, enc.length - 16).toString('hex')).toBe(v.ciphertext);
    } else {
      expect(enc.toString('hex')).toBe(v.ciphertext);
    }
    const dec = await alice.call('crypto.decrypt', { mechanism: v.mechanism, ref, data: b64(enc), params });
    expect(unb64(dec.data).toString('hex')).toBe(modes.plaintext);
  });
});
