// ECDSA and ECDH checked against the openssl command line: r||s signatures (converted to DER for
// openssl) both ways on every curve, raw-digest CKM_ECDSA, ECDH shared secrets and the X9.63 KDF.

import crypto from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultRegistry } from '../../../src/hsm/mechanisms/registry.js';
import { CURVES, ecPair, expectCode, openssl, opensslOk, pem, scratch } from './helpers.js';

const reg = defaultRegistry();
const m = (name: string) => reg.get(name);
const tmp = scratch();
afterAll(() => tmp.cleanup());

/** r||s → DER SEQUENCE { INTEGER r, INTEGER s } (what openssl reads). */
function toDer(sig: Buffer): Buffer {
  const half = sig.length / 2;
  const int = (b: Buffer): Buffer => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    let v = b.subarray(i);
    if ((v[0] ?? 0) & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
    return Buffer.concat([Buffer.from([0x02, v.length]), v]);
  };
  const body = Buffer.concat([int(sig.subarray(0, half)), int(sig.subarray(half))]);
  const len = body.length < 128 ? Buffer.from([body.length]) : Buffer.from([0x81, body.length]);
  return Buffer.concat([Buffer.from([0x30]), len, body]);
}

/** DER (from openssl) → r||s, each left-padded to `n` bytes. */
function fromDer(der: Buffer, n: number): Buffer {
  let off = 2 + ((der[1] ?? 0) & 0x80 ? (der[1] ?? 0) & 0x7f : 0);
  const out: Buffer[] = [];
  for (let k = 0; k < 2; k++) {
    const len = der[off + 1] ?? 0;
    const v = der.subarray(off + 2, off + 2 + len);
    const trimmed = v.subarray(Math.max(0, v.length - n));
    out.push(Buffer.concat([Buffer.alloc(n - trimmed.length), trimmed]));
    off += 2 + len;
  }
  return Buffer.concat(out);
}

const FIELD = { secp256r1: 32, secp384r1: 48, secp521r1: 66, secp256k1: 32 } as const;
const msg = crypto.randomBytes(77);
const msgFile = tmp.file('msg.bin', msg);

describe('ECDSA', () => {
  for (const curve of CURVES) {
    const pair = ecPair(curve);
    const pubPem = tmp.file(`pub-${curve}.pem`, pem(pair.pub));
    const privPem = tmp.file(`priv-${curve}.pem`, pem(pair.priv));
    const n = FIELD[curve];

    it(`${curve}: CKM_ECDSA_SHA* r||s verifies with openssl dgst, and openssl's with ours`, async () => {
      for (const h of ['sha1', 'sha256', 'sha384', 'sha512'] as const) {
        const e = m(`CKM_ECDSA_${h.toUpperCase()}`);
        const sig = await e.sign!(pair.priv, msg, {});
        expect(sig.length).toBe(2 * n);
        expect(opensslOk(['dgst', `-${h}`, '-verify', pubPem, '-signature', tmp.file(`sig-${curve}-${h}`, toDer(sig)), msgFile])).toBe(true);
        const theirs = fromDer(openssl(['dgst', `-${h}`, '-sign', privPem, msgFile]), n);
        expect(await e.verify!(pair.pub, msg, theirs, {})).toBe(true);
        expect(await e.verify!(pair.pub, Buffer.concat([msg, Buffer.from([1])]), theirs, {})).toBe(false);
      }
    });

    it(`${curve}: CKM_ECDSA signs the digest as given (openssl pkeyutl agrees both ways)`, async () => {
      const e = m('CKM_ECDSA');
      for (const h of ['sha256', 'sha512'] as const) {
        const digest = crypto.createHash(h).update(msg).digest();
        const df = tmp.file(`d-${curve}-${h}`, digest);
        const sig = await e.sign!(pair.priv, digest, {});
        expect(sig.length).toBe(2 * n);
        expect(opensslOk(['pkeyutl', '-verify', '-pubin', '-inkey', pubPem, '-in', df, '-sigfile', tmp.file(`rs-${curve}-${h}`, toDer(sig))])).toBe(true);
        const theirs = fromDer(openssl(['pkeyutl', '-sign', '-inkey', privPem, '-in', df]), n);
        expect(await e.verify!(pair.pub, digest, theirs, {})).toBe(true);
        const other = Buffer.from(digest);
        other[0] = (other[0] ?? 0) ^ 1;
        expect(await e.verify!(pair.pub, other, theirs, {})).toBe(false);
      }
    });

    it(`${curve}: signature of the wrong length → CKR_SIGNATURE_LEN_RANGE`, async () => {
      await expectCode(() => m('CKM_ECDSA_SHA256').verify!(pair.pub, msg, Buffer.alloc(2 * n + 1), {}), 'CKR_SIGNATURE_LEN_RANGE');
      await expectCode(() => m('CKM_ECDSA').verify!(pair.pub, Buffer.alloc(32), Buffer.alloc(2 * n - 2), {}), 'CKR_SIGNATURE_LEN_RANGE');
    });
  }

  it('CKM_ECDSA agrees with noble over a digest longer than the order (truncation)', async () => {
    const pair = ecPair('secp256r1');
    const digest = crypto.createHash('sha512').update(msg).digest();
    const sig = await m('CKM_ECDSA').sign!(pair.priv, digest, {});
    const jwk = pair.pub.key.export({ format: 'jwk' });
    const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
    expect(p256.verify(sig, digest, point, { prehash: false, lowS: false })).toBe(true);
  });

  it('CKM_ECDSA input that is no digest (empty or over 64 bytes) → CKR_DATA_LEN_RANGE', async () => {
    const pair = ecPair();
    await expectCode(() => m('CKM_ECDSA').sign!(pair.priv, Buffer.alloc(0), {}), 'CKR_DATA_LEN_RANGE');
    await expectCode(() => m('CKM_ECDSA').sign!(pair.priv, Buffer.alloc(65), {}), 'CKR_DATA_LEN_RANGE');
  });
});

