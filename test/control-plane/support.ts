// A real control plane process (dist/, started by bench/control-plane-process.ts) in a temp
// directory, an SDK client on its endpoint with the bootstrapped root keys, and helpers to wait
// for states.

import { CloudHSMV2Client, DescribeClustersCommand, type Cluster } from '@aws-sdk/client-cloudhsm-v2';
import { createCa, signCsr } from '../../src/pki/pki.js';
import { spawnControlPlane, type AwsCredentials, type ControlPlaneProcess } from '../../bench/control-plane-process.js';

export interface RunningControlPlane extends ControlPlaneProcess {
  client: CloudHSMV2Client;
  clientFor(creds: AwsCredentials, region?: string): CloudHSMV2Client;
}

export async function startControlPlaneProcess(extra: string[] = []): Promise<RunningControlPlane> {
  const cp = await spawnControlPlane({ dirPrefix: 'strongroom-cp-', startTimeoutMs: 30_000, args: extra });
  const clientFor = (c: AwsCredentials, region = 'local-1') => new CloudHSMV2Client({ endpoint: cp.url, region, credentials: c, maxAttempts: 1 });
  return { ...cp, clientFor, client: clientFor(cp.credentials) };
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
