// The IAM store, its bootstrap and the `strongroom iam` verbs: AWS-shaped answers, IAM's errors
// and limits, secrets sealed at rest and files readable by their owner only.

import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IamError, IamStore } from '../../src/control-plane/iam/store.js';
import { bootstrapIam } from '../../src/control-plane/iam/bootstrap.js';
import { runIamCommand } from '../../src/control-plane/iam/cli.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'strongroom-iam-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function iamCli(...argv: string[]): { code: number; out: string; err: string; json: any } {
  let out = '';
  let err = '';
  const code = runIamCommand([...argv, '--data-dir', dir], { out: (t) => (out += t), err: (t) => (err += t) });
  let json: unknown;
  try {
    json = JSON.parse(out || err);
  } catch {
    json = undefined;
  }
  return { code, out, err, json };
}

describe('IamStore', () => {
  it('creates accounts, users and keys with AWS-shaped ids', () => {
    const s = IamStore.open(dir);
    try {
      const a = s.createAccount('acme');
      expect(a.Id).toMatch(/^\d{12}$/);
      expect(a.Arn).toBe(`arn:aws:iam::${a.Id}:root`);
      const u = s.createUser(a.Id, 'alice');
      expect(u).toMatchObject({ UserName: 'alice', Arn: `arn:aws:iam::${a.Id}:user/alice`, Path: '/' });
      expect(u.UserId).toMatch(/^AIDA[A-Z2-7]{17}$/);
      const k = s.createAccessKey(a.Id, 'alice');
      expect(k.AccessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
      expect(k.SecretAccessKey).toMatch(/^[A-Za-z0-9+/]{40}$/);
      const r = s.resolveAccessKey(k.AccessKeyId)!;
      expect(r.secretAccessKey).toBe(k.SecretAccessKey);
      expect(r.identity).toEqual({ type: 'IAMUser', accountId: a.Id, arn: u.Arn, userName: 'alice', principalId: u.UserId, accessKeyId: k.AccessKeyId });
      const rootKey = s.createAccessKey(a.Id);
      expect(s.resolveAccessKey(rootKey.AccessKeyId)!.identity).toMatchObject({ type: 'Root', principalId: a.Id, arn: a.Arn, userName: 'acme' });
    } finally {
      s.close();
    }
  });

  it("answers IAM's errors: duplicates, unknown entities, two keys per user, delete conflicts", () => {
    const s = IamStore.open(dir);
    try {
      const a = s.createAccount('acme');
      const code = (f: () => unknown) => {
        try {
          f();
        } catch (e) {
          return (e as IamError).code;
        }
        return 'no error';
      };
      expect(code(() => s.createAccount('ACME'))).toBe('EntityAlreadyExists');
      expect(code(() => s.createUser('000000000000', 'bob'))).toBe('NoSuchEntity');
      s.createUser(a.Id, 'bob');
      expect(code(() => s.createUser(a.Id, 'Bob'))).toBe('EntityAlreadyExists');
      expect(code(() => s.createUser(a.Id, 'no spaces'))).toBe('ValidationError');
      s.createAccessKey(a.Id, 'bob');
      s.createAccessKey(a.Id, 'bob');
      expect(code(() => s.createAccessKey(a.Id, 'bob'))).toBe('LimitExceeded');
      expect(code(() => s.putUserPolicy(a.Id, 'bob', 'p', '{"Statement":[]}'))).toBe('MalformedPolicyDocument');
      expect(code(() => s.deleteUser(a.Id, 'bob'))).toBe('DeleteConflict');
      expect(code(() => s.deleteAccessKey('AKIANOTTHEREATALL234'))).toBe('NoSuchEntity');
    } finally {
      s.close();
    }
  });

  it('keeps secrets sealed at rest, in owner-only files', () => {
    const s = IamStore.open(dir);
    const a = s.createAccount('acme');
    const k = s.createAccessKey(a.Id);
    s.close();
    for (const f of ['iam.sqlite', 'iam.key']) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
    for (const f of ['iam.sqlite', 'iam.sqlite-wal']) {
      let bytes = '';
      try {
        bytes = readFileSync(join(dir, f)).toString('latin1');
      } catch {
        continue;
      }
      expect(bytes).not.toContain(k.SecretAccessKey);
    }
    // Another key file cannot open the sealed secrets.
    writeFileSync(join(dir, 'iam.key'), Buffer.alloc(32, 7));
    const s2 = IamStore.open(dir);
    try {
      expect(() => s2.resolveAccessKey(k.AccessKeyId)).toThrow();
    } finally {
      s2.close();
    }
  });
});

describe('IamStore request-path caches', () => {
  it('see changes made through another connection (the iam CLI) on the next call', () => {
    const server = IamStore.open(dir);
    const cli = IamStore.open(dir);
    try {
      const a = cli.createAccount('acme');
      cli.createUser(a.Id, 'alice');
      const k = cli.createAccessKey(a.Id, 'alice');
      const id = server.resolveAccessKey(k.AccessKeyId)!.identity;
      expect(server.resolveAccessKey(k.AccessKeyId)!.secretAccessKey).toBe(k.SecretAccessKey);
      expect(server.authorize(id, 'kms:Encrypt', ['*']).allowed).toBe(false);
      cli.putUserPolicy(a.Id, 'alice', 'p', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }] }));
      expect(server.authorize(id, 'kms:Encrypt', ['*']).allowed).toBe(true);
      cli.deleteUserPolicy(a.Id, 'alice', 'p');
      expect(server.authorize(id, 'kms:Encrypt', ['*']).allowed).toBe(false);
      cli.updateAccessKey(k.AccessKeyId, 'Inactive');
      expect(server.resolveAccessKey(k.AccessKeyId)).toBeUndefined();
      cli.updateAccessKey(k.AccessKeyId, 'Active');
      expect(server.resolveAccessKey(k.AccessKeyId)).toBeDefined();
      server.deleteAccessKey(k.AccessKeyId);
      expect(server.resolveAccessKey(k.AccessKeyId)).toBeUndefined();
    } finally {
      cli.close();
      server.close();
    }
  });
});

