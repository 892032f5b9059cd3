// IamStore: accounts, IAM users, access keys and inline user policies in DIR/iam.sqlite
// (better-sqlite3, WAL; every change is one transaction, so the CLI and a running server can share
// the file). Secret access keys are kept sealed (AES-256-GCM under DIR/iam.key, associated data =
// the access key id) because SigV4 needs them back; both files are 0600. Implements the
// authority the AWS front ends ask (resolveAccessKey, authorize). Never logs a secret; the only
// place a secret leaves this module is createAccessKey's result and resolveAccessKey's.
//
// The request path (resolveAccessKey, authorize) answers from memory: resolved keys (secret
// unsealed once) and policy decisions are cached until the database changes. A change is noticed
// by a cheap check per call: PRAGMA data_version (moves when another connection, e.g. the iam CLI
// in another process, commits) and total_changes() (moves when this connection writes). So a key
// made inactive or a policy edited elsewhere takes effect on the very next request.

import Database, { type Statement } from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createCipheriv, createDecipheriv, randomBytes, randomInt } from 'node:crypto';
import { join } from 'node:path';
import type { AwsAuthority, AwsAuthorization, AwsIdentity } from '../../aws/server.js';
import { evaluateAll, parsePolicyDocument, type PolicyDocument } from './policy.js';

export class IamError extends Error {
  constructor(
    /** AWS IAM's error code: NoSuchEntity, EntityAlreadyExists, LimitExceeded, MalformedPolicyDocument, ValidationError. */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'IamError';
  }
}

export interface Account {
  Id: string;
  Arn: string;
  Name: string;
  Status: 'ACTIVE';
  JoinedTimestamp: string;
}

export interface IamUser {
  Path: '/';
  UserName: string;
  UserId: string;
  Arn: string;
  CreateDate: string;
}

export interface AccessKeyMetadata {
  UserName?: string;
  AccessKeyId: string;
  Status: 'Active' | 'Inactive';
  CreateDate: string;
}

export interface AccessKey extends AccessKeyMetadata {
  SecretAccessKey: string;
}

/** IAM allows two access keys per user (and per root). */
export const MAX_KEYS_PER_PRINCIPAL = 2;

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function randomFrom(alphabet: string, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[randomInt(alphabet.length)];
  return s;
}

const SEAL_VERSION = 1;

interface AccountRow { account_id: string; name: string; created_at: string }
interface UserRow { account_id: string; user_name: string; user_id: string; created_at: string }
interface KeyRow { access_key_id: string; account_id: string; user_name: string | null; sealed: Buffer; status: 'Active' | 'Inactive'; created_at: string }

export class IamStore implements AwsAuthority {
  private readonly db: Database.Database;
  private readonly sealKey: Buffer;
  private readonly policyCache = new Map<string, PolicyDocument>();
  private readonly statements = new Map<string, Statement>();
  /** Database generation the caches below were filled at: [data_version, total_changes()]. */
  private cachedAt: [number, number] = [-1, -1];
  private readonly keyCache = new Map<string, { secretAccessKey: string; identity: AwsIdentity }>();
  private readonly decisionCache = new Map<string, AwsAuthorization>();

