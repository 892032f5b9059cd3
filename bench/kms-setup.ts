// Setup shared by bench/kms.ts and test/kms: a real `strongroom control-plane` process (which also
// serves KMS) in a temp directory, a KMS client with the bootstrapped root keys, and a customer
// CloudHSM cluster made through the control plane (HSMs in two zones, initialised with a fresh
// customer CA, activated, with the crypto user kmsuser) ready for a custom key store.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { KMSClient } from '@aws-sdk/client-kms';
import { CloudHSMV2Client, CreateClusterCommand, CreateHsmCommand, DescribeClustersCommand, InitializeClusterCommand, type Cluster } from '@aws-sdk/client-cloudhsm-v2';
import { createCa, signCsr } from '../src/pki/pki.js';
import { freePort } from './free-port.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root whether this runs from bench/ (vitest) or dist/bench/ (npm run bench:kms). */
export const ROOT = here.includes(`${join('dist', 'bench')}`) ? resolve(here, '../..') : resolve(here, '..');
export const STRONGROOM_BIN = join(ROOT, 'dist/src/bin/strongroom.js');
export const CLI_BIN = join(ROOT, 'dist/src/bin/strongroom-cli.js');

export interface KmsPlane {
  dir: string;
  url: string;
  hsmPort: number;
  proc: ChildProcess;
  credentials: { accessKeyId: string; secretAccessKey: string };
  kms: KMSClient;
  hsm: CloudHSMV2Client;
  kmsFor(creds: { accessKeyId: string; secretAccessKey: string }): KMSClient;
  stop(): Promise<void>;
}


/** `nodeArgs` go to the control plane's node (e.g. --cpu-prof for profiling). */
export async function startKmsPlane(extra: string[] = [], nodeArgs: string[] = []): Promise<KmsPlane> {
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-kms-'));
  const hsmPort = await freePort();
  const octet = String(30 + Math.floor(Math.random() * 180));
  const proc = spawn(process.execPath, [...nodeArgs, STRONGROOM_BIN, 'control-plane', '--data-dir', dir, '--port', '0', '--hsm-port', String(hsmPort), '--subnet-octet', octet, '--health-interval-ms', '500', '--backup-interval-ms', '3600000', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise<void>((res, rej) => {
    const rl = createInterface({ input: proc.stdout! });
    const t = setTimeout(() => rej(new Error(`control plane did not start: ${err}`)), 90_000);
    rl.on('line', (l) => {
      if (l.startsWith('Press Ctrl-C')) {
        clearTimeout(t);
        res();
      }
    });
    proc.once('exit', (c) => rej(new Error(`control plane exited ${c}: ${err}`)));
  });
  const endpoints = JSON.parse(readFileSync(join(dir, 'endpoints.json'), 'utf8')) as { kms: string; cloudhsmv2: string; region: string };
  const text = readFileSync(join(dir, 'aws-credentials'), 'utf8');
  const credentials = { accessKeyId: /aws_access_key_id = (\S+)/.exec(text)![1]!, secretAccessKey: /aws_secret_access_key = (\S+)/.exec(text)![1]! };
  const kmsFor = (c: { accessKeyId: string; secretAccessKey: string }) => new KMSClient({ endpoint: endpoints.kms, region: 'local-1', credentials: c, maxAttempts: 1 });
  return {
    dir, url: endpoints.kms, hsmPort, proc, credentials, kmsFor,
    kms: kmsFor(credentials),
    hsm: new CloudHSMV2Client({ endpoint: endpoints.cloudhsmv2, region: 'local-1', credentials, maxAttempts: 1 }),
    stop: () => new Promise<void>((res) => {
      const done = () => {
        rmSync(dir, { recursive: true, force: true });
        res();
      };
      if (proc.exitCode !== null) return done();
      proc.once('exit', done);
      proc.kill('SIGTERM');
    }),
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
