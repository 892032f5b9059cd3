// The default cluster of `strongroom up`, made and kept through the control plane: on first start
// CreateCluster (hsm2m.medium, subnets of zones a/b/c, mTLS tag), CreateHsm round robin over the
// zones, the CSR from DescribeClusters signed by the development customer CA, InitializeCluster;
// on later starts the control plane has already resumed it and a larger --hsms adds HSMs. Writes
// DIR/cluster.json ({clusterId, managedBy}) and DIR/client.json. Holds the customer CA key only
// as up() does (read from the data directory to sign the CSR and the client certificate); never
// holds HSM keys, users' passwords or the domain key.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CreateClusterResponse, DescribeClustersResponse } from '@aws-sdk/client-cloudhsm-v2';
import { ensureCa, ensureLeaf } from '../orchestrator/up.js';
import { signCsr } from '../pki/pki.js';
import { subnetOf, zones as zonesOf } from './ids.js';
import { MTLS_TAG } from './operations/InitializeCluster.js';
import type { ControlPlane } from './main.js';
import type { HsmRow } from './state.js';

export const MANAGED_BY = 'control-plane';
export const DEFAULT_HSM_TYPE = 'hsm2m.medium';

export interface DefaultClusterOptions {
  dataDir: string;
  hsms: number;
  /** Enforce mutual TLS with the customer CA as client trust anchor (tag strongroom:mtls-enforcement). */
  mtls: boolean;
  /** Mode FIPS (fixed at creation): the HSMs refuse non-approved mechanisms and key sizes. */
  fips?: boolean;
  /** How long to wait for the HSMs to become ACTIVE. */
  timeoutMs?: number;
  out?: (line: string) => void;
}

export interface DefaultCluster {
  clusterId: string;
  created: boolean;
  hsms: Array<{ hsmId: string; availabilityZone: string; address: string; port: number; state: string }>;
  clientConfigPath: string;
}

/** DIR/cluster.json as written by either path: the standalone layout has `hsms`, ours `managedBy`. */
export interface ClusterFile {
  clusterId: string;
  managedBy?: string;
  hsms?: Array<{ hsmId: string; availabilityZone: string }>;
}

export function readClusterFile(dataDir: string): ClusterFile | undefined {
  const p = join(resolve(dataDir), 'cluster.json');
  if (!existsSync(p)) return undefined;
  return JSON.parse(readFileSync(p, 'utf8')) as ClusterFile;
}

const live = (h: HsmRow): boolean => h.state !== 'DELETED' && h.state !== 'DELETE_IN_PROGRESS';

export async function ensureDefaultCluster(cp: ControlPlane, opts: DefaultClusterOptions): Promise<DefaultCluster> {
  const say = opts.out ?? ((l: string) => process.stdout.write(l + '\n'));
  const dir = resolve(opts.dataDir);
  const customer = await ensureCa(dir, 'customerCA', 'Strongroom development customer CA', 'rsa');
  await ensureLeaf(dir, 'client', customer, 'strongroom-client', 'client');
  const zones = zonesOf(cp.region);

  // Which cluster is the default one: DIR/cluster.json, if the control plane still has it.
  const file = readClusterFile(dir);
  let clusterId = file?.managedBy === MANAGED_BY ? file.clusterId : undefined;
  const known = clusterId ? cp.state.cluster(clusterId) : undefined;
  let created = false;
  if (!known || known.accountId !== cp.accountId || known.state === 'DELETED' || known.state === 'DELETE_IN_PROGRESS') {
    if (clusterId) say(`The default cluster ${clusterId} is gone from the control plane (deleted?): making a new one.`);
    const r = await cp.invoke<CreateClusterResponse>('CreateCluster', {
      HsmType: DEFAULT_HSM_TYPE,
      SubnetIds: zones.map(subnetOf),
      ...(opts.mtls ? { TagList: [{ Key: MTLS_TAG, Value: 'cluster' }] } : {}),
      ...(opts.fips ? { Mode: 'FIPS' } : {}),
    });
    clusterId = r.Cluster!.ClusterId!;
    created = true;
    writeFileSync(join(dir, 'cluster.json'), JSON.stringify({ clusterId, managedBy: MANAGED_BY }, null, 2) + '\n');
  }
  const id = clusterId!;

  // HSMs up to --hsms, each in the zone with the fewest (a, b, c round robin from scratch).
  const have = cp.state.hsms(id).filter(live);
  for (let n = have.length; n < opts.hsms; n++) {
    const counts = zones.map((z) => have.filter((h) => h.availabilityZone === z).length);
    const zone = zones[counts.indexOf(Math.min(...counts))]!;
    const r = await cp.invoke<{ Hsm: { HsmId: string } }>('CreateHsm', { ClusterId: id, AvailabilityZone: zone });
    have.push(cp.state.hsm(r.Hsm.HsmId)!);
  }
  if (have.length > opts.hsms) say(`The default cluster has ${have.length} HSMs (more than --hsms ${opts.hsms}); remove one with aws cloudhsmv2 delete-hsm.`);
  await waitActive(cp, id, opts.timeoutMs ?? 120_000);

  // Initialise with the development customer CA, as up() does on the standalone path.
  const c = cp.state.cluster(id)!;
  if (c.state === 'UNINITIALIZED') {
    const d = await cp.invoke<DescribeClustersResponse>('DescribeClusters', { Filters: { clusterIds: [id] } });
    const csr = d.Clusters?.[0]?.Certificates?.ClusterCsr;
    if (!csr) throw new Error(`cluster ${id} has no CSR yet (is its first HSM ACTIVE?)`);
    const signed = await signCsr({ csrPem: csr, caCertPem: customer.cert, caKey: customer.key, kind: 'ca', days: 3650 });
    writeFileSync(join(dir, 'cluster.crt'), signed);
    await cp.invoke('InitializeCluster', { ClusterId: id, SignedCert: signed, TrustAnchor: customer.cert });
  }

  const hsms = cp.state.hsms(id).filter(live).map((h) => ({ hsmId: h.hsmId, availabilityZone: h.availabilityZone, address: h.eniIp, port: h.port, state: h.state }));
  const clientConfigPath = join(dir, 'client.json');
  writeFileSync(clientConfigPath, JSON.stringify({
    clusterId: id,
    hsms: hsms.map((h) => ({ address: h.address, port: h.port })),
    caFile: 'customerCA.crt',
    clientCertFile: 'client.crt',
    clientKeyFile: 'client.key',
  }, null, 2) + '\n');
  return { clusterId: id, created, hsms, clientConfigPath };
}

/** Waits for queued provisioning, then until every live HSM of the cluster is ACTIVE (the health loop heals the others). */
async function waitActive(cp: ControlPlane, clusterId: string, timeoutMs: number): Promise<void> {
  await cp.lifecycle.settle(clusterId);
  const end = Date.now() + timeoutMs;
  for (;;) {
    const hsms = cp.state.hsms(clusterId).filter(live);
    if (hsms.every((h) => h.state === 'ACTIVE')) return;
    const failed = hsms.find((h) => h.state === 'DEGRADED' && h.stateMessage?.startsWith('provisioning failed'));
    if (failed) throw new Error(`HSM ${failed.hsmId} of the default cluster ${clusterId}: ${failed.stateMessage}`);
    if (Date.now() > end) {
      throw new Error(`the HSMs of the default cluster ${clusterId} did not become ACTIVE: ${hsms.map((h) => `${h.hsmId} ${h.state}${h.stateMessage ? ` (${h.stateMessage})` : ''}`).join('; ')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
    await cp.lifecycle.settle(clusterId);
  }
}
