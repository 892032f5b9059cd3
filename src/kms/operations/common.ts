// What every KMS operation shares: its dependencies, input checks that answer ValidationException
// naming the field, key lookup by id / key ARN / alias name / alias ARN within the caller's account
// (another account's key is simply not found), key-state checks in KMS's order, and the SDK-shaped
// KeyMetadata. Never returns key material or HSM passwords.

import type { KeyMetadata } from '@aws-sdk/client-kms';
import type { AwsCallContext, AwsOperationSpec } from '../../aws/server.js';
import type { StrongroomClient } from '../../client/client.js';
import type { ControlPlaneState } from '../../control-plane/state.js';
import type { KeyRow, KmsDb } from '../db.js';
import type { CustomStores } from '../stores/custom.js';
import type { RequestQuotas } from '../quotas.js';
import { K, kmsError, validation } from '../errors.js';

export interface Deps {
  db: KmsDb;
  /** The client of KMS's own store, logged in as its crypto user. */
  own: StrongroomClient;
  custom: CustomStores;
  cp: ControlPlaneState;
  /** Length of a "day" for deletion windows and rotation periods (tests shorten it). */
  dayMs: number;
  log: (line: string) => void;
  /** Request quotas (ThrottlingException beyond them); none unless configured. */
  quotas?: RequestQuotas;
  /** Whether an IAM principal ARN (account root or user) exists; key policies naming others are refused. */
  principalExists?: (arn: string) => boolean;
}

export type Op<I = Record<string, unknown>, O = unknown> = (deps: Deps) => AwsOperationSpec<I, O>;
export type In = Record<string, unknown>;

// --- input checks ----------------------------------------------------------------------------

export function str(i: In, field: string, o: { required?: boolean; min?: number; max?: number; re?: RegExp; oneOf?: readonly string[] } = {}): string | undefined {
  const v = i[field];
  if (v === undefined || v === null) {
    if (o.required) throw validation(`1 validation error detected: Value null at '${lc(field)}' failed to satisfy constraint: Member must not be null`);
    return undefined;
  }
  if (typeof v !== 'string') throw validation(`${field} must be a string`);
  if (o.min !== undefined && v.length < o.min) throw validation(`${field} must be at least ${o.min} characters`);
  if (o.max !== undefined && v.length > o.max) throw validation(`${field} must be at most ${o.max} characters`);
  if (o.re && !o.re.test(v)) throw validation(`${field} ${JSON.stringify(v.slice(0, 80))} does not match ${o.re.source}`);
  if (o.oneOf && !o.oneOf.includes(v)) throw validation(`1 validation error detected: Value '${v.slice(0, 80)}' at '${lc(field)}' failed to satisfy constraint: Member must satisfy enum value set: [${o.oneOf.join(', ')}]`);
  return v;
}

export function req(i: In, field: string, o: { min?: number; max?: number; re?: RegExp; oneOf?: readonly string[] } = {}): string {
  return str(i, field, { ...o, required: true })!;
}

