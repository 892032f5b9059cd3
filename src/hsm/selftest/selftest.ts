// Power-on self-tests: a known-answer test per symmetric family and digest (vectors.ts), and
// pairwise-consistency tests for RSA, ECDSA and ECDH with freshly generated keys, all run through
// the registry's own entries. The HSM must not serve until runSelfTests resolves; any failure is
// HsmError('CKR_DEVICE_ERROR', 'self-test failed: <mechanism>'). Must never log key material.

import crypto from 'node:crypto';
import { promisify } from 'node:util';
import { HsmError } from '../../protocol/errors.js';
import type { ParsedMechParams } from '../../protocol/operations.js';
import type { MechanismRegistry } from '../mechanisms/registry.js';
import type { MechKey, MechanismEntry } from '../mechanisms/types.js';
import { CBC_KAT, CTR_KAT, DIGEST_KAT, GCM_KAT, MAC_KATS, WRAP_KATS } from './vectors.js';

const generateKeyPair = promisify(crypto.generateKeyPair);
const hex = (s: string): Buffer => Buffer.from(s, 'hex');

function secret(keyHex: string, keyType: 'aes' | 'generic-secret' = 'aes'): MechKey {
  const raw = hex(keyHex);
  return { class: 'secret-key', keyType, sizeBits: raw.length * 8, key: crypto.createSecretKey(raw) };
}

function same(a: Buffer, b: Buffer): void {
  if (!a.equals(b)) throw new Error('output differs from the known answer');
}

function expect(cond: boolean, what: string): void {
  if (!cond) throw new Error(what);
}

async function mustFail(fn: () => unknown): Promise<void> {
  try {
    await fn();
  } catch {
    return;
  }
  throw new Error('a corrupted input was accepted');
}

type Test = { mechanism: string; run: (e: MechanismEntry) => Promise<void> };

const KATS: Test[] = [
  {
    mechanism: GCM_KAT.mechanism,
    run: async (e) => {
      const k = secret(GCM_KAT.key);
      const params: ParsedMechParams = { iv: hex(GCM_KAT.iv), aad: hex(GCM_KAT.aad ?? '') };
      same((await e.encrypt!(k, hex(GCM_KAT.plaintext), params)).data, hex(GCM_KAT.ciphertext));
      same(await e.decrypt!(k, hex(GCM_KAT.ciphertext), params), hex(GCM_KAT.plaintext));
      const tampered = hex(GCM_KAT.ciphertext);
      tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1;
      await mustFail(() => e.decrypt!(k, tampered, params));
    },
  },
  {
    mechanism: CBC_KAT.mechanism,
    run: async (e) => {
      const k = secret(CBC_KAT.key);
      const params: ParsedMechParams = { iv: hex(CBC_KAT.iv) };
      const out = (await e.encrypt!(k, hex(CBC_KAT.plaintext), params)).data;
      expect(out.length === hex(CBC_KAT.ciphertext).length + 16, 'padding block missing');
      same(out.subarray(0, out.length - 16), hex(CBC_KAT.ciphertext));
      same(await e.decrypt!(k, out, params), hex(CBC_KAT.plaintext));
    },
  },
  {
    mechanism: CTR_KAT.mechanism,
    run: async (e) => {
      const k = secret(CTR_KAT.key);
      const params: ParsedMechParams = { iv: hex(CTR_KAT.iv) };
      same((await e.encrypt!(k, hex(CTR_KAT.plaintext), params)).data, hex(CTR_KAT.ciphertext));
      same(await e.decrypt!(k, hex(CTR_KAT.ciphertext), params), hex(CTR_KAT.plaintext));
    },
  },
  ...WRAP_KATS.map((v): Test => ({
    mechanism: v.mechanism,
    run: async (e) => {
      const k = secret(v.kek);
      same(await e.wrap!(k, hex(v.key), {}), hex(v.wrapped));
      same(await e.unwrap!(k, hex(v.wrapped), {}), hex(v.key));
      const tampered = hex(v.wrapped);
      tampered[0] = (tampered[0] ?? 0) ^ 1;
      await mustFail(() => e.unwrap!(k, tampered, {}));
    },
  })),
  ...MAC_KATS.map((v): Test => ({
    mechanism: v.mechanism,
    run: async (e) => {
      const k = secret(v.key, e.keyTypes.includes('generic-secret') ? 'generic-secret' : 'aes');
      same(await e.sign!(k, hex(v.message), {}), hex(v.mac));
      expect(await e.verify!(k, hex(v.message), hex(v.mac), {}), 'the known MAC did not verify');
      const wrong = hex(v.mac);
      wrong[0] = (wrong[0] ?? 0) ^ 1;
      expect(!(await e.verify!(k, hex(v.message), wrong, {})), 'a wrong MAC verified');
    },
  })),
  {
    mechanism: DIGEST_KAT.mechanism,
    run: async (e) => same(await e.digest!(hex(DIGEST_KAT.message)), hex(DIGEST_KAT.digest)),
  },
];

