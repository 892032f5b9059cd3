// authorize.ts's decision on a key whose stored policy the current rules refuse (a policy kept by
// an earlier Strongroom that did not evaluate policies): closed to everyone, IAM-allowed or not,
// except the account's root getting or replacing the policy. Real KmsDb on a temp file.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AwsCallContext, AwsIdentity } from '../../src/aws/server.js';
import { KmsDb, type KeyRow } from '../../src/kms/db.js';
import { decideOnKey } from '../../src/kms/authorize.js';
import type { Deps } from '../../src/kms/operations/common.js';

const ACCT = '111122223333';
const ctxOf = (identity: Partial<AwsIdentity>): AwsCallContext => ({
  requestId: 'r', region: 'local-1', sourceIp: '127.0.0.1', userAgent: 't', now: new Date(),
  identity: { type: 'IAMUser', accountId: ACCT, arn: `arn:aws:iam::${ACCT}:user/u`, userName: 'u', principalId: 'p', accessKeyId: 'a', ...identity },
});

describe('a stored key policy the rules refuse', () => {
  let dir: string;
  let db: KmsDb;
  let k: KeyRow;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'strongroom-kmsauth-'));
    db = new KmsDb(join(dir, 'kms.sqlite'), join(dir, 'kms.key'));
    const keyId = '00000000-0000-4000-8000-000000000001';
    k = {
      keyId, arn: `arn:aws:kms:local-1:${ACCT}:key/${keyId}`, accountId: ACCT, region: 'local-1', createdAt: 1, description: '', keyUsage: 'ENCRYPT_DECRYPT',
      keySpec: 'SYMMETRIC_DEFAULT', origin: 'AWS_KMS', state: 'Enabled', versions: [{ v: 1, ref: '1', createdAt: 1 }],
      policy: JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { AWS: ACCT }, Action: 'kms:*', Resource: '*', Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } }] }),
    };
    db.putKey(k);
  });
  afterAll(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is closed to IAM-allowed users and to the root, but the root may get and put the policy', () => {
    const d = { db } as unknown as Deps;
    const user = ctxOf({});
    const root = ctxOf({ type: 'Root', arn: `arn:aws:iam::${ACCT}:root` });
    expect(decideOnKey(d, user, k, 'kms:Encrypt', undefined, { allowed: true })).toMatchObject({ allowed: false, policyType: 'resource-based' });
    expect(decideOnKey(d, user, k, 'kms:PutKeyPolicy', undefined, { allowed: true })).toMatchObject({ allowed: false });
    expect(decideOnKey(d, root, k, 'kms:Encrypt', undefined, { allowed: true })).toMatchObject({ allowed: false });
    expect(decideOnKey(d, root, k, 'kms:GetKeyPolicy', undefined, { allowed: true })).toEqual({ allowed: true });
    expect(decideOnKey(d, root, k, 'kms:PutKeyPolicy', undefined, { allowed: true })).toEqual({ allowed: true });
  });
});