export function int(i: In, field: string, min: number, max: number): number | undefined {
  const v = i[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw validation(`${field} must be an integer from ${min} to ${max}`);
  return v;
}

export function bool(i: In, field: string): boolean | undefined {
  const v = i[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw validation(`${field} must be a boolean`);
  return v;
}

/** A base64 blob field, decoded, with byte-length bounds. */
export function blob(i: In, field: string, min: number, max: number, required = true): Buffer | undefined {
  const v = i[field];
  if (v === undefined || v === null) {
    if (required) throw validation(`${field} is required`);
    return undefined;
  }
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw validation(`${field} must be base64`);
  const b = Buffer.from(v, 'base64');
  if (b.length < min || b.length > max) throw validation(`${field} must be ${min} to ${max} bytes (got ${b.length})`);
  return b;
}

export function context(i: In, field = 'EncryptionContext'): Record<string, string> | undefined {
  const v = i[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw validation(`${field} must be a map of strings`);
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (typeof x !== 'string') throw validation(`${field} value of ${k.slice(0, 80)} must be a string`);
  }
  return v as Record<string, string>;
}

function lc(f: string): string {
  return f.charAt(0).toLowerCase() + f.slice(1);
}

/** Marker pagination: an opaque offset. */
export function page<T>(items: T[], i: In, max = 1000, dflt = 100): { items: T[]; next?: string } {
  const limit = int(i, 'Limit', 1, max) ?? dflt;
  const marker = str(i, 'Marker', { max: 1024 });
  let start = 0;
  if (marker !== undefined) {
    const t = Buffer.from(marker, 'base64url').toString('utf8');
    if (!/^o:\d+$/.test(t)) throw kmsError(K.invalidMarker, 'The Marker is not valid.');
    start = Number(t.slice(2));
  }
  const slice = items.slice(start, start + limit);
  return start + limit < items.length ? { items: slice, next: Buffer.from(`o:${start + limit}`).toString('base64url') } : { items: slice };
}

export function listed<T, K extends string>(name: K, p: { items: T[]; next?: string }): Record<K, T[]> & { Truncated: boolean; NextMarker?: string } {
  return { [name]: p.items, Truncated: p.next !== undefined, ...(p.next !== undefined ? { NextMarker: p.next } : {}) } as Record<K, T[]> & { Truncated: boolean; NextMarker?: string };
}

// --- keys ------------------------------------------------------------------------------------

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ARN_RE = /^arn:aws:kms:([^:]*):(\d{12}):(key|alias)\/(.+)$/;

export function keyArn(region: string, accountId: string, keyId: string): string {
  return `arn:aws:kms:${region}:${accountId}:key/${keyId}`;
}

/** The key a KeyId names (id, key ARN, alias name, alias ARN), if the caller's account has it. */
export function findKey(d: Deps, ctx: AwsCallContext, keyIdField: string): KeyRow | undefined {
  const acct = ctx.identity.accountId;
  const m = ARN_RE.exec(keyIdField);
  let id = keyIdField;
  if (m) {
    if (m[2] !== acct) return undefined;
    id = m[3] === 'alias' ? `alias/${m[4]}` : m[4]!;
  }
  if (id.startsWith('alias/')) {
    const a = d.db.alias(acct, id);
    if (!a) return undefined;
    id = a.keyId;
  }
  if (!UUID_RE.test(id)) return undefined;
  const k = d.db.key(id);
  return k && k.accountId === acct ? k : undefined;
}

export function requireKey(d: Deps, ctx: AwsCallContext, i: In, field = 'KeyId'): KeyRow {
  const keyId = req(i, field, { min: 1, max: 2048 });
  const k = findKey(d, ctx, keyId);
  if (!k) throw kmsError(K.notFound, `${keyId.startsWith('alias/') || keyId.includes(':alias/') ? 'Alias' : 'Key'} '${describeId(ctx, keyId)}' does not exist`);
  return k;
}

function describeId(ctx: AwsCallContext, keyId: string): string {
  if (keyId.startsWith('arn:')) return keyId;
  return keyId.startsWith('alias/') ? `arn:aws:kms:${ctx.region}:${ctx.identity.accountId}:${keyId}` : keyArn(ctx.region, ctx.identity.accountId, keyId);
}

/** IAM resource for a call naming a key: its ARN, or the ARN it would have. */
export function keyResource(d: Deps, field = 'KeyId') {
  return (ctx: AwsCallContext, i: In): string[] => {
    const v = i[field];
    if (typeof v !== 'string') return ['*'];
    const k = findKey(d, ctx, v);
    return [k ? k.arn : describeId(ctx, v)];
  };
}

/** The state KMS shows: a key of a store that is not connected is Unavailable. */
export function effectiveState(d: Deps, k: KeyRow): string {
  if (k.customKeyStoreId && (k.state === 'Enabled' || k.state === 'Disabled') && !d.custom.client(k.customKeyStoreId)) return 'Unavailable';
  return k.state;
}

/** Checks, in order: state (Disabled, PendingDeletion, Unavailable), then usage. */
export function usable(d: Deps, k: KeyRow, usage: KeyRow['keyUsage'], op: string): StrongroomClient {
  if (k.state === 'Disabled') throw kmsError(K.disabled, `${k.arn} is disabled.`);
  if (k.state !== 'Enabled') throw kmsError(K.invalidState, `${k.arn} is ${k.state === 'PendingDeletion' ? 'pending deletion' : k.state}.`);
  const client = clientFor(d, k);
  if (k.keyUsage !== usage) throw kmsError(K.invalidKeyUsage, `You cannot use ${op} with ${k.arn}: its KeyUsage is ${k.keyUsage}.`);
  return client;
}

export function clientFor(d: Deps, k: KeyRow): StrongroomClient {
  if (!k.customKeyStoreId) return d.own;
  const c = d.custom.client(k.customKeyStoreId);
  if (!c) throw kmsError(K.invalidState, `${k.arn} is unavailable: custom key store ${k.customKeyStoreId} is not connected.`);
  return c;
}

/** Only keys in these states may change state or settings (not PendingDeletion). */
export function notPendingDeletion(k: KeyRow): void {
  if (k.state === 'PendingDeletion') throw kmsError(K.invalidState, `${k.arn} is pending deletion.`);
}

const ENCRYPTION_ALGS: Record<string, string[]> = {
  SYMMETRIC_DEFAULT: ['SYMMETRIC_DEFAULT'],
  RSA_2048: ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'], RSA_3072: ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'], RSA_4096: ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'],
};
const RSA_SIGNING = ['RSASSA_PSS_SHA_256', 'RSASSA_PSS_SHA_384', 'RSASSA_PSS_SHA_512', 'RSASSA_PKCS1_V1_5_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_384', 'RSASSA_PKCS1_V1_5_SHA_512'];
export const SIGNING_ALGS: Record<string, string[]> = {
  RSA_2048: RSA_SIGNING, RSA_3072: RSA_SIGNING, RSA_4096: RSA_SIGNING,
  ECC_NIST_P256: ['ECDSA_SHA_256'], ECC_NIST_P384: ['ECDSA_SHA_384'], ECC_NIST_P521: ['ECDSA_SHA_512'],
};
export const MAC_ALGS: Record<string, string> = { HMAC_224: 'HMAC_SHA_224', HMAC_256: 'HMAC_SHA_256', HMAC_384: 'HMAC_SHA_384', HMAC_512: 'HMAC_SHA_512' };

export function encryptionAlgorithms(k: KeyRow): string[] | undefined {
  return k.keyUsage === 'ENCRYPT_DECRYPT' ? ENCRYPTION_ALGS[k.keySpec] : undefined;
}

export function metadata(d: Deps, k: KeyRow): KeyMetadata {
  const state = effectiveState(d, k);
  const store = k.customKeyStoreId ? d.db.store(k.customKeyStoreId) : undefined;
  const md: Record<string, unknown> = {
    AWSAccountId: k.accountId,
    KeyId: k.keyId,
    Arn: k.arn,
    CreationDate: new Date(k.createdAt),
    Enabled: k.state === 'Enabled',
    Description: k.description,
    KeyUsage: k.keyUsage,
    KeyState: state,
    Origin: k.origin,
    KeyManager: 'CUSTOMER',
    CustomerMasterKeySpec: k.keySpec,
    KeySpec: k.keySpec,
    MultiRegion: false,
  };
  if (k.deletionDate !== undefined) {
    md['DeletionDate'] = new Date(k.deletionDate);
    md['PendingDeletionWindowInDays'] = k.pendingWindowDays;
  }
  if (store) {
    md['CustomKeyStoreId'] = store.id;
    md['CloudHsmClusterId'] = store.clusterId;
  }
  const enc = encryptionAlgorithms(k);
  if (enc) md['EncryptionAlgorithms'] = enc;
  if (k.keyUsage === 'SIGN_VERIFY') md['SigningAlgorithms'] = SIGNING_ALGS[k.keySpec];
  if (k.keyUsage === 'GENERATE_VERIFY_MAC') md['MacAlgorithms'] = [MAC_ALGS[k.keySpec]];
  return md as unknown as KeyMetadata;
}

export function defaultPolicy(accountId: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Id: 'key-default-1',
    Statement: [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: 'kms:*', Resource: '*' }],
  }, null, 2);
}
