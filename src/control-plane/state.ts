// The control plane's own state in DIR/control-plane.sqlite (better-sqlite3): clusters, HSMs,
// backups (metadata; the encrypted files live in per-region backup directories), tags and the
// resource policies that share backups with other accounts.
// Rows hold JSON documents keyed by id with the owning account beside them for tenancy.
// Must never hold key material, users' passwords or the fleet backup secret.

import Database from 'better-sqlite3';

export type ClusterState =
  | 'CREATE_IN_PROGRESS' | 'UNINITIALIZED' | 'INITIALIZE_IN_PROGRESS' | 'INITIALIZED' | 'ACTIVE'
  | 'UPDATE_IN_PROGRESS' | 'DELETE_IN_PROGRESS' | 'DELETED' | 'DEGRADED';
export type HsmState = 'CREATE_IN_PROGRESS' | 'ACTIVE' | 'DEGRADED' | 'DELETE_IN_PROGRESS' | 'DELETED';
export type BackupState = 'CREATE_IN_PROGRESS' | 'READY' | 'DELETED' | 'PENDING_DELETION';
/** Fixed at creation; a backup restores only into a cluster of the same mode. */
export type ClusterMode = 'FIPS' | 'NON_FIPS';
export type NetworkType = 'IPV4' | 'DUALSTACK';

/** Rows written before Mode existed: hsm1.medium is FIPS only, hsm2m.medium defaulted to NON_FIPS. */
export function modeOf(row: { hsmType: string; mode?: ClusterMode }): ClusterMode {
  return row.mode ?? (row.hsmType === 'hsm1.medium' ? 'FIPS' : 'NON_FIPS');
}

export interface ClusterRow {
  clusterId: string;
  accountId: string;
  region: string;
  /** Which loopback /16 its HSMs use (127.<base>.z.h). */
  subnetOctet: number;
  hsmType: string;
  state: ClusterState;
  stateMessage?: string;
  createTimestamp: number;
  subnetMapping: Record<string, string>;
  vpcId: string;
  retentionDays: number;
  /** Absent in rows written before Mode and NetworkType existed (see modeOf; IPV4). */
  mode?: ClusterMode;
  networkType?: NetworkType;
  sourceBackupId?: string;
  csr?: string;
  hsmCertificate?: string;
  manufacturerCertificate?: string;
  clusterCertificate?: string;
  trustAnchor?: string;
  /** Set once the HSMs report the cluster ACTIVE; the activation backup is taken then. */
  activatedAt?: number;
  lastBackupAt?: number;
}

export interface HsmRow {
  hsmId: string;
  clusterId: string;
  availabilityZone: string;
  subnetId: string;
  eniId: string;
  eniIp: string;
  port: number;
  state: HsmState;
  stateMessage?: string;
}

export interface BackupRow {
  backupId: string;
  accountId: string;
  region: string;
  clusterId: string;
  hsmType: string;
  /** The source cluster's mode (absent in older rows: modeOf). */
  mode?: ClusterMode;
  state: BackupState;
  createTimestamp: number;
  copyTimestamp?: number;
  deleteTimestamp?: number;
  neverExpires: boolean;
  sourceRegion?: string;
  sourceBackup?: string;
  sourceCluster?: string;
  /** The source cluster's certificate and trust anchor: a restored cluster serves the same. */
  clusterCertificate?: string;
  trustAnchor?: string;
  clusterState?: string;
}

