// CreateKey: a KMS key in KMS's own store (SYMMETRIC_DEFAULT, HMAC_*, RSA_*, ECC_NIST_*), or, with
// Origin AWS_CLOUDHSM, a non-extractable AES-256 key in a connected custom key store's cluster,
// owned by kmsuser. Either way the HSM object's label is the key ARN. A Policy must parse and pass
// the lockout safety check before anything is made. Metadata goes to kms.sqlite only after the
// HSM made the key.

import { randomUUID, createPublicKey } from 'node:crypto';
import type { CreateKeyResponse } from '@aws-sdk/client-kms';
import type { StrongroomClient } from '../../client/client.js';
import type { KeyRow } from '../db.js';
import { K, fromHsm, kmsError, validation } from '../errors.js';
import { bool, defaultPolicy, keyArn, metadata, str, type In, type Op } from './common.js';
import { tagList } from './tags.js';
import { acceptKeyPolicy } from './policies.js';

const SPECS: Record<string, KeyRow['keyUsage'][]> = {
  SYMMETRIC_DEFAULT: ['ENCRYPT_DECRYPT'],
  HMAC_224: ['GENERATE_VERIFY_MAC'], HMAC_256: ['GENERATE_VERIFY_MAC'], HMAC_384: ['GENERATE_VERIFY_MAC'], HMAC_512: ['GENERATE_VERIFY_MAC'],
  RSA_2048: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'], RSA_3072: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'], RSA_4096: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'],
  ECC_NIST_P256: ['SIGN_VERIFY'], ECC_NIST_P384: ['SIGN_VERIFY'], ECC_NIST_P521: ['SIGN_VERIFY'],
};
const CURVES: Record<string, 'secp256r1' | 'secp384r1' | 'secp521r1'> = { ECC_NIST_P256: 'secp256r1', ECC_NIST_P384: 'secp384r1', ECC_NIST_P521: 'secp521r1' };

/** Makes the HSM objects of a new key (or of new material for rotation). */
export async function generateMaterial(client: StrongroomClient, spec: string, usage: KeyRow['keyUsage'], label: string): Promise<{ ref: string; publicRef?: string; publicKey?: string }> {
  if (spec === 'SYMMETRIC_DEFAULT' || spec.startsWith('HMAC_')) {
    const mac = spec.startsWith('HMAC_');
    const r = await client.call('key.generateSymmetric', {
      keyType: mac ? 'generic-secret' : 'aes',
      keyLengthBytes: mac ? Number(spec.slice(5)) / 8 : 32,
      attributes: { label, extractable: false, sensitive: true, encrypt: !mac, decrypt: !mac, sign: mac, verify: mac },
    });
    return { ref: r.key['key-reference'] };
  }
  const sign = usage === 'SIGN_VERIFY';
  const r = await client.call('key.generateKeyPair', spec.startsWith('RSA_')
    ? { keyType: 'rsa', modulusSizeBits: Number(spec.slice(4)), publicExponent: 65537, publicAttributes: { label, encrypt: !sign, verify: sign }, privateAttributes: { label, extractable: false, sensitive: true, decrypt: !sign, sign } }
    : { keyType: 'ec', curve: CURVES[spec]!, publicAttributes: { label, verify: true }, privateAttributes: { label, extractable: false, sensitive: true, sign: true } });
  const pub = await client.call('key.getPublic', { ref: r.public_key['key-reference'] });
  const der = createPublicKey(pub.pem).export({ format: 'der', type: 'spki' });
  return { ref: r.private_key['key-reference'], publicRef: r.public_key['key-reference'], publicKey: der.toString('base64') };
}

/** ≥2 ACTIVE HSMs in different zones (reference §10), else CloudHsmClusterInvalidConfigurationException. */
export function requireTwoZones(zones: string[], clusterId: string): void {
  if (new Set(zones).size < 2) throw kmsError(K.clusterInvalidConfig, `Cluster ${clusterId} needs at least two active HSMs in different Availability Zones.`);
}

