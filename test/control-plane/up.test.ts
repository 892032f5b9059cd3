// `strongroom up` with the control plane (what `npm start` runs): the default cluster is made
// through the control plane (CreateCluster, CreateHsm, InitializeCluster), client.json works with
// strongroom-cli, DescribeClusters through the SDK shows it with its HSMs and ACTIVE once activated,
// /metrics shows the default cluster's HSMs (mutual TLS enforced: the appliance still gets in), and
// a restart on the same directory brings the same cluster back with its keys (a larger --hsms
// adds an HSM).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudHSMV2Client, ListTagsCommand } from '@aws-sdk/client-cloudhsm-v2';
import { as, cli, startCluster, type Cluster } from '../integration/harness.js';
import { waitFor } from './support.js';
import { parseExposition, value } from './exposition.js';

const ADMIN_PW = 'Admin-pass-1';
const ALICE_PW = 'Alice-pass-1';

function sdk(dir: string): CloudHSMV2Client {
  const endpoints = JSON.parse(readFileSync(join(dir, 'endpoints.json'), 'utf8')) as { cloudhsmv2: string; region: string };
  const text = readFileSync(join(dir, 'aws-credentials'), 'utf8');
  const credentials = { accessKeyId: /aws_access_key_id = (\S+)/.exec(text)![1]!, secretAccessKey: /aws_secret_access_key = (\S+)/.exec(text)![1]! };
  return new CloudHSMV2Client({ endpoint: endpoints.cloudhsmv2, region: endpoints.region, credentials, maxAttempts: 1 });
}

