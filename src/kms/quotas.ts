// KMS request quotas: AWS KMS throttles each account (and each CloudHSM key store) to so many
// requests per second and answers ThrottlingException beyond that, which is what the SDKs' retry
// logic is built for. Strongroom does not throttle unless asked (`--kms-quotas`); then it keeps
// AWS's published defaults (or the caller's figures) with one token bucket per quota and account
// (per key store for the key store quota), each holding one second of requests, refilled
// continuously. Nothing here sees key material or input values beyond key specs and store ids.

import { kmsError, K } from './errors.js';

/** Requests per second, by quota name. */
export type QuotaTable = Record<string, number>;

/**
 * AWS's defaults for the quotas Strongroom applies. Shared cryptographic quotas are named by key
 * type; the CloudHSM key store quota is per store; the rest are per operation. The symmetric figure
 * is the lowest of AWS's Regions; AWS does not let the key store quota be raised.
 */
export const AWS_QUOTAS: Readonly<QuotaTable> = Object.freeze({
  symmetric: 10_000,
  rsa: 1_000,
  ecc: 1_000,
  'cloudhsm-key-store': 1_800,
  // GenerateDataKeyPair(WithoutPlaintext), by KeyPairSpec.
  'data-key-pair:ECC_NIST_P256': 25,
  'data-key-pair:ECC_NIST_P384': 10,
  'data-key-pair:ECC_NIST_P521': 5,
  'data-key-pair:ECC_SECG_P256K1': 25,
  'data-key-pair:RSA_2048': 1,
  'data-key-pair:RSA_3072': 0.5,
  'data-key-pair:RSA_4096': 0.1,
  // Per operation (AWS's per-API request quotas).
  CancelKeyDeletion: 5,
  CreateAlias: 5,
  CreateGrant: 50,
  CreateKey: 5,
  DeleteAlias: 15,
  DescribeKey: 2_000,
  DisableKey: 5,
  DisableKeyRotation: 5,
  EnableKey: 5,
  EnableKeyRotation: 5,
  GetKeyPolicy: 1_000,
  GetKeyRotationStatus: 1_000,
  GetPublicKey: 2_000,
  ListAliases: 500,
  ListGrants: 100,
  ListKeyPolicies: 100,
  ListKeys: 500,
  ListResourceTags: 2_000,
  ListRetirableGrants: 100,
  PutKeyPolicy: 15,
  RetireGrant: 30,
  RevokeGrant: 30,
  ScheduleKeyDeletion: 15,
  TagResource: 10,
  UntagResource: 5,
  UpdateAlias: 5,
  UpdateKeyDescription: 5,
  // The custom key store operations, 5 each.
  CreateCustomKeyStore: 5,
  ConnectCustomKeyStore: 5,
  DisconnectCustomKeyStore: 5,
  DescribeCustomKeyStores: 5,
  UpdateCustomKeyStore: 5,
  DeleteCustomKeyStore: 5,
});

/** Operations that draw on the shared cryptographic quota of the key's type. */
export const CRYPTO_OPERATIONS: ReadonlySet<string> = new Set([
  'Encrypt', 'Decrypt', 'ReEncrypt', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext',
  'GenerateDataKeyPair', 'GenerateDataKeyPairWithoutPlaintext', 'GenerateMac', 'VerifyMac',
  'Sign', 'Verify', 'GenerateRandom',
]);

/** Operations that draw on a CloudHSM key store's own quota when their key lives there. */
const KEY_STORE_OPERATIONS: ReadonlySet<string> = new Set([
  'Encrypt', 'Decrypt', 'ReEncrypt', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext', 'GenerateRandom',
]);

/** The shared cryptographic quota a key spec draws on. */
export function keyTypeQuota(keySpec: string): 'symmetric' | 'rsa' | 'ecc' {
  if (keySpec.startsWith('RSA_')) return 'rsa';
  if (keySpec.startsWith('ECC_')) return 'ecc';
  return 'symmetric';
}

