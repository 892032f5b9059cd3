// A real control plane process (dist/, like test/integration's harness) in a temp directory, an
// SDK client on its endpoint with the bootstrapped root keys, and helpers to wait for states.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CloudHSMV2Client, DescribeClustersCommand, type Cluster } from '@aws-sdk/client-cloudhsm-v2';
import { createCa, signCsr } from '../../src/pki/pki.js';
import { STRONGROOM, freePort } from '../integration/harness.js';

export interface RunningControlPlane {
  dir: string;
  url: string;
  hsmPort: number;
  proc: ChildProcess;
  client: CloudHSMV2Client;
  credentials: { accessKeyId: string; secretAccessKey: string };
  clientFor(creds: { accessKeyId: string; secretAccessKey: string }, region?: string): CloudHSMV2Client;
  stop(): Promise<void>;
}

export async function startControlPlaneProcess(extra: string[] = []): Promise<RunningControlPlane> {
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-cp-'));
  const hsmPort = await freePort();
  const octet = String(30 + Math.floor(Math.random() * 180));
  const proc = spawn(process.execPath, [STRONGROOM, 'control-plane', '--data-dir', dir, '--port', '0', '--hsm-port', String(hsmPort), '--subnet-octet', octet, '--health-interval-ms', '500', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((res, rej) => {
    const rl = createInterface({ input: proc.stdout! });
    const t = setTimeout(() => rej(new Error(`control plane did not start: ${err}`)), 30_000);
    rl.on('line', (l) => {
      const m = /^Strongroom control plane: (\S+)/.exec(l);
      if (m) {
        clearTimeout(t);
        res(m[1]!);
      }
    });
    proc.once('exit', (c) => rej(new Error(`control plane exited ${c}: ${err}`)));
  });
  const text = readFileSync(join(dir, 'aws-credentials'), 'utf8');
  const credentials = { accessKeyId: /aws_access_key_id = (\S+)/.exec(text)![1]!, secretAccessKey: /aws_secret_access_key = (\S+)/.exec(text)![1]! };
  const clientFor = (c: { accessKeyId: string; secretAccessKey: string }, region = 'local-1') => new CloudHSMV2Client({ endpoint: url, region, credentials: c, maxAttempts: 1 });
  return {
    dir, url, hsmPort, proc, credentials, clientFor,
    client: clientFor(credentials),
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

export async function describe1(client: CloudHSMV2Client, clusterId: string): Promise<Cluster> {
  const r = await client.send(new DescribeClustersCommand({ Filters: { clusterIds: [clusterId] } }));
  return r.Clusters![0]!;
}

/** Polls DescribeClusters until pred holds (or times out with the last view). */
export async function waitFor(client: CloudHSMV2Client, clusterId: string, pred: (c: Cluster) => boolean, ms = 60_000): Promise<Cluster> {
  const end = Date.now() + ms;
  let c = await describe1(client, clusterId);
  while (!pred(c)) {
    if (Date.now() > end) throw new Error(`timed out; cluster is ${JSON.stringify({ State: c.State, Hsms: c.Hsms?.map((h) => [h.HsmId, h.State, h.StateMessage]) })}`);
    await new Promise((r) => setTimeout(r, 250));
    c = await describe1(client, clusterId);
  }
  return c;
}

/** A customer CA and a signer for the cluster CSR (as CloudHSM's guide does with openssl). */
export async function customerCa(): Promise<{ cert: string; key: string; sign(csr: string): Promise<string> }> {
  const ca = await createCa('test customer CA', { keyType: 'rsa', days: 365 });
  return {
    cert: ca.certPem,
    key: typeof ca.keyPem === 'string' ? ca.keyPem : String(ca.keyPem),
    sign: (csr) => signCsr({ csrPem: csr, caCertPem: ca.certPem, caKey: ca.keyPem, kind: 'ca', days: 365 }),
  };
}