  private constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.sealKey = IamStore.loadOrCreateKey(join(dir, 'iam.key'));
    const path = join(dir, 'iam.sqlite');
    if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
    chmodSync(path, 0o600);
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS accounts (account_id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE, created_at TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS users (account_id TEXT NOT NULL REFERENCES accounts(account_id), user_name TEXT NOT NULL COLLATE NOCASE,
        user_id TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, PRIMARY KEY (account_id, user_name));
      CREATE TABLE IF NOT EXISTS access_keys (access_key_id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts(account_id),
        user_name TEXT COLLATE NOCASE, sealed BLOB NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS user_policies (account_id TEXT NOT NULL, user_name TEXT NOT NULL COLLATE NOCASE, policy_name TEXT NOT NULL,
        document TEXT NOT NULL, PRIMARY KEY (account_id, user_name, policy_name));
    `);
  }

  /** A prepared statement, prepared once per connection. */
  private q(sql: string): Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  /** Empties the request-path caches if the database changed since they were filled. */
  private checkFresh(): void {
    const dv = this.q('PRAGMA data_version').pluck().get() as number;
    const tc = this.q('SELECT total_changes()').pluck().get() as number;
    if (dv !== this.cachedAt[0] || tc !== this.cachedAt[1]) {
      this.keyCache.clear();
      this.decisionCache.clear();
      this.cachedAt = [dv, tc];
    }
  }

  /** Opens (creating if needed) the IAM store of a data directory. */
  static open(dir: string): IamStore {
    return new IamStore(dir);
  }

  close(): void {
    this.db.close();
  }

  private static loadOrCreateKey(path: string): Buffer {
    if (!existsSync(path)) {
      try {
        const fd = openSync(path, 'wx', 0o600);
        writeSync(fd, randomBytes(32));
        closeSync(fd);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
    const key = readFileSync(path);
    if (key.length !== 32) throw new Error(`${path} is not a 32-byte key; the IAM store cannot be opened`);
    return key;
  }

  private seal(accessKeyId: string, secret: string): Buffer {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.sealKey, iv);
    c.setAAD(Buffer.from(`strongroom-iam-secret|${SEAL_VERSION}|${accessKeyId}`));
    const ct = Buffer.concat([c.update(secret, 'utf8'), c.final()]);
    return Buffer.concat([Buffer.from([SEAL_VERSION]), iv, ct, c.getAuthTag()]);
  }

  private unseal(accessKeyId: string, sealed: Buffer): string {
    if (sealed[0] !== SEAL_VERSION || sealed.length < 1 + 12 + 16) throw new Error(`sealed secret of ${accessKeyId} has an unknown format`);
    const d = createDecipheriv('aes-256-gcm', this.sealKey, sealed.subarray(1, 13));
    d.setAAD(Buffer.from(`strongroom-iam-secret|${SEAL_VERSION}|${accessKeyId}`));
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    return Buffer.concat([d.update(sealed.subarray(13, sealed.length - 16)), d.final()]).toString('utf8');
  }

  // ---- accounts

  private accountRow(accountId: string): AccountRow {
    const row = this.q('SELECT * FROM accounts WHERE account_id = ?').get(accountId) as AccountRow | undefined;
    if (!row) throw new IamError('NoSuchEntity', `The account with id ${accountId} cannot be found.`);
    return row;
  }

  private static account(r: AccountRow): Account {
    return { Id: r.account_id, Arn: `arn:aws:iam::${r.account_id}:root`, Name: r.name, Status: 'ACTIVE', JoinedTimestamp: r.created_at };
  }

  createAccount(name: string, accountId?: string): Account {
    if (!/^[\w+=,.@ -]{1,50}$/.test(name)) throw new IamError('ValidationError', 'The account name must be 1 to 50 characters of letters, digits and +=,.@_- or space.');
    if (accountId !== undefined && !/^\d{12}$/.test(accountId)) throw new IamError('ValidationError', 'An account id is 12 digits.');
    const created = new Date().toISOString();
    return this.db.transaction(() => {
      if (this.q('SELECT 1 FROM accounts WHERE name = ?').get(name)) throw new IamError('EntityAlreadyExists', `An account named ${name} already exists.`);
      let id = accountId;
      while (id === undefined || this.q('SELECT 1 FROM accounts WHERE account_id = ?').get(id)) {
        if (accountId !== undefined) throw new IamError('EntityAlreadyExists', `Account ${accountId} already exists.`);
        id = String(randomInt(1e11, 1e12 - 1)).padStart(12, '0');
      }
      this.q('INSERT INTO accounts (account_id, name, created_at) VALUES (?, ?, ?)').run(id, name, created);
      return IamStore.account({ account_id: id, name, created_at: created });
    }).immediate();
  }

  getAccount(accountId: string): Account {
    return IamStore.account(this.accountRow(accountId));
  }

  listAccounts(): Account[] {
    return (this.q('SELECT * FROM accounts ORDER BY created_at, account_id').all() as AccountRow[]).map(IamStore.account);
  }

  // ---- users

  private static user(r: UserRow): IamUser {
    return { Path: '/', UserName: r.user_name, UserId: r.user_id, Arn: `arn:aws:iam::${r.account_id}:user/${r.user_name}`, CreateDate: r.created_at };
  }

  private userRow(accountId: string, userName: string): UserRow {
    const row = this.q('SELECT * FROM users WHERE account_id = ? AND user_name = ?').get(accountId, userName) as UserRow | undefined;
    if (!row) throw new IamError('NoSuchEntity', `The user with name ${userName} cannot be found.`);
    return row;
  }

  createUser(accountId: string, userName: string): IamUser {
    if (!/^[\w+=,.@-]{1,64}$/.test(userName)) throw new IamError('ValidationError', 'The user name must be 1 to 64 characters of letters, digits and +=,.@_-.');
    const created = new Date().toISOString();
    return this.db.transaction(() => {
      this.accountRow(accountId);
      if (this.q('SELECT 1 FROM users WHERE account_id = ? AND user_name = ?').get(accountId, userName)) {
        throw new IamError('EntityAlreadyExists', `User with name ${userName} already exists.`);
      }
      const row: UserRow = { account_id: accountId, user_name: userName, user_id: 'AIDA' + randomFrom(B32, 17), created_at: created };
      this.q('INSERT INTO users (account_id, user_name, user_id, created_at) VALUES (?, ?, ?, ?)').run(row.account_id, row.user_name, row.user_id, row.created_at);
      return IamStore.user(row);
    }).immediate();
  }

  getUser(accountId: string, userName: string): IamUser {
    return IamStore.user(this.userRow(accountId, userName));
  }

  /** Whether `arn:aws:iam::<acct>:root` or `arn:aws:iam::<acct>:user/<name>` names an existing account or user. */
  principalExists(arn: string): boolean {
    const m = /^arn:aws:iam::(\d{12}):(?:(root)|user\/(.+))$/.exec(arn);
    if (!m) return false;
    const row = m[2] ? this.q('SELECT 1 FROM accounts WHERE account_id = ?').get(m[1]) : this.q('SELECT 1 FROM users WHERE account_id = ? AND user_name = ?').get(m[1], m[3]);
    return row !== undefined;
  }

  listUsers(accountId: string): IamUser[] {
    this.accountRow(accountId);
    return (this.q('SELECT * FROM users WHERE account_id = ? ORDER BY user_name').all(accountId) as UserRow[]).map(IamStore.user);
  }

  /** Deletes a user that has no access keys and no policies left (as IAM's DeleteConflict demands). */
  deleteUser(accountId: string, userName: string): void {
    this.db.transaction(() => {
      this.userRow(accountId, userName);
      if (this.q('SELECT 1 FROM access_keys WHERE account_id = ? AND user_name = ?').get(accountId, userName)) {
        throw new IamError('DeleteConflict', 'Cannot delete entity, must delete access keys first.');
      }
      if (this.q('SELECT 1 FROM user_policies WHERE account_id = ? AND user_name = ?').get(accountId, userName)) {
        throw new IamError('DeleteConflict', 'Cannot delete entity, must delete policies first.');
      }
      this.q('DELETE FROM users WHERE account_id = ? AND user_name = ?').run(accountId, userName);
    }).immediate();
  }

  // ---- inline policies

  putUserPolicy(accountId: string, userName: string, policyName: string, document: string): void {
    if (!/^[\w+=,.@-]{1,128}$/.test(policyName)) throw new IamError('ValidationError', 'The policy name must be 1 to 128 characters of letters, digits and +=,.@_-.');
    try {
      parsePolicyDocument(document);
    } catch (e) {
      throw new IamError('MalformedPolicyDocument', (e as Error).message);
    }
    this.db.transaction(() => {
      this.userRow(accountId, userName);
      this.q('INSERT INTO user_policies (account_id, user_name, policy_name, document) VALUES (?, ?, ?, ?) ON CONFLICT (account_id, user_name, policy_name) DO UPDATE SET document = excluded.document')
        .run(accountId, userName, policyName, document);
    }).immediate();
  }

  getUserPolicy(accountId: string, userName: string, policyName: string): { UserName: string; PolicyName: string; PolicyDocument: string } {
    const row = this.q('SELECT document FROM user_policies WHERE account_id = ? AND user_name = ? AND policy_name = ?').get(accountId, userName, policyName) as { document: string } | undefined;
    if (!row) throw new IamError('NoSuchEntity', `The user policy with name ${policyName} cannot be found.`);
    return { UserName: userName, PolicyName: policyName, PolicyDocument: row.document };
  }

  listUserPolicies(accountId: string, userName: string): string[] {
    this.userRow(accountId, userName);
    return (this.q('SELECT policy_name FROM user_policies WHERE account_id = ? AND user_name = ? ORDER BY policy_name').all(accountId, userName) as Array<{ policy_name: string }>).map((r) => r.policy_name);
  }

  deleteUserPolicy(accountId: string, userName: string, policyName: string): void {
    const r = this.q('DELETE FROM user_policies WHERE account_id = ? AND user_name = ? AND policy_name = ?').run(accountId, userName, policyName);
    if (r.changes === 0) throw new IamError('NoSuchEntity', `The user policy with name ${policyName} cannot be found.`);
  }

  private policiesOf(accountId: string, userName: string): PolicyDocument[] {
    const rows = this.q('SELECT document FROM user_policies WHERE account_id = ? AND user_name = ?').all(accountId, userName) as Array<{ document: string }>;
    return rows.map((r) => {
      let p = this.policyCache.get(r.document);
      if (!p) {
        p = parsePolicyDocument(r.document);
        if (this.policyCache.size > 1000) this.policyCache.clear();
        this.policyCache.set(r.document, p);
      }
      return p;
    });
  }

  // ---- access keys

  /** A new access key for the account's root (no userName) or one of its users; the only time the secret is shown. */
  createAccessKey(accountId: string, userName?: string): AccessKey {
    const created = new Date().toISOString();
    return this.db.transaction(() => {
      this.accountRow(accountId);
      if (userName !== undefined) userName = this.userRow(accountId, userName).user_name;
      const count = (userName === undefined
        ? this.q('SELECT COUNT(*) AS n FROM access_keys WHERE account_id = ? AND user_name IS NULL').get(accountId)
        : this.q('SELECT COUNT(*) AS n FROM access_keys WHERE account_id = ? AND user_name = ?').get(accountId, userName)) as { n: number };
      if (count.n >= MAX_KEYS_PER_PRINCIPAL) throw new IamError('LimitExceeded', `Cannot exceed quota for AccessKeysPerUser: ${MAX_KEYS_PER_PRINCIPAL}`);
      let id: string;
      do id = 'AKIA' + randomFrom(B32, 16);
      while (this.q('SELECT 1 FROM access_keys WHERE access_key_id = ?').get(id));
      const secret = randomFrom(SECRET_ALPHABET, 40);
      this.q('INSERT INTO access_keys (access_key_id, account_id, user_name, sealed, status, created_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(id, accountId, userName ?? null, this.seal(id, secret), 'Active', created);
      return { ...(userName !== undefined ? { UserName: userName } : {}), AccessKeyId: id, Status: 'Active' as const, SecretAccessKey: secret, CreateDate: created };
    }).immediate();
  }

  listAccessKeys(accountId: string, userName?: string): AccessKeyMetadata[] {
    this.accountRow(accountId);
    const rows = (userName === undefined
      ? this.q('SELECT * FROM access_keys WHERE account_id = ? AND user_name IS NULL ORDER BY created_at').all(accountId)
      : this.q('SELECT * FROM access_keys WHERE account_id = ? AND user_name = ? ORDER BY created_at').all(accountId, userName)) as KeyRow[];
    return rows.map((r) => ({ ...(r.user_name !== null ? { UserName: r.user_name } : {}), AccessKeyId: r.access_key_id, Status: r.status, CreateDate: r.created_at }));
  }

  updateAccessKey(accessKeyId: string, status: 'Active' | 'Inactive'): void {
    const r = this.q('UPDATE access_keys SET status = ? WHERE access_key_id = ?').run(status, accessKeyId);
    if (r.changes === 0) throw new IamError('NoSuchEntity', `The Access Key with id ${accessKeyId} cannot be found.`);
  }

  deleteAccessKey(accessKeyId: string): void {
    const r = this.q('DELETE FROM access_keys WHERE access_key_id = ?').run(accessKeyId);
    if (r.changes === 0) throw new IamError('NoSuchEntity', `The Access Key with id ${accessKeyId} cannot be found.`);
  }

  /** The secret of a root access key, to rewrite a lost credentials file (bootstrap only). */
  revealSecret(accessKeyId: string): string | undefined {
    const row = this.q('SELECT * FROM access_keys WHERE access_key_id = ?').get(accessKeyId) as KeyRow | undefined;
    return row ? this.unseal(row.access_key_id, row.sealed) : undefined;
  }

  // ---- the authority the AWS front ends use

  identityOf(accountId: string, userName: string | null, accessKeyId: string): AwsIdentity {
    if (userName === null) {
      const acct = this.accountRow(accountId);
      return { type: 'Root', accountId, arn: `arn:aws:iam::${accountId}:root`, userName: acct.name, principalId: accountId, accessKeyId };
    }
    const u = this.userRow(accountId, userName);
    return { type: 'IAMUser', accountId, arn: `arn:aws:iam::${accountId}:user/${u.user_name}`, userName: u.user_name, principalId: u.user_id, accessKeyId };
  }

  resolveAccessKey(accessKeyId: string): { secretAccessKey: string; identity: AwsIdentity } | undefined {
    if (!/^AKIA[A-Z2-7]{16}$/.test(accessKeyId)) return undefined;
    this.checkFresh();
    const hit = this.keyCache.get(accessKeyId);
    if (hit) return hit;
    const row = this.q('SELECT * FROM access_keys WHERE access_key_id = ?').get(accessKeyId) as KeyRow | undefined;
    if (!row || row.status !== 'Active') return undefined;
    const r = { secretAccessKey: this.unseal(row.access_key_id, row.sealed), identity: Object.freeze(this.identityOf(row.account_id, row.user_name, row.access_key_id)) };
    if (this.keyCache.size >= 10_000) this.keyCache.clear();
    this.keyCache.set(accessKeyId, r);
    return r;
  }

  /**
   * Root is allowed every action (which resources belong to its account is the operations' job:
   * they only ever look up the caller's own resources). IAM users: their inline policies.
   */
  authorize(identity: AwsIdentity, action: string, resources: string[]): AwsAuthorization {
    if (identity.type === 'Root') return { allowed: true };
    this.checkFresh();
    const key = `${identity.accountId}\n${identity.userName}\n${action}\n${resources.join('\n')}`;
    const hit = this.decisionCache.get(key);
    if (hit) return hit;
    const r = evaluateAll(this.policiesOf(identity.accountId, identity.userName), action, resources);
    const d: AwsAuthorization = r.decision === 'Allow' ? { allowed: true } : { allowed: false, explicitDeny: r.decision === 'ExplicitDeny', resource: r.resource };
    if (this.decisionCache.size >= 10_000) this.decisionCache.clear();
    this.decisionCache.set(key, Object.freeze(d));
    return d;
  }
}
