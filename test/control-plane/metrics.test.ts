// GET /metrics of a real `strongroom control-plane` process (KMS on, one store HSM): the text
// exposition parsed strictly (exposition.ts), the series the console reads with their labels, API
// counters that follow the calls made (an error included, both services), per-HSM series read
// from the HSMs at scrape time, an HSM that does not answer in time (SIGSTOP) shown down with no
// stale numbers, and a killed HSM (SIGKILL) shown down or replaced.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateClusterCommand, CreateHsmCommand, type Cluster } from '@aws-sdk/client-cloudhsm-v2';
import { DescribeKeyCommand, KMSClient, ListKeysCommand } from '@aws-sdk/client-kms';
import { startControlPlaneProcess, waitFor, type RunningControlPlane } from './support.js';
import { parseExposition, samples, value, type Family } from './exposition.js';
import { MIN_SCRAPE_INTERVAL_MS } from '../../src/control-plane/metrics/metrics.js';

const HSM_GAUGES = [
  'strongroom_hsm_sessions', 'strongroom_hsm_appliance_sessions', 'strongroom_hsm_keys_token_occupied', 'strongroom_hsm_keys_session_occupied',
  'strongroom_hsm_users', 'strongroom_hsm_users_max', 'strongroom_hsm_users_available', 'strongroom_hsm_uptime_seconds',
];
const NODE_STATES = ['ERROR', 'UNCLONED', 'UNINITIALIZED', 'INITIALIZED', 'ACTIVE', 'DEGRADED'];

let cp: RunningControlPlane;
let cluster: Cluster;

let lastScrape = 0;
/** GET /metrics, after waiting out MIN_SCRAPE_INTERVAL_MS so that the HSMs are asked afresh. */
async function scrape(): Promise<{ families: Map<string, Family>; contentType: string | null; ms: number }> {
  const wait = lastScrape + MIN_SCRAPE_INTERVAL_MS + 50 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const t0 = Date.now();
  const res = await fetch(cp.url + '/metrics');
  expect(res.status).toBe(200);
  const text = await res.text();
  lastScrape = Date.now();
  return { families: parseExposition(text), contentType: res.headers.get('content-type'), ms: Date.now() - t0 };
}

/** Every sample of every strongroom_hsm_* family that names this HSM. */
function hsmSeries(families: Map<string, Family>, hsmId: string): string[] {
  const out: string[] = [];
  for (const f of families.values()) {
    if (!f.name.startsWith('strongroom_hsm_')) continue;
    for (const s of f.samples) if (s.labels['hsm_id'] === hsmId) out.push(s.name);
  }
  return out;
}

const pidOf = (hsmId: string): number => Number(readFileSync(join(cp.dir, 'clusters', cluster.ClusterId!, 'hsms', hsmId, 'hsm.pid'), 'utf8'));

beforeAll(async () => {
  cp = await startControlPlaneProcess(['--backup-interval-ms', '3600000', '--kms-store-hsms', '1']);
}, 60_000);
afterAll(async () => {
  await cp?.stop();
});

