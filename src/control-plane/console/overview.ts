// What the web console shows, read as the signed-in identity: IAM decides each section
// (cloudhsm:DescribeClusters, cloudhsm:DescribeBackups on '*', as the API authorises those calls)
// and the data comes from the very operation handlers the API runs, so a user sees exactly what
// DescribeClusters and DescribeBackups would show them, and another account's resources never.
// A section the identity may not read says which action it lacks. Read-only; never returns a CSR's
// key, a certificate's key or any credential (the access key id is not a secret).

import { X509Certificate, randomUUID } from 'node:crypto';
import type { AwsAuthority, AwsCallContext, AwsIdentity, AwsService } from '../../aws/server.js';
import type { BackupView, ClusterView } from '../operations/common.js';

export interface OverviewDeps {
  iam: AwsAuthority;
  /** The cloudhsmv2 service (its operation handlers). */
  service: AwsService;
  region: string;
  /** The control plane's view of an HSM's process (the provisioner's). */
  alive: (hsmId: string) => boolean;
  healthIntervalMs: number;
}

export interface Denied {
  notAuthorized: string;
}

export interface ConsoleHsm {
  id: string;
  az: string;
  state: string;
  stateMessage?: string;
  eniIp: string;
  /** Whether the control plane sees its process up. */
  processUp: boolean;
}

export interface ConsoleCertificate {
  /** NONE (no CSR yet), CSR_PENDING (waiting for InitializeCluster), SIGNED. */
  state: 'NONE' | 'CSR_PENDING' | 'SIGNED';
  subject?: string;
  issuer?: string;
  validTo?: string;
}

export interface ConsoleCluster {
  id: string;
  state: string;
  stateMessage?: string;
  hsmType: string;
  mode: string;
  createdAt: string;
  certificate: ConsoleCertificate;
  hsms: ConsoleHsm[];
}

export interface ConsoleBackup {
  id: string;
  state: string;
  clusterId: string;
  createdAt: string;
  neverExpires: boolean;
}

export interface Overview {
  identity: { type: string; arn: string; accountId: string; userName: string; accessKeyId: string };
  region: string;
  clusters: ConsoleCluster[] | Denied;
  backups: ConsoleBackup[] | Denied;
  health: {
    controlPlane: { region: string; healthIntervalMs: number; checkedAt: string };
    hsms: { total: number; active: number; degraded: number; processDown: number };
    degraded: Array<{ clusterId: string; hsmId: string; state: string; message?: string }>;
  } | Denied;
}

function certificateOf(c: ClusterView): ConsoleCertificate {
  const pem = c.Certificates?.ClusterCertificate;
  if (!pem) return { state: c.Certificates?.ClusterCsr ? 'CSR_PENDING' : 'NONE' };
  try {
    const x = new X509Certificate(pem);
    return { state: 'SIGNED', subject: x.subject, issuer: x.issuer, validTo: new Date(x.validTo).toISOString() };
  } catch {
    return { state: 'SIGNED' };
  }
}

/** Every page of a Describe* operation, as the API would answer it. */
async function all<T>(deps: OverviewDeps, ctx: AwsCallContext, operation: string, field: string): Promise<T[]> {
  const handler = deps.service.operations[operation]!.handler;
  const out: T[] = [];
  let next: string | undefined;
  do {
    const r = (await handler(ctx, next ? { NextToken: next } : {})) as Record<string, unknown>;
    out.push(...((r[field] as T[] | undefined) ?? []));
    next = r['NextToken'] as string | undefined;
  } while (next);
  return out;
}

export async function overviewFor(deps: OverviewDeps, identity: AwsIdentity, req: { sourceIp: string; userAgent: string }): Promise<Overview> {
  const ctx: AwsCallContext = { requestId: randomUUID(), region: deps.region, identity, sourceIp: req.sourceIp, userAgent: req.userAgent, now: new Date() };
  const allowed = (action: string) => deps.iam.authorize(identity, action, ['*']).allowed;

  let clusters: ConsoleCluster[] | Denied = { notAuthorized: 'cloudhsm:DescribeClusters' };
  if (allowed('cloudhsm:DescribeClusters')) {
    const views = await all<ClusterView>(deps, ctx, 'DescribeClusters', 'Clusters');
    clusters = views.map((c) => ({
      id: c.ClusterId!,
      state: c.State!,
      ...(c.StateMessage ? { stateMessage: c.StateMessage } : {}),
      hsmType: c.HsmType!,
      mode: c.Mode,
      createdAt: c.CreateTimestamp!.toISOString(),
      certificate: certificateOf(c),
      hsms: (c.Hsms ?? []).map((h) => ({
        id: h.HsmId!,
        az: h.AvailabilityZone!,
        state: h.State!,
        ...(h.StateMessage ? { stateMessage: h.StateMessage } : {}),
        eniIp: h.EniIp ?? '',
        processUp: deps.alive(h.HsmId!),
      })),
    }));
  }

  let backups: ConsoleBackup[] | Denied = { notAuthorized: 'cloudhsm:DescribeBackups' };
  if (allowed('cloudhsm:DescribeBackups')) {
    backups = (await all<BackupView>(deps, ctx, 'DescribeBackups', 'Backups')).map((b) => ({
      id: b.BackupId!,
      state: b.BackupState!,
      clusterId: b.ClusterId ?? '',
      createdAt: b.CreateTimestamp!.toISOString(),
      neverExpires: b.NeverExpires === true,
    }));
  }

  let health: Overview['health'] = { notAuthorized: 'cloudhsm:DescribeClusters' };
  if (Array.isArray(clusters)) {
    const hsms = clusters.flatMap((c) => c.hsms.map((h) => ({ ...h, clusterId: c.id })));
    health = {
      controlPlane: { region: deps.region, healthIntervalMs: deps.healthIntervalMs, checkedAt: ctx.now.toISOString() },
      hsms: {
        total: hsms.length,
        active: hsms.filter((h) => h.state === 'ACTIVE').length,
        degraded: hsms.filter((h) => h.state === 'DEGRADED').length,
        processDown: hsms.filter((h) => !h.processUp && h.state !== 'DELETED').length,
      },
      degraded: hsms.filter((h) => h.state === 'DEGRADED' || (h.state === 'ACTIVE' && !h.processUp))
        .map((h) => ({ clusterId: h.clusterId, hsmId: h.id, state: h.state, ...(h.stateMessage ? { message: h.stateMessage } : {}) })),
    };
  }

  const { type, arn, accountId, userName, accessKeyId } = identity;
  return { identity: { type, arn, accountId, userName, accessKeyId }, region: deps.region, clusters, backups, health };
}
