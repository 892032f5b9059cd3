// What every CloudHSMv2 operation shares: its dependencies, input checks that answer
// CloudHsmInvalidRequestException naming the field, tenancy lookups (another account's resource
// is simply not found, unless a backup's resource policy shares it), pagination tokens, and the
// SDK-shaped views of clusters, HSMs, backups (with Mode and NetworkType, which the SDK at 3.332
// lacks: hand-typed extensions).
// Never returns key material, CA keys or the fleet backup secret.

import type { Backup, Cluster, Hsm, Tag } from '@aws-sdk/client-cloudhsm-v2';
import type { AwsCallContext, AwsOperationSpec } from '../../aws/server.js';
import { arn, ID_RE } from '../ids.js';
import { invalid, notFound } from '../errors.js';
import { modeOf, type BackupRow, type ClusterMode, type ClusterRow, type ControlPlaneState, type HsmRow, type NetworkType } from '../state.js';
import { parseResourcePolicy, sharingAllows } from '../backups/sharing.js';
import type { Lifecycle } from '../provisioning/lifecycle.js';
import type { BackupManager } from '../backups/manager.js';

export interface Deps {
  state: ControlPlaneState;
  lifecycle: Lifecycle;
  backups: BackupManager;
  /** Loopback /16 of the first cluster (127.<n>.z.h); each new cluster takes the next. */
  firstSubnetOctet?: number;
}

export type Op<I, O> = (deps: Deps) => AwsOperationSpec<I, O>;

export function obj(input: unknown): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw invalid('the request body must be a JSON object');
  return input as Record<string, unknown>;
}

export function str(input: Record<string, unknown>, field: string, opts: { required?: boolean; re?: RegExp; max?: number; min?: number } = {}): string | undefined {
  const v = input[field];
  if (v === undefined || v === null) {
    if (opts.required) throw invalid(`${field} is required`);
    return undefined;
  }
  if (typeof v !== 'string') throw invalid(`${field} must be a string`);
  if (opts.min !== undefined && v.length < opts.min) throw invalid(`${field} must be at least ${opts.min} characters`);
  if (opts.max !== undefined && v.length > opts.max) throw invalid(`${field} must be at most ${opts.max} characters`);
  if (opts.re && !opts.re.test(v)) throw invalid(`${field} ${JSON.stringify(v.slice(0, 80))} does not match ${opts.re.source}`);
  return v;
}

export function req(input: Record<string, unknown>, field: string, opts: { re?: RegExp; max?: number; min?: number } = {}): string {
  return str(input, field, { ...opts, required: true })!;
}

export function strList(input: Record<string, unknown>, field: string, opts: { min?: number; max?: number; required?: boolean } = {}): string[] | undefined {
  const v = input[field];
  if (v === undefined || v === null) {
    if (opts.required) throw invalid(`${field} is required`);
    return undefined;
  }
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw invalid(`${field} must be a list of strings`);
  if (opts.min !== undefined && v.length < opts.min) throw invalid(`${field} needs at least ${opts.min} item(s)`);
  if (opts.max !== undefined && v.length > opts.max) throw invalid(`${field} takes at most ${opts.max} items`);
  return v as string[];
}

export function maxResults(input: Record<string, unknown>, max: number): number {
  const v = input['MaxResults'];
  if (v === undefined || v === null) return max;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) throw invalid(`MaxResults must be an integer from 1 to ${max}`);
  return v;
}

/** Opaque pagination: an offset the caller hands back. */
/** The Filters map of a Describe* call: only the allowed names, each a list of strings. */
export function listFilters(input: Record<string, unknown>, allowed: readonly string[]): Record<string, string[]> {
  const filters = input['Filters'] === undefined || input['Filters'] === null ? {} : obj(input['Filters']);
  for (const [k, v] of Object.entries(filters)) {
    if (!allowed.includes(k)) throw invalid(`Filters: unknown filter ${k.slice(0, 40)} (${allowed.join(', ')})`);
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw invalid(`Filters.${k} must be a list of strings`);
  }
  return filters as Record<string, string[]>;
}

export function page<T>(items: T[], input: Record<string, unknown>, max: number): { items: T[]; next?: string } {
  const size = maxResults(input, max);
  const tok = str(input, 'NextToken', { max: 256 });
  let start = 0;
  if (tok !== undefined) {
    const n = Number(Buffer.from(tok, 'base64url').toString('utf8').replace(/^o:/, ''));
    if (!Number.isInteger(n) || n < 0 || !Buffer.from(tok, 'base64url').toString('utf8').startsWith('o:')) throw invalid('NextToken is not valid');
    start = n;
  }
  const slice = items.slice(start, start + size);
  const more = start + size < items.length;
  return { items: slice, ...(more ? { next: Buffer.from(`o:${start + size}`).toString('base64url') } : {}) };
}

