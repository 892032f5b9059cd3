// Key policies against a real `strongroom control-plane` with @aws-sdk/client-kms and IAM users:
// a key-policy Deny beats IAM's Allow, a policy naming a user needs no IAM permission, a policy
// without the account statement shuts out IAM-allowed users and the root, encryption-context
// conditions, malformed documents refused with the old policy still in force, and the lockout
// safety check with its bypass.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateKeyCommand, DecryptCommand, DescribeKeyCommand, EncryptCommand, GenerateDataKeyCommand, GetKeyPolicyCommand, ListKeysCommand, PutKeyPolicyCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { startKmsPlane, type KmsPlane } from '../../bench/kms-setup.js';
import { allowAllKms, expectKmsError, policy, user } from './iam-helpers.js';

describe('KMS key policies', () => {
  let p: KmsPlane;
  let root: KMSClient;
  let account: string;
  let rootArn: string;
  let x: ReturnType<typeof user>; // IAM: kms:*
  let y: ReturnType<typeof user>; // IAM: kms:*
  let direct: ReturnType<typeof user>; // no IAM policy at all
  const accountStatement = () => ({ Sid: 'account', Effect: 'Allow', Principal: { AWS: rootArn }, Action: 'kms:*', Resource: '*' });

  beforeAll(async () => {
    p = await startKmsPlane(['--kms-store-hsms', '1']);
    root = p.kms;
    const k = (await root.send(new CreateKeyCommand({}))).KeyMetadata!;
    account = k.AWSAccountId!;
    rootArn = `arn:aws:iam::${account}:root`;
    x = user(p, account, 'x', allowAllKms);
    y = user(p, account, 'y', allowAllKms);
    direct = user(p, account, 'direct');
  }, 120_000);
  afterAll(async () => {
    await p?.stop();
  });

  it('a key-policy Deny of kms:Decrypt to one user beats its IAM Allow; others are unaffected', async () => {
    const keyId = (await root.send(new CreateKeyCommand({
      Policy: policy(accountStatement(), { Sid: 'no-decrypt-for-x', Effect: 'Deny', Principal: { AWS: x.arn }, Action: 'kms:Decrypt', Resource: '*' }),
    }))).KeyMetadata!.KeyId!;
    const ct = (await x.client.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('kp-1') }))).CiphertextBlob!;
    const e = await expectKmsError(x.client.send(new DecryptCommand({ CiphertextBlob: ct })), 'AccessDeniedException');
    expect(e.message).toBe(`User: ${x.arn} is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:local-1:${account}:key/${keyId} with an explicit deny in a resource-based policy`);
    expect(Buffer.from((await y.client.send(new DecryptCommand({ CiphertextBlob: ct }))).Plaintext!).toString()).toBe('kp-1');
    expect(Buffer.from((await root.send(new DecryptCommand({ CiphertextBlob: ct }))).Plaintext!).toString()).toBe('kp-1');
  });

  it('a policy naming a user lets it in with no IAM permission, for the actions it lists only', async () => {
    const keyId = (await root.send(new CreateKeyCommand({
      Policy: policy(accountStatement(), { Effect: 'Allow', Principal: { AWS: [direct.arn] }, Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:DescribeKey'], Resource: '*' }),
    }))).KeyMetadata!.KeyId!;
    const ct = (await direct.client.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('kp-2') }))).CiphertextBlob!;
    expect(Buffer.from((await direct.client.send(new DecryptCommand({ CiphertextBlob: ct }))).Plaintext!).toString()).toBe('kp-2');
    expect((await direct.client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.KeyId).toBe(keyId);
    // Not listed in the key policy and no IAM permission: denied, blamed on IAM (the account could delegate).
    await expectKmsError(direct.client.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256' })), 'AccessDeniedException', /because no identity-based policy allows the kms:GenerateDataKey action/);
    // Calls on no key stay IAM-only.
    await expectKmsError(direct.client.send(new ListKeysCommand({})), 'AccessDeniedException');
    // An explicit Deny in IAM beats a key policy naming the user.
    const z = user(p, account, 'z', [{ Effect: 'Deny', Action: 'kms:Decrypt', Resource: '*' }]);
    const zKey = (await root.send(new CreateKeyCommand({ Policy: policy(accountStatement(), { Effect: 'Allow', Principal: { AWS: z.arn }, Action: 'kms:*', Resource: '*' }) }))).KeyMetadata!.KeyId!;
    const zct = (await z.client.send(new EncryptCommand({ KeyId: zKey, Plaintext: Buffer.from('z') }))).CiphertextBlob!;
    await expectKmsError(z.client.send(new DecryptCommand({ CiphertextBlob: zct })), 'AccessDeniedException', /with an explicit deny in an identity-based policy$/);
    // The default policy still needs IAM.
    const plain = (await root.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    await expectKmsError(direct.client.send(new EncryptCommand({ KeyId: plain, Plaintext: Buffer.from('x') })), 'AccessDeniedException', /no identity-based policy/);
  });

  it('a policy without the account statement shuts out IAM-allowed users and the root; the lockout check guards it', async () => {
    const keyId = (await root.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    const onlyX = policy({ Effect: 'Allow', Principal: { AWS: x.arn }, Action: 'kms:*', Resource: '*' });
    // The root would lock itself out: refused, unless it bypasses the check.
    await expectKmsError(root.send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default', Policy: onlyX })), 'MalformedPolicyDocumentException', /will not allow you to update the key policy/);
    expect(JSON.parse((await root.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy!).Id).toBe('key-default-1');
    await root.send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default', Policy: onlyX, BypassPolicyLockoutSafetyCheck: true }));

    await expectKmsError(y.client.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x') })), 'AccessDeniedException',
      `User: ${y.arn} is not authorized to perform: kms:Encrypt on resource: arn:aws:kms:local-1:${account}:key/${keyId} because no resource-based policy allows the kms:Encrypt action`);
    await expectKmsError(root.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' })), 'AccessDeniedException');
    await expectKmsError(root.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x') })), 'AccessDeniedException');
    const ct = (await x.client.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('kp-3') }))).CiphertextBlob!;
    expect(Buffer.from((await x.client.send(new DecryptCommand({ CiphertextBlob: ct }))).Plaintext!).toString()).toBe('kp-3');
    // x, named in the policy, gives the account its access back.
    await x.client.send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default', Policy: policy(accountStatement()) }));
    expect(Buffer.from((await y.client.send(new DecryptCommand({ CiphertextBlob: ct }))).Plaintext!).toString()).toBe('kp-3');

    // CreateKey runs the same check for the would-be key.
    await expectKmsError(y.client.send(new CreateKeyCommand({ Policy: onlyX })), 'MalformedPolicyDocumentException', /will not allow you to update the key policy/);
    const bypassed = (await y.client.send(new CreateKeyCommand({ Policy: onlyX, BypassPolicyLockoutSafetyCheck: true }))).KeyMetadata!.KeyId!;
    await expectKmsError(y.client.send(new DescribeKeyCommand({ KeyId: bypassed })), 'AccessDeniedException');
    expect((await x.client.send(new DescribeKeyCommand({ KeyId: bypassed }))).KeyMetadata!.KeyId).toBe(bypassed);
  });

  it('encryption-context conditions: kms:EncryptionContext:<key> and kms:EncryptionContextKeys', async () => {
    const keyId = (await root.send(new CreateKeyCommand({
      Policy: policy(
        { Sid: 'manage', Effect: 'Allow', Principal: { AWS: account }, Action: ['kms:DescribeKey', 'kms:GetKeyPolicy', 'kms:PutKeyPolicy'], Resource: '*' },
        { Sid: 'billing only', Effect: 'Allow', Principal: { AWS: account }, Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'], Resource: '*', Condition: { StringEquals: { 'kms:EncryptionContext:app': 'billing' } } },
        { Sid: 'no secret key', Effect: 'Deny', Principal: '*', Action: 'kms:*', Resource: '*', Condition: { 'ForAnyValue:StringEquals': { 'kms:EncryptionContextKeys': ['secret'] } } },
        { Sid: 'like', Effect: 'Allow', Principal: { AWS: y.arn }, Action: 'kms:Encrypt', Resource: '*', Condition: { StringLike: { 'kms:EncryptionContext:team': 'ops-*' }, StringEquals: { 'kms:CallerAccount': account } } },
      ),
    }))).KeyMetadata!.KeyId!;
    const ct = (await x.client.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('kp-4'), EncryptionContext: { app: 'billing', n: '1' } }))).CiphertextBlob!;
    expect(Buffer.from((await x.client.send(new DecryptCommand({ CiphertextBlob: ct, EncryptionContext: { app: 'billing', n: '1' } }))).Plaintext!).toString()).toBe('kp-4');
    await x.client.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: { app: 'billing' } }));
    await expectKmsError(x.client.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x'), EncryptionContext: { app: 'payroll' } })), 'AccessDeniedException', /no resource-based policy allows the kms:Encrypt/);
    await expectKmsError(x.client.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x') })), 'AccessDeniedException');
    await expectKmsError(x.client.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x'), EncryptionContext: { app: 'billing', secret: '1' } })), 'AccessDeniedException', /explicit deny in a resource-based policy/);
    // A wildcard condition on a statement naming y directly, with no IAM needed (y has kms:* anyway).
    await y.client.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x'), EncryptionContext: { team: 'ops-eu' } }));
    await expectKmsError(direct.client.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x'), EncryptionContext: { team: 'ops-eu' } })), 'AccessDeniedException');
    await expectKmsError(y.client.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x'), EncryptionContext: { team: 'dev' } })), 'AccessDeniedException');
  });

  it('a malformed policy or one Strongroom does not understand is refused, and the old policy stays in force', async () => {
    const keyId = (await root.send(new CreateKeyCommand({
      Policy: policy(accountStatement(), { Effect: 'Deny', Principal: { AWS: x.arn }, Action: 'kms:Decrypt', Resource: '*' }),
    }))).KeyMetadata!.KeyId!;
    const before = (await root.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy!;
    const bad: Array<[string, RegExp]> = [
      ['{not json', /not valid JSON/],
      [policy({ ...accountStatement(), Condition: { NumericLessThan: { 'kms:CallerAccount': '1' } } }), /condition operator NumericLessThan is not supported/],
      [policy({ ...accountStatement(), Condition: { StringEquals: { 'aws:SourceIp': '10.0.0.1' } } }), /condition key aws:SourceIp is not supported/],
      [policy({ Effect: 'Allow', NotPrincipal: { AWS: x.arn }, Action: 'kms:*', Resource: '*' }), /NotPrincipal is not supported/],
      [policy({ Effect: 'Allow', Action: 'kms:*', Resource: '*' }), /must have a Principal/],
      [policy({ ...accountStatement(), Principal: { AWS: 'bob' } }), /invalid principals/],
      [policy(accountStatement(), { Effect: 'Deny', Principal: { AWS: `arn:aws:iam::${account}:user/ghost` }, Action: 'kms:*', Resource: '*' }), /invalid principals: arn:aws:iam::\d{12}:user\/ghost does not exist/],
      [policy({ ...accountStatement(), Principal: { AWS: '999999999999' } }), /invalid principals: arn:aws:iam::999999999999:root does not exist/],
      [policy({ ...accountStatement(), Principal: { AWS: `arn:aws:iam::${account}:role/admin` } }), /invalid principals/],
      [policy({ ...accountStatement(), Effect: 'Maybe' }), /Effect must be Allow or Deny/],
    ];
    for (const [doc, msg] of bad) {
      await expectKmsError(root.send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default', Policy: doc })), 'MalformedPolicyDocumentException', msg);
    }
    const keys = (await root.send(new ListKeysCommand({}))).Keys!.length;
    await expectKmsError(root.send(new CreateKeyCommand({ Policy: bad[1]![0] })), 'MalformedPolicyDocumentException', /NumericLessThan/);
    expect((await root.send(new ListKeysCommand({}))).Keys!.length).toBe(keys);

    expect((await root.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy).toBe(before);
    const ct = (await x.client.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('kp-5') }))).CiphertextBlob!;
    await expectKmsError(x.client.send(new DecryptCommand({ CiphertextBlob: ct })), 'AccessDeniedException', /explicit deny in a resource-based policy/);
  });
});