describe('GET /metrics', () => {
  it('serves the text exposition format, with the process metrics and every state at zero before anything exists', async () => {
    const { families, contentType } = await scrape();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(families.get('strongroom_controlplane_process_cpu_user_seconds_total')?.type).toBe('counter');
    expect(families.get('strongroom_controlplane_process_resident_memory_bytes')?.samples[0]?.value).toBeGreaterThan(0);
    expect(families.get('strongroom_controlplane_nodejs_eventloop_lag_seconds')?.type).toBe('gauge');
    expect(samples(families, 'strongroom_clusters').map((s) => s.labels['state']).sort()).toEqual(
      ['ACTIVE', 'CREATE_IN_PROGRESS', 'DEGRADED', 'DELETED', 'DELETE_IN_PROGRESS', 'INITIALIZED', 'INITIALIZE_IN_PROGRESS', 'UNINITIALIZED', 'UPDATE_IN_PROGRESS'],
    );
    expect(samples(families, 'strongroom_clusters').every((s) => s.value === 0)).toBe(true);
    expect(samples(families, 'strongroom_hsms')).toHaveLength(5);
    expect(samples(families, 'strongroom_backups')).toHaveLength(4);
    expect(families.get('strongroom_hsm_up')?.type).toBe('gauge');
    expect(families.get('strongroom_hsm_requests_total')?.type).toBe('counter');
    expect(families.get('strongroom_hsm_request_duration_seconds')?.type).toBe('histogram');
    expect(families.get('strongroom_api_request_duration_seconds')?.type).toBe('histogram');
    // Only GET and HEAD, only /metrics itself.
    expect((await fetch(cp.url + '/metrics', { method: 'POST' })).status).toBe(405);
    expect((await fetch(cp.url + '/metrics', { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(cp.url + '/metrics/other')).status).toBe(404);
  });

  it("shows the HSMs of KMS's own store too, which no cluster of the API lists", async () => {
    const store = JSON.parse(readFileSync(join(cp.dir, 'kms-store', 'cluster.json'), 'utf8')) as { clusterId: string; hsms: Array<{ hsmId: string; availabilityZone: string }> };
    expect(store.hsms).toHaveLength(1);
    const { families } = await scrape();
    const labels = { cluster_id: store.clusterId, hsm_id: store.hsms[0]!.hsmId, availability_zone: store.hsms[0]!.availabilityZone };
    expect(value(families, 'strongroom_hsm_up', labels)).toBe(1);
    expect(value(families, 'strongroom_hsm_state', { ...labels, state: 'ACTIVE' })).toBe(1);
    expect(value(families, 'strongroom_hsm_users', labels)).toBeGreaterThanOrEqual(2); // its admin and KMS's crypto user "kms"
    expect(value(families, 'strongroom_hsm_sessions', labels)).toBeGreaterThanOrEqual(1); // KMS's own connection
    // The API's view of clusters is unchanged: the store is not one of its clusters.
    expect(samples(families, 'strongroom_clusters').every((x) => x.value === 0)).toBe(true);
  });

  it('counts API calls per service, operation and error, and shows a cluster, its HSMs and their own numbers', async () => {
    const { client } = cp;
    const bad = await client.send(new CreateClusterCommand({ HsmType: 'hsm2m.medium', SubnetIds: ['subnet-nowhere'] })).then(() => undefined, (e: Error) => e.name);
    expect(bad).toBe('CloudHsmInvalidRequestException');
    const id = (await client.send(new CreateClusterCommand({ HsmType: 'hsm2m.medium', SubnetIds: ['subnet-local-1a', 'subnet-local-1b'] }))).Cluster!.ClusterId!;
    await client.send(new CreateHsmCommand({ ClusterId: id, AvailabilityZone: 'local-1a' }));
    await waitFor(client, id, (c) => c.Hsms?.[0]?.State === 'ACTIVE');
    await client.send(new CreateHsmCommand({ ClusterId: id, AvailabilityZone: 'local-1b' }));
    cluster = await waitFor(client, id, (c) => c.Hsms?.length === 2 && c.Hsms.every((h) => h.State === 'ACTIVE'));
    const kms = new KMSClient({ endpoint: cp.url, region: 'local-1', credentials: cp.credentials, maxAttempts: 1 });
    await kms.send(new ListKeysCommand({}));
    expect(await kms.send(new DescribeKeyCommand({ KeyId: '11111111-2222-3333-4444-555555555555' })).then(() => undefined, (e: Error) => e.name)).toBe('NotFoundException');

    const { families } = await scrape();
    const api = (labels: Record<string, string>) => value(families, 'strongroom_api_requests_total', labels);
    expect(api({ service: 'cloudhsmv2', operation: 'CreateCluster', error: 'CloudHsmInvalidRequestException' })).toBe(1);
    expect(api({ service: 'cloudhsmv2', operation: 'CreateCluster', error: '' })).toBe(1);
    expect(api({ service: 'cloudhsmv2', operation: 'CreateHsm', error: '' })).toBe(2);
    expect(api({ service: 'cloudhsmv2', operation: 'DescribeClusters', error: '' })).toBeGreaterThanOrEqual(2);
    expect(api({ service: 'kms', operation: 'ListKeys', error: '' })).toBe(1);
    expect(api({ service: 'kms', operation: 'DescribeKey', error: 'NotFoundException' })).toBe(1);
    for (const s of samples(families, 'strongroom_api_requests_total')) expect(Object.keys(s.labels).sort()).toEqual(['error', 'operation', 'service']);
    const calls = (service: string) => samples(families, 'strongroom_api_requests_total', { service }).reduce((n, s) => n + s.value, 0);
    expect(value(families, 'strongroom_api_request_duration_seconds_count', { service: 'cloudhsmv2' })).toBe(calls('cloudhsmv2'));
    expect(value(families, 'strongroom_api_request_duration_seconds_count', { service: 'kms' })).toBe(calls('kms'));

    expect(value(families, 'strongroom_clusters', { state: 'UNINITIALIZED' })).toBe(1);
    expect(value(families, 'strongroom_hsms', { state: 'ACTIVE' })).toBe(2);

    for (const h of cluster.Hsms!) {
      const labels = { cluster_id: id, hsm_id: h.HsmId!, availability_zone: h.AvailabilityZone! };
      expect(samples(families, 'strongroom_hsm_up', { hsm_id: h.HsmId! }).map((s) => s.labels)).toEqual([labels]);
      expect(value(families, 'strongroom_hsm_up', labels)).toBe(1);
      for (const g of HSM_GAUGES) expect(samples(families, g, { hsm_id: h.HsmId! }).map((s) => s.labels), g).toEqual([labels]);
      expect(value(families, 'strongroom_hsm_users_max', labels)).toBe(1024);
      expect(value(families, 'strongroom_hsm_users', labels)).toBe(0); // the admin comes with InitializeCluster
      expect(value(families, 'strongroom_hsm_users_available', labels)).toBe(1024);
      expect(value(families, 'strongroom_hsm_keys_token_occupied', labels)).toBe(0);
      expect(value(families, 'strongroom_hsm_appliance_sessions', labels)).toBeGreaterThanOrEqual(1); // this scrape's
      const states = samples(families, 'strongroom_hsm_state', { hsm_id: h.HsmId! });
      expect(states.map((s) => s.labels['state']).sort()).toEqual([...NODE_STATES].sort());
      expect(states.filter((s) => s.value === 1).map((s) => s.labels['state'])).toEqual(['UNINITIALIZED']);
      for (const s of samples(families, 'strongroom_hsm_requests_total', { hsm_id: h.HsmId! })) {
        expect(Object.keys(s.labels).sort()).toEqual(['cluster_id', 'command', 'hsm_id', 'result']);
      }
      const hist = { cluster_id: id, hsm_id: h.HsmId! };
      const count = value(families, 'strongroom_hsm_request_duration_seconds_count', hist);
      expect(count).toBe(samples(families, 'strongroom_hsm_requests_total', { hsm_id: h.HsmId! }).reduce((n, s) => n + s.value, 0));
      expect(count).toBeGreaterThan(0);
      expect(samples(families, 'strongroom_hsm_request_duration_seconds_bucket', hist).at(-1)?.labels['le']).toBe('+Inf');
    }
    // The commands the control plane sent while provisioning, counted by the HSMs themselves.
    const [first, second] = cluster.Hsms!;
    const cmd = (hsmId: string, command: string) => samples(families, 'strongroom_hsm_requests_total', { hsm_id: hsmId, command, result: 'ok' })[0]?.value ?? 0;
    expect(cmd(first!.HsmId!, 'cluster.csr')).toBe(1);
    expect(cmd(first!.HsmId!, 'cluster.cloneExport')).toBe(1);
    expect(cmd(second!.HsmId!, 'cluster.cloneImport')).toBe(1);

    // The next scrape reads the HSMs again: their metrics.get count grew by this scrape's question.
    const again = (await scrape()).families;
    expect(samples(again, 'strongroom_hsm_requests_total', { hsm_id: first!.HsmId!, command: 'metrics.get', result: 'ok' })[0]!.value).toBe(cmd(first!.HsmId!, 'metrics.get') + 1);
  }, 120_000);

  it('scrapes within a second of each other share one reading of the HSMs (no handshake storm)', async () => {
    const first = cluster.Hsms![0]!.HsmId!;
    const asked = (f: Map<string, Family>) => samples(f, 'strongroom_hsm_requests_total', { hsm_id: first, command: 'metrics.get', result: 'ok' })[0]!.value;
    const base = asked((await scrape()).families);
    // Five more at once, straight after it: served from that reading (or, on a machine so slow
    // that the second passed meanwhile, from one fresh reading shared by the rest).
    const burst = await Promise.all(Array.from({ length: 5 }, async () => asked(parseExposition(await (await fetch(cp.url + '/metrics')).text()))));
    for (const n of burst) expect([base, base + 1]).toContain(n);
    // Once the interval has passed the HSMs are asked again, once more.
    expect(asked((await scrape()).families)).toBe(Math.max(...burst) + 1);
  }, 30_000);

  it('an HSM that does not answer in time is down, with no stale numbers, and the scrape still answers in about a second', async () => {
    const victim = cluster.Hsms![1]!;
    const pid = pidOf(victim.HsmId!);
    process.kill(pid, 'SIGSTOP'); // alive to the health loop, silent to the scrape
    try {
      const { families, ms } = await scrape();
      expect(value(families, 'strongroom_hsm_up', { hsm_id: victim.HsmId! })).toBe(0);
      expect(hsmSeries(families, victim.HsmId!)).toEqual(['strongroom_hsm_up']);
      expect(value(families, 'strongroom_hsm_up', { hsm_id: cluster.Hsms![0]!.HsmId! })).toBe(1);
      expect(ms).toBeLessThan(3_000);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await expect.poll(async () => value((await scrape()).families, 'strongroom_hsm_up', { hsm_id: victim.HsmId! }), { timeout: 10_000, interval: 250 }).toBe(1);
  }, 30_000);

  it('a killed HSM is shown down until the control plane replaces it, then up again as a new process', async () => {
    const victim = cluster.Hsms![0]!;
    const labels = { hsm_id: victim.HsmId! };
    const before = value((await scrape()).families, 'strongroom_hsm_uptime_seconds', labels);
    const pid = pidOf(victim.HsmId!);
    process.kill(pid, 'SIGKILL');
    // Down (if a scrape lands before the replacement) or already replaced: either way no old numbers.
    let replaced = false;
    const end = Date.now() + 60_000;
    while (!replaced && Date.now() < end) {
      const { families } = await scrape();
      if (value(families, 'strongroom_hsm_up', labels) === 0) {
        expect(hsmSeries(families, victim.HsmId!)).toEqual(['strongroom_hsm_up']);
      } else {
        replaced = value(families, 'strongroom_hsm_uptime_seconds', labels) < before;
      }
      if (!replaced) await new Promise((r) => setTimeout(r, 100));
    }
    expect(replaced).toBe(true);
    expect(pidOf(victim.HsmId!)).not.toBe(pid);
    // Once the control plane has cloned it (ACTIVE again): a new device, whose counters started again.
    await waitFor(cp.client, cluster.ClusterId!, (c) => c.Hsms!.every((h) => h.State === 'ACTIVE'));
    const { families } = await scrape();
    expect(samples(families, 'strongroom_hsm_requests_total', { hsm_id: victim.HsmId!, command: 'cluster.cloneImport', result: 'ok' })[0]?.value).toBe(1);
    expect(samples(families, 'strongroom_hsm_requests_total', { hsm_id: victim.HsmId!, command: 'cluster.csr' })).toEqual([]);
    expect(value(families, 'strongroom_hsm_state', { hsm_id: victim.HsmId!, state: 'UNINITIALIZED' })).toBe(1);
  }, 90_000);
});
