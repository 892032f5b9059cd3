// Composition root of the control plane: state, provisioner, lifecycle, backups, IAM, event log
// and the AWS server with the cloudhsmv2 service; writes DIR/endpoints.json. No singletons: a test
// may start several control planes in one process. Never holds key material or HSM passwords.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startAwsServer } from '../aws/server.js';
import { bootstrapIam, IamStore } from './iam/index.js';
import { EventLog } from './events/index.js';
import { ControlPlaneState } from './state.js';
import { LocalProcessProvisioner } from './provisioning/local.js';
import { Lifecycle } from './provisioning/lifecycle.js';
import { BackupManager } from './backups/manager.js';
import { cloudHsmV2Service } from './service.js';
import { FIRST_SUBNET_OCTET } from './operations/CreateCluster.js';
import { startKms, type Kms } from '../kms/main.js';

export const DEFAULT_REGION = 'local-1';

export interface ControlPlaneOptions {
  dataDir: string;
  host?: string;
  /** HTTP port of the API (0: any free port). */
  port: number;
  /** Port every HSM listens on at its own loopback address (CloudHSM: 2223). */
  hsmPort?: number;
  /** Loopback /16 of the first cluster: 127.<n>.<zone>.<host>. */
  firstSubnetOctet?: number;
  healthIntervalMs?: number;
  backupIntervalMs?: number;
  /** Length of a retention "day" (tests shorten it). */
  dayMs?: number;
  log?: (line: string) => void;
  /** Serve the KMS API (TrentService) on the same endpoint (default true). */
  kms?: boolean;
  /** HSMs of KMS's own key store (default 2). */
  kmsStoreHsms?: number;
  /** Loopback range (127.N) of KMS's own key store; default 127.<firstSubnetOctet - 1>. */
  kmsSubnetBase?: string;
}

export interface ControlPlane {
  url: string;
  region: string;
  accountId: string;
  credentialsFile: string;
  /** The KMS endpoint (the same server: X-Amz-Target picks the service), when KMS runs. */
  kmsUrl?: string;
  kms?: Kms;
  state: ControlPlaneState;
  lifecycle: Lifecycle;
  provisioner: LocalProcessProvisioner;
  stop(): Promise<void>;
}

export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const dir = resolve(opts.dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const log = opts.log ?? ((l: string) => process.stderr.write(`control-plane: ${l}\n`));
  const state = new ControlPlaneState(join(dir, 'control-plane.sqlite'));
  const provisioner = await LocalProcessProvisioner.open(dir);
  const lifecycle = new Lifecycle(state, provisioner, { hsmPort: opts.hsmPort ?? 2223, healthIntervalMs: opts.healthIntervalMs ?? 2_000, log });
  const backups = new BackupManager(dir, state, lifecycle, { intervalMs: opts.backupIntervalMs ?? 86_400_000, ...(opts.dayMs ? { dayMs: opts.dayMs } : {}) });
  lifecycle.backups = backups;
  const boot = bootstrapIam(dir);
  const iam = IamStore.open(dir);
  const events = EventLog.open(dir);
  await lifecycle.resumeAll();
  lifecycle.startHealthLoop();
  const service = cloudHsmV2Service({ state, lifecycle, backups, firstSubnetOctet: opts.firstSubnetOctet ?? FIRST_SUBNET_OCTET });
  const firstOctet = opts.firstSubnetOctet ?? FIRST_SUBNET_OCTET;
  const kms = opts.kms === false ? undefined : await startKms({
    dataDir: dir, cp: state, region: DEFAULT_REGION, hsmPort: opts.hsmPort ?? 2223, subnetBase: opts.kmsSubnetBase ?? `127.${firstOctet - 1}`,
    ...(opts.kmsStoreHsms ? { storeHsms: opts.kmsStoreHsms } : {}), ...(opts.dayMs ? { dayMs: opts.dayMs } : {}), log,
  });
  const server = await startAwsServer({ host: opts.host ?? '127.0.0.1', port: opts.port, services: kms ? [service, kms.service] : [service], iam, events, log });
  const endpointsPath = join(dir, 'endpoints.json');
  const prev = existsSync(endpointsPath) ? (JSON.parse(readFileSync(endpointsPath, 'utf8')) as Record<string, string>) : {};
  writeFileSync(endpointsPath, JSON.stringify({ ...prev, cloudhsmv2: server.url, ...(kms ? { kms: server.url } : {}), region: DEFAULT_REGION }, null, 2) + '\n');
  return {
    url: server.url,
    region: DEFAULT_REGION,
    accountId: boot.accountId,
    credentialsFile: boot.credentialsFile,
    ...(kms ? { kmsUrl: server.url, kms } : {}),
    state,
    lifecycle,
    provisioner,
    stop: async () => {
      await server.close();
      await kms?.stop();
      await lifecycle.stop();
      state.close();
      iam.close();
      events.close();
    },
  };
}