export class ControlPlaneState {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS clusters (id TEXT PRIMARY KEY, account TEXT NOT NULL, doc TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS hsms (id TEXT PRIMARY KEY, cluster TEXT NOT NULL, doc TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS backups (id TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, doc TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS tags (resource TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (resource, key));
      CREATE TABLE IF NOT EXISTS resource_policies (resource TEXT PRIMARY KEY, account TEXT NOT NULL, policy TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    `);
  }

  close(): void {
    this.db.close();
  }

  /** The next value of a named counter (subnet octets for new clusters). */
  next(name: string, start: number): number {
    return this.db.transaction(() => {
      const r = this.db.prepare('SELECT value FROM counters WHERE name = ?').get(name) as { value: number } | undefined;
      const v = r ? r.value + 1 : start;
      this.db.prepare('INSERT INTO counters(name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value').run(name, v);
      return v;
    })();
  }

  putCluster(c: ClusterRow): void {
    this.db.prepare('INSERT INTO clusters(id, account, doc) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET doc = excluded.doc').run(c.clusterId, c.accountId, JSON.stringify(c));
  }

  cluster(id: string): ClusterRow | undefined {
    const r = this.db.prepare('SELECT doc FROM clusters WHERE id = ?').get(id) as { doc: string } | undefined;
    return r ? (JSON.parse(r.doc) as ClusterRow) : undefined;
  }

  clusters(accountId?: string): ClusterRow[] {
    const rows = (accountId === undefined
      ? this.db.prepare('SELECT doc FROM clusters ORDER BY rowid').all()
      : this.db.prepare('SELECT doc FROM clusters WHERE account = ? ORDER BY rowid').all(accountId)) as Array<{ doc: string }>;
    return rows.map((r) => JSON.parse(r.doc) as ClusterRow);
  }

  updateCluster(id: string, patch: Partial<ClusterRow>): ClusterRow {
    const c = this.cluster(id);
    if (!c) throw new Error(`no cluster ${id}`);
    const next = { ...c, ...patch };
    this.putCluster(next);
    return next;
  }

  putHsm(h: HsmRow): void {
    this.db.prepare('INSERT INTO hsms(id, cluster, doc) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET doc = excluded.doc').run(h.hsmId, h.clusterId, JSON.stringify(h));
  }

  hsm(id: string): HsmRow | undefined {
    const r = this.db.prepare('SELECT doc FROM hsms WHERE id = ?').get(id) as { doc: string } | undefined;
    return r ? (JSON.parse(r.doc) as HsmRow) : undefined;
  }

  hsms(clusterId: string): HsmRow[] {
    return (this.db.prepare('SELECT doc FROM hsms WHERE cluster = ? ORDER BY rowid').all(clusterId) as Array<{ doc: string }>).map((r) => JSON.parse(r.doc) as HsmRow);
  }

  updateHsm(id: string, patch: Partial<HsmRow>): HsmRow {
    const h = this.hsm(id);
    if (!h) throw new Error(`no HSM ${id}`);
    const next = { ...h, ...patch };
    this.putHsm(next);
    return next;
  }

  deleteHsmRow(id: string): void {
    this.db.prepare('DELETE FROM hsms WHERE id = ?').run(id);
  }

  putBackup(b: BackupRow): void {
    this.db.prepare('INSERT INTO backups(id, account, region, doc) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET doc = excluded.doc').run(b.backupId, b.accountId, b.region, JSON.stringify(b));
  }

  backup(id: string): BackupRow | undefined {
    const r = this.db.prepare('SELECT doc FROM backups WHERE id = ?').get(id) as { doc: string } | undefined;
    return r ? (JSON.parse(r.doc) as BackupRow) : undefined;
  }

  backups(filter: { accountId?: string; region?: string } = {}): BackupRow[] {
    const rows = this.db.prepare('SELECT doc FROM backups ORDER BY rowid').all() as Array<{ doc: string }>;
    return rows.map((r) => JSON.parse(r.doc) as BackupRow)
      .filter((b) => (filter.accountId === undefined || b.accountId === filter.accountId) && (filter.region === undefined || b.region === filter.region));
  }

  updateBackup(id: string, patch: Partial<BackupRow>): BackupRow {
    const b = this.backup(id);
    if (!b) throw new Error(`no backup ${id}`);
    const next = { ...b, ...patch };
    this.putBackup(next);
    return next;
  }

  tags(resource: string): Array<{ Key: string; Value: string }> {
    return (this.db.prepare('SELECT key, value FROM tags WHERE resource = ? ORDER BY key').all(resource) as Array<{ key: string; value: string }>).map((t) => ({ Key: t.key, Value: t.value }));
  }

  setTags(resource: string, tags: Array<{ Key: string; Value: string }>): void {
    const st = this.db.prepare('INSERT INTO tags(resource, key, value) VALUES (?, ?, ?) ON CONFLICT(resource, key) DO UPDATE SET value = excluded.value');
    this.db.transaction(() => {
      for (const t of tags) st.run(resource, t.Key, t.Value);
    })();
  }

  removeTags(resource: string, keys: string[]): void {
    const st = this.db.prepare('DELETE FROM tags WHERE resource = ? AND key = ?');
    this.db.transaction(() => {
      for (const k of keys) st.run(resource, k);
    })();
  }

  /** A resource's (backup's) resource policy as the owner put it, or undefined. */
  resourcePolicy(resource: string): string | undefined {
    const r = this.db.prepare('SELECT policy FROM resource_policies WHERE resource = ?').get(resource) as { policy: string } | undefined;
    return r?.policy;
  }

  putResourcePolicy(resource: string, accountId: string, policy: string): void {
    this.db.prepare('INSERT INTO resource_policies(resource, account, policy) VALUES (?, ?, ?) ON CONFLICT(resource) DO UPDATE SET policy = excluded.policy').run(resource, accountId, policy);
  }

  deleteResourcePolicy(resource: string): void {
    this.db.prepare('DELETE FROM resource_policies WHERE resource = ?').run(resource);
  }

  /** Every resource that has a policy, with its owner (DescribeBackups Shared=true). */
  resourcePolicies(): Array<{ resource: string; accountId: string; policy: string }> {
    return (this.db.prepare('SELECT resource, account, policy FROM resource_policies ORDER BY rowid').all() as Array<{ resource: string; account: string; policy: string }>)
      .map((r) => ({ resource: r.resource, accountId: r.account, policy: r.policy }));
  }
}
