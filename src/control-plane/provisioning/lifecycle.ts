// Cluster and HSM lifecycle behind the API: provisioning HSMs in their zones (first HSM → CSR,
// later ones cloned, or restored from a backup), initialisation, removal, and the health loop that
// replaces a dead HSM in the same zone and clones it (self-healing), and notices activation.
// Work on one cluster is serialised. Talks to HSMs only as the appliance user through the
// provisioner; must never hold key material or users' passwords.

import { modeOf } from '../state.js';
import type { HsmConnection } from '../../client/connection.js';
import type { ControlPlaneState, ClusterRow, HsmRow } from '../state.js';
import { newId, subnetOf } from '../ids.js';
import { fromHsm, invalid } from '../errors.js';
import type { HsmSpec, Provisioner } from './provisioner.js';

export interface BackupHooks {
  /** Takes a backup of an active cluster (reason: activation, hsm-added, hsm-removed, schedule). */
  take(clusterId: string, reason: string): Promise<void>;
  /** The backup file for a restore, and the row it came from. */
  readForRestore(backupId: string): Promise<{ file: Buffer; clusterCertificate?: string; trustAnchor?: string; clusterState?: string }>;
  /** The newest READY backup of a cluster, if any. */
  latestOf(clusterId: string): string | undefined;
  tick(now: number): Promise<void>;
}

export interface LifecycleOptions {
  hsmPort: number;
  healthIntervalMs: number;
  log: (line: string) => void;
}

/** Host part of HSM addresses: zone z (a=1) gets 127.<octet>.<z>.<10+k>. */
export function addressFor(octet: number, zoneIndex: number, k: number): string {
  return `127.${octet}.${zoneIndex + 1}.${10 + k}`;
}

export class Lifecycle {
  private readonly queues = new Map<string, Promise<unknown>>();
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  backups: BackupHooks | undefined;

  constructor(
    readonly state: ControlPlaneState,
    readonly provisioner: Provisioner,
    readonly opts: LifecycleOptions,
  ) {}

  /** Runs fn after every earlier piece of work on this cluster. */
  serial<T>(clusterId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(clusterId) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    this.queues.set(clusterId, next.catch(() => undefined));
    return next;
  }

  /** Waits for every queued piece of work on a cluster (tests, shutdown). */
  async settle(clusterId: string): Promise<void> {
    await (this.queues.get(clusterId) ?? Promise.resolve());
  }

  spec(h: HsmRow): HsmSpec {
    const c = this.state.cluster(h.clusterId);
    return { clusterId: h.clusterId, hsmId: h.hsmId, availabilityZone: h.availabilityZone, address: h.eniIp, port: h.port, fips: c !== undefined && modeOf(c) === 'FIPS' };
  }

  async connect(c: ClusterRow, h: HsmRow, timeoutMs?: number): Promise<HsmConnection> {
    return this.provisioner.connect(this.spec(h), c.trustAnchor, timeoutMs);
  }

  /** Calls fn on the first ACTIVE HSM of the cluster that answers. */
  async withActiveHsm<T>(clusterId: string, fn: (conn: HsmConnection, h: HsmRow) => Promise<T>, exclude?: string): Promise<T> {
    const c = this.state.cluster(clusterId)!;
    let last: unknown = new Error('the cluster has no active HSM');
    for (const h of this.state.hsms(clusterId)) {
      if (h.state !== 'ACTIVE' || h.hsmId === exclude) continue;
      let conn: HsmConnection | undefined;
      try {
        conn = await this.connect(c, h);
      } catch (e) {
        last = e;
        continue;
      }
      try {
        return await fn(conn, h);
      } finally {
        conn.close();
      }
    }
    throw last;
  }

