// KMS's own state in DIR/kms.sqlite (better-sqlite3, WAL): key metadata and states, aliases, tags,
// grants, custom key stores, and kmsuser passwords sealed (AES-256-GCM under DIR/kms.key, AAD =
// store id). The schema is versioned by PRAGMA user_version, one migration per version. Grant
// tokens are not stored: a token is the grant id with an HMAC under a key derived from kms.key.
// Holds HSM key references, never key material; a key's material lives only in an HSM.

import Database, { type Statement } from 'better-sqlite3';
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type KeyState = 'Enabled' | 'Disabled' | 'PendingDeletion' | 'PendingImport';

export interface KeyVersion {
  /** Material version, as written in ciphertext headers (1, 2, …). */
  v: number;
  /** HSM key reference of the AES or HMAC key (or the private key of a pair). */
  ref: string;
  createdAt: number;
}

export interface KeyRow {
  keyId: string;
  arn: string;
  accountId: string;
  region: string;
  createdAt: number;
  description: string;
  keyUsage: 'ENCRYPT_DECRYPT' | 'SIGN_VERIFY' | 'GENERATE_VERIFY_MAC' | 'KEY_AGREEMENT';
  keySpec: string;
  origin: 'AWS_KMS' | 'AWS_CLOUDHSM';
  customKeyStoreId?: string;
  state: KeyState;
  deletionDate?: number;
  pendingWindowDays?: number;
  rotation?: { periodDays: number; next: number };
  lastRotation?: number;
  versions: KeyVersion[];
  /** Asymmetric keys: the public half's reference and its SPKI (DER, base64). */
  publicRef?: string;
  publicKey?: string;
  policy: string;
}

export type ConnectionState = 'CONNECTED' | 'CONNECTING' | 'DISCONNECTED' | 'DISCONNECTING' | 'FAILED';

export interface StoreRow {
  id: string;
  accountId: string;
  name: string;
  clusterId: string;
  trustAnchor: string;
  createdAt: number;
  /** What the caller asked for: connected or not (survives a restart). */
  wantConnected: boolean;
  connectionState: ConnectionState;
  connectionErrorCode?: string;
}

export interface AliasRow { name: string; accountId: string; keyId: string; createdAt: number; updatedAt: number }

export interface GrantConstraintsRow {
  EncryptionContextSubset?: Record<string, string>;
  EncryptionContextEquals?: Record<string, string>;
}

export interface GrantRow {
  /** 64 hex digits. */
  grantId: string;
  keyId: string;
  accountId: string;
  name?: string;
  granteePrincipal: string;
  retiringPrincipal?: string;
  /** The principal that created it. */
  issuer: string;
  operations: string[];
  constraints?: GrantConstraintsRow;
  createdAt: number;
}

