// The lifecycle through Debian's AWS CLI v2 (`/usr/bin/aws cloudhsmv2 … --endpoint-url`)
// against a real `strongroom control-plane` process, with openssl as the customer's CA and
// `strongroom-cli configure` writing the client configuration (-a, then --cluster-id): create,
// CSR, initialise, activate, backups, tags, retention, clone from a backup (same users), backup
// delete/restore/copy, delete. Then tenancy and IAM through the CLI (account B, a Describe*-only
// user), and every call in `strongroom events` with its identity and outcome.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AWS_CLI, CLI, STRONGROOM, haveTool } from '../integration/harness.js';
import { startControlPlaneProcess, type RunningControlPlane } from './support.js';

const ADMIN_PW = 'Admin-pass-1';
const ALICE_PW = 'Alice-pass-1';

interface AwsResult {
  status: number;
  json: any;
  stderr: string;
}
interface ApiEvent {
  eventName: string;
  eventSource: string;
  userAgent: string;
  userIdentity: { type: string; accountId?: string; userName?: string; accessKeyId?: string; arn?: string };
  requestParameters: any;
  responseElements: any;
  errorCode?: string;
  readOnly: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!haveTool(AWS_CLI) || !haveTool('openssl'))('control plane: the lifecycle through the AWS CLI', () => {
  let cp: RunningControlPlane;
  let rootAccount: string;
  let clusterId: string;
  let backupId: string;
  /** The environment of every AWS client here: root's credentials file unless keys are given, no stray AWS_* settings. */
  const awsEnv = (extra: Record<string, string> = {}): Record<string, string> => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('AWS_')) env[k] = v;
    return { ...env, AWS_SHARED_CREDENTIALS_FILE: `${cp.dir}/aws-credentials`, AWS_CONFIG_FILE: '/dev/null', AWS_PAGER: '', AWS_MAX_ATTEMPTS: '1', ...extra };
  };
  /** `aws cloudhsmv2 …` as the root account (or with the given keys), --output json, parsed. */
  const aws = (args: string[], keys?: { id: string; secret: string }, region = 'local-1'): AwsResult => {
    const env = keys ? awsEnv({ AWS_ACCESS_KEY_ID: keys.id, AWS_SECRET_ACCESS_KEY: keys.secret, AWS_SHARED_CREDENTIALS_FILE: '/dev/null' }) : awsEnv();
    const r = spawnSync(AWS_CLI, ['cloudhsmv2', ...args, '--endpoint-url', cp.url, '--region', region, '--output', 'json'], { encoding: 'utf8', env, timeout: 60_000 });
    let json: unknown = null;
    try {
      json = r.stdout.trim() ? JSON.parse(r.stdout) : {};
    } catch {
      json = { unparseable: r.stdout };
    }
    return { status: r.status ?? -1, json, stderr: r.stderr };
  };
  const ok = (args: string[], keys?: { id: string; secret: string }, region?: string): any => {
    const r = aws(args, keys, region);
    expect(r.status, `aws ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.json;
  };
  const cluster = (id: string): any => ok(['describe-clusters', '--filters', `clusterIds=${id}`]).Clusters[0];
  /** Polls describe-clusters through the CLI until pred holds. */
  const until = async (id: string, pred: (c: any) => boolean, what: string, ms = 45_000): Promise<any> => {
    const end = Date.now() + ms;
    for (;;) {
      const c = cluster(id);
      if (pred(c)) return c;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify({ State: c.State, Hsms: c.Hsms })}`);
      await sleep(300);
    }
  };
  const backups = (id: string): any[] => ok(['describe-backups', '--filters', `clusterIds=${id}`, '--sort-ascending']).Backups;
  const untilBackups = async (id: string, n: number): Promise<any[]> => {
    const end = Date.now() + 30_000;
    for (;;) {
      const b = backups(id).filter((x) => x.BackupState === 'READY');
      if (b.length >= n) return b;
      if (Date.now() > end) throw new Error(`timed out waiting for ${n} READY backups of ${id}: ${JSON.stringify(backups(id))}`);
      await sleep(300);
    }
  };
  const run = (bin: string, args: string[], env: Record<string, string> = {}) => {
    const r = spawnSync(bin === 'openssl' ? 'openssl' : process.execPath, bin === 'openssl' ? args : [bin, ...args], { cwd: cp.dir, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const cli = (config: string, args: string[], env: Record<string, string> = {}): { error_code: number; data: any } => {
    const r = run(CLI, ['--config', config, ...args], env);
    try {
      return JSON.parse(r.stdout) as { error_code: number; data: any };
    } catch {
      return { error_code: -1, data: `${r.stdout} ${r.stderr}` };
    }
  };
  const iam = (args: string[]): any => {
    const r = run(STRONGROOM, ['iam', ...args, '--data-dir', cp.dir]);
    expect(r.status, `iam ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout.trim() ? JSON.parse(r.stdout) : {};
  };
  const events = (...filters: string[]): ApiEvent[] => {
    const r = run(STRONGROOM, ['events', '--data-dir', cp.dir, ...filters]);
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as ApiEvent);
  };
  const admin = { CLOUDHSM_ROLE: 'admin', CLOUDHSM_PIN: `admin:${ADMIN_PW}` };

  beforeAll(async () => {
    cp = await startControlPlaneProcess(['--backup-interval-ms', '3600000']);
    rootAccount = (iam(['list-accounts']) as { Accounts: Array<{ Id: string }> }).Accounts[0]!.Id;
  }, 60_000);
  afterAll(async () => {
    await cp?.stop();
  });

  it('creates, initialises, activates, backs up, clones and deletes a cluster', async () => {
    // The customer's CA, as in CloudHSM's guide.
    expect(run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'customerCA.key', '-out', 'customerCA.crt', '-days', '365', '-subj', '/CN=Test customer CA']).status).toBe(0);

    const created = ok(['create-cluster', '--hsm-type', 'hsm2m.medium', '--subnet-ids', 'subnet-local-1a', 'subnet-local-1b']).Cluster;
    expect(created.ClusterId).toMatch(/^cluster-[2-7a-z]{11}$/);
    expect(created).toMatchObject({ State: 'UNINITIALIZED', HsmType: 'hsm2m.medium', VpcId: 'vpc-local-1', SubnetMapping: { 'local-1a': 'subnet-local-1a', 'local-1b': 'subnet-local-1b' }, BackupRetentionPolicy: { Type: 'DAYS', Value: '90' } });
    clusterId = created.ClusterId;

    const h1 = ok(['create-hsm', '--cluster-id', clusterId, '--availability-zone', 'local-1a']).Hsm;
    expect(h1).toMatchObject({ ClusterId: clusterId, AvailabilityZone: 'local-1a', SubnetId: 'subnet-local-1a', State: 'CREATE_IN_PROGRESS' });
    expect(h1.HsmId).toMatch(/^hsm-[2-7a-z]{11}$/);
    let c = await until(clusterId, (x) => x.Hsms?.[0]?.State === 'ACTIVE', 'the first HSM');
    expect(c.State).toBe('UNINITIALIZED');
    expect(c.Certificates.ClusterCsr).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----/);
    expect(c.Certificates.HsmCertificate).toMatch(/BEGIN CERTIFICATE/);
    const h2 = ok(['create-hsm', '--cluster-id', clusterId, '--availability-zone', 'local-1b']).Hsm;
    expect(h2.AvailabilityZone).toBe('local-1b');
    c = await until(clusterId, (x) => x.Hsms?.length === 2 && x.Hsms.every((h: any) => h.State === 'ACTIVE'), 'two ACTIVE HSMs');
    expect(c.Hsms.map((h: any) => h.EniIp)).toEqual([expect.stringMatching(/^127\.\d+\.1\.\d+$/), expect.stringMatching(/^127\.\d+\.2\.\d+$/)]);

    // Sign the CSR with openssl, as CloudHSM's guide does (the extension from a temp file).
    writeFileSync(join(cp.dir, 'csr.pem'), c.Certificates.ClusterCsr);
    writeFileSync(join(cp.dir, 'ca-ext.cnf'), 'basicConstraints=CA:true\n');
    const signed = run('openssl', ['x509', '-req', '-in', 'csr.pem', '-CA', 'customerCA.crt', '-CAkey', 'customerCA.key', '-CAcreateserial', '-days', '365', '-extfile', 'ca-ext.cnf', '-out', 'cluster.crt']);
    expect(signed.status, signed.stderr).toBe(0);
    // A certificate the trust anchor did not sign is refused, and the cluster stays UNINITIALIZED.
    const wrong = aws(['initialize-cluster', '--cluster-id', clusterId, '--signed-cert', `file://${cp.dir}/cluster.crt`, '--trust-anchor', `file://${cp.dir}/cluster.crt`]);
    expect(wrong.status).not.toBe(0);
    expect(wrong.stderr).toMatch(/CloudHsmInvalidRequestException/);
    const init = ok(['initialize-cluster', '--cluster-id', clusterId, '--signed-cert', `file://${cp.dir}/cluster.crt`, '--trust-anchor', `file://${cp.dir}/customerCA.crt`]);
    expect(init.State).toBe('INITIALIZED');
    c = cluster(clusterId);
    expect(c.State).toBe('INITIALIZED');
    expect(c.Certificates.ClusterCsr).toBeUndefined();
    expect(c.Certificates.ClusterCertificate).toBe(readFileSync(join(cp.dir, 'cluster.crt'), 'utf8'));

    // configure -a with the first HSM's EniIp, then activate through it.
    const conf = run(CLI, ['configure', '-a', c.Hsms[0].EniIp, '--hsm-ca-cert', 'customerCA.crt', '--port', String(cp.hsmPort), '--out', 'c.json']);
    expect(JSON.parse(conf.stdout)).toMatchObject({ error_code: 0, data: { hsms: [{ address: c.Hsms[0].EniIp, port: cp.hsmPort }], caFile: 'customerCA.crt' } });
    const cfg = join(cp.dir, 'c.json');
    expect(cli(cfg, ['cluster', 'activate', '--password', ADMIN_PW]).data).toMatchObject({ state: 'ACTIVE' });
    c = await until(clusterId, (x) => x.State === 'ACTIVE', 'ACTIVE after activation', 20_000);

    // The activation backup.
    const first = await untilBackups(clusterId, 1);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ ClusterId: clusterId, BackupState: 'READY', NeverExpires: false });
    expect(first[0].BackupId).toMatch(/^backup-[2-7a-z]{11}$/);
    // (AWS CLI 2.9.19's model predates BackupArn and HsmType; the SDK tests check those.)
    backupId = first[0].BackupId;

    // Backup attributes, tags, retention.
    expect(ok(['modify-backup-attributes', '--backup-id', backupId, '--never-expires']).Backup).toMatchObject({ BackupId: backupId, NeverExpires: true });
    expect(backups(clusterId)[0].NeverExpires).toBe(true);
    ok(['tag-resource', '--resource-id', clusterId, '--tag-list', 'Key=env,Value=cli', 'Key=team,Value=vault']);
    ok(['tag-resource', '--resource-id', backupId, '--tag-list', 'Key=kind,Value=activation']);
    expect(ok(['list-tags', '--resource-id', clusterId]).TagList).toEqual([{ Key: 'env', Value: 'cli' }, { Key: 'team', Value: 'vault' }]);
    ok(['untag-resource', '--resource-id', clusterId, '--tag-key-list', 'env']);
    expect(ok(['list-tags', '--resource-id', clusterId]).TagList).toEqual([{ Key: 'team', Value: 'vault' }]);
    expect(ok(['list-tags', '--resource-id', backupId]).TagList).toEqual([{ Key: 'kind', Value: 'activation' }]);
    const badRetention = aws(['modify-cluster', '--cluster-id', clusterId, '--backup-retention-policy', 'Type=DAYS,Value=3']);
    expect(badRetention.stderr).toMatch(/CloudHsmInvalidRequestException.*7 to 379/);
    expect(ok(['modify-cluster', '--cluster-id', clusterId, '--backup-retention-policy', 'Type=DAYS,Value=30']).Cluster.BackupRetentionPolicy).toEqual({ Type: 'DAYS', Value: '30' });

    // A crypto user, then remove an HSM: the backup taken on removal holds her.
    expect(cli(cfg, ['user', 'create', '--username', 'alice', '--role', 'crypto-user', '--password', ALICE_PW], admin).error_code).toBe(0);
    expect(ok(['delete-hsm', '--cluster-id', clusterId, '--eni-ip', c.Hsms[1].EniIp]).HsmId).toBe(c.Hsms[1].HsmId);
    c = await until(clusterId, (x) => x.Hsms.length === 1, 'the second HSM gone');
    const two = await untilBackups(clusterId, 2);
    const withAlice = two[1].BackupId as string;

    // Delete a cluster that still has an HSM: refused (the event log keeps the errorCode).
    const refused = aws(['delete-cluster', '--cluster-id', clusterId]);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/CloudHsmInvalidRequestException/);

    // A clone from that backup: configure --cluster-id finds its HSM; it has the same users.
    const clone = ok(['create-cluster', '--hsm-type', 'hsm2m.medium', '--subnet-ids', 'subnet-local-1c', '--source-backup-id', withAlice]).Cluster;
    expect(clone).toMatchObject({ SourceBackupId: withAlice, SubnetMapping: { 'local-1c': 'subnet-local-1c' } });
    ok(['create-hsm', '--cluster-id', clone.ClusterId, '--availability-zone', 'local-1c']);
    const cv = await until(clone.ClusterId, (x) => x.State === 'ACTIVE' && x.Hsms?.[0]?.State === 'ACTIVE', 'the clone ACTIVE');
    expect(cv.Certificates.ClusterCertificate).toBe(c.Certificates.ClusterCertificate);
    const boot = run(CLI, ['configure', '--cluster-id', clone.ClusterId, '--endpoint', cp.url, '--region', 'local-1', '--hsm-ca-cert', 'customerCA.crt', '--port', String(cp.hsmPort), '--out', 'clone.json'], awsEnv());
    expect(JSON.parse(boot.stdout), boot.stderr).toMatchObject({ error_code: 0, data: { clusterId: clone.ClusterId, hsms: [{ address: cv.Hsms[0].EniIp, port: cp.hsmPort }] } });
    const users = cli(join(cp.dir, 'clone.json'), ['user', 'list'], admin);
    expect(users.error_code, JSON.stringify(users)).toBe(0);
    const names = (users.data.users as Array<{ username: string; role: string }>).map((u) => [u.username, u.role]).sort();
    expect(names).toEqual([['admin', 'admin'], ['alice', 'crypto-user']]);
    expect(cli(join(cp.dir, 'clone.json'), ['user', 'list'], { CLOUDHSM_ROLE: 'crypto-user', CLOUDHSM_PIN: `alice:${ALICE_PW}` }).error_code).toBe(0);

    // Backup delete → PENDING_DELETION → restore → READY; copy to another region.
    const del = ok(['delete-backup', '--backup-id', backupId]).Backup;
    expect(del).toMatchObject({ BackupId: backupId, BackupState: 'PENDING_DELETION' });
    expect(typeof del.DeleteTimestamp).toBe('string');
    expect(ok(['describe-backups', '--filters', 'states=PENDING_DELETION']).Backups.map((b: any) => b.BackupId)).toEqual([backupId]);
    expect(ok(['restore-backup', '--backup-id', backupId]).Backup).toMatchObject({ BackupId: backupId, BackupState: 'READY' });
    const copied = ok(['copy-backup-to-region', '--backup-id', backupId, '--destination-region', 'local-2']).DestinationBackup;
    expect(copied).toMatchObject({ SourceRegion: 'local-1', SourceBackup: backupId, SourceCluster: clusterId });
    const there = ok(['describe-backups'], undefined, 'local-2').Backups;
    expect(there).toHaveLength(1);
    expect(there[0]).toMatchObject({ SourceBackup: backupId, SourceRegion: 'local-1', SourceCluster: clusterId, BackupState: 'READY' });

    // Delete HSMs, then the clusters.
    for (const [id, hsms] of [[clusterId, c.Hsms], [clone.ClusterId, cv.Hsms]] as Array<[string, any[]]>) {
      for (const h of hsms) expect(ok(['delete-hsm', '--cluster-id', id, '--hsm-id', h.HsmId]).HsmId).toBe(h.HsmId);
      await until(id, (x) => x.Hsms.length === 0, `${id} without HSMs`);
      expect(ok(['delete-cluster', '--cluster-id', id]).Cluster).toMatchObject({ ClusterId: id, State: 'DELETED' });
    }

    // The event history: every call with the root identity and its outcome.
    const isRoot = (e: ApiEvent) => e.userIdentity.type === 'Root' && e.userIdentity.accountId === rootAccount;
    const creates = events('--event-name', 'CreateCluster');
    expect(creates).toHaveLength(2);
    expect(creates.every(isRoot)).toBe(true);
    for (const e of creates) expect(e, JSON.stringify(e)).toMatchObject({ eventSource: 'cloudhsmv2.amazonaws.com', eventType: 'AwsApiCall', readOnly: false, userAgent: expect.stringMatching(/^aws-cli\/2\./) });
    expect(creates.map((e) => e.errorCode)).toEqual([undefined, undefined]);
    expect(creates.map((e) => e.responseElements.cluster?.clusterId ?? e.responseElements.Cluster?.ClusterId)).toEqual([clusterId, clone.ClusterId]);
    const deletes = events('--event-name', 'DeleteCluster');
    expect(deletes.map((e) => e.errorCode ?? 'ok')).toEqual(['CloudHsmInvalidRequestException', 'ok', 'ok']);
    expect(deletes.every(isRoot)).toBe(true);
    const inits = events('--event-name', 'InitializeCluster');
    expect(inits.map((e) => e.errorCode ?? 'ok')).toEqual(['CloudHsmInvalidRequestException', 'ok']);
    const described = events('--event-name', 'DescribeClusters');
    expect(described.length).toBeGreaterThan(5);
    expect(described.every((e) => isRoot(e) && e.readOnly)).toBe(true);
    // configure --cluster-id signed its DescribeClusters as the root user too (the SDK's user agent).
    expect(described.some((e) => /aws-sdk-js/.test(e.userAgent) && JSON.stringify(e.requestParameters).includes(clone.ClusterId))).toBe(true);
    const names2 = new Set(events().filter(isRoot).map((e) => e.eventName));
    for (const n of ['CreateHsm', 'DescribeBackups', 'ModifyBackupAttributes', 'TagResource', 'ListTags', 'UntagResource', 'ModifyCluster', 'DeleteHsm', 'DeleteBackup', 'RestoreBackup', 'CopyBackupToRegion']) {
      expect(names2, n).toContain(n);
    }
    expect(events('--event-name', 'ModifyCluster').map((e) => e.errorCode ?? 'ok')).toEqual(['CloudHsmInvalidRequestException', 'ok']);
  }, 120_000);

  it('keeps tenants apart and enforces IAM through the CLI', async () => {
    // A's cluster (UNINITIALIZED is enough) and a backup id of A's (from the first test).
    const a = ok(['create-cluster', '--hsm-type', 'hsm2m.medium', '--subnet-ids', 'subnet-local-1a']).Cluster.ClusterId as string;

    const acct = iam(['create-account', '--account-name', 'tenant-b']).Account as { Id: string };
    expect(acct.Id).toMatch(/^\d{12}$/);
    const kb = iam(['create-access-key', '--account-id', acct.Id]).AccessKey as { AccessKeyId: string; SecretAccessKey: string };
    const b = { id: kb.AccessKeyId, secret: kb.SecretAccessKey };
    expect(ok(['describe-clusters'], b).Clusters).toEqual([]);
    expect(ok(['describe-clusters', '--filters', `clusterIds=${a}`], b).Clusters).toEqual([]);
    expect(ok(['describe-backups'], b).Backups).toEqual([]);
    expect(ok(['describe-backups', '--filters', `clusterIds=${clusterId}`], b).Backups).toEqual([]);
    for (const args of [['delete-cluster', '--cluster-id', a], ['create-hsm', '--cluster-id', a, '--availability-zone', 'local-1a'], ['delete-backup', '--backup-id', backupId], ['list-tags', '--resource-id', a]]) {
      const r = aws(args, b);
      expect(r.status, args.join(' ')).not.toBe(0);
      expect(r.stderr, args.join(' ')).toMatch(/CloudHsmResourceNotFoundException/);
    }
    // B's own cluster is B's alone.
    const bc = ok(['create-cluster', '--hsm-type', 'hsm2m.medium', '--subnet-ids', 'subnet-local-1b'], b).Cluster;
    expect(bc.ClusterId).not.toBe(a);
    expect(ok(['describe-clusters']).Clusters.map((x: any) => x.ClusterId)).not.toContain(bc.ClusterId);

    // A user of A allowed only cloudhsm:Describe*.
    iam(['create-user', '--account-id', rootAccount, '--user-name', 'reader']);
    writeFileSync(join(cp.dir, 'describe-only.json'), JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'cloudhsm:Describe*', Resource: '*' }] }));
    iam(['put-user-policy', '--account-id', rootAccount, '--user-name', 'reader', '--policy-name', 'describe-only', '--policy-document', `file://${join(cp.dir, 'describe-only.json')}`]);
    const kr = iam(['create-access-key', '--account-id', rootAccount, '--user-name', 'reader']).AccessKey as { AccessKeyId: string; SecretAccessKey: string };
    const reader = { id: kr.AccessKeyId, secret: kr.SecretAccessKey };
    expect(ok(['describe-clusters', '--filters', `clusterIds=${a}`], reader).Clusters.map((x: any) => x.ClusterId)).toEqual([a]);
    expect(ok(['describe-backups', '--filters', `backupIds=${backupId}`], reader).Backups).toHaveLength(1);
    const denied = aws(['create-cluster', '--hsm-type', 'hsm2m.medium', '--subnet-ids', 'subnet-local-1a'], reader);
    expect(denied.status).not.toBe(0);
    expect(denied.stderr).toMatch(/CloudHsmAccessDeniedException/);
    expect(aws(['delete-cluster', '--cluster-id', a], reader).stderr).toMatch(/CloudHsmAccessDeniedException/);
    expect(aws(['list-tags', '--resource-id', a], reader).stderr).toMatch(/CloudHsmAccessDeniedException/);

    // The event history names each caller and each outcome.
    // (--user-name matches an IAM user's name, the account name for a root identity, or the ARN.)
    const byB = events('--user-name', 'tenant-b');
    expect(events('--user-name', `arn:aws:iam::${acct.Id}:root`)).toEqual(byB);
    expect(byB.map((e) => e.eventName)).toEqual(['DescribeClusters', 'DescribeClusters', 'DescribeBackups', 'DescribeBackups', 'DeleteCluster', 'CreateHsm', 'DeleteBackup', 'ListTags', 'CreateCluster']);
    expect(byB.every((e) => e.userIdentity.type === 'Root' && e.userIdentity.accountId === acct.Id && e.userIdentity.accessKeyId === b.id)).toBe(true);
    expect(byB.filter((e) => e.eventName === 'DeleteCluster').map((e) => [e.errorCode, e.requestParameters.clusterId ?? e.requestParameters.ClusterId])).toEqual([['CloudHsmResourceNotFoundException', a]]);
    expect(byB.find((e) => e.eventName === 'DeleteBackup')!.errorCode).toBe('CloudHsmResourceNotFoundException');
    expect(byB.filter((e) => e.eventName === 'CreateCluster').map((e) => e.errorCode ?? 'ok')).toEqual(['ok']);
    const byReader = events('--user-name', 'reader');
    expect(byReader.length).toBe(5);
    expect(byReader.every((e) => e.userIdentity.type === 'IAMUser' && e.userIdentity.userName === 'reader' && e.userIdentity.accountId === rootAccount && e.userIdentity.accessKeyId === reader.id)).toBe(true);
    expect(byReader.map((e) => [e.eventName, e.errorCode ?? 'ok'])).toEqual([
      ['DescribeClusters', 'ok'], ['DescribeBackups', 'ok'], ['CreateCluster', 'CloudHsmAccessDeniedException'], ['DeleteCluster', 'CloudHsmAccessDeniedException'], ['ListTags', 'CloudHsmAccessDeniedException'],
    ]);
    expect(events('--errors-only', '--access-key-id', reader.id).map((e) => e.errorCode)).toEqual(['CloudHsmAccessDeniedException', 'CloudHsmAccessDeniedException', 'CloudHsmAccessDeniedException']);
  }, 60_000);
});
