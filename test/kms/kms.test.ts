// KMS through @aws-sdk/client-kms against a real `strongroom control-plane` process (which serves
// KMS beside cloudhsmv2): KMS's own key store (keys, aliases, tags, states, Encrypt/Decrypt with
// encryption context, rotation, data keys, signatures, MACs, and one test per failure), then a
// CloudHSM custom key store on a cluster made through the control plane (connect, kmsuser's
// rotated password, keys in the customer's cluster found by label as kmsuser, disconnect →
// Unavailable, reconnect), and the AWS Encryption SDK's 1 MiB round trip on both stores.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import {
  CancelKeyDeletionCommand, ConnectCustomKeyStoreCommand, CreateAliasCommand, CreateCustomKeyStoreCommand, CreateKeyCommand,
  DecryptCommand, DeleteCustomKeyStoreCommand, DescribeCustomKeyStoresCommand, DescribeKeyCommand, DisableKeyCommand,
  DisconnectCustomKeyStoreCommand, EnableKeyCommand, EncryptCommand, GenerateDataKeyCommand, GenerateDataKeyWithoutPlaintextCommand,
  GenerateMacCommand, GenerateRandomCommand, GetKeyRotationStatusCommand, GetPublicKeyCommand, KMS, ListAliasesCommand, ListKeysCommand,
  ListResourceTagsCommand, ReEncryptCommand, RotateKeyOnDemandCommand, ScheduleKeyDeletionCommand, SignCommand, TagResourceCommand,
  UpdateAliasCommand, UpdateCustomKeyStoreCommand, VerifyCommand, VerifyMacCommand, EnableKeyRotationCommand, type KMSClient,
} from '@aws-sdk/client-kms';
import { buildClient, CommitmentPolicy, KmsKeyringNode } from '@aws-crypto/client-node';
import { customerCluster, startKmsPlane, type CustomerCluster, type KmsPlane } from '../../bench/kms-setup.js';
import { expectKmsError } from './iam-helpers.js';

function flip(b: Uint8Array, at: number): Uint8Array {
  const c = Uint8Array.from(b);
  c[at] = c[at]! ^ 0x01;
  return c;
}