  /** Picks a free address in the zone's subnet (or checks the one asked for). */
  pickAddress(c: ClusterRow, zone: string, zoneIndex: number, wanted?: string): string {
    const used = new Set(this.state.hsms(c.clusterId).filter((h) => h.state !== 'DELETED').map((h) => h.eniIp));
    if (wanted !== undefined) {
      const prefix = `127.${c.subnetOctet}.${zoneIndex + 1}.`;
      const host = Number(wanted.slice(prefix.length));
      if (!wanted.startsWith(prefix) || !Number.isInteger(host) || host < 4 || host > 254) {
        throw invalid(`IpAddress ${wanted} is not in subnet ${subnetOf(zone)} (${prefix}0/24, hosts 4-254)`);
      }
      if (used.has(wanted)) throw invalid(`IpAddress ${wanted} is already in use`);
      return wanted;
    }
    for (let k = 0; k < 240; k++) {
      const a = addressFor(c.subnetOctet, zoneIndex, k);
      if (!used.has(a)) return a;
    }
    throw invalid(`subnet ${subnetOf(zone)} has no free address`);
  }

  /** Records a new HSM and provisions it in the background; returns the row (CREATE_IN_PROGRESS). */
  createHsm(c: ClusterRow, zone: string, address: string): HsmRow {
    const h: HsmRow = {
      hsmId: newId('hsm-'),
      clusterId: c.clusterId,
      availabilityZone: zone,
      subnetId: c.subnetMapping[zone]!,
      eniId: newId('eni-'),
      eniIp: address,
      port: this.opts.hsmPort,
      state: 'CREATE_IN_PROGRESS',
    };
    this.state.putHsm(h);
    void this.serial(c.clusterId, () => this.provision(h.hsmId)).catch((e: unknown) => {
      this.opts.log(`CreateHsm ${h.hsmId}: ${(e as Error).message}`);
      if (this.state.hsm(h.hsmId)) this.state.updateHsm(h.hsmId, { state: 'DEGRADED', stateMessage: `provisioning failed: ${(e as Error).message}`.slice(0, 300) });
    });
    return h;
  }

  private async provision(hsmId: string): Promise<void> {
    const h = this.state.hsm(hsmId);
    if (!h || h.state !== 'CREATE_IN_PROGRESS') return;
    const c = this.state.cluster(h.clusterId)!;
    const peers = this.state.hsms(c.clusterId).filter((p) => p.state === 'ACTIVE');
    const restoreFrom = peers.length === 0 ? (c.sourceBackupId && !c.csr && !c.clusterCertificate ? c.sourceBackupId : c.clusterCertificate ? this.backups?.latestOf(c.clusterId) : undefined) : undefined;
    if (peers.length === 0 && c.clusterCertificate && !restoreFrom) {
      throw new Error('no active HSM to clone from and no backup to restore');
    }
    if (restoreFrom) await this.provisioner.resetClusterStore(c.clusterId);
    await this.provisioner.create(this.spec(h));
    if (restoreFrom) {
      await this.restoreInto(c, h, restoreFrom);
    } else if (peers.length > 0) {
      await this.cloneInto(c, h);
    } else {
      // The first HSM of a new cluster made the cluster key pair: its CSR is the cluster's.
      const conn = await this.connect(c, h);
      try {
        const r = await conn.call('cluster.csr', {});
        this.state.updateCluster(c.clusterId, { csr: r.csr, hsmCertificate: r.hsmCertificate, manufacturerCertificate: r.fleetCertificate });
      } finally {
        conn.close();
      }
    }
    this.state.updateHsm(h.hsmId, { state: 'ACTIVE', stateMessage: 'HSM created.' });
    const now = this.state.cluster(c.clusterId)!;
    if (now.state === 'ACTIVE' && peers.length > 0) await this.backups?.take(c.clusterId, 'hsm-added').catch((e: unknown) => this.opts.log(`backup after adding ${h.hsmId}: ${(e as Error).message}`));
  }