export function tagList(input: Record<string, unknown>, field: string, required: boolean): Array<{ Key: string; Value: string }> | undefined {
  const v = input[field];
  if (v === undefined || v === null) {
    if (required) throw invalid(`${field} is required`);
    return undefined;
  }
  if (!Array.isArray(v) || v.length < 1 || v.length > 50) throw invalid(`${field} takes 1 to 50 tags`);
  return v.map((t, i) => {
    const o = obj(t);
    const Key = str(o, 'Key', { required: true, min: 1, max: 128, re: /^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$/u })!;
    const Value = str(o, 'Value', { required: true, min: 0, max: 256, re: /^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$/u })!;
    if (Key.startsWith('aws:')) throw invalid(`${field}[${i}].Key may not start with aws:`);
    return { Key, Value };
  });
}

/** The caller's cluster, or ResourceNotFound (another account's cluster is indistinguishable from none). */
export function ownCluster(deps: Deps, ctx: AwsCallContext, id: string): ClusterRow {
  if (!ID_RE.cluster.test(id)) throw invalid(`ClusterId ${JSON.stringify(id.slice(0, 40))} is not a cluster id`);
  const c = deps.state.cluster(id);
  if (!c || c.accountId !== ctx.identity.accountId || c.region !== ctx.region) throw notFound(`cluster ${id} not found`);
  return c;
}

export function ownBackup(deps: Deps, ctx: AwsCallContext, id: string): BackupRow {
  if (!ID_RE.backup.test(id)) throw invalid(`BackupId ${JSON.stringify(id.slice(0, 40))} is not a backup id`);
  const b = deps.state.backup(id);
  if (!b || b.accountId !== ctx.identity.accountId || b.region !== ctx.region) throw notFound(`backup ${id} not found`);
  return b;
}

const BACKUP_ARN_RE = /^arn:aws:cloudhsm:([a-z0-9-]+):(\d{12}):backup\/(backup-[2-7a-zA-Z]{11,16})$/;

/** Does the backup's resource policy let the caller (of another account) do `action` on it? */
export function sharedWith(deps: Deps, ctx: AwsCallContext, b: BackupRow, action: string): boolean {
  if (b.accountId === ctx.identity.accountId || b.region !== ctx.region || b.state === 'DELETED') return false;
  const text = deps.state.resourcePolicy(b.backupId);
  if (text === undefined) return false;
  return sharingAllows(parseResourcePolicy(text), ctx.identity, action, arn(b.region, b.accountId, 'backup', b.backupId));
}

/**
 * A backup named by ID (the caller's own) or by ARN (the caller's own, or another account's that
 * its resource policy shares with the caller for `action`); anything else is not found.
 */
export function ownOrSharedBackup(deps: Deps, ctx: AwsCallContext, idOrArn: string, action: string): BackupRow {
  const m = BACKUP_ARN_RE.exec(idOrArn);
  if (!m) {
    if (idOrArn.startsWith('arn:')) throw invalid(`${JSON.stringify(idOrArn.slice(0, 80))} is not a backup ARN`);
    return ownBackup(deps, ctx, idOrArn);
  }
  const [, region, account, id] = m as unknown as [string, string, string, string];
  if (account === ctx.identity.accountId) return ownBackup(deps, ctx, id);
  const b = deps.state.backup(id);
  if (!b || b.accountId !== account || b.region !== region || !sharedWith(deps, ctx, b, action)) throw notFound(`backup ${idOrArn} not found`);
  return b;
}

/** The backup a resource-policy operation names by ResourceArn: the caller's own, else not found. */
export function policyBackup(deps: Deps, ctx: AwsCallContext, resourceArn: string): BackupRow {
  const m = BACKUP_ARN_RE.exec(resourceArn);
  if (!m) throw invalid(`ResourceArn ${JSON.stringify(resourceArn.slice(0, 80))} is not a backup ARN (arn:aws:cloudhsm:<region>:<account>:backup/<id>); only backups take resource policies`);
  const b = deps.state.backup(m[3]!);
  if (!b || b.accountId !== ctx.identity.accountId || m[2] !== b.accountId || b.region !== ctx.region || m[1] !== b.region) throw notFound(`backup ${resourceArn} not found`);
  return b;
}

