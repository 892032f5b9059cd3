// RSA families checked against the openssl command line (an independent implementation):
// PKCS#1 v1.5 and PSS signatures both ways, OAEP both ways, RSA-AES key wrap, and the faults.

import crypto from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultRegistry } from '../../../src/hsm/mechanisms/registry.js';
import { expectCode, openssl, opensslOk, pem, rsaPair, scratch } from './helpers.js';

const reg = defaultRegistry();
const m = (name: string) => reg.get(name);
const tmp = scratch();
afterAll(() => tmp.cleanup());

const rsa = rsaPair(2048);
const pubPem = tmp.file('pub.pem', pem(rsa.pub));
const privPem = tmp.file('priv.pem', pem(rsa.priv));
const msg = crypto.randomBytes(100);
const msgFile = tmp.file('msg.bin', msg);
const HASHES = ['sha1', 'sha224', 'sha256', 'sha384', 'sha512'] as const;
const TAG = { sha1: 'SHA1', sha224: 'SHA224', sha256: 'SHA256', sha384: 'SHA384', sha512: 'SHA512' } as const;
/** DER DigestInfo prefix for SHA-256 (RFC 8017 §9.2 note 1). */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

describe('CKM_SHA*_RSA_PKCS', () => {
  for (const h of HASHES) {
    it(`CKM_${TAG[h]}_RSA_PKCS signature verifies with openssl dgst, and openssl's with ours`, async () => {
      const e = m(`CKM_${TAG[h]}_RSA_PKCS`);
      const sig = await e.sign!(rsa.priv, msg, {});
      expect(sig.length).toBe(256);
      expect(opensslOk(['dgst', `-${h}`, '-verify', pubPem, '-signature', tmp.file(`sig-${h}`, sig), msgFile])).toBe(true);
      const theirs = openssl(['dgst', `-${h}`, '-sign', privPem, msgFile]);
      expect(await e.verify!(rsa.pub, msg, theirs, {})).toBe(true);
      expect(await e.verify!(rsa.pub, Buffer.concat([msg, Buffer.from([0])]), theirs, {})).toBe(false);
    });
  }
  it('signature of the wrong length → CKR_SIGNATURE_LEN_RANGE', async () => {
    await expectCode(() => m('CKM_SHA256_RSA_PKCS').verify!(rsa.pub, msg, Buffer.alloc(255), {}), 'CKR_SIGNATURE_LEN_RANGE');
  });
});

describe('CKM_RSA_PKCS', () => {
  const e = m('CKM_RSA_PKCS');
  it('signing a DigestInfo equals CKM_SHA256_RSA_PKCS and verifies with openssl', async () => {
    const di = Buffer.concat([SHA256_DIGEST_INFO, crypto.createHash('sha256').update(msg).digest()]);
    const sig = await e.sign!(rsa.priv, di, {});
    expect(sig).toEqual(await m('CKM_SHA256_RSA_PKCS').sign!(rsa.priv, msg, {}));
    expect(opensslOk(['dgst', '-sha256', '-verify', pubPem, '-signature', tmp.file('sig-raw', sig), msgFile])).toBe(true);
    expect(await e.verify!(rsa.pub, di, sig, {})).toBe(true);
    expect(await e.verify!(rsa.pub, Buffer.concat([di.subarray(1)]), sig, {})).toBe(false);
  });
  it('data too long for the key → CKR_DATA_LEN_RANGE', async () => {
    expect((await e.sign!(rsa.priv, Buffer.alloc(245), {})).length).toBe(256);
    await expectCode(() => e.sign!(rsa.priv, Buffer.alloc(246), {}), 'CKR_DATA_LEN_RANGE');
    await expectCode(() => e.encrypt!(rsa.pub, Buffer.alloc(246), {}), 'CKR_DATA_LEN_RANGE');
  });
  it('PKCS#1 v1.5 encryption decrypts with openssl', async () => {
    const ct = (await e.encrypt!(rsa.pub, Buffer.from('attack at dawn'), {})).data;
    const pt = openssl(['pkeyutl', '-decrypt', '-inkey', privPem, '-pkeyopt', 'rsa_padding_mode:pkcs1', '-in', tmp.file('ct-pkcs1', ct)]);
    expect(pt.toString()).toBe('attack at dawn');
  });
  it('decrypt and unwrap are not offered (Node 20 refuses PKCS#1 v1.5 decryption)', () => {
    expect(e.operations).not.toContain('decrypt');
    expect(e.decrypt).toBeUndefined();
  });
});