  private async cloneInto(c: ClusterRow, h: HsmRow): Promise<void> {
    const target = await this.connect(c, h);
    try {
      const dev = await target.call('cluster.device', {});
      await this.withActiveHsm(c.clusterId, async (source) => {
        const { package: pkg } = await source.call('cluster.cloneExport', { recipientCertificate: dev.deviceCertificate });
        await target.call('cluster.cloneImport', { package: pkg });
      }, h.hsmId);
    } finally {
      target.close();
    }
  }

  private async restoreInto(c: ClusterRow, h: HsmRow, backupId: string): Promise<void> {
    const b = await this.backups!.readForRestore(backupId);
    const conn = await this.connect(c, h);
    try {
      await conn.call('cluster.backupImport', { backup: b.file.toString('base64') });
    } finally {
      conn.close();
    }
    const patch: Partial<ClusterRow> = {};
    if (b.clusterCertificate) patch.clusterCertificate = b.clusterCertificate;
    if (b.trustAnchor) patch.trustAnchor = b.trustAnchor;
    if (c.state === 'CREATE_IN_PROGRESS' || c.state === 'UNINITIALIZED') {
      patch.state = b.clusterState === 'ACTIVE' ? 'ACTIVE' : 'INITIALIZED';
      if (patch.state === 'ACTIVE') patch.activatedAt = Date.now();
      patch.stateMessage = `Cluster restored from ${backupId}.`;
    }
    this.state.updateCluster(c.clusterId, patch);
  }

  /** InitializeCluster: the HSM checks the chain and the CSR key; its refusal is the caller's fault. */
  async initialize(clusterId: string, signedCert: string, trustAnchor: string, enforceMtls: boolean): Promise<void> {
    await this.serial(clusterId, async () => {
      const c = this.state.cluster(clusterId)!;
      if (c.state !== 'UNINITIALIZED') throw invalid(`cluster ${clusterId} is ${c.state}; only an UNINITIALIZED cluster can be initialized`);
      if (!this.state.hsms(clusterId).some((h) => h.state === 'ACTIVE')) throw invalid(`cluster ${clusterId} has no active HSM: create one first`);
      this.state.updateCluster(clusterId, { state: 'INITIALIZE_IN_PROGRESS' });
      try {
        await this.withActiveHsm(clusterId, (conn) => conn.call('cluster.initialize', {
          clusterCertificate: signedCert,
          trustAnchor,
          ...(enforceMtls ? { clientTrustAnchors: [trustAnchor], mtlsEnforcement: 'cluster' as const } : {}),
        }));
      } catch (e) {
        this.state.updateCluster(clusterId, { state: 'UNINITIALIZED' });
        throw fromHsm(e, 'InitializeCluster');
      }
      this.state.updateCluster(clusterId, { state: 'INITIALIZED', stateMessage: 'Cluster initialized.', clusterCertificate: signedCert, trustAnchor });
    });
  }

  /** DeleteHsm in the background: a backup first (if active), then the process and its data go. */
  deleteHsm(h: HsmRow): void {
    this.state.updateHsm(h.hsmId, { state: 'DELETE_IN_PROGRESS' });
    void this.serial(h.clusterId, async () => {
      const c = this.state.cluster(h.clusterId)!;
      if (c.state === 'ACTIVE') await this.backups?.take(c.clusterId, 'hsm-removed').catch((e: unknown) => this.opts.log(`backup before removing ${h.hsmId}: ${(e as Error).message}`));
      await this.provisioner.remove(this.spec(h));
      this.state.deleteHsmRow(h.hsmId);
    }).catch((e: unknown) => this.opts.log(`DeleteHsm ${h.hsmId}: ${(e as Error).message}`));
  }

  deleteCluster(clusterId: string): void {
    void this.serial(clusterId, () => this.provisioner.removeCluster(clusterId)).catch((e: unknown) => this.opts.log(`DeleteCluster ${clusterId}: ${(e as Error).message}`));
  }

