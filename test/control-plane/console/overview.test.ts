// The console's overview on real parts without HSM processes: a ControlPlaneState and an IamStore
// in a temp directory, the real cloudhsmv2 service's Describe* handlers. Every page of
// DescribeClusters (more than its 25 per page) and DescribeBackups is read; a DEGRADED HSM and an
// ACTIVE one whose process is down are flagged in health; the certificate's state and issuer come
// from the cluster certificate; an explicit Deny hides a section; another account sees nothing.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlPlaneState, type ClusterRow } from '../../../src/control-plane/state.js';
import { IamStore } from '../../../src/control-plane/iam/index.js';
import { cloudHsmV2Service } from '../../../src/control-plane/service.js';
import type { Deps } from '../../../src/control-plane/operations/common.js';
import { overviewFor, type ConsoleCluster, type OverviewDeps } from '../../../src/control-plane/console/overview.js';
import { createCa } from '../../../src/pki/pki.js';

const REGION = 'local-1';

describe('console overview', () => {
  let dir: string;
  let state: ControlPlaneState;
  let iam: IamStore;
  let deps: OverviewDeps;
  let accountId: string;
  let caPem: string;
  const req = { sourceIp: '127.0.0.1', userAgent: 'test' };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'strongroom-console-'));
    state = new ControlPlaneState(join(dir, 'control-plane.sqlite'));
    iam = IamStore.open(dir);
    accountId = iam.createAccount('acme').Id;
    caPem = (await createCa('console test CA', { keyType: 'ec', days: 30 })).certPem;
    const base: Omit<ClusterRow, 'clusterId' | 'state' | 'createTimestamp'> = {
      accountId, region: REGION, subnetOctet: 40, hsmType: 'hsm2m.medium', subnetMapping: { 'local-1a': 'subnet-local-1a' }, vpcId: 'vpc-local-1', retentionDays: 90,
    };
    for (let i = 0; i < 30; i++) {
      const id = `cluster-${String.fromCharCode(97 + Math.floor(i / 26))}${String.fromCharCode(97 + (i % 26))}aaaaaaaaa`;
      state.putCluster({ ...base, clusterId: id, state: i === 0 ? 'INITIALIZED' : 'UNINITIALIZED', createTimestamp: 1_700_000_000_000 + i, ...(i === 0 ? { clusterCertificate: caPem } : { csr: '-----BEGIN CERTIFICATE REQUEST-----' }) });
    }
    const first = 'cluster-aaaaaaaaaaa';
    state.putHsm({ hsmId: 'hsm-aaaaaaaaaaa', clusterId: first, availabilityZone: 'local-1a', subnetId: 'subnet-local-1a', eniId: 'eni-aaaaaaaaaaa', eniIp: '127.40.1.10', port: 2223, state: 'ACTIVE' });
    state.putHsm({ hsmId: 'hsm-bbbbbbbbbbb', clusterId: first, availabilityZone: 'local-1b', subnetId: 'subnet-local-1b', eniId: 'eni-bbbbbbbbbbb', eniIp: '127.40.2.10', port: 2223, state: 'DEGRADED', stateMessage: 'HSM failed its health check; replacing it.' });
    state.putHsm({ hsmId: 'hsm-ccccccccccc', clusterId: first, availabilityZone: 'local-1c', subnetId: 'subnet-local-1c', eniId: 'eni-ccccccccccc', eniIp: '127.40.3.10', port: 2223, state: 'ACTIVE' });
    for (let i = 0; i < 55; i++) {
      state.putBackup({ backupId: `backup-${String.fromCharCode(97 + Math.floor(i / 26))}${String.fromCharCode(97 + (i % 26))}aaaaaaaaa`, accountId, region: REGION, clusterId: first, hsmType: 'hsm2m.medium', state: 'READY', createTimestamp: 1_700_000_000_000 + i * 1000, neverExpires: i === 0 });
    }
    const service = cloudHsmV2Service({ state } as unknown as Deps);
    deps = { iam, service, region: REGION, alive: (id) => id !== 'hsm-ccccccccccc', healthIntervalMs: 2000 };
  });
  afterAll(() => {
    state?.close();
    iam?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads every page of clusters and backups, flags unhealthy HSMs and describes the certificate', async () => {
    const root = iam.identityOf(accountId, null, iam.createAccessKey(accountId).AccessKeyId);
    const o = await overviewFor(deps, root, req);
    const clusters = o.clusters as ConsoleCluster[];
    expect(clusters).toHaveLength(30);
    expect(Array.isArray(o.backups) && o.backups.length).toBe(55);
    const c = clusters[0]!;
    expect(c.certificate).toMatchObject({ state: 'SIGNED', issuer: expect.stringContaining('console test CA') });
    expect(clusters[1]!.certificate).toEqual({ state: 'CSR_PENDING' });
    expect(c.hsms.map((h) => [h.id, h.state, h.processUp])).toEqual([
      ['hsm-aaaaaaaaaaa', 'ACTIVE', true], ['hsm-bbbbbbbbbbb', 'DEGRADED', true], ['hsm-ccccccccccc', 'ACTIVE', false],
    ]);
    expect(o.health).toMatchObject({
      hsms: { total: 3, active: 2, degraded: 1, processDown: 1 },
      degraded: [
        { clusterId: c.id, hsmId: 'hsm-bbbbbbbbbbb', state: 'DEGRADED', message: 'HSM failed its health check; replacing it.' },
        { clusterId: c.id, hsmId: 'hsm-ccccccccccc', state: 'ACTIVE' },
      ],
    });
  });

  it('hides a section an explicit Deny covers, and shows another account nothing', async () => {
    iam.createUser(accountId, 'nobackups');
    iam.putUserPolicy(accountId, 'nobackups', 'p', JSON.stringify({ Version: '2012-10-17', Statement: [
      { Effect: 'Allow', Action: 'cloudhsm:Describe*', Resource: '*' },
      { Effect: 'Deny', Action: 'cloudhsm:DescribeBackups', Resource: '*' },
    ] }));
    const user = iam.identityOf(accountId, 'nobackups', iam.createAccessKey(accountId, 'nobackups').AccessKeyId);
    const o = await overviewFor(deps, user, req);
    expect((o.clusters as ConsoleCluster[]).length).toBe(30);
    expect(o.backups).toEqual({ notAuthorized: 'cloudhsm:DescribeBackups' });

    iam.createUser(accountId, 'nothing');
    const none = await overviewFor(deps, iam.identityOf(accountId, 'nothing', iam.createAccessKey(accountId, 'nothing').AccessKeyId), req);
    expect(none).toMatchObject({ clusters: { notAuthorized: 'cloudhsm:DescribeClusters' }, backups: { notAuthorized: 'cloudhsm:DescribeBackups' }, health: { notAuthorized: 'cloudhsm:DescribeClusters' } });

    const other = iam.createAccount('other').Id;
    const o2 = await overviewFor(deps, iam.identityOf(other, null, iam.createAccessKey(other).AccessKeyId), req);
    expect(o2.clusters).toEqual([]);
    expect(o2.backups).toEqual([]);
  });
});
