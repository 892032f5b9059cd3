// Known answers and faults for the symmetric families: AES-GCM, CBC_PAD, CTR, ECB, key wrap,
// HMAC, CMAC and digests, each run through the registry's entries.

import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { defaultRegistry } from '../../../src/hsm/mechanisms/registry.js';
import { expectCode, hex, secretKey, vectors } from './helpers.js';

const reg = defaultRegistry();
const m = (name: string) => reg.get(name);

interface GcmCase { name: string; key: string; iv: string; aad: string; plaintext: string; ciphertext: string }
interface ModeCase { name: string; mechanism: string; key: string; iv: string; ciphertext: string }
interface KwCase { name: string; mechanism: string; kek: string; key: string; wrapped: string }
interface MacCase { name: string; mechanism: string; key: string; message: string; mac: string }

describe('CKM_AES_GCM', () => {
  const gcm = m('CKM_AES_GCM');
  for (const v of vectors<{ cases: GcmCase[] }>('aes-gcm.json').cases) {
    it(`known answer: ${v.name}`, async () => {
      const k = secretKey(hex(v.key));
      const params = { iv: hex(v.iv), aad: hex(v.aad) };
      const out = await gcm.encrypt!(k, hex(v.plaintext), params);
      expect(out.data.toString('hex')).toBe(v.ciphertext);
      expect(out.iv).toBeUndefined();
      expect((await gcm.decrypt!(k, hex(v.ciphertext), params)).toString('hex')).toBe(v.plaintext);
    });
  }
  const k = secretKey(crypto.randomBytes(32));

  it('generates a 12-byte IV when none is given and returns it', async () => {
    const out = await gcm.encrypt!(k, Buffer.from('secret'), {});
    expect(out.iv?.length).toBe(12);
    expect(out.data.length).toBe(6 + 16);
    expect((await gcm.decrypt!(k, out.data, { iv: out.iv! })).toString()).toBe('secret');
  });

  it('honours tagBits', async () => {
    const out = await gcm.encrypt!(k, Buffer.from('x'), { tagBits: 96 });
    expect(out.data.length).toBe(1 + 12);
    expect((await gcm.decrypt!(k, out.data, { iv: out.iv!, tagBits: 96 })).toString()).toBe('x');
  });

  it('tampered tag → CKR_ENCRYPTED_DATA_INVALID', async () => {
    const out = await gcm.encrypt!(k, Buffer.from('secret'), {});
    out.data[out.data.length - 1] = (out.data[out.data.length - 1] ?? 0) ^ 1;
    await expectCode(() => gcm.decrypt!(k, out.data, { iv: out.iv! }), 'CKR_ENCRYPTED_DATA_INVALID');
  });

  it('wrong AAD → CKR_ENCRYPTED_DATA_INVALID', async () => {
    const out = await gcm.encrypt!(k, Buffer.from('secret'), { aad: hex('01') });
    await expectCode(() => gcm.decrypt!(k, out.data, { iv: out.iv!, aad: hex('02') }), 'CKR_ENCRYPTED_DATA_INVALID');
  });

  it('ciphertext shorter than the tag → CKR_ENCRYPTED_DATA_LEN_RANGE', async () => {
    await expectCode(() => gcm.decrypt!(k, Buffer.alloc(15), { iv: hex('00'.repeat(12)) }), 'CKR_ENCRYPTED_DATA_LEN_RANGE');
  });

  it('decrypt without IV → CKR_MECHANISM_PARAM_INVALID', async () => {
    await expectCode(() => gcm.decrypt!(k, Buffer.alloc(32), {}), 'CKR_MECHANISM_PARAM_INVALID');
  });

  it('bad tagBits → CKR_MECHANISM_PARAM_INVALID', async () => {
    await expectCode(() => gcm.encrypt!(k, Buffer.alloc(1), { tagBits: 64 }), 'CKR_MECHANISM_PARAM_INVALID');
  });

  it('a parameter the mechanism does not take → CKR_MECHANISM_PARAM_INVALID', async () => {
    await expectCode(() => gcm.encrypt!(k, Buffer.alloc(1), { hash: 'sha256' }), 'CKR_MECHANISM_PARAM_INVALID');
    await expectCode(() => gcm.checkParams!('encrypt', { counterBits: 32 }, k), 'CKR_MECHANISM_PARAM_INVALID');
  });

  it('wrap outputs iv(12) || ciphertext || tag with an HSM IV, and unwraps', async () => {
    const payload = crypto.randomBytes(32);
    const w = await gcm.wrap!(k, payload, {});
    expect(w.length).toBe(12 + 32 + 16);
    const d = crypto.createDecipheriv('aes-256-gcm', k.key.export(), w.subarray(0, 12));
    d.setAuthTag(w.subarray(w.length - 16));
    expect(Buffer.concat([d.update(w.subarray(12, w.length - 16)), d.final()])).toEqual(payload);
    expect(await gcm.unwrap!(k, w, {})).toEqual(payload);
  });

  it('wrap with a caller IV → CKR_MECHANISM_PARAM_INVALID; tampered wrap → CKR_WRAPPED_KEY_INVALID', async () => {
    await expectCode(() => gcm.wrap!(k, Buffer.alloc(32), { iv: hex('01'.repeat(12)) }), 'CKR_MECHANISM_PARAM_INVALID');
    const w = await gcm.wrap!(k, Buffer.alloc(32), { iv: hex('00'.repeat(12)) });
    w[20] = (w[20] ?? 0) ^ 1;
    await expectCode(() => gcm.unwrap!(k, w, {}), 'CKR_WRAPPED_KEY_INVALID');
    await expectCode(() => gcm.unwrap!(k, Buffer.alloc(20), {}), 'CKR_WRAPPED_KEY_LEN_RANGE');
  });
});

