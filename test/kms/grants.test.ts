// Grants against a real `strongroom control-plane` with @aws-sdk/client-kms and IAM users: a user
// with no IAM permission uses a key through a grant, encryption-context constraints, retiring
// (by token, by the retiring principal, by the grantee) and revoking, ListGrants and
// ListRetirableGrants with pagination, idempotent CreateGrant, key states, a key-policy Deny
// beating a grant, grants made through a grant, the refusals (bad operations, principals, ids
// and tokens), and grant tokens hidden in the event history.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateGrantCommand, CreateKeyCommand, DecryptCommand, DescribeKeyCommand, DisableKeyCommand, EnableKeyCommand, EncryptCommand, GenerateDataKeyCommand, ListGrantsCommand,
  ListRetirableGrantsCommand, ReEncryptCommand, RetireGrantCommand, RevokeGrantCommand, ScheduleKeyDeletionCommand, type GrantListEntry, type KMSClient,
} from '@aws-sdk/client-kms';
import { spawnSync } from 'node:child_process';
import { startKmsPlane, STRONGROOM_BIN, type KmsPlane } from '../../bench/kms-setup.js';
import { allowAllKms, expectKmsError, policy, user } from './iam-helpers.js';

describe('KMS grants', () => {
  let p: KmsPlane;
  let root: KMSClient;
  let account: string;
  let app: ReturnType<typeof user>; // no IAM permission
  let app2: ReturnType<typeof user>; // no IAM permission
  let retirer: ReturnType<typeof user>; // no IAM permission
  let admin: ReturnType<typeof user>; // IAM kms:*
  const newKey = async (extra: Record<string, unknown> = {}) => (await root.send(new CreateKeyCommand(extra))).KeyMetadata!;

  beforeAll(async () => {
    p = await startKmsPlane(['--kms-store-hsms', '1']);
    root = p.kms;
    account = (await newKey()).AWSAccountId!;
    app = user(p, account, 'app');
    app2 = user(p, account, 'app2');
    retirer = user(p, account, 'retirer');
    admin = user(p, account, 'admin', allowAllKms);
  }, 120_000);
  afterAll(async () => {
    await p?.stop();
  });

  it('a user with no IAM permission encrypts, decrypts and makes data keys through a grant, and only those', async () => {
    const k = await newKey();
    await expectKmsError(app.client.send(new EncryptCommand({ KeyId: k.KeyId, Plaintext: Buffer.from('g-1') })), 'AccessDeniedException');
    const g = await root.send(new CreateGrantCommand({ KeyId: k.KeyId, GranteePrincipal: app.arn, Operations: ['Encrypt', 'Decrypt', 'GenerateDataKey'], Name: 'app-1' }));
    expect(g.GrantId).toMatch(/^[0-9a-f]{64}$/);
    expect(g.GrantToken!.length).toBeGreaterThan(40);
    // Effective at once; the token is accepted (and needed by no one).
    const ct = (await app.client.send(new EncryptCommand({ KeyId: k.KeyId, Plaintext: Buffer.from('g-1'), GrantTokens: [g.GrantToken!] }))).CiphertextBlob!;
    expect(Buffer.from((await app.client.send(new DecryptCommand({ CiphertextBlob: ct }))).Plaintext!).toString()).toBe('g-1');
    const dk = await app.client.send(new GenerateDataKeyCommand({ KeyId: k.Arn, KeySpec: 'AES_256' }));
    expect(dk.Plaintext!.length).toBe(32);
    await expectKmsError(app.client.send(new DescribeKeyCommand({ KeyId: k.KeyId })), 'AccessDeniedException');
    await expectKmsError(app.client.send(new ListGrantsCommand({ KeyId: k.KeyId })), 'AccessDeniedException');
    await expectKmsError(app.client.send(new EncryptCommand({ KeyId: k.KeyId, Plaintext: Buffer.from('x'), GrantTokens: ['not-a-token'] })), 'InvalidGrantTokenException');

    // Idempotent on the same name and parameters; a new grant when a parameter differs.
    const again = await root.send(new CreateGrantCommand({ KeyId: k.Arn, GranteePrincipal: app.arn, Operations: ['GenerateDataKey', 'Encrypt', 'Decrypt'], Name: 'app-1' }));
    expect(again.GrantId).toBe(g.GrantId);
    expect(again.GrantToken).toBe(g.GrantToken);
    const other = await root.send(new CreateGrantCommand({ KeyId: k.KeyId, GranteePrincipal: app.arn, Operations: ['Encrypt'], Name: 'app-1' }));
    expect(other.GrantId).not.toBe(g.GrantId);

    // IAM user names ignore case, so does a grantee ARN.
    const upper = await root.send(new CreateGrantCommand({ KeyId: k.KeyId, GranteePrincipal: app.arn.replace('user/app', 'user/APP'), Operations: ['DescribeKey'] }));
    expect((await app.client.send(new DescribeKeyCommand({ KeyId: k.KeyId }))).KeyMetadata!.KeyId).toBe(k.KeyId);
    await root.send(new RevokeGrantCommand({ KeyId: k.KeyId, GrantId: upper.GrantId }));
    await expectKmsError(app.client.send(new DescribeKeyCommand({ KeyId: k.KeyId })), 'AccessDeniedException');

    // Revoked: access is gone at once.
    await root.send(new RevokeGrantCommand({ KeyId: k.KeyId, GrantId: g.GrantId }));
    await root.send(new RevokeGrantCommand({ KeyId: k.KeyId, GrantId: other.GrantId }));
    await expectKmsError(app.client.send(new DecryptCommand({ CiphertextBlob: ct })), 'AccessDeniedException');
    await expectKmsError(root.send(new RevokeGrantCommand({ KeyId: k.KeyId, GrantId: g.GrantId })), 'NotFoundException');
  });

  it('encryption-context constraints: Subset and Equals (keys case-insensitive, values not)', async () => {
    const k = await newKey();
    await root.send(new CreateGrantCommand({ KeyId: k.KeyId, GranteePrincipal: app.arn, Operations: ['Encrypt', 'Decrypt', 'ReEncryptFrom', 'ReEncryptTo'], Constraints: { EncryptionContextSubset: { tenant: 'a' } } }));
    await root.send(new CreateGrantCommand({ KeyId: k.KeyId, GranteePrincipal: app2.arn, Operations: ['Encrypt'], Constraints: { EncryptionContextEquals: { tenant: 'a' } } }));
    const ct = (await app.client.send(new EncryptCommand({ KeyId: k.KeyId, Plaintext: Buffer.from('g-2'), EncryptionContext: { tenant: 'a', file: '1' } }))).CiphertextBlob!;
    await app.client.send(new EncryptCommand({ KeyId: k.KeyId, Plaintext: Buffer.from('x'), EncryptionContext: { Tenant: 'a' } }));
    await expectKmsError(app.client.send(new EncryptCommand({ KeyId: k.KeyId, Plaintext: Buffer.from('x'), EncryptionContext: { tenant: 'A' } })), 'AccessDeniedException');
    await expectKmsError(app.client.send(new EncryptCommand({ KeyId: k.KeyId, Plaintext: Buffer.from('x'), EncryptionContext: { tenant: 'b' } })), 'AccessDeniedException');
    await expectKmsError(app.client.send(new EncryptCommand({ KeyId: k.KeyId, Plaintext: Buffer.from('x') })), 'AccessDeniedException');
    await expectKmsError(app.client.send(new DecryptCommand({ CiphertextBlob: ct, EncryptionContext: { tenant: 'b', file: '1' } })), 'AccessDeniedException');
    expect(Buffer.from((await app.client.send(new DecryptCommand({ CiphertextBlob: ct, EncryptionContext: { tenant: 'a', file: '1' } }))).Plaintext!).toString()).toBe('g-2');
    // ReEncrypt checks ReEncryptFrom and ReEncryptTo, each against its own context.
    await app.client.send(new ReEncryptCommand({ CiphertextBlob: ct, SourceEncryptionContext: { tenant: 'a', file: '1' }, DestinationKeyId: k.KeyId, DestinationEncryptionContext: { tenant: 'a' } }));
    await expectKmsError(app.client.send(new ReEncryptCommand({ CiphertextBlob: ct, SourceEncryptionContext: { tenant: 'a', file: '1' }, DestinationKeyId: k.KeyId, DestinationEncryptionContext: { tenant: 'c' } })), 'AccessDeniedException', /kms:ReEncryptTo/);

    await app2.client.send(new EncryptCommand({ KeyId: k.KeyId, Plaintext: Buffer.from('x'), EncryptionContext: { tenant: 'a' } }));
    await expectKmsError(app2.client.send(new EncryptCommand({ KeyId: k.KeyId, Plaintext: Buffer.from('x'), EncryptionContext: { tenant: 'a', more: '1' } })), 'AccessDeniedException');
  });

  it('retiring: by token (retiring principal), by KeyId and GrantId (grantee with RetireGrant), and who may not', async () => {
    const k = await newKey();
    const g1 = await root.send(new CreateGrantCommand({ KeyId: k.KeyId, GranteePrincipal: app.arn, RetiringPrincipal: retirer.arn, Operations: ['Encrypt'] }));
    await app.client.send(new EncryptCommand({ KeyId: k.KeyId, Plaintext: Buffer.from('x') }));
    // The grantee may not retire a grant without RetireGrant; nor may an unrelated user without IAM.
    await expectKmsError(app.client.send(new RetireGrantCommand({ GrantToken: g1.GrantToken })), 'AccessDeniedException');
    await expectKmsError(app2.client.send(new RetireGrantCommand({ KeyId: k.Arn, GrantId: g1.GrantId })), 'AccessDeniedException');
    await retirer.client.send(new RetireGrantCommand({ GrantToken: g1.GrantToken }));
    await expectKmsError(app.client.send(new EncryptCommand({ KeyId: k.KeyId, Plaintext: Buffer.from('x') })), 'AccessDeniedException');
    await expectKmsError(retirer.client.send(new RetireGrantCommand({ GrantToken: g1.GrantToken })), 'NotFoundException');

    const g2 = await root.send(new CreateGrantCommand({ KeyId: k.KeyId, GranteePrincipal: app.arn, Operations: ['Encrypt', 'RetireGrant'] }));
    await app.client.send(new RetireGrantCommand({ KeyId: k.Arn, GrantId: g2.GrantId }));
    await expectKmsError(app.client.send(new EncryptCommand({ KeyId: k.KeyId, Plaintext: Buffer.from('x') })), 'AccessDeniedException');
    // The account (an IAM user IAM allows kms:RetireGrant) may retire any of its grants.
    const g3 = await root.send(new CreateGrantCommand({ KeyId: k.KeyId, GranteePrincipal: app.arn, Operations: ['Encrypt'] }));
    await admin.client.send(new RetireGrantCommand({ KeyId: k.KeyId, GrantId: g3.GrantId }));

    await expectKmsError(root.send(new RetireGrantCommand({ GrantToken: 'AAAA' })), 'InvalidGrantTokenException');
    await expectKmsError(root.send(new RetireGrantCommand({ KeyId: k.KeyId, GrantId: 'not-a-grant-id' })), 'InvalidGrantIdException');
    await expectKmsError(root.send(new RetireGrantCommand({ GrantId: g3.GrantId })), 'ValidationException');
    await expectKmsError(root.send(new RevokeGrantCommand({ KeyId: k.KeyId, GrantId: 'zz' })), 'InvalidGrantIdException');
  });

  it('ListGrants pages and filters; ListRetirableGrants lists a retiring principal\'s grants', async () => {
    const k = await newKey();
    const ids: string[] = [];
    for (let n = 0; n < 5; n++) {
      const grantee = n % 2 ? app2.arn : app.arn;
      ids.push((await root.send(new CreateGrantCommand({ KeyId: k.KeyId, GranteePrincipal: grantee, RetiringPrincipal: retirer.arn, Operations: ['Encrypt', 'DescribeKey'], Name: `g${n}`, Constraints: { EncryptionContextSubset: { n: String(n) } } }))).GrantId!);
    }
    const seen: GrantListEntry[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const r = await admin.client.send(new ListGrantsCommand({ KeyId: k.KeyId, Limit: 2, ...(marker ? { Marker: marker } : {}) }));
      seen.push(...r.Grants!);
      marker = r.Truncated ? r.NextMarker : undefined;
      pages++;
    } while (marker);
    expect(pages).toBe(3);
    expect(seen.map((g) => g.GrantId)).toEqual(ids);
    expect(seen[0]).toMatchObject({ KeyId: k.Arn, Name: 'g0', GranteePrincipal: app.arn, RetiringPrincipal: retirer.arn, IssuingAccount: `arn:aws:iam::${account}:root`, Constraints: { EncryptionContextSubset: { n: '0' } } });
    expect(seen[0]!.Operations!.sort()).toEqual(['DescribeKey', 'Encrypt']);
    expect(seen[0]!.CreationDate).toBeInstanceOf(Date);
    expect((await root.send(new ListGrantsCommand({ KeyId: k.KeyId, GranteePrincipal: app2.arn }))).Grants!.map((g) => g.GrantId)).toEqual([ids[1], ids[3]]);
    expect((await root.send(new ListGrantsCommand({ KeyId: k.KeyId, GrantId: ids[4] }))).Grants!.map((g) => g.Name)).toEqual(['g4']);
    const retirable = await admin.client.send(new ListRetirableGrantsCommand({ RetiringPrincipal: retirer.arn }));
    expect(retirable.Grants!.filter((g) => g.KeyId === k.Arn).map((g) => g.GrantId)).toEqual(ids);
    // DescribeKey through a constrained grant: constraints do not apply to it.
    expect((await app.client.send(new DescribeKeyCommand({ KeyId: k.KeyId }))).KeyMetadata!.KeyId).toBe(k.KeyId);
  });

  it('a key-policy Deny beats a grant; a grantee with CreateGrant passes on no more than it has', async () => {
    const denied = await newKey({ Policy: policy(
      { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' },
      { Effect: 'Deny', Principal: { AWS: app.arn }, Action: 'kms:Decrypt', Resource: '*' },
    ) });
    await root.send(new CreateGrantCommand({ KeyId: denied.KeyId, GranteePrincipal: app.arn, Operations: ['Encrypt', 'Decrypt'] }));
    const ct = (await app.client.send(new EncryptCommand({ KeyId: denied.KeyId, Plaintext: Buffer.from('x') }))).CiphertextBlob!;
    await expectKmsError(app.client.send(new DecryptCommand({ CiphertextBlob: ct })), 'AccessDeniedException', /explicit deny in a resource-based policy/);

    const k = await newKey();
    await root.send(new CreateGrantCommand({ KeyId: k.KeyId, GranteePrincipal: app.arn, Operations: ['Encrypt', 'Decrypt', 'CreateGrant'], Constraints: { EncryptionContextSubset: { team: 'a' } } }));
    await expectKmsError(app.client.send(new CreateGrantCommand({ KeyId: k.KeyId, GranteePrincipal: app2.arn, Operations: ['Encrypt', 'GenerateDataKey'], Constraints: { EncryptionContextSubset: { team: 'a' } } })), 'AccessDeniedException');
    await expectKmsError(app.client.send(new CreateGrantCommand({ KeyId: k.KeyId, GranteePrincipal: app2.arn, Operations: ['Encrypt'] })), 'AccessDeniedException');
    await expectKmsError(app.client.send(new CreateGrantCommand({ KeyId: k.KeyId, GranteePrincipal: app2.arn, Operations: ['Encrypt'], Constraints: { EncryptionContextSubset: { team: 'b' } } })), 'AccessDeniedException');
    await app.client.send(new CreateGrantCommand({ KeyId: k.KeyId, GranteePrincipal: app2.arn, Operations: ['Encrypt'], Constraints: { EncryptionContextEquals: { team: 'a', env: 'prod' } } }));
    await app2.client.send(new EncryptCommand({ KeyId: k.KeyId, Plaintext: Buffer.from('x'), EncryptionContext: { team: 'a', env: 'prod' } }));
  });

  it('refuses operations a key cannot do, principals of other accounts, constraints on asymmetric keys and unknown keys', async () => {
    const k = await newKey();
    await expectKmsError(root.send(new CreateGrantCommand({ KeyId: k.KeyId, GranteePrincipal: app.arn, Operations: ['Sign'] })), 'ValidationException', /not valid for/);
    await expectKmsError(root.send(new CreateGrantCommand({ KeyId: k.KeyId, GranteePrincipal: app.arn, Operations: ['Fly' as 'Sign'] })), 'ValidationException', /enum value set/);
    await expectKmsError(root.send(new CreateGrantCommand({ KeyId: k.KeyId, GranteePrincipal: 'arn:aws:iam::999999999999:user/x', Operations: ['Encrypt'] })), 'ValidationException', /another account/);
    await expectKmsError(root.send(new CreateGrantCommand({ KeyId: k.KeyId, GranteePrincipal: 'bob', Operations: ['Encrypt'] })), 'ValidationException');
    const rsa = await newKey({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' });
    await expectKmsError(root.send(new CreateGrantCommand({ KeyId: rsa.KeyId, GranteePrincipal: app.arn, Operations: ['Sign'], Constraints: { EncryptionContextSubset: { a: 'b' } } })), 'ValidationException', /constraints are not valid/);
    await root.send(new CreateGrantCommand({ KeyId: rsa.KeyId, GranteePrincipal: app.arn, Operations: ['Sign', 'GetPublicKey'] }));
    await expectKmsError(root.send(new CreateGrantCommand({ KeyId: '11111111-2222-3333-4444-555555555555', GranteePrincipal: app.arn, Operations: ['Encrypt'] })), 'NotFoundException');
    await expectKmsError(root.send(new ListGrantsCommand({ KeyId: '11111111-2222-3333-4444-555555555555' })), 'NotFoundException');
    await expectKmsError(app.client.send(new CreateGrantCommand({ KeyId: k.KeyId, GranteePrincipal: app.arn, Operations: ['Encrypt'] })), 'AccessDeniedException');
  });

  it('key states: a grant on a disabled key meets DisabledException; no grants on a key pending deletion', async () => {
    const k = await newKey();
    await root.send(new DisableKeyCommand({ KeyId: k.KeyId }));
    await root.send(new CreateGrantCommand({ KeyId: k.KeyId, GranteePrincipal: app.arn, Operations: ['Encrypt'] }));
    await expectKmsError(app.client.send(new EncryptCommand({ KeyId: k.KeyId, Plaintext: Buffer.from('x') })), 'DisabledException');
    await root.send(new EnableKeyCommand({ KeyId: k.KeyId }));
    await app.client.send(new EncryptCommand({ KeyId: k.KeyId, Plaintext: Buffer.from('x') }));
    await root.send(new ScheduleKeyDeletionCommand({ KeyId: k.KeyId, PendingWindowInDays: 7 }));
    await expectKmsError(root.send(new CreateGrantCommand({ KeyId: k.KeyId, GranteePrincipal: app.arn, Operations: ['Decrypt'] })), 'KMSInvalidStateException');
    await expectKmsError(app.client.send(new EncryptCommand({ KeyId: k.KeyId, Plaintext: Buffer.from('x') })), 'KMSInvalidStateException');
  });

  it('the event history never shows a grant token', async () => {
    const k = await newKey();
    const g = await root.send(new CreateGrantCommand({ KeyId: k.KeyId, GranteePrincipal: app.arn, RetiringPrincipal: retirer.arn, Operations: ['Encrypt'] }));
    await app.client.send(new EncryptCommand({ KeyId: k.KeyId, Plaintext: Buffer.from('x'), GrantTokens: [g.GrantToken!] }));
    await retirer.client.send(new RetireGrantCommand({ GrantToken: g.GrantToken }));
    const r = spawnSync(process.execPath, [STRONGROOM_BIN, 'events', '--event-source', 'kms.amazonaws.com', '--data-dir', p.dir], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toContain(g.GrantToken!);
    const events = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { eventName: string; requestParameters: any; responseElements: any });
    const created = events.filter((e) => e.eventName === 'CreateGrant' && e.responseElements?.GrantId === g.GrantId);
    expect(created).toHaveLength(1);
    expect(created[0]!.responseElements.GrantToken).toBe('HIDDEN_DUE_TO_SECURITY_REASONS');
    expect(events.some((e) => e.eventName === 'RetireGrant' && e.requestParameters?.GrantToken === 'HIDDEN_DUE_TO_SECURITY_REASONS')).toBe(true);
  });
});