export const CreateKey: Op<In, CreateKeyResponse> = (d) => ({
  readOnly: false,
  async handler(ctx, input) {
    const i = input;
    const description = str(i, 'Description', { max: 8192 }) ?? '';
    const spec = str(i, 'KeySpec', { oneOf: Object.keys(SPECS) }) ?? str(i, 'CustomerMasterKeySpec', { oneOf: Object.keys(SPECS) }) ?? 'SYMMETRIC_DEFAULT';
    const usage = (str(i, 'KeyUsage', { oneOf: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY', 'GENERATE_VERIFY_MAC', 'KEY_AGREEMENT'] }) ?? SPECS[spec]![0]!) as KeyRow['keyUsage'];
    const origin = str(i, 'Origin', { oneOf: ['AWS_KMS', 'EXTERNAL', 'AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE'] }) ?? 'AWS_KMS';
    const storeId = str(i, 'CustomKeyStoreId', { min: 1, max: 64 });
    const tags = tagList(i, 'Tags') ?? [];
    const policy = str(i, 'Policy', { min: 1, max: 32768 });
    const bypass = bool(i, 'BypassPolicyLockoutSafetyCheck') ?? false;
    if (bool(i, 'MultiRegion')) throw kmsError(K.unsupported, 'Multi-Region keys are not supported.');
    if (!SPECS[spec]!.includes(usage)) throw validation(`KeyUsage ${usage} is not valid for KeySpec ${spec}.`);
    if (origin === 'EXTERNAL' || origin === 'EXTERNAL_KEY_STORE') throw kmsError(K.unsupported, `Origin ${origin} is not supported.`);
    let client = d.own;
    if (origin === 'AWS_CLOUDHSM' || storeId !== undefined) {
      if (origin !== 'AWS_CLOUDHSM') throw validation('CustomKeyStoreId requires Origin AWS_CLOUDHSM.');
      if (storeId === undefined) throw validation('Origin AWS_CLOUDHSM requires CustomKeyStoreId.');
      const s = d.db.store(storeId);
      if (!s || s.accountId !== ctx.identity.accountId) throw kmsError(K.cksNotFound, `Custom key store ${storeId} does not exist.`);
      if (spec !== 'SYMMETRIC_DEFAULT') throw kmsError(K.unsupported, 'A CloudHSM key store holds SYMMETRIC_DEFAULT keys only.');
      const c = d.custom.client(storeId);
      if (!c || s.connectionState !== 'CONNECTED') throw kmsError(K.cksInvalidState, `Custom key store ${storeId} is ${s.connectionState}; it must be CONNECTED.`);
      requireTwoZones(d.custom.endpoints(s.clusterId).map((h) => h.zone), s.clusterId);
      client = c;
    }
    const keyId = randomUUID();
    const arn = keyArn(ctx.region, ctx.identity.accountId, keyId);
    if (policy !== undefined) acceptKeyPolicy(ctx, policy, arn, bypass, d.principalExists);
    let m: Awaited<ReturnType<typeof generateMaterial>>;
    try {
      m = await generateMaterial(client, spec, usage, arn);
    } catch (e) {
      throw fromHsm(e, `CreateKey in ${storeId ?? 'the KMS key store'}`);
    }
    const now = ctx.now.getTime();
    const row: KeyRow = {
      keyId, arn, accountId: ctx.identity.accountId, region: ctx.region, createdAt: now, description, keyUsage: usage, keySpec: spec,
      origin: origin as KeyRow['origin'], state: 'Enabled', versions: [{ v: 1, ref: m.ref, createdAt: now }],
      policy: policy ?? defaultPolicy(ctx.identity.accountId),
      ...(storeId !== undefined ? { customKeyStoreId: storeId } : {}),
      ...(m.publicRef !== undefined ? { publicRef: m.publicRef, publicKey: m.publicKey! } : {}),
    };
    d.db.putKey(row);
    if (tags.length) d.db.setTags(keyId, tags);
    return { KeyMetadata: metadata(d, row) };
  },
});