describe('CKM_CLOUDHSM_AES_GCM', () => {
  const g = m('CKM_CLOUDHSM_AES_GCM');
  const k = secretKey(crypto.randomBytes(16));
  it('prepends the HSM IV: iv(12) || ct || tag(16), for encrypt and wrap', async () => {
    const out = await g.encrypt!(k, Buffer.from('hello'), {});
    expect(out.data.length).toBe(12 + 5 + 16);
    expect(out.iv).toBeUndefined();
    expect((await g.decrypt!(k, out.data, {})).toString()).toBe('hello');
    const w = await g.wrap!(k, Buffer.alloc(16, 7), {});
    expect(await g.unwrap!(k, w, {})).toEqual(Buffer.alloc(16, 7));
  });
  it('caller IV → CKR_MECHANISM_PARAM_INVALID', async () => {
    await expectCode(() => g.encrypt!(k, Buffer.alloc(1), { iv: hex('11'.repeat(12)) }), 'CKR_MECHANISM_PARAM_INVALID');
  });
  it('tampered ciphertext → CKR_ENCRYPTED_DATA_INVALID', async () => {
    const out = await g.encrypt!(k, Buffer.from('hello'), {});
    out.data[13] = (out.data[13] ?? 0) ^ 1;
    await expectCode(() => g.decrypt!(k, out.data, {}), 'CKR_ENCRYPTED_DATA_INVALID');
  });
});

