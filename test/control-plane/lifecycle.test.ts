// The CloudHSMv2 lifecycle through @aws-sdk/client-cloudhsm-v2 against a real control plane
// process: create, CSR, initialise (bad chain refused), activate on the data plane, tags,
// pagination, tenancy, self-healing (kill -9), backups (on activation and HSM add; tampered file
// refused; restore into a new cluster), delete. Each fault its own assertion.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  CopyBackupToRegionCommand, CreateClusterCommand, CreateHsmCommand, DeleteBackupCommand, DeleteClusterCommand, DeleteHsmCommand,
  DescribeBackupsCommand, DescribeClustersCommand, InitializeClusterCommand, ListTagsCommand, ModifyBackupAttributesCommand,
  ModifyClusterCommand, RestoreBackupCommand, TagResourceCommand, UntagResourceCommand, type Cluster,
} from '@aws-sdk/client-cloudhsm-v2';
import { CLI, STRONGROOM } from '../integration/harness.js';
import { customerCa, describe1, startControlPlaneProcess, waitFor, type RunningControlPlane } from './support.js';

const ADMIN_PW = 'Admin-pass-1';
const ALICE_PW = 'Alice-pass-1';

function writeClientConfig(cp: RunningControlPlane, c: Cluster, ca: string, name: string): string {
  const caFile = join(cp.dir, `${name}-ca.crt`);
  writeFileSync(caFile, ca);
  const path = join(cp.dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({ clusterId: c.ClusterId, hsms: c.Hsms!.filter((h) => h.State === 'ACTIVE').map((h) => ({ address: h.EniIp, port: cp.hsmPort })), caFile }));
  return path;
}