describe('CKM_ECDH1_DERIVE', () => {
  const e = m('CKM_ECDH1_DERIVE');
  for (const curve of ['secp256r1', 'secp384r1', 'secp521r1'] as const) {
    it(`${curve}: the null KDF gives openssl pkeyutl -derive's secret; SPKI and raw point agree`, async () => {
      const a = ecPair(curve);
      const b = ecPair(curve);
      const z = openssl(['pkeyutl', '-derive', '-inkey', tmp.file(`a-${curve}.pem`, pem(a.priv)), '-peerkey', tmp.file(`b-${curve}.pem`, pem(b.pub))]);
      expect(z.length).toBe(FIELD[curve]);
      const spki = b.pub.key.export({ format: 'der', type: 'spki' });
      expect(await e.derive!(a.priv, { publicData: spki }, z.length)).toEqual(z);
      const jwk = b.pub.key.export({ format: 'jwk' });
      const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
      expect(await e.derive!(a.priv, { publicData: point }, 16)).toEqual(z.subarray(0, 16));
    });
  }

  it('sha256 KDF matches openssl kdf X963KDF over the same shared secret', async () => {
    const a = ecPair();
    const b = ecPair();
    const spki = b.pub.key.export({ format: 'der', type: 'spki' });
    const z = await e.derive!(a.priv, { publicData: spki }, 32);
    for (const [h, len] of [['sha256', 48], ['sha1', 16], ['sha512', 100]] as const) {
      const out = openssl(['kdf', '-keylen', String(len), '-kdfopt', `digest:${h.toUpperCase()}`, '-kdfopt', `hexsecret:${z.toString('hex')}`, 'X963KDF']);
      const expected = out.toString().trim().replace(/:/g, '').toLowerCase();
      expect((await e.derive!(a.priv, { publicData: spki, kdf: h }, len)).toString('hex')).toBe(expected);
    }
  });

  it('peer key on another curve → CKR_MECHANISM_PARAM_INVALID', async () => {
    const a = ecPair('secp256r1');
    const b = ecPair('secp384r1');
    const spki = b.pub.key.export({ format: 'der', type: 'spki' });
    await expectCode(() => e.derive!(a.priv, { publicData: spki }, 32), 'CKR_MECHANISM_PARAM_INVALID');
  });

  it('point not on the curve, or garbage → CKR_MECHANISM_PARAM_INVALID', async () => {
    const a = ecPair();
    const bad = Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)]);
    await expectCode(() => e.derive!(a.priv, { publicData: bad }, 32), 'CKR_MECHANISM_PARAM_INVALID');
    await expectCode(() => e.derive!(a.priv, { publicData: Buffer.from('nope') }, 32), 'CKR_MECHANISM_PARAM_INVALID');
  });

  it('missing publicData → CKR_MECHANISM_PARAM_INVALID', async () => {
    await expectCode(() => e.derive!(ecPair().priv, {}, 32), 'CKR_MECHANISM_PARAM_INVALID');
  });

  it('null KDF asked for more than the shared secret → CKR_KEY_SIZE_RANGE', async () => {
    const a = ecPair();
    const spki = ecPair().pub.key.export({ format: 'der', type: 'spki' });
    await expectCode(() => e.derive!(a.priv, { publicData: spki }, 33), 'CKR_KEY_SIZE_RANGE');
    expect((await e.derive!(a.priv, { publicData: spki, kdf: 'sha256' }, 33)).length).toBe(33);
  });
});