async function esdkRoundTrip(p: KmsPlane, keyArn: string): Promise<void> {
  const { encrypt, decrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
  const clientProvider = () => new KMS({ endpoint: p.url, region: 'local-1', credentials: p.credentials, maxAttempts: 1 });
  const keyring = new KmsKeyringNode({ generatorKeyId: keyArn, clientProvider: clientProvider as never });
  const message = randomBytes(1024 * 1024);
  const { result } = await encrypt(keyring, message, { encryptionContext: { purpose: 'esdk-test' } });
  const out = await decrypt(keyring, result);
  expect(Buffer.compare(out.plaintext, message)).toBe(0);
  expect(out.messageHeader.encryptionContext['purpose']).toBe('esdk-test');
}

describe('KMS', () => {
  let p: KmsPlane;
  let kms: KMSClient;
  beforeAll(async () => {
    p = await startKmsPlane(['--kms-store-hsms', '1']);
    kms = p.kms;
  }, 120_000);
  afterAll(async () => {
    await p?.stop();
  });

  it('KMS store: keys, aliases, tags, encrypt and decrypt with encryption context', async () => {
    const k = (await kms.send(new CreateKeyCommand({ Description: 'app key', Tags: [{ TagKey: 'env', TagValue: 'test' }] }))).KeyMetadata!;
    expect(k.KeyState).toBe('Enabled');
    expect(k.KeySpec).toBe('SYMMETRIC_DEFAULT');
    expect(k.Origin).toBe('AWS_KMS');
    expect(k.Arn).toBe(`arn:aws:kms:local-1:${k.AWSAccountId}:key/${k.KeyId}`);
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/app', TargetKeyId: k.KeyId }));
    await expectKmsError(kms.send(new CreateAliasCommand({ AliasName: 'alias/app', TargetKeyId: k.KeyId })), 'AlreadyExistsException');
    await expectKmsError(kms.send(new CreateAliasCommand({ AliasName: 'alias/aws/x', TargetKeyId: k.KeyId })), 'InvalidAliasNameException');
    expect((await kms.send(new DescribeKeyCommand({ KeyId: 'alias/app' }))).KeyMetadata!.KeyId).toBe(k.KeyId);
    expect((await kms.send(new ListKeysCommand({}))).Keys!.map((x) => x.KeyId)).toContain(k.KeyId);
    expect((await kms.send(new ListAliasesCommand({ KeyId: k.KeyId }))).Aliases!.map((a) => a.AliasName)).toEqual(['alias/app']);
    await kms.send(new TagResourceCommand({ KeyId: k.KeyId, Tags: [{ TagKey: 'team', TagValue: 'kms' }] }));
    expect((await kms.send(new ListResourceTagsCommand({ KeyId: k.KeyId }))).Tags).toEqual([{ TagKey: 'env', TagValue: 'test' }, { TagKey: 'team', TagValue: 'kms' }]);

    const ctx = { tenant: 'a', purpose: 'test' };
    const e = await kms.send(new EncryptCommand({ KeyId: 'alias/app', Plaintext: Buffer.from('secret data'), EncryptionContext: ctx }));
    expect(e.KeyId).toBe(k.Arn);
    expect(e.CiphertextBlob![0]).toBe(1); // format version
    expect(Buffer.from(e.CiphertextBlob!.subarray(1, 17)).toString('hex')).toBe(k.KeyId!.replace(/-/g, ''));
    const d = await kms.send(new DecryptCommand({ CiphertextBlob: e.CiphertextBlob, EncryptionContext: { purpose: 'test', tenant: 'a' } }));
    expect(Buffer.from(d.Plaintext!).toString()).toBe('secret data');
    expect(d.KeyId).toBe(k.Arn);

    // Each fault, its own KMS error.
    await expectKmsError(kms.send(new DecryptCommand({ CiphertextBlob: e.CiphertextBlob, EncryptionContext: { tenant: 'b', purpose: 'test' } })), 'InvalidCiphertextException');
    await expectKmsError(kms.send(new DecryptCommand({ CiphertextBlob: e.CiphertextBlob })), 'InvalidCiphertextException');
    await expectKmsError(kms.send(new DecryptCommand({ CiphertextBlob: flip(e.CiphertextBlob!, e.CiphertextBlob!.length - 1), EncryptionContext: ctx })), 'InvalidCiphertextException');
    await expectKmsError(kms.send(new DecryptCommand({ CiphertextBlob: flip(e.CiphertextBlob!, 40), EncryptionContext: ctx })), 'InvalidCiphertextException');
    await expectKmsError(kms.send(new DecryptCommand({ CiphertextBlob: flip(e.CiphertextBlob!, 20), EncryptionContext: ctx })), 'InvalidCiphertextException');
    await expectKmsError(kms.send(new DecryptCommand({ CiphertextBlob: flip(e.CiphertextBlob!, 0), EncryptionContext: ctx })), 'InvalidCiphertextException');
    const other = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    await expectKmsError(kms.send(new DecryptCommand({ CiphertextBlob: e.CiphertextBlob, EncryptionContext: ctx, KeyId: other.KeyId })), 'IncorrectKeyException');
    await expectKmsError(kms.send(new EncryptCommand({ KeyId: 'alias/nope', Plaintext: Buffer.from('x') })), 'NotFoundException');
    await expectKmsError(kms.send(new EncryptCommand({ KeyId: k.KeyId, Plaintext: Buffer.alloc(4097) })), 'ValidationException');

    // ReEncrypt under another key and context.
    const re = await kms.send(new ReEncryptCommand({ CiphertextBlob: e.CiphertextBlob, SourceEncryptionContext: ctx, DestinationKeyId: other.KeyId, DestinationEncryptionContext: { x: 'y' } }));
    expect(re.SourceKeyId).toBe(k.Arn);
    expect(re.KeyId).toBe(other.Arn);
    expect(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: re.CiphertextBlob, EncryptionContext: { x: 'y' } }))).Plaintext!).toString()).toBe('secret data');

    // UpdateAlias points the alias at the other key.
    await kms.send(new UpdateAliasCommand({ AliasName: 'alias/app', TargetKeyId: other.KeyId }));
    expect((await kms.send(new DescribeKeyCommand({ KeyId: 'alias/app' }))).KeyMetadata!.KeyId).toBe(other.KeyId);

    // Disabled, then pending deletion.
    await kms.send(new DisableKeyCommand({ KeyId: k.KeyId }));
    expect((await kms.send(new DescribeKeyCommand({ KeyId: k.KeyId }))).KeyMetadata!.KeyState).toBe('Disabled');
    await expectKmsError(kms.send(new DecryptCommand({ CiphertextBlob: e.CiphertextBlob, EncryptionContext: ctx })), 'DisabledException');
    await expectKmsError(kms.send(new EncryptCommand({ KeyId: k.KeyId, Plaintext: Buffer.from('x') })), 'DisabledException');
    await kms.send(new EnableKeyCommand({ KeyId: k.KeyId }));
    await expectKmsError(kms.send(new ScheduleKeyDeletionCommand({ KeyId: k.KeyId, PendingWindowInDays: 6 })), 'ValidationException');
    const sched = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: k.KeyId, PendingWindowInDays: 7 }));
    expect(sched.KeyState).toBe('PendingDeletion');
    expect(sched.PendingWindowInDays).toBe(7);
    expect(sched.DeletionDate!.getTime()).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    await expectKmsError(kms.send(new DecryptCommand({ CiphertextBlob: e.CiphertextBlob, EncryptionContext: ctx })), 'KMSInvalidStateException');
    await expectKmsError(kms.send(new EnableKeyCommand({ KeyId: k.KeyId })), 'KMSInvalidStateException');
    await kms.send(new CancelKeyDeletionCommand({ KeyId: k.KeyId }));
    expect((await kms.send(new DescribeKeyCommand({ KeyId: k.KeyId }))).KeyMetadata!.KeyState).toBe('Disabled');
    await kms.send(new EnableKeyCommand({ KeyId: k.KeyId }));
    expect(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: e.CiphertextBlob, EncryptionContext: ctx }))).Plaintext!).toString()).toBe('secret data');
  });

  it('KMS store: rotation keeps old ciphertexts decryptable; data keys; random', async () => {
    const k = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    const before = await kms.send(new EncryptCommand({ KeyId: k.KeyId, Plaintext: Buffer.from('v1') }));
    await kms.send(new EnableKeyRotationCommand({ KeyId: k.KeyId, RotationPeriodInDays: 90 }));
    const st = await kms.send(new GetKeyRotationStatusCommand({ KeyId: k.KeyId }));
    expect(st.KeyRotationEnabled).toBe(true);
    expect(st.RotationPeriodInDays).toBe(90);
    await kms.send(new RotateKeyOnDemandCommand({ KeyId: k.KeyId }));
    const after = await kms.send(new EncryptCommand({ KeyId: k.KeyId, Plaintext: Buffer.from('v2') }));
    expect(Buffer.from(before.CiphertextBlob!).readUInt32BE(17)).toBe(1);
    expect(Buffer.from(after.CiphertextBlob!).readUInt32BE(17)).toBe(2);
    expect(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: before.CiphertextBlob }))).Plaintext!).toString()).toBe('v1');
    expect(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: after.CiphertextBlob }))).Plaintext!).toString()).toBe('v2');

    const dk = await kms.send(new GenerateDataKeyCommand({ KeyId: k.KeyId, KeySpec: 'AES_256', EncryptionContext: { f: 'g' } }));
    expect(dk.Plaintext!.length).toBe(32);
    const back = await kms.send(new DecryptCommand({ CiphertextBlob: dk.CiphertextBlob, EncryptionContext: { f: 'g' } }));
    expect(Buffer.compare(Buffer.from(back.Plaintext!), Buffer.from(dk.Plaintext!))).toBe(0);
    const np = await kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: k.KeyId, NumberOfBytes: 64 }));
    expect((np as { Plaintext?: unknown }).Plaintext).toBeUndefined();
    expect((await kms.send(new DecryptCommand({ CiphertextBlob: np.CiphertextBlob }))).Plaintext!.length).toBe(64);
    await expectKmsError(kms.send(new GenerateDataKeyCommand({ KeyId: k.KeyId })), 'ValidationException');
    expect((await kms.send(new GenerateRandomCommand({ NumberOfBytes: 48 }))).Plaintext!.length).toBe(48);
  });

  it('KMS store: signatures (RSA, ECC) and MACs', async () => {
    for (const [spec, alg] of [['ECC_NIST_P256', 'ECDSA_SHA_256'], ['ECC_NIST_P384', 'ECDSA_SHA_384'], ['RSA_2048', 'RSASSA_PSS_SHA_256'], ['RSA_2048', 'RSASSA_PKCS1_V1_5_SHA_256']] as const) {
      const k = (await kms.send(new CreateKeyCommand({ KeySpec: spec, KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!;
      expect(k.SigningAlgorithms).toContain(alg);
      const s = await kms.send(new SignCommand({ KeyId: k.KeyId, Message: Buffer.from('hello'), SigningAlgorithm: alg }));
      expect((await kms.send(new VerifyCommand({ KeyId: k.KeyId, Message: Buffer.from('hello'), SigningAlgorithm: alg, Signature: s.Signature }))).SignatureValid).toBe(true);
      await expectKmsError(kms.send(new VerifyCommand({ KeyId: k.KeyId, Message: Buffer.from('hellO'), SigningAlgorithm: alg, Signature: s.Signature })), 'KMSInvalidSignatureException');
      const pub = await kms.send(new GetPublicKeyCommand({ KeyId: k.KeyId }));
      const { createPublicKey, verify, constants } = await import('node:crypto');
      const key = createPublicKey({ key: Buffer.from(pub.PublicKey!), format: 'der', type: 'spki' });
      const hash = `sha${alg.slice(-3)}`;
      const opts = alg.startsWith('RSASSA_PSS') ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : key;
      expect(verify(hash, Buffer.from('hello'), opts, Buffer.from(s.Signature!))).toBe(true);
      await expectKmsError(kms.send(new EncryptCommand({ KeyId: k.KeyId, Plaintext: Buffer.from('x') })), 'InvalidKeyUsageException');
    }
    const h = (await kms.send(new CreateKeyCommand({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }))).KeyMetadata!;
    const m = await kms.send(new GenerateMacCommand({ KeyId: h.KeyId, Message: Buffer.from('m'), MacAlgorithm: 'HMAC_SHA_256' }));
    expect(m.Mac!.length).toBe(32);
    expect((await kms.send(new VerifyMacCommand({ KeyId: h.KeyId, Message: Buffer.from('m'), MacAlgorithm: 'HMAC_SHA_256', Mac: m.Mac }))).MacValid).toBe(true);
    await expectKmsError(kms.send(new VerifyMacCommand({ KeyId: h.KeyId, Message: Buffer.from('n'), MacAlgorithm: 'HMAC_SHA_256', Mac: m.Mac })), 'KMSInvalidMacException');
    await expectKmsError(kms.send(new CreateKeyCommand({ KeySpec: 'HMAC_256', KeyUsage: 'ENCRYPT_DECRYPT' })), 'ValidationException');
  });

  it('KMS store: the AWS Encryption SDK encrypts and decrypts 1 MiB', async () => {
    const k = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    await esdkRoundTrip(p, k.Arn!);
  }, 60_000);

  describe('CloudHSM custom key store', () => {
    let c: CustomerCluster;
    beforeAll(async () => {
      c = await customerCluster(p, 2, 'cks');
    }, 180_000);

    it('creates, connects (rotating kmsuser\'s password), makes keys in the customer cluster, disconnects and reconnects', async () => {
      const wrongCa = (await import('../../src/pki/pki.js')).createCa;
      const other = await wrongCa('other CA', { keyType: 'rsa', days: 30 });
      await expectKmsError(kms.send(new CreateCustomKeyStoreCommand({ CustomKeyStoreName: 's1', CloudHsmClusterId: c.clusterId, TrustAnchorCertificate: other.certPem, KeyStorePassword: c.kmsuserPassword })), 'IncorrectTrustAnchorException');
      await expectKmsError(kms.send(new CreateCustomKeyStoreCommand({ CustomKeyStoreName: 's1', CloudHsmClusterId: 'cluster-aaaaaaaaaaa', TrustAnchorCertificate: c.caCert, KeyStorePassword: c.kmsuserPassword })), 'CloudHsmClusterNotFoundException');
      const id = (await kms.send(new CreateCustomKeyStoreCommand({ CustomKeyStoreName: 's1', CloudHsmClusterId: c.clusterId, TrustAnchorCertificate: c.caCert, KeyStorePassword: c.kmsuserPassword }))).CustomKeyStoreId!;
      expect(id).toMatch(/^cks-[0-9a-f]{17}$/);
      const describe1 = async () => (await kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: id }))).CustomKeyStores![0]!;
      expect((await describe1()).ConnectionState).toBe('DISCONNECTED');
      await expectKmsError(kms.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: id })), 'CustomKeyStoreInvalidStateException');

      const waitState = async (want: string) => {
        for (let n = 0; n < 120; n++) {
          const s = await describe1();
          if (s.ConnectionState === want) return s;
          if (s.ConnectionState === 'FAILED' && want !== 'FAILED') throw new Error(`store FAILED: ${s.ConnectionErrorCode}`);
          await new Promise((r) => setTimeout(r, 250));
        }
        throw new Error(`store never became ${want}`);
      };
      await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
      const connected = await waitState('CONNECTED');
      expect(connected.CloudHsmClusterId).toBe(c.clusterId);
      expect(connected.TrustAnchorCertificate).toBe(c.caCert);
      expect(connected.ConnectionErrorCode).toBeUndefined();

      // KMS rotated kmsuser's password: the one we gave it no longer logs in.
      expect(c.cli(['key', 'list'], { CLOUDHSM_ROLE: 'crypto-user', CLOUDHSM_PIN: `kmsuser:${c.kmsuserPassword}` }).error_code).not.toBe(0);

      await expectKmsError(kms.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: id, KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' })), 'UnsupportedOperationException');
      const k = (await kms.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: id, Description: 'in the customer cluster' }))).KeyMetadata!;
      expect(k.Origin).toBe('AWS_CLOUDHSM');
      expect(k.CustomKeyStoreId).toBe(id);
      expect(k.CloudHsmClusterId).toBe(c.clusterId);
      const e = await kms.send(new EncryptCommand({ KeyId: k.KeyId, Plaintext: Buffer.from('in cks'), EncryptionContext: { a: '1' } }));
      expect(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: e.CiphertextBlob, EncryptionContext: { a: '1' } }))).Plaintext!).toString()).toBe('in cks');
      await expectKmsError(kms.send(new DecryptCommand({ CiphertextBlob: e.CiphertextBlob, EncryptionContext: { a: '2' } })), 'InvalidCiphertextException');
      const dk = await kms.send(new GenerateDataKeyCommand({ KeyId: k.KeyId, KeySpec: 'AES_256' }));
      expect(dk.Plaintext!.length).toBe(32);
      await esdkRoundTrip(p, k.Arn!);

      await expectKmsError(kms.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: id })), 'CustomKeyStoreInvalidStateException');

      // Disconnect: keys Unavailable, crypto refused.
      await kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
      expect((await describe1()).ConnectionState).toBe('DISCONNECTED');
      expect((await kms.send(new DescribeKeyCommand({ KeyId: k.KeyId }))).KeyMetadata!.KeyState).toBe('Unavailable');
      await expectKmsError(kms.send(new EncryptCommand({ KeyId: k.KeyId, Plaintext: Buffer.from('x') })), 'KMSInvalidStateException');
      await expectKmsError(kms.send(new DecryptCommand({ CiphertextBlob: e.CiphertextBlob, EncryptionContext: { a: '1' } })), 'KMSInvalidStateException');

      // As CloudHSM's guide says: while disconnected, the admin resets kmsuser's password, kmsuser
      // finds the key by its label (the key ARN), and KMS is told the new password.
      const admin = { CLOUDHSM_ROLE: 'admin', CLOUDHSM_PIN: `admin:${c.adminPassword}` };
      expect(c.cli(['user', 'change-password', '--username', 'kmsuser', '--role', 'crypto-user', '--password', 'Reset1pass'], admin).error_code).toBe(0);
      const listed = c.cli(['key', 'list', '--filter', `attr.label=${k.Arn}`, '--verbose'], { CLOUDHSM_ROLE: 'crypto-user', CLOUDHSM_PIN: 'kmsuser:Reset1pass' });
      expect(listed.error_code).toBe(0);
      expect(listed.data.matched_keys).toHaveLength(1);
      const hk = listed.data.matched_keys[0];
      expect(hk.attributes).toMatchObject({ label: k.Arn, extractable: false, 'key-type': 'aes' });
      expect(hk['key-info']['key-owners'][0].username).toBe('kmsuser');
      await kms.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: id, KeyStorePassword: 'Reset1pass' }));

      // Reconnect: the key works again and old ciphertexts decrypt.
      await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
      await waitState('CONNECTED');
      expect((await kms.send(new DescribeKeyCommand({ KeyId: k.KeyId }))).KeyMetadata!.KeyState).toBe('Enabled');
      expect(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: e.CiphertextBlob, EncryptionContext: { a: '1' } }))).Plaintext!).toString()).toBe('in cks');

      // A wrong password: FAILED with INVALID_CREDENTIALS.
      await kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
      await kms.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: id, KeyStorePassword: 'Wrong1pass' }));
      await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
      const failed = await waitState('FAILED');
      expect(failed.ConnectionErrorCode).toBe('INVALID_CREDENTIALS');
      await kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
      await expectKmsError(kms.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: id })), 'CustomKeyStoreHasCMKsException');
    }, 180_000);
  });
});