describe('bootstrapIam', () => {
  it('creates the root account once and writes a 0600 shared-credentials file', () => {
    const b = bootstrapIam(dir);
    expect(b.created).toBe(true);
    const path = join(dir, 'aws-credentials');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const text = readFileSync(path, 'utf8');
    expect(text).toMatch(new RegExp(`^\\[default\\]\\naws_access_key_id = ${b.accessKeyId}\\naws_secret_access_key = [A-Za-z0-9+/]{40}\\n$`));
    const again = bootstrapIam(dir);
    expect(again).toMatchObject({ created: false, accountId: b.accountId, accessKeyId: b.accessKeyId });
    expect(readFileSync(path, 'utf8')).toBe(text);
    rmSync(path);
    expect(bootstrapIam(dir).accessKeyId).toBe(b.accessKeyId);
    expect(readFileSync(path, 'utf8')).toBe(text);
  });
});

describe('strongroom iam', () => {
  it('runs the documented flow with AWS IAM shapes', () => {
    const acct = iamCli('create-account', '--account-name', 'tenant-b');
    expect(acct.code).toBe(0);
    const id = acct.json.Account.Id as string;
    expect(iamCli('create-user', '--account-id', id, '--user-name', 'carol').json.User).toMatchObject({ UserName: 'carol', Arn: `arn:aws:iam::${id}:user/carol` });
    const policyFile = join(dir, 'p.json');
    writeFileSync(policyFile, JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'cloudhsm:Describe*', Resource: '*' }] }));
    const put = iamCli('put-user-policy', '--account-id', id, '--user-name', 'carol', '--policy-name', 'read', '--policy-document', `file://${policyFile}`);
    expect(put).toMatchObject({ code: 0, out: '' });
    expect(iamCli('put-user-policy', '--account-id', id, '--user-name', 'carol', '--policy-name', 'inline', '--policy-document', '{"Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}').code).toBe(0);
    expect(iamCli('get-user-policy', '--account-id', id, '--user-name', 'carol', '--policy-name', 'read').json.PolicyDocument.Statement[0].Action).toBe('cloudhsm:Describe*');
    const key = iamCli('create-access-key', '--account-id', id, '--user-name', 'carol').json.AccessKey;
    expect(key).toMatchObject({ UserName: 'carol', Status: 'Active', AccessKeyId: expect.stringMatching(/^AKIA/), SecretAccessKey: expect.any(String), CreateDate: expect.any(String) });
    const rootKey = iamCli('create-access-key', '--account-id', id).json.AccessKey;
    expect(rootKey.UserName).toBeUndefined();
    expect(iamCli('list-users', '--account-id', id).json).toMatchObject({ Users: [{ UserName: 'carol' }], IsTruncated: false });
    const listed = iamCli('list-access-keys', '--account-id', id, '--user-name', 'carol');
    expect(listed.json.AccessKeyMetadata).toEqual([{ UserName: 'carol', AccessKeyId: key.AccessKeyId, Status: 'Active', CreateDate: key.CreateDate }]);
    expect(listed.out).not.toContain(key.SecretAccessKey);
    expect(iamCli('delete-access-key', '--access-key-id', key.AccessKeyId).code).toBe(0);
    expect(iamCli('list-access-keys', '--account-id', id, '--user-name', 'carol').json.AccessKeyMetadata).toEqual([]);
  });

  it('prints IAM errors as {"Error":{Code,Message}} with exit 1', () => {
    iamCli('create-account', '--account-name', 'x');
    const r = iamCli('create-user', '--account-id', '123456789012', '--user-name', 'u');
    expect(r.code).toBe(1);
    expect(r.json.Error.Code).toBe('NoSuchEntity');
    const id = iamCli('list-accounts').json.Accounts[0].Id as string;
    iamCli('create-user', '--account-id', id, '--user-name', 'u');
    const bad = iamCli('put-user-policy', '--account-id', id, '--user-name', 'u', '--policy-name', 'p', '--policy-document', '{"Statement":[{"Effect":"Allow"}]}');
    expect(bad.json.Error.Code).toBe('MalformedPolicyDocument');
    expect(iamCli('create-user', '--account-id', id).json.Error.Code).toBe('ValidationError');
    expect(iamCli('frobnicate').code).toBe(2);
  });

  it('refuses to work on a directory without an IAM store (a mistyped --data-dir)', () => {
    const r = iamCli('list-users', '--account-id', '123456789012', '--data-dir', join(dir, 'nope'));
    expect(r.code).toBe(1);
    expect(r.json.Error.Code).toBe('NoSuchEntity');
  });
});
