// The AWS CLI (Debian's awscli in CI; whatever `aws` is on PATH elsewhere) against startAwsServer
// with the stub CloudHSMv2 service: the credentials file the bootstrap writes works as is, and
// a wrong secret, an unknown key and a denied user get AWS's error names in the CLI's wording.

import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_CLI, haveTool } from '../integration/harness.js';
import { startFixture, type Fixture } from './helpers.js';

const HAVE_AWS = haveTool(AWS_CLI);

let fx: Fixture;

/** Runs `aws` asynchronously (the server lives in this process, so a synchronous spawn would deadlock). */
function aws(args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env_ = {
      PATH: process.env['PATH'] ?? '',
      HOME: fx.dir,
      AWS_SHARED_CREDENTIALS_FILE: `${fx.dir}/aws-credentials`,
      AWS_CONFIG_FILE: `${fx.dir}/no-aws-config`,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_MAX_ATTEMPTS: '1',
      AWS_PAGER: '',
      ...env,
    };
    const argv = [...args, '--endpoint-url', fx.server.url, '--region', 'local-1', '--output', 'json'];
    execFile(AWS_CLI, argv, { encoding: 'utf8', timeout: 60_000, env: env_ }, (err, stdout, stderr) =>
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

describe.skipIf(!HAVE_AWS)('the AWS CLI', () => {
  beforeAll(async () => {
    fx = await startFixture();
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('describes clusters with the bootstrap credentials file', async () => {
    const r = await aws(['cloudhsmv2', 'describe-clusters']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { Clusters: Array<{ ClusterId: string; State: string }> };
    expect(out.Clusters[0]).toMatchObject({ ClusterId: 'cluster-abcdefghijk', State: 'ACTIVE' });
    const ev = fx.events.query({ eventName: 'DescribeClusters' }).at(-1)!;
    expect(ev.userAgent).toMatch(/aws-cli/);
    expect(ev.userIdentity).toMatchObject({ type: 'Root', accessKeyId: fx.root.accessKeyId });
  });

  it('is rejected with a wrong secret', async () => {
    const r = await aws(['cloudhsmv2', 'describe-clusters'], { AWS_ACCESS_KEY_ID: fx.root.accessKeyId, AWS_SECRET_ACCESS_KEY: 'w'.repeat(40) });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/An error occurred \(InvalidSignatureException\) when calling the DescribeClusters operation/);
  });

  it('is rejected with an unknown key', async () => {
    const r = await aws(['cloudhsmv2', 'describe-clusters'], { AWS_ACCESS_KEY_ID: 'AKIAQQQQQQQQQQQQQQQQ', AWS_SECRET_ACCESS_KEY: 'w'.repeat(40) });
    expect(r.stderr).toMatch(/\(UnrecognizedClientException\)/);
  });

  it('shows AccessDenied for a user allowed only to describe', async () => {
    fx.iam.createUser(fx.root.accountId, 'cli-reader');
    fx.iam.putUserPolicy(fx.root.accountId, 'cli-reader', 'describe', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'cloudhsm:Describe*', Resource: '*' }] }));
    const k = fx.iam.createAccessKey(fx.root.accountId, 'cli-reader');
    const env = { AWS_ACCESS_KEY_ID: k.AccessKeyId, AWS_SECRET_ACCESS_KEY: k.SecretAccessKey };
    expect((await aws(['cloudhsmv2', 'describe-clusters'], env)).status).toBe(0);
    const r = await aws(['cloudhsmv2', 'create-cluster', '--hsm-type', 'hsm2m.medium', '--subnet-ids', 'subnet-local-1a'], env);
    expect(r.stderr).toMatch(/\(CloudHsmAccessDeniedException\) when calling the CreateCluster operation(?: \(reached max retries: \d+\))?: User: arn:aws:iam::\d{12}:user\/cli-reader is not authorized/);
  });
});
