// The flows through Debian's AWS CLI v2 (`aws kms … --endpoint-url`), when it is installed:
// a key in KMS's own store with an alias, encrypt / decrypt / generate-data-key, then a custom key
// store on a control-plane cluster, connected, with a key made --origin AWS_CLOUDHSM; and the
// README's key policy and grant commands.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AWS_CLI, haveTool } from '../integration/harness.js';
import { customerCluster, startKmsPlane, type KmsPlane } from '../../bench/kms-setup.js';

describe.skipIf(!haveTool(AWS_CLI))('KMS: AWS CLI', () => {
  let p: KmsPlane;
  beforeAll(async () => {
    p = await startKmsPlane(['--kms-store-hsms', '1']);
  }, 120_000);
  afterAll(async () => {
    await p?.stop();
  });
  const aws = (...args: string[]) => {
    const r = spawnSync(AWS_CLI, ['kms', ...args, '--endpoint-url', p.url, '--region', 'local-1', '--output', 'json'], {
      encoding: 'utf8', timeout: 60_000,
      env: { ...process.env, AWS_SHARED_CREDENTIALS_FILE: join(p.dir, 'aws-credentials'), AWS_CONFIG_FILE: '/dev/null', AWS_PAGER: '' },
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, json: () => JSON.parse(r.stdout) };
  };

  it('runs the KMS store and custom key store flows', async () => {
    const key = aws('create-key', '--description', 'cli');
    expect(key.status, key.stderr).toBe(0);
    const keyId = key.json().KeyMetadata.KeyId as string;
    expect(aws('create-alias', '--alias-name', 'alias/app', '--target-key-id', keyId).status).toBe(0);
    const file = join(p.dir, 'plain.bin');
    writeFileSync(file, 'hello from the CLI');
    const enc = aws('encrypt', '--key-id', 'alias/app', '--plaintext', `fileb://${file}`, '--encryption-context', 'app=cli');
    expect(enc.status, enc.stderr).toBe(0);
    const blobFile = join(p.dir, 'blob.bin');
    writeFileSync(blobFile, Buffer.from(enc.json().CiphertextBlob as string, 'base64'));
    const dec = aws('decrypt', '--ciphertext-blob', `fileb://${blobFile}`, '--encryption-context', 'app=cli');
    expect(dec.status, dec.stderr).toBe(0);
    expect(Buffer.from(dec.json().Plaintext as string, 'base64').toString()).toBe('hello from the CLI');
    const bad = aws('decrypt', '--ciphertext-blob', `fileb://${blobFile}`, '--encryption-context', 'app=other');
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/InvalidCiphertextException/);
    const dk = aws('generate-data-key', '--key-id', keyId, '--key-spec', 'AES_256');
    expect(dk.status, dk.stderr).toBe(0);
    expect(Buffer.from(dk.json().Plaintext as string, 'base64').length).toBe(32);

    const c = await customerCluster(p, 2, 'cli');
    const caFile = join(p.dir, 'cli-ca.crt');
    const cks = aws('create-custom-key-store', '--custom-key-store-name', 'store1', '--cloud-hsm-cluster-id', c.clusterId, '--trust-anchor-certificate', `file://${caFile}`, '--key-store-password', c.kmsuserPassword);
    expect(cks.status, cks.stderr).toBe(0);
    const storeId = cks.json().CustomKeyStoreId as string;
    expect(aws('connect-custom-key-store', '--custom-key-store-id', storeId).status).toBe(0);
    let state = '';
    for (let n = 0; n < 120 && state !== 'CONNECTED'; n++) {
      state = aws('describe-custom-key-stores', '--custom-key-store-id', storeId).json().CustomKeyStores[0].ConnectionState as string;
      if (state !== 'CONNECTED') await new Promise((r) => setTimeout(r, 250));
    }
    expect(state).toBe('CONNECTED');
    const ck = aws('create-key', '--origin', 'AWS_CLOUDHSM', '--custom-key-store-id', storeId);
    expect(ck.status, ck.stderr).toBe(0);
    const ckArn = ck.json().KeyMetadata.Arn as string;
    const e2 = aws('encrypt', '--key-id', ckArn, '--plaintext', `fileb://${file}`);
    expect(e2.status, e2.stderr).toBe(0);
    const d2 = aws('describe-key', '--key-id', ckArn).json().KeyMetadata;
    expect(d2).toMatchObject({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: storeId, CloudHsmClusterId: c.clusterId, KeyState: 'Enabled' });
  }, 240_000);

  it('runs the README\'s key policy and grant commands', () => {
    const key = aws('create-key');
    expect(key.status, key.stderr).toBe(0);
    const { KeyId: keyId, AWSAccountId: acct } = key.json().KeyMetadata as { KeyId: string; AWSAccountId: string };
    const policyFile = join(p.dir, 'policy.json');
    writeFileSync(policyFile, JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${acct}:root` }, Action: 'kms:*', Resource: '*' }] }));
    const put = aws('put-key-policy', '--key-id', keyId, '--policy-name', 'default', '--policy', `file://${policyFile}`);
    expect(put.status, put.stderr).toBe(0);
    const lockout = aws('put-key-policy', '--key-id', keyId, '--policy-name', 'default', '--policy', JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${acct}:user/app` }, Action: 'kms:*', Resource: '*' }] }));
    expect(lockout.stderr).toMatch(/MalformedPolicyDocumentException/);
    const g = aws('create-grant', '--key-id', keyId, '--grantee-principal', `arn:aws:iam::${acct}:user/app`, '--operations', 'Encrypt', 'Decrypt', 'GenerateDataKey',
      '--constraints', 'EncryptionContextSubset={tenant=a}', '--retiring-principal', `arn:aws:iam::${acct}:root`);
    expect(g.status, g.stderr).toBe(0);
    const { GrantId, GrantToken } = g.json() as { GrantId: string; GrantToken: string };
    const list = aws('list-grants', '--key-id', keyId);
    expect(list.status, list.stderr).toBe(0);
    expect(list.json().Grants).toMatchObject([{ GrantId, Constraints: { EncryptionContextSubset: { tenant: 'a' } } }]);
    expect(aws('retire-grant', '--grant-token', GrantToken).status).toBe(0);
    expect(aws('list-grants', '--key-id', keyId).json().Grants).toEqual([]);
  });
});
