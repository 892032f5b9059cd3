// Test fixtures for the AWS front end: a server on a free loopback port with a fresh IAM store and
// event log in a temp directory, a stub CloudHSMv2 service (so the real SDK and CLI can call it)
// and a dummy TestService, plus a raw SigV4 client whose date, scope and bytes a test can bend.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import { AwsError, startAwsServer, type AwsCallRecord, type AwsServer, type AwsService, type HttpRoute } from '../../src/aws/server.js';
import { NodeSha256 } from '../../src/aws/sigv4.js';
import { IamStore } from '../../src/control-plane/iam/store.js';
import { bootstrapIam } from '../../src/control-plane/iam/bootstrap.js';
import { EventLog } from '../../src/control-plane/events/log.js';

export const CLUSTER_CREATED = new Date('2024-05-01T10:20:30.000Z');

/** Stub of CloudHSMv2: just enough operations to prove the SDK and the CLI talk to us. */
export function stubBaldr(): AwsService {
  return {
    targetPrefix: 'BaldrApiService',
    signingName: 'cloudhsm',
    actionPrefix: 'cloudhsm',
    eventSource: 'cloudhsmv2.amazonaws.com',
    errors: { invalidRequest: 'CloudHsmInvalidRequestException', accessDenied: 'CloudHsmAccessDeniedException', internal: 'CloudHsmInternalFailureException' },
    operations: {
      DescribeClusters: {
        readOnly: true,
        handler: async (ctx) => ({
          Clusters: [{ ClusterId: 'cluster-abcdefghijk', State: 'ACTIVE', HsmType: 'hsm2m.medium', CreateTimestamp: CLUSTER_CREATED, Hsms: [], SubnetMapping: { [`${ctx.region}a`]: 'subnet-local-1a' } }],
        }),
      },
      CreateCluster: {
        readOnly: false,
        secretFields: ['PreCoPassword'],
        handler: async (_ctx, input: { HsmType?: string; SubnetIds?: string[] }) => {
          if (!input.HsmType) throw new AwsError('CloudHsmInvalidRequestException', 'HsmType is required.');
          return { Cluster: { ClusterId: 'cluster-newnewnewnew', HsmType: input.HsmType, State: 'CREATE_IN_PROGRESS', PreCoPassword: 'pco-secret-123', CreateTimestamp: CLUSTER_CREATED } };
        },
      },
      DeleteCluster: {
        readOnly: false,
        resources: (ctx, input: { ClusterId?: string }) => [`arn:aws:cloudhsm:${ctx.region}:${ctx.identity.accountId}:cluster/${input.ClusterId ?? ''}`],
        handler: async (_ctx, input: { ClusterId?: string }) => ({ Cluster: { ClusterId: input.ClusterId, State: 'DELETE_IN_PROGRESS' } }),
      },
    },
  };
}

export function testService(): AwsService {
  return {
    targetPrefix: 'TestService',
    signingName: 'testsvc',
    actionPrefix: 'testsvc',
    eventSource: 'testsvc.amazonaws.com',
    errors: { invalidRequest: 'TestInvalidRequestException', accessDenied: 'AccessDeniedException', internal: 'TestInternalException' },
    operations: {
      Echo: {
        readOnly: false,
        secretFields: ['Secret'],
        handler: async (ctx, input: Record<string, unknown>) => ({ Input: input, Region: ctx.region, Caller: ctx.identity.arn, Bytes: new Uint8Array([1, 2, 3]), Secret: 'echoed' }),
      },
      Boom: {
        readOnly: true,
        handler: async () => {
          throw new Error('handler bug with details that must not reach the client');
        },
      },
    },
  };
}

export interface Fixture {
  dir: string;
  iam: IamStore;
  events: EventLog;
  server: AwsServer;
  root: { accountId: string; accessKeyId: string; secretAccessKey: string };
  close(): Promise<void>;
}

export async function startFixture(opts: { clock?: () => Date; maxBodyBytes?: number; routes?: Record<string, HttpRoute>; onCall?: (call: AwsCallRecord) => void; services?: AwsService[] } = {}): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-aws-'));
  const iam = IamStore.open(dir);
  const boot = bootstrapIam(dir, { store: iam });
  const events = EventLog.open(dir);
  const logs: string[] = [];
  const server = await startAwsServer({
    host: '127.0.0.1',
    port: 0,
    services: [stubBaldr(), testService(), ...(opts.services ?? [])],
    iam,
    events,
    log: (l) => logs.push(l),
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.maxBodyBytes ? { maxBodyBytes: opts.maxBodyBytes } : {}),
    ...(opts.routes ? { routes: opts.routes } : {}),
    ...(opts.onCall ? { onCall: opts.onCall } : {}),
  });
  return {
    dir,
    iam,
    events,
    server,
    root: { accountId: boot.accountId, accessKeyId: boot.accessKeyId, secretAccessKey: iam.revealSecret(boot.accessKeyId)! },
    async close() {
      await server.close();
      events.close();
      iam.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RawOptions {
  date?: Date;
  service?: string;
  region?: string;
  /** Changes the signed request before it is sent (tampering). */
  mutate?: (r: { headers: Record<string, string>; body: string }) => void;
  unsigned?: boolean;
}

/** A hand-driven awsJson1_1 call, signed with the SDK signer; returns status, headers and JSON. */
export async function rawCall(
  url: string,
  target: string,
  body: unknown,
  creds: { accessKeyId: string; secretAccessKey: string },
  o: RawOptions = {},
): Promise<{ status: number; json: Record<string, unknown>; requestId: string | null }> {
  const u = new URL(url);
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  let headers: Record<string, string> = { host: u.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target };
  if (!o.unsigned) {
    const signer = new SignatureV4({ service: o.service ?? 'cloudhsm', region: o.region ?? 'local-1', credentials: creds, sha256: NodeSha256 });
    const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: u.hostname, port: Number(u.port), path: '/', query: {}, headers, body: text }, { signingDate: o.date ?? new Date() });
    headers = signed.headers as Record<string, string>;
  }
  const req = { headers: { ...headers }, body: text };
  o.mutate?.(req);
  delete req.headers['host'];
  const res = await fetch(url + '/', { method: 'POST', headers: req.headers, body: req.body });
  const t = await res.text();
  return { status: res.status, json: (t ? JSON.parse(t) : {}) as Record<string, unknown>, requestId: res.headers.get('x-amzn-requestid') };
}
