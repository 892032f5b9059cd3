// Backups as CloudHSM makes them: on activation, when an HSM is added or removed, and on a
// schedule (24 h by default). The file is made inside an HSM (cluster.backupExport: records under
// an ephemeral AES-256 key wrapped by the fleet's persistent backup key) and stored here opaque,
// one directory per region: DIR/backups/<region>/<backup-id>.bak. Retention (DAYS 7–379,
// NeverExpires, a cluster's newest backup is kept), PENDING_DELETION for 7 days, copies to another
// region. Must never try to open a backup: the control plane holds no key that could.

import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { modeOf, type BackupRow, type ControlPlaneState } from '../state.js';
import { newId } from '../ids.js';
import { invalid, notFound } from '../errors.js';
import type { BackupHooks, Lifecycle } from '../provisioning/lifecycle.js';

const DAY = 86_400_000;
export const PENDING_DELETION_MS = 7 * DAY;

export interface BackupOptions {
  /** How often each active cluster is backed up (default 24 h). */
  intervalMs: number;
  /** How long a day lasts for retention and pending deletion (tests shorten it). */
  dayMs?: number;
}

export class BackupManager implements BackupHooks {
  private readonly day: number;

  constructor(
    private readonly dataDir: string,
    private readonly state: ControlPlaneState,
    private readonly lifecycle: Lifecycle,
    private readonly opts: BackupOptions,
  ) {
    this.day = opts.dayMs ?? DAY;
  }

  path(region: string, backupId: string): string {
    return join(this.dataDir, 'backups', region, `${backupId}.bak`);
  }

  async take(clusterId: string, reason: string): Promise<void> {
    const c = this.state.cluster(clusterId);
    if (!c || c.state !== 'ACTIVE') return;
    const row: BackupRow = {
      backupId: newId('backup-'),
      accountId: c.accountId,
      region: c.region,
      clusterId,
      hsmType: c.hsmType,
      mode: modeOf(c),
      state: 'CREATE_IN_PROGRESS',
      createTimestamp: Date.now(),
      neverExpires: false,
      ...(c.clusterCertificate ? { clusterCertificate: c.clusterCertificate } : {}),
      ...(c.trustAnchor ? { trustAnchor: c.trustAnchor } : {}),
    };
    this.state.putBackup(row);
    try {
      const r = await this.lifecycle.withActiveHsm(clusterId, (conn) => conn.call('cluster.backupExport', {}));
      const p = this.path(c.region, row.backupId);
      mkdirSync(join(this.dataDir, 'backups', c.region), { recursive: true, mode: 0o700 });
      writeFileSync(p, Buffer.from(r.backup, 'base64'), { mode: 0o600 });
      this.state.updateBackup(row.backupId, { state: 'READY', clusterState: r.clusterState });
      this.state.updateCluster(clusterId, { lastBackupAt: Date.now() });
    } catch (e) {
      this.state.updateBackup(row.backupId, { state: 'DELETED', deleteTimestamp: Date.now() });
      throw new Error(`backup (${reason}) of ${clusterId} failed: ${(e as Error).message}`);
    }
  }

  async readForRestore(backupId: string): Promise<{ file: Buffer; clusterCertificate?: string; trustAnchor?: string; clusterState?: string }> {
    const b = this.state.backup(backupId);
    if (!b || b.state !== 'READY') throw notFound(`backup ${backupId} is not READY`);
    const p = this.path(b.region, backupId);
    if (!existsSync(p)) throw new Error(`backup file of ${backupId} is missing`);
    return {
      file: readFileSync(p),
      ...(b.clusterCertificate ? { clusterCertificate: b.clusterCertificate } : {}),
      ...(b.trustAnchor ? { trustAnchor: b.trustAnchor } : {}),
      ...(b.clusterState ? { clusterState: b.clusterState } : {}),
    };
  }

  latestOf(clusterId: string): string | undefined {
    const ready = this.state.backups().filter((b) => b.clusterId === clusterId && b.state === 'READY' && !b.sourceBackup);
    return ready.sort((a, b) => b.createTimestamp - a.createTimestamp)[0]?.backupId;
  }

  /** DeleteBackup: READY → PENDING_DELETION, permanently deleted after 7 days. */
  delete(b: BackupRow, now: number): BackupRow {
    if (b.state !== 'READY') throw invalid(`backup ${b.backupId} is ${b.state}; only a READY backup can be deleted`);
    return this.state.updateBackup(b.backupId, { state: 'PENDING_DELETION', deleteTimestamp: now + 7 * this.day });
  }

  /** RestoreBackup: PENDING_DELETION → READY. */
  restore(b: BackupRow): BackupRow {
    if (b.state !== 'PENDING_DELETION') throw invalid(`backup ${b.backupId} is ${b.state}; only a backup PENDING_DELETION can be restored`);
    const { deleteTimestamp: _gone, ...rest } = b;
    void _gone;
    const next: BackupRow = { ...rest, state: 'READY' };
    this.state.putBackup(next);
    return next;
  }

  /** CopyBackupToRegion: an independent copy, with no retention policy, same CreateTimestamp. */
  copy(b: BackupRow, destinationRegion: string, tags: Array<{ Key: string; Value: string }>): BackupRow {
    if (b.state !== 'READY') throw invalid(`backup ${b.backupId} is ${b.state}; only a READY backup can be copied`);
    const copy: BackupRow = {
      ...b,
      backupId: newId('backup-'),
      region: destinationRegion,
      state: 'CREATE_IN_PROGRESS',
      copyTimestamp: Date.now(),
      neverExpires: false,
      sourceRegion: b.region,
      sourceBackup: b.backupId,
      sourceCluster: b.clusterId,
    };
    delete copy.deleteTimestamp;
    this.state.putBackup(copy);
    this.state.setTags(copy.backupId, tags);
    try {
      mkdirSync(join(this.dataDir, 'backups', destinationRegion), { recursive: true, mode: 0o700 });
      copyFileSync(this.path(b.region, b.backupId), this.path(destinationRegion, copy.backupId));
      return this.state.updateBackup(copy.backupId, { state: 'READY' });
    } catch {
      return this.state.updateBackup(copy.backupId, { state: 'DELETED' });
    }
  }

  /** Scheduled backups, retention and the end of pending deletions. */
  async tick(now: number): Promise<void> {
    for (const c of this.state.clusters()) {
      if (c.state !== 'ACTIVE') continue;
      const last = c.lastBackupAt ?? c.activatedAt ?? 0;
      if (now - last >= this.opts.intervalMs) {
        await this.lifecycle.serial(c.clusterId, () => this.take(c.clusterId, 'schedule')).catch(() => undefined);
      }
    }
    for (const b of this.state.backups()) {
      if (b.state === 'PENDING_DELETION' && b.deleteTimestamp !== undefined && b.deleteTimestamp <= now) {
        this.state.updateBackup(b.backupId, { state: 'DELETED' });
        rmSync(this.path(b.region, b.backupId), { force: true });
      }
      if (b.state === 'READY' && !b.neverExpires && !b.sourceBackup) {
        const c = this.state.cluster(b.clusterId);
        const days = c?.retentionDays ?? 90;
        // A cluster's newest backup is never purged; purged backups are restorable like deleted ones.
        if (now - b.createTimestamp > days * this.day && this.latestOf(b.clusterId) !== b.backupId) {
          this.state.updateBackup(b.backupId, { state: 'PENDING_DELETION', deleteTimestamp: now + 7 * this.day });
        }
      }
    }
  }
}
