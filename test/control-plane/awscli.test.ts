// The same API through the AWS CLI (`aws cloudhsmv2 … --endpoint-url`), when it is installed:
// create a cluster, see it, tag it, a validation error printed as the CLI prints AWS's, delete it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { AWS_CLI, haveTool } from '../integration/harness.js';
import { startControlPlaneProcess, type RunningControlPlane } from './support.js';

describe.skipIf(!haveTool(AWS_CLI))('control plane: AWS CLI', () => {
  let cp: RunningControlPlane;
  beforeAll(async () => {
    cp = await startControlPlaneProcess();
  }, 60_000);
  afterAll(async () => {
    await cp?.stop();
  });
  const aws = (...args: string[]) => spawnSync(AWS_CLI, ['cloudhsmv2', ...args, '--endpoint-url', cp.url, '--region', 'local-1', '--output', 'json'], {
    encoding: 'utf8',
    env: { ...process.env, AWS_SHARED_CREDENTIALS_FILE: `${cp.dir}/aws-credentials`, AWS_CONFIG_FILE: '/dev/null', AWS_PAGER: '' },
    timeout: 60_000,
  });

  it('creates, describes, tags and deletes a cluster', () => {
    const created = aws('create-cluster', '--hsm-type', 'hsm2m.medium', '--subnet-ids', 'subnet-local-1a', 'subnet-local-1b');
    expect(created.status, created.stderr).toBe(0);
    const id = (JSON.parse(created.stdout) as { Cluster: { ClusterId: string; State: string } }).Cluster.ClusterId;
    const d = aws('describe-clusters', '--filters', `clusterIds=${id}`);
    expect(d.status, d.stderr).toBe(0);
    expect((JSON.parse(d.stdout) as { Clusters: Array<{ State: string }> }).Clusters[0]!.State).toBe('UNINITIALIZED');
    expect(aws('tag-resource', '--resource-id', id, '--tag-list', 'Key=env,Value=cli').status).toBe(0);
    expect(JSON.parse(aws('list-tags', '--resource-id', id).stdout)).toEqual({ TagList: [{ Key: 'env', Value: 'cli' }] });
    const bad = aws('create-hsm', '--cluster-id', id, '--availability-zone', 'local-1c');
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/CloudHsmInvalidRequestException/);
    const del = aws('delete-cluster', '--cluster-id', id);
    expect(del.status, del.stderr).toBe(0);
    expect((JSON.parse(del.stdout) as { Cluster: { State: string } }).Cluster.State).toBe('DELETED');
  }, 120_000);
});
