// What every CloudHSMv2 operation shares: its dependencies, input checks that answer
// CloudHsmInvalidRequestException naming the field, tenancy lookups (another account's resource
// is simply not found), pagination tokens, and the SDK-shaped views of clusters, HSMs, backups.
// Never returns key material, CA keys or the fleet backup secret.

import type { Backup, Cluster, Hsm, Tag } from '@aws-sdk/client-cloudhsm-v2';
import type { AwsCallContext, AwsOperationSpec } from '../../aws/server.js';
import { arn, ID_RE } from '../ids.js';
import { invalid, notFound } from '../errors.js';
import type { BackupRow, ClusterRow, ControlPlaneState, HsmRow } from '../state.js';
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

export function clusterArn(ctx: AwsCallContext, input: unknown): string[] {
  const id = (input as { ClusterId?: unknown } | null)?.ClusterId;
  return [typeof id === 'string' ? arn(ctx.region, ctx.identity.accountId, 'cluster', id) : '*'];
}

export function backupArn(ctx: AwsCallContext, input: unknown): string[] {
  const id = (input as { BackupId?: unknown } | null)?.BackupId;
  return [typeof id === 'string' ? arn(ctx.region, ctx.identity.accountId, 'backup', id) : '*'];
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

export function clusterView(deps: Deps, c: ClusterRow): Cluster {
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
  };
}

export function backupView(deps: Deps, b: BackupRow): Backup & { BackupArn: string; HsmType: string } {
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
  };
}
