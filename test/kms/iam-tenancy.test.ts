// KMS and IAM against a real `strongroom control-plane` process: an IAM user's inline policy
// (kms:<Operation> actions, an explicit Deny beating an Allow), tenancy between accounts (another
// account's keys and aliases are invisible: NotFoundException, never AccessDenied), and the event
// history (`strongroom events`) recording KMS calls with their identity, error codes on the denied
// ones, and never the plaintext.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import {
  CreateAliasCommand, CreateKeyCommand, DecryptCommand, DescribeKeyCommand, EncryptCommand, ListAliasesCommand, ListKeysCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { startKmsPlane, STRONGROOM_BIN, type KmsPlane } from '../../bench/kms-setup.js';
import { expectKmsError, iam, type Creds } from './iam-helpers.js';

/** `strongroom <args…>` on the plane's data directory; parses stdout as JSON (or JSON lines). */
function strongroom(p: KmsPlane, args: string[]): string {
  const r = spawnSync(process.execPath, [STRONGROOM_BIN, ...args, '--data-dir', p.dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`strongroom ${args.join(' ')} → ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}
const accessKey = (p: KmsPlane, ...args: string[]): Creds => {
  const k = iam(p, 'create-access-key', ...args).AccessKey as { AccessKeyId: string; SecretAccessKey: string };
  return { accessKeyId: k.AccessKeyId, secretAccessKey: k.SecretAccessKey };
};
function events(p: KmsPlane, ...filters: string[]): any[] {
  return strongroom(p, ['events', ...filters]).split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

describe('KMS with IAM users, accounts and the event history', () => {
  let p: KmsPlane;
  let root: KMSClient;
  let accountA: string;
  let keyA: { KeyId: string; Arn: string };
  let reader: KMSClient;
  let readerCreds: Creds;
  let allButDecrypt: KMSClient;
  let other: KMSClient;
  let otherCreds: Creds;
  let otherAccount: string;

  beforeAll(async () => {
    p = await startKmsPlane(['--kms-store-hsms', '1']);
    root = p.kms;
    const k = (await root.send(new CreateKeyCommand({ Description: 'account A key' }))).KeyMetadata!;
    keyA = { KeyId: k.KeyId!, Arn: k.Arn! };
    accountA = k.AWSAccountId!;
    await root.send(new CreateAliasCommand({ AliasName: 'alias/a-only', TargetKeyId: keyA.KeyId }));

    iam(p, 'create-user', '--account-id', accountA, '--user-name', 'reader');
    iam(p, 'put-user-policy', '--account-id', accountA, '--user-name', 'reader', '--policy-name', 'read',
      '--policy-document', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['kms:DescribeKey', 'kms:ListKeys'], Resource: '*' }] }));
    readerCreds = accessKey(p, '--account-id', accountA, '--user-name', 'reader');
    reader = p.kmsFor(readerCreds);

    iam(p, 'create-user', '--account-id', accountA, '--user-name', 'nodecrypt');
    iam(p, 'put-user-policy', '--account-id', accountA, '--user-name', 'nodecrypt', '--policy-name', 'all',
      '--policy-document', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }] }));
    iam(p, 'put-user-policy', '--account-id', accountA, '--user-name', 'nodecrypt', '--policy-name', 'deny-decrypt',
      '--policy-document', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'kms:Decrypt', Resource: '*' }] }));
    allButDecrypt = p.kmsFor(accessKey(p, '--account-id', accountA, '--user-name', 'nodecrypt'));

    otherAccount = (iam(p, 'create-account', '--account-name', 'tenant-b').Account as { Id: string }).Id;
    expect(otherAccount).not.toBe(accountA);
    otherCreds = accessKey(p, '--account-id', otherAccount);
    other = p.kmsFor(otherCreds);
  }, 120_000);
  afterAll(async () => {
    await p?.stop();
  });

  it('an IAM user gets only what its policy allows; an explicit Deny beats an Allow kms:*', async () => {
    expect((await reader.send(new DescribeKeyCommand({ KeyId: keyA.KeyId }))).KeyMetadata!.Arn).toBe(keyA.Arn);
    expect((await reader.send(new DescribeKeyCommand({ KeyId: 'alias/a-only' }))).KeyMetadata!.KeyId).toBe(keyA.KeyId);
    expect((await reader.send(new ListKeysCommand({}))).Keys!.map((k) => k.KeyId)).toContain(keyA.KeyId);
    await expectKmsError(reader.send(new CreateKeyCommand({})), 'AccessDeniedException');
    await expectKmsError(reader.send(new EncryptCommand({ KeyId: keyA.KeyId, Plaintext: Buffer.from('reader-secret') })), 'AccessDeniedException');
    await expectKmsError(reader.send(new ListAliasesCommand({})), 'AccessDeniedException');

    const e = await allButDecrypt.send(new EncryptCommand({ KeyId: keyA.KeyId, Plaintext: Buffer.from('nodecrypt-secret') }));
    expect(e.KeyId).toBe(keyA.Arn);
    await expectKmsError(allButDecrypt.send(new DecryptCommand({ CiphertextBlob: e.CiphertextBlob })), 'AccessDeniedException');
    // The root of the account still decrypts it.
    expect(Buffer.from((await root.send(new DecryptCommand({ CiphertextBlob: e.CiphertextBlob }))).Plaintext!).toString()).toBe('nodecrypt-secret');
  });

  it('another account cannot see or use account A\'s keys and aliases', async () => {
    await expectKmsError(other.send(new DescribeKeyCommand({ KeyId: keyA.KeyId })), 'NotFoundException');
    await expectKmsError(other.send(new DescribeKeyCommand({ KeyId: keyA.Arn })), 'NotFoundException');
    await expectKmsError(other.send(new EncryptCommand({ KeyId: keyA.KeyId, Plaintext: Buffer.from('x') })), 'NotFoundException');
    await expectKmsError(other.send(new EncryptCommand({ KeyId: keyA.Arn, Plaintext: Buffer.from('x') })), 'NotFoundException');
    await expectKmsError(other.send(new DescribeKeyCommand({ KeyId: 'alias/a-only' })), 'NotFoundException');
    await expectKmsError(other.send(new EncryptCommand({ KeyId: 'alias/a-only', Plaintext: Buffer.from('x') })), 'NotFoundException');
    expect((await other.send(new ListKeysCommand({}))).Keys ?? []).toEqual([]);
    expect(((await other.send(new ListAliasesCommand({}))).Aliases ?? []).map((a) => a.AliasName)).not.toContain('alias/a-only');

    // A ciphertext of A's key is no use to B either.
    const ct = (await root.send(new EncryptCommand({ KeyId: keyA.KeyId, Plaintext: Buffer.from('tenant-a-secret') }))).CiphertextBlob!;
    await expectKmsError(other.send(new DecryptCommand({ CiphertextBlob: ct })), 'InvalidCiphertextException');

    // B's own key and alias of the same name live beside A's, each account seeing its own.
    const kb = (await other.send(new CreateKeyCommand({}))).KeyMetadata!;
    expect(kb.AWSAccountId).toBe(otherAccount);
    await other.send(new CreateAliasCommand({ AliasName: 'alias/a-only', TargetKeyId: kb.KeyId }));
    expect((await other.send(new DescribeKeyCommand({ KeyId: 'alias/a-only' }))).KeyMetadata!.KeyId).toBe(kb.KeyId);
    expect((await root.send(new DescribeKeyCommand({ KeyId: 'alias/a-only' }))).KeyMetadata!.KeyId).toBe(keyA.KeyId);
    expect((await other.send(new ListKeysCommand({}))).Keys!.map((k) => k.KeyId)).toEqual([kb.KeyId]);
    expect((await root.send(new ListKeysCommand({}))).Keys!.map((k) => k.KeyId)).not.toContain(kb.KeyId);
  });

  it('the event history records KMS calls with identity and errors, never the plaintext', async () => {
    const enc = events(p, '--event-name', 'Encrypt');
    expect(enc.length).toBeGreaterThan(0);
    for (const e of enc) {
      expect(e.eventSource).toBe('kms.amazonaws.com');
      expect(e.awsRegion).toBe('local-1');
      if (e.requestParameters && 'plaintext' in e.requestParameters) expect(e.requestParameters.plaintext).toBe('HIDDEN_DUE_TO_SECURITY_REASONS');
    }
    const all = JSON.stringify(events(p, '--event-source', 'kms.amazonaws.com'));
    for (const secret of ['reader-secret', 'nodecrypt-secret', 'tenant-a-secret']) {
      expect(all).not.toContain(secret);
      expect(all).not.toContain(Buffer.from(secret).toString('base64'));
    }
    // Every Encrypt carrying a Plaintext shows it hidden.
    const withPlaintext = enc.filter((e) => e.requestParameters && ('Plaintext' in e.requestParameters || 'plaintext' in e.requestParameters));
    expect(withPlaintext.length).toBeGreaterThan(0);
    for (const e of withPlaintext) expect(e.requestParameters.Plaintext ?? e.requestParameters.plaintext).toBe('HIDDEN_DUE_TO_SECURITY_REASONS');

    // The reader's denied Encrypt: its identity, AccessDeniedException.
    const readerEnc = enc.filter((e) => e.userIdentity?.accessKeyId === readerCreds.accessKeyId);
    expect(readerEnc).toHaveLength(1);
    expect(readerEnc[0].errorCode).toBe('AccessDeniedException');
    expect(readerEnc[0].userIdentity.type).toBe('IAMUser');
    expect(readerEnc[0].userIdentity.userName).toBe('reader');
    expect(readerEnc[0].userIdentity.arn).toBe(`arn:aws:iam::${accountA}:user/reader`);
    expect(readerEnc[0].userIdentity.accountId).toBe(accountA);
    // By user name too, with its denied CreateKey and its successful DescribeKey.
    const byReader = events(p, '--user-name', 'reader', '--event-source', 'kms.amazonaws.com');
    expect(byReader.find((e) => e.eventName === 'CreateKey')?.errorCode).toBe('AccessDeniedException');
    const describes = byReader.filter((e) => e.eventName === 'DescribeKey');
    expect(describes.length).toBeGreaterThan(0);
    expect(describes.every((e) => e.errorCode === undefined)).toBe(true);

    // nodecrypt's Decrypt denied; the root's Decrypt succeeded, with no plaintext in the response.
    const dec = events(p, '--event-name', 'Decrypt');
    const denied = dec.filter((e) => e.userIdentity?.userName === 'nodecrypt');
    expect(denied).toHaveLength(1);
    expect(denied[0].errorCode).toBe('AccessDeniedException');
    const ok = dec.filter((e) => e.userIdentity?.accountId === accountA && e.userIdentity?.type === 'Root' && !e.errorCode);
    expect(ok.length).toBeGreaterThan(0);
    for (const e of ok) expect(e.responseElements.Plaintext).toBe('HIDDEN_DUE_TO_SECURITY_REASONS');

    // Account B's calls on A's key: B's identity, NotFoundException; the error-only filter finds them.
    const bErrors = events(p, '--access-key-id', otherCreds.accessKeyId, '--errors-only');
    expect(bErrors.length).toBeGreaterThan(0);
    for (const e of bErrors) {
      expect(e.eventSource).toBe('kms.amazonaws.com');
      expect(e.userIdentity.accountId).toBe(otherAccount);
      expect(e.recipientAccountId ?? otherAccount).toBe(otherAccount);
    }
    expect(bErrors.filter((e) => e.eventName === 'Encrypt').every((e) => e.errorCode === 'NotFoundException')).toBe(true);
    expect(bErrors.some((e) => e.eventName === 'DescribeKey' && e.errorCode === 'NotFoundException')).toBe(true);
  });
});