  /** After a restart of the control plane: start every HSM again with its own data. */
  async resumeAll(): Promise<void> {
    for (const c of this.state.clusters()) {
      if (c.state === 'DELETED') continue;
      for (const h of this.state.hsms(c.clusterId)) {
        if (h.state === 'ACTIVE' || h.state === 'DEGRADED') {
          await this.provisioner.resume(this.spec(h)).catch((e: unknown) => this.opts.log(`resume ${h.hsmId}: ${(e as Error).message}`));
        } else if (h.state === 'DELETE_IN_PROGRESS') {
          this.deleteHsm(h);
        } else if (h.state === 'CREATE_IN_PROGRESS') {
          void this.serial(c.clusterId, () => this.provision(h.hsmId)).catch(() => undefined);
        }
      }
    }
  }

  /** Self-healing: a dead HSM is marked DEGRADED and replaced in the same zone at the same address. */
  private async heal(h: HsmRow): Promise<void> {
    this.state.updateHsm(h.hsmId, { state: 'DEGRADED', stateMessage: 'HSM failed its health check; replacing it.' });
    this.opts.log(`HSM ${h.hsmId} (${h.availabilityZone}) failed its health check: replacing it`);
    await this.serial(h.clusterId, async () => {
      const c = this.state.cluster(h.clusterId)!;
      const peers = this.state.hsms(c.clusterId).filter((p) => p.state === 'ACTIVE' && p.hsmId !== h.hsmId);
      if (peers.length > 0) {
        await this.provisioner.replace(this.spec(h));
        await this.cloneInto(c, h);
      } else {
        // No peer to clone from: the same appliance restarts with its own sealed domain key.
        await this.provisioner.resume(this.spec(h));
      }
      this.state.updateHsm(h.hsmId, { state: 'ACTIVE', stateMessage: 'HSM replaced.' });
      this.opts.log(`HSM ${h.hsmId} replaced and ACTIVE`);
    }).catch((e: unknown) => {
      this.opts.log(`replacing ${h.hsmId}: ${(e as Error).message}`);
      if (this.state.hsm(h.hsmId)) this.state.updateHsm(h.hsmId, { state: 'DEGRADED', stateMessage: `replacement failed: ${(e as Error).message}`.slice(0, 300) });
    });
  }

  /** One pass of the health loop: dead HSMs, activation, scheduled backups and retention. */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const heals: Array<Promise<void>> = [];
      for (const c of this.state.clusters()) {
        if (c.state === 'DELETED' || c.state === 'DELETE_IN_PROGRESS') continue;
        for (const h of this.state.hsms(c.clusterId)) {
          if ((h.state === 'ACTIVE' || (h.state === 'DEGRADED' && h.stateMessage?.startsWith('replacement failed'))) && !this.provisioner.alive(h.hsmId)) heals.push(this.heal(h));
        }
        if (c.state === 'INITIALIZED') {
          const st = await this.withActiveHsm(c.clusterId, async (conn) => (await conn.call('cluster.info', {})).state).catch(() => undefined);
          if (st === 'ACTIVE') {
            this.state.updateCluster(c.clusterId, { state: 'ACTIVE', stateMessage: 'Cluster activated.', activatedAt: Date.now() });
            await this.serial(c.clusterId, () => this.backups?.take(c.clusterId, 'activation') ?? Promise.resolve()).catch((e: unknown) => this.opts.log(`activation backup of ${c.clusterId}: ${(e as Error).message}`));
          }
        }
      }
      await Promise.all(heals);
      await this.backups?.tick(Date.now());
    } finally {
      this.ticking = false;
    }
  }

  startHealthLoop(): void {
    this.timer = setInterval(() => void this.tick().catch((e: unknown) => this.opts.log(`health loop: ${(e as Error).message}`)), this.opts.healthIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await Promise.all([...this.queues.values()]);
    await this.provisioner.stopAll();
  }
}
