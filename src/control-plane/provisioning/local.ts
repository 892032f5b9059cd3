// The local-process provisioner: each cluster gets DIR/clusters/<cluster-id>/ (store.sqlite and
// hsms/<hsm-id>/node.json), each HSM is a `strongroom hsm` child process on a loopback address.
// The fleet ("manufacturer") lives in DIR/fleet: fleet CA, appliance certificate and the fleet
// backup secret, handed to nodes by path at manufacture exactly like the fleet CA key.
// This process never reads the fleet backup secret (it only writes it once, as the factory would).
// Must never read HSM data directories beyond node.json and hsm.pid.

import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { HsmConnection } from '../../client/connection.js';
import { ensureCa, ensureLeaf, startHsmProcess } from '../../orchestrator/up.js';
import type { HsmSpec, Provisioner } from './provisioner.js';

/** Largest frame an HSM accepts from the control plane (a backup travels in one frame). */
const NODE_MAX_FRAME = 32 * 1024 * 1024;

export class LocalProcessProvisioner implements Provisioner {
  private readonly children = new Map<string, ChildProcess>();
  private fleet!: { ca: string; appliance: { cert: string; key: string } };

  private constructor(readonly dataDir: string) {}

  static async open(dataDir: string): Promise<LocalProcessProvisioner> {
    const p = new LocalProcessProvisioner(resolve(dataDir));
    const fleetDir = join(p.dataDir, 'fleet');
    mkdirSync(fleetDir, { recursive: true, mode: 0o700 });
    const ca = await ensureCa(fleetDir, 'fleetCA', 'Strongroom development fleet CA', 'ec');
    const appliance = await ensureLeaf(fleetDir, 'appliance', ca, 'app_user', 'appliance');
    // Stand-in for the manufacturer key backup key: one secret per fleet, given to every node.
    const secretPath = join(fleetDir, 'fleetBackup.key');
    if (!existsSync(secretPath)) writeFileSync(secretPath, randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
    p.fleet = { ca: ca.cert, appliance };
    return p;
  }

  private clusterDir(clusterId: string): string {
    return join(this.dataDir, 'clusters', clusterId);
  }

  private nodeDir(spec: Pick<HsmSpec, 'clusterId' | 'hsmId'>): string {
    return join(this.clusterDir(spec.clusterId), 'hsms', spec.hsmId);
  }

  private writeNodeJson(spec: HsmSpec): string {
    const dir = this.nodeDir(spec);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, 'node.json');
    const fleet = join(this.dataDir, 'fleet');
    writeFileSync(path, JSON.stringify({
      hsmId: spec.hsmId,
      clusterId: spec.clusterId,
      availabilityZone: spec.availabilityZone,
      address: spec.address,
      port: spec.port,
      dir,
      storePath: join(this.clusterDir(spec.clusterId), 'store.sqlite'),
      fleetCaFile: join(fleet, 'fleetCA.crt'),
      fleetCaKeyFile: join(fleet, 'fleetCA.key'),
      fleetBackupSecretFile: join(fleet, 'fleetBackup.key'),
      maxFrame: NODE_MAX_FRAME,
      ...(spec.fips ? { fips: true } : {}),
    }, null, 2) + '\n');
    return path;
  }

  private async start(spec: HsmSpec): Promise<void> {
    const path = join(this.nodeDir(spec), 'node.json');
    const started = await startHsmProcess(path, join(this.nodeDir(spec), 'hsm.log'));
    this.children.set(spec.hsmId, started.child);
  }

  async create(spec: HsmSpec): Promise<void> {
    rmSync(this.nodeDir(spec), { recursive: true, force: true });
    this.writeNodeJson(spec);
    await this.start(spec);
  }

  async resume(spec: HsmSpec): Promise<void> {
    if (this.alive(spec.hsmId)) return;
    if (!existsSync(join(this.nodeDir(spec), 'node.json'))) this.writeNodeJson(spec);
    await this.start(spec);
  }

  async replace(spec: HsmSpec): Promise<void> {
    await this.stop(spec.hsmId);
    await this.create(spec);
  }

  async remove(spec: HsmSpec): Promise<void> {
    await this.stop(spec.hsmId);
    rmSync(this.nodeDir(spec), { recursive: true, force: true });
  }

  alive(hsmId: string): boolean {
    const c = this.children.get(hsmId);
    return !!c && c.exitCode === null && c.signalCode === null;
  }

  async resetClusterStore(clusterId: string): Promise<void> {
    const dir = this.clusterDir(clusterId);
    mkdirSync(dir, { recursive: true });
    for (const f of ['store.sqlite', 'store.sqlite-wal', 'store.sqlite-shm']) {
      const p = join(dir, f);
      if (existsSync(p)) renameSync(p, `${p}.discarded-${Date.now()}`);
    }
  }

  async removeCluster(clusterId: string): Promise<void> {
    rmSync(this.clusterDir(clusterId), { recursive: true, force: true });
  }

  connect(spec: Pick<HsmSpec, 'address' | 'port'>, trustAnchor?: string, timeoutMs?: number): Promise<HsmConnection> {
    return HsmConnection.connect({
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      host: spec.address,
      port: spec.port,
      ca: trustAnchor ? [this.fleet.ca, trustAnchor] : [this.fleet.ca],
      cert: this.fleet.appliance.cert,
      key: this.fleet.appliance.key,
      checkHostname: false,
      maxFrame: NODE_MAX_FRAME * 2,
    });
  }

  fleetCaPem(): string {
    return this.fleet.ca;
  }

  private stop(hsmId: string): Promise<void> {
    const c = this.children.get(hsmId);
    this.children.delete(hsmId);
    if (!c || c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
    return new Promise((res) => {
      c.once('exit', () => res());
      c.kill('SIGTERM');
      setTimeout(() => c.kill('SIGKILL'), 5_000).unref();
    });
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.children.keys()].map((id) => this.stop(id)));
  }

  /** For node.json readers (tests, `strongroom hsm tamper`): where an HSM lives. */
  nodeConfigPath(spec: Pick<HsmSpec, 'clusterId' | 'hsmId'>): string {
    return join(this.nodeDir(spec), 'node.json');
  }

  readPid(spec: Pick<HsmSpec, 'clusterId' | 'hsmId'>): number | undefined {
    try {
      return Number(readFileSync(join(this.nodeDir(spec), 'hsm.pid'), 'utf8'));
    } catch {
      return undefined;
    }
  }
}