describe('AES modes (SP 800-38A)', () => {
  const spec = vectors<{ plaintext: string; cases: ModeCase[] }>('aes-modes.json');
  for (const v of spec.cases) {
    it(`known answer: ${v.name}`, async () => {
      const e = m(v.mechanism);
      const k = secretKey(hex(v.key));
      const params = v.iv ? { iv: hex(v.iv) } : {};
      const out = (await e.encrypt!(k, hex(spec.plaintext), params)).data;
      if (v.mechanism === 'CKM_AES_CBC_PAD') {
        expect(out.subarray(0, 64).toString('hex')).toBe(v.ciphertext);
        expect(out.length).toBe(80);
        expect((await e.decrypt!(k, out, params)).toString('hex')).toBe(spec.plaintext);
      } else {
        expect(out.toString('hex')).toBe(v.ciphertext);
        expect((await e.decrypt!(k, hex(v.ciphertext), params)).toString('hex')).toBe(spec.plaintext);
      }
    });
  }
  const k = secretKey(crypto.randomBytes(32));

  it('CBC_PAD generates and returns a 16-byte IV when none is given', async () => {
    const out = await m('CKM_AES_CBC_PAD').encrypt!(k, Buffer.from('abc'), {});
    expect(out.iv?.length).toBe(16);
    expect(out.data.length).toBe(16);
    expect((await m('CKM_AES_CBC_PAD').decrypt!(k, out.data, { iv: out.iv! })).toString()).toBe('abc');
  });
  it('CBC_PAD bad IV length → CKR_MECHANISM_PARAM_INVALID', async () => {
    await expectCode(() => m('CKM_AES_CBC_PAD').encrypt!(k, Buffer.alloc(4), { iv: hex('00'.repeat(12)) }), 'CKR_MECHANISM_PARAM_INVALID');
  });
  it('CBC_PAD bad padding → CKR_ENCRYPTED_DATA_INVALID', async () => {
    const iv = hex('00'.repeat(16));
    const out = (await m('CKM_AES_CBC_PAD').encrypt!(k, Buffer.alloc(16), { iv })).data;
    // Decrypting only the first block leaves a zero block where the padding should be.
    await expectCode(() => m('CKM_AES_CBC_PAD').decrypt!(k, out.subarray(0, 16), { iv }), 'CKR_ENCRYPTED_DATA_INVALID');
  });
  it('CBC_PAD ciphertext not a multiple of 16 → CKR_ENCRYPTED_DATA_LEN_RANGE', async () => {
    await expectCode(() => m('CKM_AES_CBC_PAD').decrypt!(k, Buffer.alloc(17), { iv: hex('00'.repeat(16)) }), 'CKR_ENCRYPTED_DATA_LEN_RANGE');
  });
  it('CTR without IV or with a bad IV length → CKR_MECHANISM_PARAM_INVALID', async () => {
    await expectCode(() => m('CKM_AES_CTR').encrypt!(k, Buffer.alloc(4), {}), 'CKR_MECHANISM_PARAM_INVALID');
    await expectCode(() => m('CKM_AES_CTR').encrypt!(k, Buffer.alloc(4), { iv: hex('00'.repeat(8)) }), 'CKR_MECHANISM_PARAM_INVALID');
    await expectCode(() => m('CKM_AES_CTR').encrypt!(k, Buffer.alloc(4), { iv: hex('00'.repeat(16)), counterBits: 0 }), 'CKR_MECHANISM_PARAM_INVALID');
  });
  it('CTR data that would wrap the counter → CKR_DATA_LEN_RANGE', async () => {
    const iv = hex('00'.repeat(15) + 'fe'); // 8-bit counter at 254: two blocks left
    expect((await m('CKM_AES_CTR').encrypt!(k, Buffer.alloc(32), { iv, counterBits: 8 })).data.length).toBe(32);
    await expectCode(() => m('CKM_AES_CTR').encrypt!(k, Buffer.alloc(33), { iv, counterBits: 8 }), 'CKR_DATA_LEN_RANGE');
  });
  it('ECB partial block → CKR_DATA_LEN_RANGE / CKR_ENCRYPTED_DATA_LEN_RANGE', async () => {
    await expectCode(() => m('CKM_AES_ECB').encrypt!(k, Buffer.alloc(15), {}), 'CKR_DATA_LEN_RANGE');
    await expectCode(() => m('CKM_AES_ECB').decrypt!(k, Buffer.alloc(17), {}), 'CKR_ENCRYPTED_DATA_LEN_RANGE');
  });
  it('ECB with an IV → CKR_MECHANISM_PARAM_INVALID', async () => {
    await expectCode(() => m('CKM_AES_ECB').encrypt!(k, Buffer.alloc(16), { iv: hex('00'.repeat(16)) }), 'CKR_MECHANISM_PARAM_INVALID');
  });
});

