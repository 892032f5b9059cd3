// KMS's own state in DIR/kms.sqlite (better-sqlite3, WAL): key metadata and states, aliases, tags,
// custom key stores, and kmsuser passwords sealed (AES-256-GCM under DIR/kms.key, AAD = store id).
// Holds HSM key references, never key material; a key's material lives only in an HSM.

import Database, { type Statement } from 'better-sqlite3';
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

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
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS keys (id TEXT PRIMARY KEY, account TEXT NOT NULL, doc TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS aliases (account TEXT NOT NULL, name TEXT NOT NULL, key_id TEXT NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL, PRIMARY KEY (account, name));
      CREATE TABLE IF NOT EXISTS tags (key_id TEXT NOT NULL, k TEXT NOT NULL, v TEXT NOT NULL, PRIMARY KEY (key_id, k));
      CREATE TABLE IF NOT EXISTS stores (id TEXT PRIMARY KEY, account TEXT NOT NULL, doc TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS secrets (id TEXT PRIMARY KEY, sealed BLOB NOT NULL);
    `);
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
    })();
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