function cli(config: string, args: string[], env: Record<string, string> = {}): any {
  const r = spawnSync(process.execPath, [CLI, ...args, '--config', config], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
  const j = JSON.parse(r.stdout) as { error_code: number; data: any };
  return j;
}
const admin = { CLOUDHSM_ROLE: 'admin', CLOUDHSM_PIN: `admin:${ADMIN_PW}` };
const alice = { CLOUDHSM_ROLE: 'crypto-user', CLOUDHSM_PIN: `alice:${ALICE_PW}` };

async function expectAwsError(p: Promise<unknown>, name: string, msg?: RegExp): Promise<void> {
  const e = await p.then(() => undefined, (x: unknown) => x as { name: string; message: string });
  expect(e, `expected ${name}`).toBeDefined();
  expect(e!.name).toBe(name);
  if (msg) expect(e!.message).toMatch(msg);
}

describe('control plane: CloudHSMv2 lifecycle', () => {
  let cp: RunningControlPlane;
  beforeAll(async () => {
    cp = await startControlPlaneProcess(['--backup-interval-ms', '3600000']);
  }, 60_000);
  afterAll(async () => {
    await cp?.stop();
  });

  it('runs a cluster from creation to backup, restore and deletion', async () => {
    const { client } = cp;
    // Validation: names the field.
    await expectAwsError(client.send(new CreateClusterCommand({ HsmType: 'hsm2m.medium', SubnetIds: ['subnet-nowhere'] })), 'CloudHsmInvalidRequestException', /SubnetIds/);
    await expectAwsError(client.send(new CreateClusterCommand({ HsmType: 'hsm2m.medium', SubnetIds: ['subnet-local-1a'], BackupRetentionPolicy: { Type: 'DAYS', Value: '3' } })), 'CloudHsmInvalidRequestException', /7 to 379/);

    const created = (await client.send(new CreateClusterCommand({ HsmType: 'hsm2m.medium', SubnetIds: ['subnet-local-1a', 'subnet-local-1b'], TagList: [{ Key: 'env', Value: 'test' }] }))).Cluster!;
    expect(created.ClusterId).toMatch(/^cluster-[2-7a-z]{11}$/);
    expect(created.State).toBe('UNINITIALIZED');
    expect(created.VpcId).toBe('vpc-local-1');
    expect(created.SubnetMapping).toEqual({ 'local-1a': 'subnet-local-1a', 'local-1b': 'subnet-local-1b' });
    expect(created.BackupRetentionPolicy).toEqual({ Type: 'DAYS', Value: '90' });
    const id = created.ClusterId!;

    await expectAwsError(client.send(new CreateHsmCommand({ ClusterId: id, AvailabilityZone: 'local-1c' })), 'CloudHsmInvalidRequestException', /local-1c/);
    const h1 = (await client.send(new CreateHsmCommand({ ClusterId: id, AvailabilityZone: 'local-1a' }))).Hsm!;
    expect(h1.HsmId).toMatch(/^hsm-[2-7a-z]{11}$/);
    expect(h1.State).toBe('CREATE_IN_PROGRESS');
    expect(h1.SubnetId).toBe('subnet-local-1a');
    let c = await waitFor(client, id, (x) => x.Hsms?.[0]?.State === 'ACTIVE');
    expect(c.Certificates?.ClusterCsr).toMatch(/BEGIN CERTIFICATE REQUEST/);
    expect(c.Certificates?.HsmCertificate).toMatch(/BEGIN CERTIFICATE/);
    expect(c.Certificates?.ManufacturerHardwareCertificate).toBe(readFileSync(join(cp.dir, 'fleet', 'fleetCA.crt'), 'utf8'));

    // A second HSM before initialisation is cloned from the first.
    await client.send(new CreateHsmCommand({ ClusterId: id, AvailabilityZone: 'local-1b' }));
    c = await waitFor(client, id, (x) => x.Hsms?.length === 2 && x.Hsms.every((h) => h.State === 'ACTIVE'));

    // InitializeCluster: a certificate from another CA than the trust anchor is refused by the HSM.
    const ca = await customerCa();
    const other = await customerCa();
    const signed = await ca.sign(c.Certificates!.ClusterCsr!);
    await expectAwsError(client.send(new InitializeClusterCommand({ ClusterId: id, SignedCert: signed, TrustAnchor: other.cert })), 'CloudHsmInvalidRequestException', /chain/);
    expect((await describe1(client, id)).State).toBe('UNINITIALIZED');
    const init = await client.send(new InitializeClusterCommand({ ClusterId: id, SignedCert: signed, TrustAnchor: ca.cert }));
    expect(init.State).toBe('INITIALIZED');
    c = await describe1(client, id);
    expect(c.Certificates?.ClusterCsr).toBeUndefined();
    expect(c.Certificates?.ClusterCertificate).toBe(signed);

    // Activation on the data plane; the control plane notices it and takes the activation backup.
    const cfg = writeClientConfig(cp, c, ca.cert, 'c1');
    expect(cli(cfg, ['cluster', 'activate', '--password', ADMIN_PW]).data).toMatchObject({ state: 'ACTIVE' });
    c = await waitFor(client, id, (x) => x.State === 'ACTIVE');
    expect(cli(cfg, ['user', 'create', '--username', 'alice', '--role', 'crypto-user', '--password', ALICE_PW], admin).error_code).toBe(0);
    const k1 = cli(cfg, ['key', 'generate-symmetric', 'aes', '--label', 'before', '--key-length-bytes', '32', '--attributes', 'encrypt=true', 'decrypt=true'], alice);
    expect(k1.error_code).toBe(0);

    // Adding an HSM to an active cluster makes a backup that holds alice and "before".
    await client.send(new CreateHsmCommand({ ClusterId: id, AvailabilityZone: 'local-1a' }));
    c = await waitFor(client, id, (x) => x.Hsms?.length === 3 && x.Hsms.every((h) => h.State === 'ACTIVE'));
    let backups = (await client.send(new DescribeBackupsCommand({ Filters: { clusterIds: [id] }, SortAscending: true }))).Backups!;
    for (let i = 0; i < 40 && backups.filter((b) => b.BackupState === 'READY').length < 2; i++) {
      await new Promise((r) => setTimeout(r, 250));
      backups = (await client.send(new DescribeBackupsCommand({ Filters: { clusterIds: [id] }, SortAscending: true }))).Backups!;
    }
    expect(backups.filter((b) => b.BackupState === 'READY').length).toBeGreaterThanOrEqual(2);
    const afterAdd = backups[backups.length - 1]!;
    expect(afterAdd.BackupId).toMatch(/^backup-[2-7a-z]{11}$/);
    const k2 = cli(cfg, ['key', 'generate-symmetric', 'aes', '--label', 'after', '--key-length-bytes', '32'], alice);
    expect(k2.error_code).toBe(0);

    // Self-healing: kill -9 one HSM; it is marked, replaced in its zone, and serves the keys.
    const victim = c.Hsms![0]!;
    const nodeDir = join(cp.dir, 'clusters', id, 'hsms', victim.HsmId!);
    const pid = Number(readFileSync(join(nodeDir, 'hsm.pid'), 'utf8'));
    process.kill(pid, 'SIGKILL');
    await waitFor(client, id, (x) => x.Hsms!.find((h) => h.HsmId === victim.HsmId)!.State !== 'ACTIVE', 20_000);
    c = await waitFor(client, id, (x) => x.Hsms!.every((h) => h.State === 'ACTIVE'), 60_000);
    const healed = c.Hsms!.find((h) => h.HsmId === victim.HsmId)!;
    expect(healed.AvailabilityZone).toBe(victim.AvailabilityZone);
    expect(Number(readFileSync(join(nodeDir, 'hsm.pid'), 'utf8'))).not.toBe(pid);
    const only = join(cp.dir, 'only-healed.json');
    writeFileSync(only, JSON.stringify({ clusterId: id, hsms: [{ address: healed.EniIp, port: cp.hsmPort }], caFile: join(cp.dir, 'c1-ca.crt') }));
    const listed = cli(only, ['key', 'list', '--filter', 'attr.label=before'], alice);
    expect(listed.error_code).toBe(0);
    expect(JSON.stringify(listed.data)).toContain('before');

    // Backup lifecycle: delete → PENDING_DELETION → restore; NeverExpires; copy to another region.
    const del = (await client.send(new DeleteBackupCommand({ BackupId: afterAdd.BackupId! }))).Backup!;
    expect(del.BackupState).toBe('PENDING_DELETION');
    expect(del.DeleteTimestamp).toBeInstanceOf(Date);
    expect((await client.send(new RestoreBackupCommand({ BackupId: afterAdd.BackupId! }))).Backup!.BackupState).toBe('READY');
    expect((await client.send(new ModifyBackupAttributesCommand({ BackupId: afterAdd.BackupId!, NeverExpires: true }))).Backup!.NeverExpires).toBe(true);
    const copied = (await client.send(new CopyBackupToRegionCommand({ BackupId: afterAdd.BackupId!, DestinationRegion: 'local-2' }))).DestinationBackup!;
    expect(copied).toMatchObject({ SourceRegion: 'local-1', SourceBackup: afterAdd.BackupId, SourceCluster: id });
    const east = cp.clientFor(cp.credentials, 'local-2');
    const there = (await east.send(new DescribeBackupsCommand({}))).Backups!;
    expect(there.map((b) => b.SourceBackup)).toContain(afterAdd.BackupId);
    expect(readdirSync(join(cp.dir, 'backups', 'local-2')).length).toBe(1);

    // A backup file edited by one byte fails to restore, clearly.
    const victimBackup = backups[0]!;
    const file = join(cp.dir, 'backups', 'local-1', `${victimBackup.BackupId}.bak`);
    const bytes = readFileSync(file);
    bytes[bytes.length - 40] = bytes[bytes.length - 40]! ^ 0x01;
    writeFileSync(file, bytes);
    const bad = (await client.send(new CreateClusterCommand({ HsmType: 'hsm2m.medium', SubnetIds: ['subnet-local-1a'], SourceBackupId: victimBackup.BackupId! }))).Cluster!;
    await client.send(new CreateHsmCommand({ ClusterId: bad.ClusterId!, AvailabilityZone: 'local-1a' }));
    const badView = await waitFor(client, bad.ClusterId!, (x) => x.Hsms?.[0]?.State === 'DEGRADED');
    expect(badView.Hsms![0]!.StateMessage).toMatch(/backup does not restore: integrity check failed/);

    // Restore into a new cluster: same users, the key made before the backup, not the one after.
    const restored = (await client.send(new CreateClusterCommand({ HsmType: 'hsm2m.medium', SubnetIds: ['subnet-local-1a'], SourceBackupId: afterAdd.BackupId! }))).Cluster!;
    expect(restored.SourceBackupId).toBe(afterAdd.BackupId);
    await client.send(new CreateHsmCommand({ ClusterId: restored.ClusterId!, AvailabilityZone: 'local-1a' }));
    const r = await waitFor(client, restored.ClusterId!, (x) => x.Hsms?.[0]?.State === 'ACTIVE' && x.State === 'ACTIVE');
    expect(r.Certificates?.ClusterCertificate).toBe(signed);
    const rcfg = writeClientConfig(cp, r, ca.cert, 'restored');
    expect(JSON.stringify(cli(rcfg, ['key', 'list', '--filter', 'attr.label=before'], alice).data)).toContain('before');
    const gone = cli(rcfg, ['key', 'list', '--filter', 'attr.label=after'], alice);
    expect(JSON.stringify(gone.data)).not.toContain('"after"');

    // Tags and pagination.
    await client.send(new TagResourceCommand({ ResourceId: id, TagList: [{ Key: 'team', Value: 'vault' }] }));
    expect((await client.send(new ListTagsCommand({ ResourceId: id }))).TagList).toEqual([{ Key: 'env', Value: 'test' }, { Key: 'team', Value: 'vault' }]);
    const p1 = await client.send(new ListTagsCommand({ ResourceId: id, MaxResults: 1 }));
    expect(p1.TagList).toHaveLength(1);
    expect(p1.NextToken).toBeDefined();
    await client.send(new UntagResourceCommand({ ResourceId: id, TagKeyList: ['env'] }));
    expect((await client.send(new ListTagsCommand({ ResourceId: id }))).TagList).toEqual([{ Key: 'team', Value: 'vault' }]);
    const pc = await client.send(new DescribeClustersCommand({ MaxResults: 1 }));
    expect(pc.Clusters).toHaveLength(1);
    expect(pc.NextToken).toBeDefined();
    await expectAwsError(client.send(new DescribeClustersCommand({ MaxResults: 26 })), 'CloudHsmInvalidRequestException', /MaxResults/);
    expect((await client.send(new ModifyClusterCommand({ ClusterId: id, BackupRetentionPolicy: { Type: 'DAYS', Value: '30' } }))).Cluster!.BackupRetentionPolicy).toEqual({ Type: 'DAYS', Value: '30' });

    // Tenancy: another account sees nothing and touches nothing.
    const acct = spawnSync(process.execPath, [STRONGROOM, 'iam', 'create-account', '--account-name', 'other', '--data-dir', cp.dir], { encoding: 'utf8' });
    const accountId = (JSON.parse(acct.stdout) as { Account?: { Id: string }; Id?: string }).Account?.Id ?? (JSON.parse(acct.stdout) as { Id: string }).Id;
    const key = JSON.parse(spawnSync(process.execPath, [STRONGROOM, 'iam', 'create-access-key', '--account-id', accountId, '--data-dir', cp.dir], { encoding: 'utf8' }).stdout) as { AccessKey: { AccessKeyId: string; SecretAccessKey: string } };
    const b = cp.clientFor({ accessKeyId: key.AccessKey.AccessKeyId, secretAccessKey: key.AccessKey.SecretAccessKey });
    expect((await b.send(new DescribeClustersCommand({}))).Clusters).toEqual([]);
    expect((await b.send(new DescribeBackupsCommand({}))).Backups).toEqual([]);
    await expectAwsError(b.send(new CreateHsmCommand({ ClusterId: id, AvailabilityZone: 'local-1a' })), 'CloudHsmResourceNotFoundException');
    await expectAwsError(b.send(new DeleteClusterCommand({ ClusterId: id })), 'CloudHsmResourceNotFoundException');
    await expectAwsError(b.send(new DeleteBackupCommand({ BackupId: afterAdd.BackupId! })), 'CloudHsmResourceNotFoundException');

    // Deletion: HSMs first, then the cluster.
    await expectAwsError(client.send(new DeleteClusterCommand({ ClusterId: id })), 'CloudHsmInvalidRequestException', /HSMs/);
    for (const h of c.Hsms!) await client.send(new DeleteHsmCommand({ ClusterId: id, HsmId: h.HsmId! }));
    await waitFor(client, id, (x) => x.Hsms!.length === 0);
    expect((await client.send(new DeleteClusterCommand({ ClusterId: id }))).Cluster!.State).toBe('DELETED');
  }, 240_000);
});