/**
 * Parses `--kms-quotas`: `aws` (AWS's defaults), `NAME=N,...` (only those), or `aws,NAME=N,...`
 * (the defaults with some changed). N is requests per second (> 0); `NAME=off` drops one quota.
 */
export function parseQuotaSpec(spec: string): QuotaTable {
  const table: QuotaTable = {};
  const parts = spec.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (parts.length === 0) throw new Error('--kms-quotas: give aws, NAME=N pairs, or both');
  for (const [i, part] of parts.entries()) {
    if (part === 'aws') {
      if (i !== 0) throw new Error('--kms-quotas: aws comes first');
      Object.assign(table, AWS_QUOTAS);
      continue;
    }
    const eq = part.indexOf('=');
    const name = part.slice(0, eq);
    const value = part.slice(eq + 1);
    if (eq <= 0 || !isQuotaName(name)) throw new Error(`--kms-quotas: unknown quota ${JSON.stringify(part.slice(0, 60))} (names: ${Object.keys(AWS_QUOTAS).join(', ')})`);
    if (value === 'off') {
      delete table[name];
      continue;
    }
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0 || n > 1_000_000) throw new Error(`--kms-quotas: ${name} takes a rate from above 0 to 1000000 requests/s, or off`);
    table[name] = n;
  }
  return table;
}

function isQuotaName(name: string): boolean {
  return Object.hasOwn(AWS_QUOTAS, name);
}

interface Bucket {
  tokens: number;
  at: number;
}

/** What one request draws on: the quota names with the scope (account or store id) of each. */
export type Draw = readonly { quota: string; scope: string }[];

export class RequestQuotas {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    readonly table: Readonly<QuotaTable>,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * What a request draws on. `key` is the key it uses, when it names one; `storeId` the custom key
   * store of a GenerateRandom. Quotas not in the table are skipped.
   */
  draws(operation: string, accountId: string, key?: { keySpec: string; customKeyStoreId?: string | undefined }, extra?: { storeId?: string; keyPairSpec?: string }): Draw {
    const out: { quota: string; scope: string }[] = [];
    const add = (quota: string, scope: string): void => {
      if (this.table[quota] !== undefined) out.push({ quota, scope });
    };
    if (CRYPTO_OPERATIONS.has(operation)) {
      add(key ? keyTypeQuota(key.keySpec) : 'symmetric', accountId);
      const store = key?.customKeyStoreId ?? extra?.storeId;
      if (store && KEY_STORE_OPERATIONS.has(operation)) add('cloudhsm-key-store', store);
      if (extra?.keyPairSpec) add(`data-key-pair:${extra.keyPairSpec}`, accountId);
    } else {
      add(operation, accountId);
    }
    return out;
  }

  /** Takes one request from every bucket of `draw`, or none and throws ThrottlingException. */
  take(draw: Draw): void {
    if (draw.length === 0) return;
    const t = this.now();
    const buckets = draw.map(({ quota, scope }) => {
      const rate = this.table[quota]!;
      const id = `${quota}\0${scope}`;
      let b = this.buckets.get(id);
      if (!b) {
        b = { tokens: Math.max(1, rate), at: t };
        this.buckets.set(id, b);
      } else {
        b.tokens = Math.min(Math.max(1, rate), b.tokens + ((t - b.at) / 1000) * rate);
        b.at = t;
      }
      return { quota, b };
    });
    const short = buckets.find(({ b }) => b.tokens < 1);
    if (short) {
      const what = short.quota === 'cloudhsm-key-store' ? 'the request rate of this CloudHSM key store' : 'the rate at which you may call KMS';
      throw kmsError(K.throttling, `You have exceeded ${what}. Reduce the frequency of your calls.`);
    }
    for (const { b } of buckets) b.tokens -= 1;
  }
}