export function clusterArn(ctx: AwsCallContext, input: unknown): string[] {
  const id = (input as { ClusterId?: unknown } | null)?.ClusterId;
  return [typeof id === 'string' ? arn(ctx.region, ctx.identity.accountId, 'cluster', id) : '*'];
}

export function backupArn(ctx: AwsCallContext, input: unknown): string[] {
  const id = (input as { BackupId?: unknown } | null)?.BackupId;
  return [typeof id === 'string' ? arn(ctx.region, ctx.identity.accountId, 'backup', id) : '*'];
}

/** The ResourceArn of a resource-policy operation, for IAM. */
export function policyResourceArn(_ctx: AwsCallContext, input: unknown): string[] {
  const a = (input as { ResourceArn?: unknown } | null)?.ResourceArn;
  return [typeof a === 'string' && a.startsWith('arn:') ? a : '*'];
}

export function resourceArn(ctx: AwsCallContext, input: unknown): string[] {
  const id = (input as { ResourceId?: unknown } | null)?.ResourceId;
  if (typeof id !== 'string') return ['*'];
  if (id.startsWith('arn:')) return [id];
  return [arn(ctx.region, ctx.identity.accountId, id.startsWith('backup-') ? 'backup' : 'cluster', id)];
}

export function hsmView(h: HsmRow): Hsm {
  return {
    HsmId: h.hsmId,
    AvailabilityZone: h.availabilityZone,
    ClusterId: h.clusterId,
    SubnetId: h.subnetId,
    EniId: h.eniId,
    EniIp: h.eniIp,
    State: h.state,
    ...(h.stateMessage ? { StateMessage: h.stateMessage } : {}),
  };
}

/** The Cluster shape with the fields of the newer model the SDK at 3.332 lacks. */
export type ClusterView = Cluster & { Mode: ClusterMode; NetworkType: NetworkType };
export type BackupView = Backup & { BackupArn: string; HsmType: string; Mode: ClusterMode };

export function clusterView(deps: Deps, c: ClusterRow): ClusterView {
  const tags: Tag[] = deps.state.tags(c.clusterId);
  const certs: NonNullable<Cluster['Certificates']> = {};
  if (c.state === 'UNINITIALIZED' && c.csr) certs.ClusterCsr = c.csr;
  if (c.hsmCertificate) certs.HsmCertificate = c.hsmCertificate;
  if (c.manufacturerCertificate) certs.ManufacturerHardwareCertificate = c.manufacturerCertificate;
  if (c.clusterCertificate) certs.ClusterCertificate = c.clusterCertificate;
  return {
    BackupPolicy: 'DEFAULT',
    BackupRetentionPolicy: { Type: 'DAYS', Value: String(c.retentionDays) },
    ClusterId: c.clusterId,
    CreateTimestamp: new Date(c.createTimestamp),
    Hsms: c.state === 'DELETED' ? [] : deps.state.hsms(c.clusterId).map(hsmView),
    HsmType: c.hsmType,
    SecurityGroup: `sg-${c.clusterId.slice(8)}`,
    ...(c.sourceBackupId ? { SourceBackupId: c.sourceBackupId } : {}),
    State: c.state,
    ...(c.stateMessage ? { StateMessage: c.stateMessage } : {}),
    SubnetMapping: c.subnetMapping,
    VpcId: c.vpcId,
    Certificates: certs,
    ...(tags.length ? { TagList: tags } : {}),
    Mode: modeOf(c),
    NetworkType: c.networkType ?? 'IPV4',
  };
}

export function backupView(deps: Deps, b: BackupRow): BackupView {
  const tags = deps.state.tags(b.backupId);
  return {
    BackupId: b.backupId,
    BackupArn: arn(b.region, b.accountId, 'backup', b.backupId),
    BackupState: b.state,
    ClusterId: b.clusterId,
    CreateTimestamp: new Date(b.createTimestamp),
    ...(b.copyTimestamp ? { CopyTimestamp: new Date(b.copyTimestamp) } : {}),
    NeverExpires: b.neverExpires,
    ...(b.sourceRegion ? { SourceRegion: b.sourceRegion } : {}),
    ...(b.sourceBackup ? { SourceBackup: b.sourceBackup } : {}),
    ...(b.sourceCluster ? { SourceCluster: b.sourceCluster } : {}),
    ...(b.deleteTimestamp && b.state === 'PENDING_DELETION' ? { DeleteTimestamp: new Date(b.deleteTimestamp) } : {}),
    ...(tags.length ? { TagList: tags } : {}),
    HsmType: b.hsmType,
    Mode: modeOf(b),
  };
}
