// Backup sharing (Put/Get/DeleteResourcePolicy, DescribeBackups Shared, CreateCluster with a
// backup ARN of another account) and the Mode and NetworkType fields, through hand-signed
// awsJson1_1 requests (the SDK at 3.332 knows none of them) against a real control plane process.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, STRONGROOM } from '../integration/harness.js';
import { rawCall } from '../aws/helpers.js';
import { customerCa, startControlPlaneProcess, waitFor, type RunningControlPlane } from './support.js';

type Creds = { accessKeyId: string; secretAccessKey: string };
type Json = Record<string, any>;

describe('control plane: backup resource policies, Mode and NetworkType', () => {
  let cp: RunningControlPlane;
  const call = async (creds: Creds, op: string, body: unknown): Promise<{ status: number; json: Json }> => rawCall(cp.url, `BaldrApiService.${op}`, body, creds);
  const ok = async (creds: Creds, op: string, body: unknown): Promise<Json> => {
    const r = await call(creds, op, body);
    expect(r.status, `${op}: ${JSON.stringify(r.json)}`).toBe(200);
    return r.json;
  };
  const fails = async (creds: Creds, op: string, body: unknown, type: string, msg?: RegExp): Promise<void> => {
    const r = await call(creds, op, body);
    expect(r.status, `${op}: ${JSON.stringify(r.json)}`).toBe(400);
    expect(r.json['__type']).toBe(type);
    if (msg) expect(String(r.json['message'])).toMatch(msg);
  };
  function newAccount(name: string): { accountId: string; creds: Creds } {
    const acct = spawnSync(process.execPath, [STRONGROOM, 'iam', 'create-account', '--account-name', name, '--data-dir', cp.dir], { encoding: 'utf8' });
    const parsed = JSON.parse(acct.stdout) as { Account?: { Id: string }; Id?: string };
    const accountId = parsed.Account?.Id ?? parsed.Id!;
    const key = JSON.parse(spawnSync(process.execPath, [STRONGROOM, 'iam', 'create-access-key', '--account-id', accountId, '--data-dir', cp.dir], { encoding: 'utf8' }).stdout) as { AccessKey: { AccessKeyId: string; SecretAccessKey: string } };
    return { accountId, creds: { accessKeyId: key.AccessKey.AccessKeyId, secretAccessKey: key.AccessKey.SecretAccessKey } };
  }

  beforeAll(async () => {
    cp = await startControlPlaneProcess(['--backup-interval-ms', '3600000']);
  }, 60_000);
  afterAll(async () => {
    await cp?.stop();
  });

  it('Mode and NetworkType: defaults, accepted values, refusals', async () => {
    const root = cp.credentials;
    const d = (await ok(root, 'CreateCluster', { HsmType: 'hsm2m.medium', SubnetIds: ['subnet-local-1a'] }))['Cluster'];
    expect(d).toMatchObject({ Mode: 'NON_FIPS', NetworkType: 'IPV4' });
    const f = (await ok(root, 'CreateCluster', { HsmType: 'hsm2m.medium', SubnetIds: ['subnet-local-1b'], Mode: 'FIPS', NetworkType: 'DUALSTACK' }))['Cluster'];
    expect(f).toMatchObject({ Mode: 'FIPS', NetworkType: 'DUALSTACK' });
    const listed = (await ok(root, 'DescribeClusters', { Filters: { clusterIds: [f.ClusterId] } }))['Clusters'];
    expect(listed[0]).toMatchObject({ Mode: 'FIPS', NetworkType: 'DUALSTACK' });
    await fails(root, 'CreateCluster', { HsmType: 'hsm2m.medium', SubnetIds: ['subnet-local-1a'], Mode: 'LAX' }, 'CloudHsmInvalidRequestException', /Mode/);
    await fails(root, 'CreateCluster', { HsmType: 'hsm2m.medium', SubnetIds: ['subnet-local-1a'], NetworkType: 'IPV6' }, 'CloudHsmInvalidRequestException', /NetworkType/);
    await fails(root, 'CreateCluster', { HsmType: 'hsm1.medium', SubnetIds: ['subnet-local-1a'], Mode: 'NON_FIPS' }, 'CloudHsmInvalidRequestException', /FIPS mode only/);
    for (const c of [d, f]) await ok(root, 'DeleteCluster', { ClusterId: c.ClusterId });
  });

  it('shares a READY backup with another account, which sees it with Shared=true and restores it', async () => {
    const root = cp.credentials;
    // An active cluster with its activation backup.
    const id = (await ok(root, 'CreateCluster', { HsmType: 'hsm2m.medium', SubnetIds: ['subnet-local-1a'] }))['Cluster'].ClusterId as string;
    await ok(root, 'CreateHsm', { ClusterId: id, AvailabilityZone: 'local-1a' });
    let c = await waitFor(cp.client, id, (x) => x.Hsms?.[0]?.State === 'ACTIVE' && !!x.Certificates?.ClusterCsr);
    const ca = await customerCa();
    const signed = await ca.sign(c.Certificates!.ClusterCsr!);
    await ok(root, 'InitializeCluster', { ClusterId: id, SignedCert: signed, TrustAnchor: ca.cert });
    writeFileSync(join(cp.dir, 'rp-ca.crt'), ca.cert);
    const cfg = join(cp.dir, 'rp.json');
    writeFileSync(cfg, JSON.stringify({ clusterId: id, hsms: [{ address: c.Hsms![0]!.EniIp, port: cp.hsmPort }], caFile: join(cp.dir, 'rp-ca.crt') }));
    const act = spawnSync(process.execPath, [CLI, 'cluster', 'activate', '--password', 'Admin-pass-1', '--config', cfg], { encoding: 'utf8', timeout: 60_000 });
    expect(JSON.parse(act.stdout)).toMatchObject({ error_code: 0 });
    c = await waitFor(cp.client, id, (x) => x.State === 'ACTIVE');
    let backup: Json | undefined;
    for (let i = 0; i < 120 && !backup; i++) {
      backup = ((await ok(root, 'DescribeBackups', { Filters: { clusterIds: [id], states: ['READY'] } }))['Backups'] as Json[])[0];
      if (!backup) await new Promise((r) => setTimeout(r, 250));
    }
    expect(backup).toBeDefined();
    expect(backup!['Mode']).toBe('NON_FIPS');
    const backupId = backup!['BackupId'] as string;
    const backupArn = backup!['BackupArn'] as string;
    expect(backupArn).toMatch(new RegExp(`^arn:aws:cloudhsm:local-1:\\d{12}:backup/${backupId}$`));

    const b = newAccount('sharee');
    const other = newAccount('bystander');
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Sid: 'share', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${b.accountId}:root` }, Action: ['cloudhsm:CreateCluster', 'cloudhsm:DescribeBackups'], Resource: backupArn }],
    });

    // Put / Get / Delete round trip.
    expect(await ok(root, 'GetResourcePolicy', { ResourceArn: backupArn })).toEqual({});
    expect(await ok(root, 'PutResourcePolicy', { ResourceArn: backupArn, Policy: policy })).toEqual({ ResourceArn: backupArn, Policy: policy });
    expect(await ok(root, 'GetResourcePolicy', { ResourceArn: backupArn })).toEqual({ Policy: policy });
    expect(await ok(root, 'DeleteResourcePolicy', { ResourceArn: backupArn })).toEqual({ ResourceArn: backupArn, Policy: policy });
    expect(await ok(root, 'GetResourcePolicy', { ResourceArn: backupArn })).toEqual({});

    // Refusals: malformed policies, a non-backup ARN, another account's backup, a backup not READY.
    const bad = (p: string) => fails(root, 'PutResourcePolicy', { ResourceArn: backupArn, Policy: p }, 'CloudHsmInvalidRequestException', /Policy/);
    await bad('{"Version": "2012-10-17", "Statement": [');
    await bad(JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { AWS: b.accountId }, Action: 'cloudhsm:CreateCluster' }] }));
    await bad(JSON.stringify({ Version: '2012-10-17' }));
    await bad(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 'cloudhsm:CreateCluster' }] }));
    await bad(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: b.accountId }, Action: 'cloudhsm:CreateCluster', Condition: { Bool: { 'aws:SecureTransport': 'true' } } }] }));
    await bad(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: b.accountId }, Action: 'cloudhsm:CreateCluster' }], Id: 'x'.repeat(20_000) }));
    await bad('');
    await fails(root, 'PutResourcePolicy', { ResourceArn: `arn:aws:cloudhsm:local-1:${backupArn.split(':')[4]}:cluster/${id}`, Policy: policy }, 'CloudHsmInvalidRequestException', /ResourceArn/);
    await fails(b.creds, 'PutResourcePolicy', { ResourceArn: backupArn, Policy: policy }, 'CloudHsmResourceNotFoundException');
    await fails(b.creds, 'GetResourcePolicy', { ResourceArn: backupArn }, 'CloudHsmResourceNotFoundException');
    await fails(b.creds, 'DeleteResourcePolicy', { ResourceArn: backupArn }, 'CloudHsmResourceNotFoundException');
    expect((await ok(root, 'DeleteBackup', { BackupId: backupId }))['Backup'].BackupState).toBe('PENDING_DELETION');
    await fails(root, 'PutResourcePolicy', { ResourceArn: backupArn, Policy: policy }, 'CloudHsmInvalidRequestException', /PENDING_DELETION.*READY/);
    expect((await ok(root, 'RestoreBackup', { BackupId: backupId }))['Backup'].BackupState).toBe('READY');

    // Without a policy the other account sees nothing and cannot restore.
    expect((await ok(b.creds, 'DescribeBackups', { Shared: true }))['Backups']).toEqual([]);
    await fails(b.creds, 'CreateCluster', { HsmType: 'hsm2m.medium', SubnetIds: ['subnet-local-1a'], SourceBackupId: backupArn }, 'CloudHsmResourceNotFoundException');

    // Shared: visible to B with Shared=true (not among its own), not to a third account.
    await ok(root, 'PutResourcePolicy', { ResourceArn: backupArn, Policy: policy });
    const seen = (await ok(b.creds, 'DescribeBackups', { Shared: true }))['Backups'] as Json[];
    expect(seen.map((x) => x['BackupArn'])).toEqual([backupArn]);
    expect(seen[0]).toMatchObject({ BackupId: backupId, BackupState: 'READY', Mode: 'NON_FIPS', HsmType: 'hsm2m.medium' });
    expect((await ok(b.creds, 'DescribeBackups', {}))['Backups']).toEqual([]);
    expect((await ok(other.creds, 'DescribeBackups', { Shared: true }))['Backups']).toEqual([]);
    await fails(other.creds, 'CreateCluster', { HsmType: 'hsm2m.medium', SubnetIds: ['subnet-local-1a'], SourceBackupId: backupArn }, 'CloudHsmResourceNotFoundException');
    // The bare ID names only the caller's own backups.
    await fails(b.creds, 'CreateCluster', { HsmType: 'hsm2m.medium', SubnetIds: ['subnet-local-1a'], SourceBackupId: backupId }, 'CloudHsmResourceNotFoundException');
    // A backup restores only into a cluster of its own mode.
    await fails(b.creds, 'CreateCluster', { HsmType: 'hsm2m.medium', SubnetIds: ['subnet-local-1a'], SourceBackupId: backupArn, Mode: 'FIPS' }, 'CloudHsmInvalidRequestException', /same mode/);
    await fails(root, 'CreateCluster', { HsmType: 'hsm2m.medium', SubnetIds: ['subnet-local-1a'], SourceBackupId: backupId, Mode: 'FIPS' }, 'CloudHsmInvalidRequestException', /same mode/);

    // B restores it: its own cluster, the same cluster certificate.
    const restored = (await ok(b.creds, 'CreateCluster', { HsmType: 'hsm2m.medium', SubnetIds: ['subnet-local-1a'], SourceBackupId: backupArn }))['Cluster'];
    expect(restored).toMatchObject({ SourceBackupId: backupId, Mode: 'NON_FIPS', NetworkType: 'IPV4' });
    await ok(b.creds, 'CreateHsm', { ClusterId: restored.ClusterId, AvailabilityZone: 'local-1a' });
    const bClient = cp.clientFor(b.creds);
    const r = await waitFor(bClient, restored.ClusterId, (x) => x.Hsms?.[0]?.State === 'ACTIVE' && x.State === 'ACTIVE');
    expect(r.Certificates?.ClusterCertificate).toBe(signed);
    expect((await ok(root, 'DescribeClusters', { Filters: { clusterIds: [restored.ClusterId] } }))['Clusters']).toEqual([]);

    // An explicit Deny wins; deleting the policy ends the sharing.
    const withDeny = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: b.accountId }, Action: 'cloudhsm:*' },
        { Effect: 'Deny', Principal: { AWS: [b.accountId] }, Action: 'cloudhsm:CreateCluster', Resource: backupArn },
      ],
    });
    await ok(root, 'PutResourcePolicy', { ResourceArn: backupArn, Policy: withDeny });
    expect(((await ok(b.creds, 'DescribeBackups', { Shared: true }))['Backups'] as Json[]).length).toBe(1);
    await fails(b.creds, 'CreateCluster', { HsmType: 'hsm2m.medium', SubnetIds: ['subnet-local-1a'], SourceBackupId: backupArn }, 'CloudHsmResourceNotFoundException');
    await ok(root, 'DeleteResourcePolicy', { ResourceArn: backupArn });
    expect((await ok(b.creds, 'DescribeBackups', { Shared: true }))['Backups']).toEqual([]);
  }, 240_000);
});