describe('RSA-PSS', () => {
  for (const h of HASHES) {
    it(`CKM_${TAG[h]}_RSA_PKCS_PSS verifies with openssl dgst (salt = hash length) and back`, async () => {
      const e = m(`CKM_${TAG[h]}_RSA_PKCS_PSS`);
      const sig = await e.sign!(rsa.priv, msg, {});
      const sigopts = ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:digest', '-sigopt', `rsa_mgf1_md:${h}`];
      expect(opensslOk(['dgst', `-${h}`, ...sigopts, '-verify', pubPem, '-signature', tmp.file(`pss-${h}`, sig), msgFile])).toBe(true);
      const theirs = openssl(['dgst', `-${h}`, ...sigopts, '-sign', privPem, msgFile]);
      expect(await e.verify!(rsa.pub, msg, theirs, {})).toBe(true);
    });
  }

  it('CKM_RSA_PKCS_PSS signs a digest: openssl pkeyutl verifies ours and we verify its, for several key sizes', async () => {
    for (const bits of [2048, 2049, 3072]) {
      const pair = bits === 2048 ? rsa : rsaPair(bits);
      const pp = tmp.file(`pub${bits}.pem`, pem(pair.pub));
      const sp = tmp.file(`priv${bits}.pem`, pem(pair.priv));
      for (const h of ['sha1', 'sha256', 'sha512'] as const) {
        const digest = crypto.createHash(h).update(msg).digest();
        const df = tmp.file(`d-${bits}-${h}`, digest);
        const opts = ['-pkeyopt', `digest:${h}`, '-pkeyopt', 'rsa_padding_mode:pss', '-pkeyopt', 'rsa_pss_saltlen:20'];
        const sig = await m('CKM_RSA_PKCS_PSS').sign!(pair.priv, digest, { hash: h, saltLength: 20 });
        expect(opensslOk(['pkeyutl', '-verify', '-pubin', '-inkey', pp, ...opts, '-in', df, '-sigfile', tmp.file(`s-${bits}-${h}`, sig)])).toBe(true);
        const theirs = openssl(['pkeyutl', '-sign', '-inkey', sp, ...opts, '-in', df]);
        expect(await m('CKM_RSA_PKCS_PSS').verify!(pair.pub, digest, theirs, { hash: h, saltLength: 20 })).toBe(true);
        expect(await m('CKM_RSA_PKCS_PSS').verify!(pair.pub, digest, theirs, { hash: h, saltLength: 21 })).toBe(false);
        const other = Buffer.from(digest);
        other[0] = (other[0] ?? 0) ^ 1;
        expect(await m('CKM_RSA_PKCS_PSS').verify!(pair.pub, other, theirs, { hash: h, saltLength: 20 })).toBe(false);
      }
    }
  });

  it('CKM_RSA_PKCS_PSS picks the hash from the digest length when params.hash is absent', async () => {
    const digest = crypto.createHash('sha384').update(msg).digest();
    const sig = await m('CKM_RSA_PKCS_PSS').sign!(rsa.priv, digest, {});
    expect(await m('CKM_SHA384_RSA_PKCS_PSS').verify!(rsa.pub, msg, sig, {})).toBe(true);
  });

  it('digest of the wrong length → CKR_DATA_LEN_RANGE', async () => {
    await expectCode(() => m('CKM_RSA_PKCS_PSS').sign!(rsa.priv, Buffer.alloc(33), {}), 'CKR_DATA_LEN_RANGE');
    await expectCode(() => m('CKM_RSA_PKCS_PSS').sign!(rsa.priv, Buffer.alloc(20), { hash: 'sha256' }), 'CKR_DATA_LEN_RANGE');
  });
  it('mgf hash differing from the hash → CKR_MECHANISM_PARAM_INVALID', async () => {
    await expectCode(() => m('CKM_SHA256_RSA_PKCS_PSS').sign!(rsa.priv, msg, { mgf: 'mgf1-sha1' }), 'CKR_MECHANISM_PARAM_INVALID');
  });
  it('params.hash contradicting the mechanism → CKR_MECHANISM_PARAM_INVALID', async () => {
    await expectCode(() => m('CKM_SHA256_RSA_PKCS_PSS').sign!(rsa.priv, msg, { hash: 'sha512' }), 'CKR_MECHANISM_PARAM_INVALID');
  });
  it('salt too long for the key → CKR_MECHANISM_PARAM_INVALID', async () => {
    await expectCode(() => m('CKM_SHA512_RSA_PKCS_PSS').sign!(rsa.priv, msg, { saltLength: 200 }), 'CKR_MECHANISM_PARAM_INVALID');
  });
});

