// Setup shared by bench/kms.ts and test/kms: a real `strongroom control-plane` process (which also
// serves KMS; bench/control-plane-process.ts starts it) in a temp directory, a KMS client with the
// bootstrapped root keys, and a customer CloudHSM cluster made through the control plane (HSMs in two zones, initialised with a fresh
// customer CA, activated, with the crypto user kmsuser) ready for a custom key store.

import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KMSClient } from '@aws-sdk/client-kms';
import { CloudHSMV2Client, CreateClusterCommand, CreateHsmCommand, DescribeClustersCommand, InitializeClusterCommand, type Cluster } from '@aws-sdk/client-cloudhsm-v2';
import { createCa, signCsr } from '../src/pki/pki.js';
import { ROOT, STRONGROOM_BIN, spawnControlPlane, type AwsCredentials, type ControlPlaneProcess } from './control-plane-process.js';

export { ROOT, STRONGROOM_BIN };
export const CLI_BIN = join(ROOT, 'dist/src/bin/strongroom-cli.js');

/** A control plane process with SDK clients on its endpoints. */
export interface KmsPlane extends ControlPlaneProcess {
  /** The KMS endpoint (DIR/endpoints.json "kms"). */
  url: string;
  kms: KMSClient;
  hsm: CloudHSMV2Client;
  kmsFor(creds: AwsCredentials): KMSClient;
}

/** `nodeArgs` go to the control plane's node (e.g. --cpu-prof for profiling). */
export async function startKmsPlane(extra: string[] = [], nodeArgs: string[] = []): Promise<KmsPlane> {
  const cp = await spawnControlPlane({ dirPrefix: 'strongroom-kms-', startTimeoutMs: 90_000, args: ['--backup-interval-ms', '3600000', ...extra], nodeArgs });
  const endpoints = JSON.parse(readFileSync(join(cp.dir, 'endpoints.json'), 'utf8')) as { kms: string; cloudhsmv2: string; region: string };
  const kmsFor = (c: AwsCredentials) => new KMSClient({ endpoint: endpoints.kms, region: 'local-1', credentials: c, maxAttempts: 1 });
  return {
    ...cp, url: endpoints.kms, kmsFor,
    kms: kmsFor(cp.credentials),
    hsm: new CloudHSMV2Client({ endpoint: endpoints.cloudhsmv2, region: 'local-1', credentials: cp.credentials, maxAttempts: 1 }),
  };
}

async function waitCluster(hsm: CloudHSMV2Client, id: string, pred: (c: Cluster) => boolean, ms = 90_000): Promise<Cluster> {
  const end = Date.now() + ms;
  for (;;) {
    const c = (await hsm.send(new DescribeClustersCommand({ Filters: { clusterIds: [id] } }))).Clusters![0]!;
    if (pred(c)) return c;
    if (Date.now() > end) throw new Error(`timed out waiting for cluster ${id}: ${c.State}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export interface CustomerCluster {
  clusterId: string;
  caCert: string;
  /** client.json for strongroom-cli against this cluster. */
  config: string;
  kmsuserPassword: string;
  adminPassword: string;
  /** Runs strongroom-cli with this cluster's config (env: CLOUDHSM_ROLE / CLOUDHSM_PIN). */
  cli(args: string[], env?: Record<string, string>): { error_code: number; data: any };
}

/** An ACTIVE cluster with `hsms` HSMs over zones a, b, c… and the crypto user kmsuser. */
export async function customerCluster(p: KmsPlane, hsms = 2, name = 'c'): Promise<CustomerCluster> {
  const zones = ['local-1a', 'local-1b', 'local-1c'];
  const created = (await p.hsm.send(new CreateClusterCommand({ HsmType: 'hsm2m.medium', SubnetIds: ['subnet-local-1a', 'subnet-local-1b', 'subnet-local-1c'] }))).Cluster!;
  const id = created.ClusterId!;
  await p.hsm.send(new CreateHsmCommand({ ClusterId: id, AvailabilityZone: zones[0]! }));
  let c = await waitCluster(p.hsm, id, (x) => x.Hsms?.[0]?.State === 'ACTIVE' && !!x.Certificates?.ClusterCsr);
  const ca = await createCa(`${name} customer CA`, { keyType: 'rsa', days: 365 });
  const signed = await signCsr({ csrPem: c.Certificates!.ClusterCsr!, caCertPem: ca.certPem, caKey: ca.keyPem, kind: 'ca', days: 365 });
  await p.hsm.send(new InitializeClusterCommand({ ClusterId: id, SignedCert: signed, TrustAnchor: ca.certPem }));
  for (let n = 1; n < hsms; n++) await p.hsm.send(new CreateHsmCommand({ ClusterId: id, AvailabilityZone: zones[n % zones.length]! }));
  c = await waitCluster(p.hsm, id, (x) => x.Hsms?.length === hsms && x.Hsms.every((h) => h.State === 'ACTIVE'));
  const caFile = join(p.dir, `${name}-ca.crt`);
  writeFileSync(caFile, ca.certPem);
  const config = join(p.dir, `${name}.json`);
  writeFileSync(config, JSON.stringify({ clusterId: id, hsms: c.Hsms!.map((h) => ({ address: h.EniIp, port: p.hsmPort })), caFile }));
  const cli = (args: string[], env: Record<string, string> = {}) => {
    const r = spawnSync(process.execPath, [CLI_BIN, ...args, '--config', config], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
    try {
      return JSON.parse(r.stdout) as { error_code: number; data: any };
    } catch {
      return { error_code: -1, data: `${r.stdout} ${r.stderr}` };
    }
  };
  const adminPassword = 'Admin-pass-1';
  const kmsuserPassword = 'Kmsuser1pass';
  const act = cli(['cluster', 'activate', '--password', adminPassword]);
  if (act.error_code !== 0) throw new Error(`activate: ${JSON.stringify(act.data)}`);
  await waitCluster(p.hsm, id, (x) => x.State === 'ACTIVE');
  const u = cli(['user', 'create', '--username', 'kmsuser', '--role', 'crypto-user', '--password', kmsuserPassword], { CLOUDHSM_ROLE: 'admin', CLOUDHSM_PIN: `admin:${adminPassword}` });
  if (u.error_code !== 0) throw new Error(`user create: ${JSON.stringify(u.data)}`);
  return { clusterId: id, caCert: ca.certPem, config, kmsuserPassword, adminPassword, cli };
}