describe('AES key wrap', () => {
  for (const v of vectors<{ cases: KwCase[] }>('aes-kw.json').cases) {
    it(`known answer: ${v.name}`, async () => {
      const k = secretKey(hex(v.kek));
      const aliases = v.mechanism === 'CKM_AES_KEY_WRAP'
        ? ['CKM_AES_KEY_WRAP', 'CKM_CLOUDHSM_AES_KEY_WRAP_NO_PAD']
        : ['CKM_AES_KEY_WRAP_PAD', 'CKM_CLOUDHSM_AES_KEY_WRAP_ZERO_PAD'];
      for (const name of aliases) {
        expect((await m(name).wrap!(k, hex(v.key), {})).toString('hex')).toBe(v.wrapped);
        expect((await m(name).unwrap!(k, hex(v.wrapped), {})).toString('hex')).toBe(v.key);
      }
    });
  }
  const k = secretKey(crypto.randomBytes(32));

  it('PKCS5_PAD pads to a multiple of 8 then RFC 3394-wraps', async () => {
    const e = m('CKM_CLOUDHSM_AES_KEY_WRAP_PKCS5_PAD');
    for (const len of [8, 16, 20, 32]) {
      const payload = crypto.randomBytes(len);
      const w = await e.wrap!(k, payload, {});
      const padded = Buffer.concat([payload, Buffer.alloc(8 - (len % 8), 8 - (len % 8))]);
      expect(w).toEqual(await m('CKM_AES_KEY_WRAP').wrap!(k, padded, {}));
      expect(await e.unwrap!(k, w, {})).toEqual(payload);
    }
  });
  it('PKCS5_PAD bad padding after unwrap → CKR_WRAPPED_KEY_INVALID', async () => {
    const w = await m('CKM_AES_KEY_WRAP').wrap!(k, Buffer.alloc(24, 9), {});
    await expectCode(() => m('CKM_CLOUDHSM_AES_KEY_WRAP_PKCS5_PAD').unwrap!(k, w, {}), 'CKR_WRAPPED_KEY_INVALID');
  });
  it('tampered wrapped key → CKR_WRAPPED_KEY_INVALID', async () => {
    for (const name of ['CKM_AES_KEY_WRAP', 'CKM_AES_KEY_WRAP_PAD']) {
      const w = await m(name).wrap!(k, Buffer.alloc(32, 3), {});
      w[w.length - 1] = (w[w.length - 1] ?? 0) ^ 1;
      await expectCode(() => m(name).unwrap!(k, w, {}), 'CKR_WRAPPED_KEY_INVALID');
    }
  });
  it('KW payload not a multiple of 8 → CKR_KEY_SIZE_RANGE', async () => {
    await expectCode(() => m('CKM_AES_KEY_WRAP').wrap!(k, Buffer.alloc(20), {}), 'CKR_KEY_SIZE_RANGE');
  });
  it('wrapped input of a bad length → CKR_WRAPPED_KEY_LEN_RANGE', async () => {
    await expectCode(() => m('CKM_AES_KEY_WRAP').unwrap!(k, Buffer.alloc(20), {}), 'CKR_WRAPPED_KEY_LEN_RANGE');
    await expectCode(() => m('CKM_AES_KEY_WRAP_PAD').unwrap!(k, Buffer.alloc(8), {}), 'CKR_WRAPPED_KEY_LEN_RANGE');
  });
  it('wrapIv of the wrong length → CKR_MECHANISM_PARAM_INVALID; a right one changes the output', async () => {
    await expectCode(() => m('CKM_AES_KEY_WRAP').wrap!(k, Buffer.alloc(16), { wrapIv: hex('00'.repeat(4)) }), 'CKR_MECHANISM_PARAM_INVALID');
    const other = { wrapIv: hex('0102030405060708') };
    const w = await m('CKM_AES_KEY_WRAP').wrap!(k, Buffer.alloc(16), other);
    expect(w).not.toEqual(await m('CKM_AES_KEY_WRAP').wrap!(k, Buffer.alloc(16), {}));
    expect(await m('CKM_AES_KEY_WRAP').unwrap!(k, w, other)).toEqual(Buffer.alloc(16));
    await expectCode(() => m('CKM_AES_KEY_WRAP').unwrap!(k, w, {}), 'CKR_WRAPPED_KEY_INVALID');
  });
});

describe('MACs', () => {
  for (const v of vectors<{ cases: MacCase[] }>('mac.json').cases) {
    it(`known answer: ${v.name}`, async () => {
      const e = m(v.mechanism);
      const k = secretKey(hex(v.key), v.mechanism === 'CKM_AES_CMAC' ? 'aes' : 'generic-secret');
      expect((await e.sign!(k, hex(v.message), {})).toString('hex')).toBe(v.mac);
      expect(await e.verify!(k, hex(v.message), hex(v.mac), {})).toBe(true);
      const wrong = hex(v.mac);
      wrong[3] = (wrong[3] ?? 0) ^ 0x80;
      expect(await e.verify!(k, hex(v.message), wrong, {})).toBe(false);
    });
  }
  it('HMAC accepts an AES key', async () => {
    const raw = crypto.randomBytes(32);
    expect(await m('CKM_SHA256_HMAC').sign!(secretKey(raw), Buffer.from('m'), {})).toEqual(crypto.createHmac('sha256', raw).update('m').digest());
  });
  it('MAC of the wrong length → CKR_SIGNATURE_LEN_RANGE', async () => {
    const k = secretKey(crypto.randomBytes(16));
    await expectCode(() => m('CKM_SHA256_HMAC').verify!(k, Buffer.alloc(1), Buffer.alloc(31), {}), 'CKR_SIGNATURE_LEN_RANGE');
    await expectCode(() => m('CKM_AES_CMAC').verify!(k, Buffer.alloc(1), Buffer.alloc(8), {}), 'CKR_SIGNATURE_LEN_RANGE');
  });
});

describe('digests', () => {
  const spec = vectors<{ message: string; cases: Array<{ mechanism: string; digest: string }> }>('digest.json');
  for (const v of spec.cases) {
    it(`known answer: ${v.mechanism}("abc")`, async () => {
      expect((await m(v.mechanism).digest!(hex(spec.message))).toString('hex')).toBe(v.digest);
    });
  }
  it('digest with parameters → CKR_MECHANISM_PARAM_INVALID', async () => {
    await expectCode(() => m('CKM_SHA256').checkParams!('digest', { iv: hex('00') }, undefined), 'CKR_MECHANISM_PARAM_INVALID');
  });
});