/** Schema versions: index n holds the step from user_version n to n + 1. */
const MIGRATIONS: readonly string[] = [
  // 1: the tables of the first release (IF NOT EXISTS: databases made before versioning have them).
  `CREATE TABLE IF NOT EXISTS keys (id TEXT PRIMARY KEY, account TEXT NOT NULL, doc TEXT NOT NULL);
   CREATE TABLE IF NOT EXISTS aliases (account TEXT NOT NULL, name TEXT NOT NULL, key_id TEXT NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL, PRIMARY KEY (account, name));
   CREATE TABLE IF NOT EXISTS tags (key_id TEXT NOT NULL, k TEXT NOT NULL, v TEXT NOT NULL, PRIMARY KEY (key_id, k));
   CREATE TABLE IF NOT EXISTS stores (id TEXT PRIMARY KEY, account TEXT NOT NULL, doc TEXT NOT NULL);
   CREATE TABLE IF NOT EXISTS secrets (id TEXT PRIMARY KEY, sealed BLOB NOT NULL);`,
  // 2: grants.
  `CREATE TABLE grants (id TEXT PRIMARY KEY, key_id TEXT NOT NULL, account TEXT NOT NULL, grantee TEXT NOT NULL, retiring TEXT, doc TEXT NOT NULL);
   CREATE INDEX grants_by_key ON grants (key_id, grantee COLLATE NOCASE);
   CREATE INDEX grants_by_retiring ON grants (account, retiring COLLATE NOCASE);`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

const TOKEN_VERSION = 1;

export class KmsDb {
  private readonly db: Database.Database;
  private readonly sealKey: Buffer;

  constructor(path: string, keyPath: string) {
    if (!existsSync(keyPath)) {
      const fd = openSync(keyPath, 'wx', 0o600);
      writeSync(fd, randomBytes(32).toString('hex'));
      closeSync(fd);
    }
    this.sealKey = Buffer.from(readFileSync(keyPath, 'utf8').trim(), 'hex');
    if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.migrate();
    this.tokenKey = createHmac('sha256', this.sealKey).update('strongroom kms grant token').digest();
  }

  private readonly tokenKey: Buffer;

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      this.db.close();
      throw new Error(`kms.sqlite has schema version ${version}; this Strongroom knows up to ${MIGRATIONS.length}`);
    }
    this.db.transaction(() => {
      for (let v = version; v < MIGRATIONS.length; v++) {
        this.db.exec(MIGRATIONS[v]!);
        this.db.pragma(`user_version = ${v + 1}`);
      }
    })();
  }

  close(): void {
    this.db.close();
  }

  private readonly statements = new Map<string, Statement>();
  private readonly keyCache = new Map<string, KeyRow>();

  /** A prepared statement, prepared once (the request path looks keys up several times per call). */
  private q(sql: string): Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  // --- keys
  putKey(k: KeyRow): void {
    this.keyCache.delete(k.keyId);
    this.q('INSERT INTO keys(id, account, doc) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET doc = excluded.doc').run(k.keyId, k.accountId, JSON.stringify(k));
  }
  /**
   * A key's row. Rows are cached (frozen: changes go through putKey / updateKey, which drop the
   * cached copy); this process is kms.sqlite's only writer, so the cache is never stale.
   */
  key(id: string): KeyRow | undefined {
    const hit = this.keyCache.get(id);
    if (hit) return hit;
    const r = this.q('SELECT doc FROM keys WHERE id = ?').get(id) as { doc: string } | undefined;
    if (!r) return undefined;
    const k = deepFreeze(JSON.parse(r.doc) as KeyRow);
    if (this.keyCache.size >= 10_000) this.keyCache.clear();
    this.keyCache.set(id, k);
    return k;
  }
  keys(accountId?: string): KeyRow[] {
    const rows = (accountId === undefined
      ? this.q('SELECT doc FROM keys ORDER BY rowid').all()
      : this.q('SELECT doc FROM keys WHERE account = ? ORDER BY rowid').all(accountId)) as Array<{ doc: string }>;
    return rows.map((r) => JSON.parse(r.doc) as KeyRow);
  }
  updateKey(id: string, patch: (k: KeyRow) => KeyRow): KeyRow {
    return this.db.transaction(() => {
      const k = this.key(id);
      if (!k) throw new Error(`no key ${id}`);
      const next = patch(k);
      this.putKey(next);
      return next;
    })();
  }
  deleteKey(id: string): void {
    this.keyCache.delete(id);
    this.db.transaction(() => {
      this.q('DELETE FROM keys WHERE id = ?').run(id);
      this.q('DELETE FROM aliases WHERE key_id = ?').run(id);
      this.q('DELETE FROM tags WHERE key_id = ?').run(id);
      this.q('DELETE FROM grants WHERE key_id = ?').run(id);
    })();
  }

  // --- grants
  putGrant(g: GrantRow): void {
    this.q('INSERT INTO grants(id, key_id, account, grantee, retiring, doc) VALUES (?, ?, ?, ?, ?, ?)')
      .run(g.grantId, g.keyId, g.accountId, g.granteePrincipal, g.retiringPrincipal ?? null, JSON.stringify(g));
  }
  grant(id: string): GrantRow | undefined {
    const r = this.q('SELECT doc FROM grants WHERE id = ?').get(id) as { doc: string } | undefined;
    return r ? (JSON.parse(r.doc) as GrantRow) : undefined;
  }
  /** A key's grants, oldest first; only those of one grantee if given (ARNs compared case-insensitively, as IAM user names are). */
  grants(keyId: string, grantee?: string): GrantRow[] {
    const rows = (grantee === undefined
      ? this.q('SELECT doc FROM grants WHERE key_id = ? ORDER BY rowid').all(keyId)
      : this.q('SELECT doc FROM grants WHERE key_id = ? AND grantee = ? COLLATE NOCASE ORDER BY rowid').all(keyId, grantee)) as Array<{ doc: string }>;
    return rows.map((r) => JSON.parse(r.doc) as GrantRow);
  }
  /** How many grants a key has (without reading them). */
  grantCount(keyId: string): number {
    return (this.q('SELECT COUNT(*) AS n FROM grants WHERE key_id = ?').get(keyId) as { n: number }).n;
  }
  retirableGrants(accountId: string, retiring: string): GrantRow[] {
    return (this.q('SELECT doc FROM grants WHERE account = ? AND retiring = ? COLLATE NOCASE ORDER BY rowid').all(accountId, retiring) as Array<{ doc: string }>)
      .map((r) => JSON.parse(r.doc) as GrantRow);
  }
  deleteGrant(id: string): void {
    this.q('DELETE FROM grants WHERE id = ?').run(id);
  }
  /** The grant token of a grant: version byte, grant id, HMAC of both (base64url). */
  grantToken(grantId: string): string {
    const body = Buffer.concat([Buffer.from([TOKEN_VERSION]), Buffer.from(grantId, 'hex')]);
    return Buffer.concat([body, createHmac('sha256', this.tokenKey).update(body).digest()]).toString('base64url');
  }
  /** The grant id a token names, if this KMS issued it. */
  grantIdOfToken(token: string): string | undefined {
    if (!/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
    const b = Buffer.from(token, 'base64url');
    if (b.length !== 1 + 32 + 32 || b[0] !== TOKEN_VERSION) return undefined;
    const mac = createHmac('sha256', this.tokenKey).update(b.subarray(0, 33)).digest();
    return timingSafeEqual(mac, b.subarray(33)) ? b.subarray(1, 33).toString('hex') : undefined;
  }

  // --- aliases
  alias(accountId: string, name: string): AliasRow | undefined {
    const r = this.q('SELECT * FROM aliases WHERE account = ? AND name = ?').get(accountId, name) as { account: string; name: string; key_id: string; created: number; updated: number } | undefined;
    return r ? { name: r.name, accountId: r.account, keyId: r.key_id, createdAt: r.created, updatedAt: r.updated } : undefined;
  }
  aliases(accountId: string): AliasRow[] {
    return (this.q('SELECT * FROM aliases WHERE account = ? ORDER BY name').all(accountId) as Array<{ account: string; name: string; key_id: string; created: number; updated: number }>)
      .map((r) => ({ name: r.name, accountId: r.account, keyId: r.key_id, createdAt: r.created, updatedAt: r.updated }));
  }
  putAlias(a: AliasRow): void {
    this.q('INSERT INTO aliases(account, name, key_id, created, updated) VALUES (?, ?, ?, ?, ?) ON CONFLICT(account, name) DO UPDATE SET key_id = excluded.key_id, updated = excluded.updated')
      .run(a.accountId, a.name, a.keyId, a.createdAt, a.updatedAt);
  }
  deleteAlias(accountId: string, name: string): void {
    this.q('DELETE FROM aliases WHERE account = ? AND name = ?').run(accountId, name);
  }

  // --- tags
  tags(keyId: string): Array<{ TagKey: string; TagValue: string }> {
    return (this.q('SELECT k, v FROM tags WHERE key_id = ? ORDER BY k').all(keyId) as Array<{ k: string; v: string }>).map((t) => ({ TagKey: t.k, TagValue: t.v }));
  }
  setTags(keyId: string, tags: Array<{ TagKey: string; TagValue: string }>): void {
    const st = this.q('INSERT INTO tags(key_id, k, v) VALUES (?, ?, ?) ON CONFLICT(key_id, k) DO UPDATE SET v = excluded.v');
    this.db.transaction(() => tags.forEach((t) => st.run(keyId, t.TagKey, t.TagValue)))();
  }
  removeTags(keyId: string, keys: string[]): void {
    const st = this.q('DELETE FROM tags WHERE key_id = ? AND k = ?');
    this.db.transaction(() => keys.forEach((k) => st.run(keyId, k)))();
  }

  // --- custom key stores
  putStore(s: StoreRow): void {
    this.q('INSERT INTO stores(id, account, doc) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET doc = excluded.doc').run(s.id, s.accountId, JSON.stringify(s));
  }
  store(id: string): StoreRow | undefined {
    const r = this.q('SELECT doc FROM stores WHERE id = ?').get(id) as { doc: string } | undefined;
    return r ? (JSON.parse(r.doc) as StoreRow) : undefined;
  }
  stores(accountId?: string): StoreRow[] {
    const rows = (accountId === undefined
      ? this.q('SELECT doc FROM stores ORDER BY rowid').all()
      : this.q('SELECT doc FROM stores WHERE account = ? ORDER BY rowid').all(accountId)) as Array<{ doc: string }>;
    return rows.map((r) => JSON.parse(r.doc) as StoreRow);
  }
  updateStore(id: string, patch: Partial<StoreRow>): StoreRow {
    const s = this.store(id);
    if (!s) throw new Error(`no store ${id}`);
    const next: StoreRow = { ...s, ...patch };
    if (patch.connectionState && patch.connectionState !== 'FAILED' && !('connectionErrorCode' in patch)) delete next.connectionErrorCode;
    this.putStore(next);
    return next;
  }
  deleteStore(id: string): void {
    this.q('DELETE FROM stores WHERE id = ?').run(id);
    this.q('DELETE FROM secrets WHERE id LIKE ?').run(`${id}:%`);
  }

  // --- sealed secrets (kmsuser passwords)
  putSecret(id: string, value: string): void {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.sealKey, iv);
    c.setAAD(Buffer.from(id, 'utf8'));
    const sealed = Buffer.concat([Buffer.from([1]), iv, c.update(value, 'utf8'), c.final(), c.getAuthTag()]);
    this.q('INSERT INTO secrets(id, sealed) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET sealed = excluded.sealed').run(id, sealed);
  }
  secret(id: string): string | undefined {
    const r = this.q('SELECT sealed FROM secrets WHERE id = ?').get(id) as { sealed: Buffer } | undefined;
    if (!r) return undefined;
    const b = r.sealed;
    if (b[0] !== 1) throw new Error(`sealed secret ${id} has an unknown format version`);
    const d = createDecipheriv('aes-256-gcm', this.sealKey, b.subarray(1, 13));
    d.setAAD(Buffer.from(id, 'utf8'));
    d.setAuthTag(b.subarray(b.length - 16));
    return Buffer.concat([d.update(b.subarray(13, b.length - 16)), d.final()]).toString('utf8');
  }
  deleteSecret(id: string): void {
    this.q('DELETE FROM secrets WHERE id = ?').run(id);
  }
}

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
