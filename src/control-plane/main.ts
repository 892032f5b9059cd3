// Composition root of the control plane: state, provisioner, lifecycle, backups, IAM, event log,
// metrics (GET /metrics), the web console (/console) and the AWS server with the cloudhsmv2
// service; writes DIR/endpoints.json. No singletons: a test may start several control planes in
// one process. Never holds key material or HSM passwords.

import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startAwsServer, type AwsCallContext } from '../aws/server.js';
import { eventTime, type ApiCallEvent } from '../aws/cloudtrail.js';
import { bootstrapIam, IamStore } from './iam/index.js';
import { EventLog } from './events/index.js';
import { ControlPlaneState } from './state.js';
import { LocalProcessProvisioner } from './provisioning/local.js';
import { Lifecycle } from './provisioning/lifecycle.js';
import { BackupManager } from './backups/manager.js';
import { cloudHsmV2Service } from './service.js';
import { createWebConsole, CONSOLE_PATH } from './console/index.js';
import { ControlPlaneMetrics } from './metrics/metrics.js';
import { FIRST_SUBNET_OCTET } from './operations/CreateCluster.js';
import { startKms, type Kms } from '../kms/main.js';
import type { QuotaTable } from '../kms/quotas.js';

export const DEFAULT_REGION = 'local-1';
/** userAgent of the calls `strongroom up` makes in-process for the default cluster. */
const IN_PROCESS_AGENT = 'strongroom-up (in-process)';

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
  /** KMS request quotas in requests/s (ThrottlingException beyond them); default none. */
  kmsQuotas?: QuotaTable;
}

export interface ControlPlane {
  url: string;
  /** The web console: <url>/console/. */
  consoleUrl: string;
  region: string;
  accountId: string;
  credentialsFile: string;
  /** The KMS endpoint (the same server: X-Amz-Target picks the service), when KMS runs. */
  kmsUrl?: string;
  kms?: Kms;
  state: ControlPlaneState;
  lifecycle: Lifecycle;
  provisioner: LocalProcessProvisioner;
  /** The Prometheus registry behind GET /metrics. */
  metrics: ControlPlaneMetrics;
  /**
   * Runs one CloudHSMv2 operation in-process as the root account of the bootstrap (what
   * `strongroom up` uses for the default cluster), with the same validation as the API. Recorded in
   * the event history as an AwsServiceEvent from `strongroom up`. Rejects with the operation's error.
   */
  invoke<O = unknown>(operation: string, input: Record<string, unknown>): Promise<O>;
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
    ...(opts.kmsStoreHsms ? { storeHsms: opts.kmsStoreHsms } : {}), ...(opts.dayMs ? { dayMs: opts.dayMs } : {}), ...(opts.kmsQuotas ? { quotas: opts.kmsQuotas } : {}), log,
    principalExists: (arn) => iam.principalExists(arn),
  });
  const webConsole = createWebConsole({ iam, events, service, region: DEFAULT_REGION, alive: (id) => provisioner.alive(id), healthIntervalMs: opts.healthIntervalMs ?? 2_000, log });
  const kmsStore = kms?.store;
  const metrics = new ControlPlaneMetrics({
    lifecycle, log,
    ...(kmsStore ? { moreHsms: () => kmsStore.hsms.map((h) => ({ clusterId: kmsStore.clusterId, ...h, connect: (ms: number) => kmsStore.applianceConnect(h.hsmId, ms) })) } : {}),
  });
  const server = await startAwsServer({
    host: opts.host ?? '127.0.0.1', port: opts.port, services: kms ? [service, kms.service] : [service], iam, events, log,
    routes: { '/metrics': metrics.route, '/console': webConsole.route },
    onCall: (call) => metrics.onCall(call),
  });
  const rootIdentity = iam.identityOf(boot.accountId, null, boot.accessKeyId);
  const invoke = async <O>(operation: string, input: Record<string, unknown>): Promise<O> => {
    const spec = service.operations[operation];
    if (!spec) throw new Error(`no CloudHSMv2 operation ${operation}`);
    const now = new Date();
    const ctx: AwsCallContext = { requestId: randomUUID(), region: DEFAULT_REGION, identity: rootIdentity, sourceIp: '127.0.0.1', userAgent: IN_PROCESS_AGENT, now };
    let output: unknown;
    let error: { name: string; message: string } | undefined;
    try {
      output = (await spec.handler(ctx, input)) ?? {};
    } catch (e) {
      error = { name: (e as { type?: string }).type ?? (e as Error).name, message: (e as Error).message };
      throw e;
    } finally {
      const { type, principalId, arn, accountId, accessKeyId, userName } = rootIdentity;
      const event: ApiCallEvent = {
        eventVersion: '1.08',
        eventTime: eventTime(now),
        eventSource: service.eventSource,
        eventName: operation,
        awsRegion: DEFAULT_REGION,
        sourceIPAddress: '127.0.0.1',
        userAgent: IN_PROCESS_AGENT,
        userIdentity: { type, principalId, arn, accountId, accessKeyId, userName },
        // Only what `up` sends: no secrets (a signed certificate and a trust anchor are public).
        requestParameters: input,
        responseElements: error || spec.readOnly ? null : (JSON.parse(JSON.stringify(output ?? null)) as unknown),
        ...(error ? { errorCode: error.name, errorMessage: error.message } : {}),
        requestID: ctx.requestId,
        eventID: randomUUID(),
        readOnly: spec.readOnly,
        eventType: 'AwsServiceEvent',
        managementEvent: true,
        eventCategory: 'Management',
        recipientAccountId: accountId,
      };
      try {
        events.append(event);
      } catch (e) {
        log(`could not record the event of ${operation}: ${(e as Error).message}`);
      }
    }
    return output as O;
  };
  const endpointsPath = join(dir, 'endpoints.json');
  const prev = existsSync(endpointsPath) ? (JSON.parse(readFileSync(endpointsPath, 'utf8')) as Record<string, string>) : {};
  writeFileSync(endpointsPath, JSON.stringify({ ...prev, cloudhsmv2: server.url, ...(kms ? { kms: server.url } : {}), region: DEFAULT_REGION }, null, 2) + '\n');
  return {
    url: server.url,
    consoleUrl: `${server.url}${CONSOLE_PATH}/`,
    region: DEFAULT_REGION,
    accountId: boot.accountId,
    credentialsFile: boot.credentialsFile,
    ...(kms ? { kmsUrl: server.url, kms } : {}),
    state,
    lifecycle,
    provisioner,
    metrics,
    invoke,
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