describe('CKM_RSA_PKCS_OAEP', () => {
  const e = m('CKM_RSA_PKCS_OAEP');
  for (const h of ['sha1', 'sha256'] as const) {
    it(`interoperates with openssl pkeyutl (OAEP ${h}, label) both ways`, async () => {
      const label = Buffer.from('strongroom');
      const opts = ['-pkeyopt', 'rsa_padding_mode:oaep', '-pkeyopt', `rsa_oaep_md:${h}`, '-pkeyopt', `rsa_mgf1_md:${h}`, '-pkeyopt', `rsa_oaep_label:${label.toString('hex')}`];
      const params = { hash: h, label };
      const ct = (await e.encrypt!(rsa.pub, Buffer.from('secret'), params)).data;
      expect(openssl(['pkeyutl', '-decrypt', '-inkey', privPem, ...opts, '-in', tmp.file(`oaep-${h}`, ct)]).toString()).toBe('secret');
      const theirs = openssl(['pkeyutl', '-encrypt', '-pubin', '-inkey', pubPem, ...opts, '-in', tmp.file('pt', 'from openssl')]);
      expect((await e.decrypt!(rsa.priv, theirs, params)).toString()).toBe('from openssl');
    });
  }
  it('wrap/unwrap round trip', async () => {
    const key = crypto.randomBytes(32);
    expect(await e.unwrap!(rsa.priv, await e.wrap!(rsa.pub, key, {}), {})).toEqual(key);
  });
  it('data too long for OAEP → CKR_DATA_LEN_RANGE', async () => {
    await expectCode(() => e.encrypt!(rsa.pub, Buffer.alloc(256 - 2 * 32 - 1), { hash: 'sha256' }), 'CKR_DATA_LEN_RANGE');
  });
  it('tampered ciphertext → CKR_ENCRYPTED_DATA_INVALID; tampered wrap → CKR_WRAPPED_KEY_INVALID', async () => {
    const ct = (await e.encrypt!(rsa.pub, Buffer.from('x'), {})).data;
    ct[10] = (ct[10] ?? 0) ^ 1;
    await expectCode(() => e.decrypt!(rsa.priv, ct, {}), 'CKR_ENCRYPTED_DATA_INVALID');
    await expectCode(() => e.unwrap!(rsa.priv, ct, {}), 'CKR_WRAPPED_KEY_INVALID');
  });
  it('ciphertext of the wrong length → CKR_ENCRYPTED_DATA_LEN_RANGE', async () => {
    await expectCode(() => e.decrypt!(rsa.priv, Buffer.alloc(100), {}), 'CKR_ENCRYPTED_DATA_LEN_RANGE');
  });
  it('mgf differing from the hash → CKR_MECHANISM_PARAM_INVALID', async () => {
    await expectCode(() => e.encrypt!(rsa.pub, Buffer.alloc(1), { hash: 'sha256', mgf: 'mgf1-sha1' }), 'CKR_MECHANISM_PARAM_INVALID');
  });
});

describe('CKM_RSA_AES_KEY_WRAP', () => {
  const e = m('CKM_RSA_AES_KEY_WRAP');
  it('outputs OAEP(aes key) || KWP(payload), unwrappable by hand with node and by the mechanism', async () => {
    const payload = crypto.randomBytes(45);
    const w = await e.wrap!(rsa.pub, payload, { hash: 'sha256' });
    const aes = crypto.privateDecrypt({ key: rsa.priv.key, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, w.subarray(0, 256));
    expect(aes.length).toBe(32);
    const d = crypto.createDecipheriv('id-aes256-wrap-pad', aes, Buffer.from('a65959a6', 'hex'));
    expect(Buffer.concat([d.update(w.subarray(256)), d.final()])).toEqual(payload);
    expect(await e.unwrap!(rsa.priv, w, { hash: 'sha256' })).toEqual(payload);
  });
  it('tampered KWP part → CKR_WRAPPED_KEY_INVALID; truncated → CKR_WRAPPED_KEY_LEN_RANGE', async () => {
    const w = await e.wrap!(rsa.pub, Buffer.alloc(32, 5), {});
    const bad = Buffer.from(w);
    bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 1;
    await expectCode(() => e.unwrap!(rsa.priv, bad, {}), 'CKR_WRAPPED_KEY_INVALID');
    await expectCode(() => e.unwrap!(rsa.priv, w.subarray(0, 256), {}), 'CKR_WRAPPED_KEY_LEN_RANGE');
  });
});