describe('strongroom up through the control plane', () => {
  let c: Cluster;
  let extra: string[];
  beforeAll(async () => {
    // A loopback range of its own (the harness keeps this very array for restart(), so --hsms can change).
    extra = ['--api-port', '0', '--hsms', '2', '--subnet-base', `127.${31 + Math.floor(Math.random() * 200)}`];
    c = await startCluster(extra);
  }, 120_000);
  afterAll(async () => {
    await c?.cleanup();
  });

  it('makes the default cluster through the control plane and keeps it across restarts', async () => {
    const layout = JSON.parse(readFileSync(join(c.dir, 'cluster.json'), 'utf8')) as { clusterId: string; managedBy: string };
    expect(layout.managedBy).toBe('control-plane');
    const id = layout.clusterId;
    expect(id).toMatch(/^cluster-[2-7a-z]{11}$/);
    // No standalone HSMs: the control plane's provisioner keeps them under clusters/<id>/.
    expect(existsSync(join(c.dir, 'hsms'))).toBe(false);
    expect(existsSync(join(c.dir, 'clusters', id, 'hsms'))).toBe(true);

    const client = sdk(c.dir);
    let view = await waitFor(client, id, (x) => x.State === 'INITIALIZED', 10_000);
    expect(view.HsmType).toBe('hsm2m.medium');
    expect(Object.keys(view.SubnetMapping ?? {}).sort()).toEqual(['local-1a', 'local-1b', 'local-1c']);
    expect(view.Hsms!.map((h) => [h.AvailabilityZone, h.State])).toEqual([['local-1a', 'ACTIVE'], ['local-1b', 'ACTIVE']]);
    expect(view.Certificates?.ClusterCertificate).toMatch(/BEGIN CERTIFICATE/);
    const tags = await client.send(new ListTagsCommand({ ResourceId: id }));
    expect(tags.TagList).toContainEqual({ Key: 'strongroom:mtls-enforcement', Value: 'cluster' });

    // client.json: the HSM records' addresses, the customer CA, a client certificate (mTLS enforced).
    const cfg = JSON.parse(readFileSync(c.config, 'utf8')) as { clusterId: string; hsms: Array<{ address: string; port: number }>; caFile: string; clientCertFile: string };
    expect(cfg.clusterId).toBe(id);
    expect(cfg.caFile).toBe('customerCA.crt');
    expect(cfg.clientCertFile).toBe('client.crt');
    expect(cfg.hsms).toEqual(view.Hsms!.map((h) => ({ address: h.EniIp, port: c.port })));
    const base = extra[extra.indexOf('--subnet-base') + 1]!;
    expect(cfg.hsms.map((h) => h.address)).toEqual([`${base}.1.10`, `${base}.2.10`]);

    expect(cli(c, ['cluster', 'activate', '--password', ADMIN_PW]).json.data).toMatchObject({ state: 'ACTIVE' });
    expect(cli(c, ['user', 'create', '--username', 'alice', '--role', 'crypto-user', '--password', ALICE_PW], as('admin', 'admin', ADMIN_PW)).json.error_code).toBe(0);
    const alice = as('crypto-user', 'alice', ALICE_PW);
    const k = cli(c, ['key', 'generate-symmetric', 'aes', '--label', 'kept', '--key-length-bytes', '32', '--attributes', 'encrypt=true', 'decrypt=true'], alice);
    expect(k.json.error_code).toBe(0);
    const info = cli(c, ['cluster', 'hsm-info']).json.data as { hsms: Array<{ 'hsm-id': string; 'cluster-id': string }> };
    expect(info.hsms.map((h) => h['hsm-id']).sort()).toEqual(view.Hsms!.map((h) => h.HsmId).sort());

    // The health loop notices the activation.
    view = await waitFor(client, id, (x) => x.State === 'ACTIVE', 20_000);
    expect(view.Hsms).toHaveLength(2);
    const before = view.Hsms!.map((h) => h.HsmId);

    // Metrics on the same endpoint: both HSMs answer, ACTIVE, with admin and alice and the one key.
    const url = (JSON.parse(readFileSync(join(c.dir, 'endpoints.json'), 'utf8')) as { cloudhsmv2: string }).cloudhsmv2;
    const metrics = async () => parseExposition(await (await fetch(`${url}/metrics`)).text());
    await expect.poll(async () => {
      const m = await metrics();
      return view.Hsms!.map((h) => [
        value(m, 'strongroom_hsm_up', { hsm_id: h.HsmId! }),
        value(m, 'strongroom_hsm_state', { hsm_id: h.HsmId!, state: 'ACTIVE' }),
        value(m, 'strongroom_hsm_users', { hsm_id: h.HsmId! }),
        value(m, 'strongroom_hsm_keys_token_occupied', { hsm_id: h.HsmId! }),
      ]);
    }, { timeout: 10_000, interval: 250 }).toEqual([[1, 1, 2, 1], [1, 1, 2, 1]]);
    expect(value(await metrics(), 'strongroom_clusters', { state: 'ACTIVE' })).toBe(1);

    // Restart on the same directory, one HSM more: the same cluster, its keys, a third HSM in zone c.
    extra.splice(extra.indexOf('--hsms') + 1, 1, '3');
    await c.restart();
    expect((JSON.parse(readFileSync(join(c.dir, 'cluster.json'), 'utf8')) as { clusterId: string }).clusterId).toBe(id);
    const again = sdk(c.dir);
    view = await waitFor(again, id, (x) => x.State === 'ACTIVE' && x.Hsms?.length === 3 && x.Hsms.every((h) => h.State === 'ACTIVE'), 30_000);
    expect(view.Hsms!.map((h) => h.HsmId).slice(0, 2)).toEqual(before);
    expect(view.Hsms![2]!.AvailabilityZone).toBe('local-1c');
    expect((JSON.parse(readFileSync(c.config, 'utf8')) as { hsms: unknown[] }).hsms).toHaveLength(3);
    const list = cli(c, ['key', 'list', '--filter', 'attr.label=kept'], alice);
    expect(list.json.error_code).toBe(0);
    expect(list.json.data.matched_keys).toHaveLength(1);
    const enc = cli(c, ['crypto', 'encrypt', 'aes-gcm', '--key-filter', 'attr.label=kept', '--data', Buffer.from('hello').toString('base64')], alice);
    expect(enc.json.error_code).toBe(0);
  }, 180_000);
});