async function rsaPair(): Promise<{ priv: MechKey; pub: MechKey }> {
  const { privateKey, publicKey } = await generateKeyPair('rsa', { modulusLength: 2048 });
  return {
    priv: { class: 'private-key', keyType: 'rsa', sizeBits: 2048, key: privateKey },
    pub: { class: 'public-key', keyType: 'rsa', sizeBits: 2048, key: publicKey },
  };
}

async function ecPair(): Promise<{ priv: MechKey; pub: MechKey }> {
  const { privateKey, publicKey } = await generateKeyPair('ec', { namedCurve: 'prime256v1' });
  return {
    priv: { class: 'private-key', keyType: 'ec', sizeBits: 256, curve: 'secp256r1', key: privateKey },
    pub: { class: 'public-key', keyType: 'ec', sizeBits: 256, curve: 'secp256r1', key: publicKey },
  };
}

/** Sign, verify, and check that a changed message does not verify. */
async function signPairwise(e: MechanismEntry, priv: MechKey, pub: MechKey, message: Buffer): Promise<void> {
  const sig = await e.sign!(priv, message, {});
  expect(await e.verify!(pub, message, sig, {}), 'a fresh signature did not verify');
  const other = Buffer.from(message);
  other[0] = (other[0] ?? 0) ^ 1;
  expect(!(await e.verify!(pub, other, sig, {})), 'a signature verified over another message');
}

function pairwiseTests(rsa: { priv: MechKey; pub: MechKey }, ec: { priv: MechKey; pub: MechKey }, ec2: { priv: MechKey; pub: MechKey }): Test[] {
  const msg = crypto.randomBytes(48);
  const digest = crypto.createHash('sha256').update(msg).digest();
  return [
    { mechanism: 'CKM_SHA256_RSA_PKCS', run: (e) => signPairwise(e, rsa.priv, rsa.pub, msg) },
    { mechanism: 'CKM_SHA256_RSA_PKCS_PSS', run: (e) => signPairwise(e, rsa.priv, rsa.pub, msg) },
    { mechanism: 'CKM_RSA_PKCS_PSS', run: (e) => signPairwise(e, rsa.priv, rsa.pub, digest) },
    {
      mechanism: 'CKM_RSA_PKCS_OAEP',
      run: async (e) => {
        const ct = (await e.encrypt!(rsa.pub, msg, {})).data;
        expect(!ct.equals(msg), 'OAEP returned its input');
        same(await e.decrypt!(rsa.priv, ct, {}), msg);
      },
    },
    { mechanism: 'CKM_ECDSA_SHA256', run: (e) => signPairwise(e, ec.priv, ec.pub, msg) },
    { mechanism: 'CKM_ECDSA', run: (e) => signPairwise(e, ec.priv, ec.pub, digest) },
    {
      mechanism: 'CKM_ECDH1_DERIVE',
      run: async (e) => {
        const point = (k: MechKey): Buffer => k.key.export({ format: 'der', type: 'spki' });
        const ab = await e.derive!(ec.priv, { publicData: point(ec2.pub) }, 32);
        const ba = await e.derive!(ec2.priv, { publicData: point(ec.pub) }, 32);
        expect(ab.length === 32 && ab.equals(ba), 'the two sides derived different secrets');
      },
    },
  ];
}

/**
 * Runs every self-test whose mechanism the registry holds; resolves with the mechanisms that
 * passed, or rejects with CKR_DEVICE_ERROR naming the first that failed.
 */
export async function runSelfTests(reg: MechanismRegistry): Promise<{ passed: string[] }> {
  const have = new Set(reg.list().map((e) => e.name));
  const [rsa, ec, ec2] = await Promise.all([rsaPair(), ecPair(), ecPair()]);
  const passed: string[] = [];
  for (const t of [...KATS, ...pairwiseTests(rsa, ec, ec2)]) {
    if (!have.has(t.mechanism)) continue;
    try {
      await t.run(reg.get(t.mechanism));
    } catch (err) {
      throw new HsmError('CKR_DEVICE_ERROR', `self-test failed: ${t.mechanism}`, { cause: err });
    }
    if (!passed.includes(t.mechanism)) passed.push(t.mechanism);
  }
  return { passed };
}
