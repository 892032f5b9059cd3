// Composition root of one HSM node: self-tests, identity, domain key, sealed store, users, keys,
// audit and the TLS server, wired together without singletons (a test may start several).
// Must never let key material or passwords leave this process except as sealed records or wraps.

import { generateKeyPairSync, randomBytes, createPrivateKey, createPublicKey } from 'node:crypto';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { HsmError } from '../protocol/errors.js';
import { DEFAULT_MAX_FRAME } from '../protocol/frames.js';
import type { ClusterStore } from '../store/store.js';
import { SqliteStore } from '../store/sqlite.js';
import { EtcdStore } from '../store/etcd.js';
import { Barrier } from './barrier/barrier.js';
import { SealedStore } from './barrier/sealed-store.js';
import { KeyStore } from './keystore/keystore.js';
import { UserService } from './users/users.js';
import { MfaService } from './users/mfa.js';
import { DEFAULT_TOKEN_TTL_MS, QuorumService } from './users/quorum.js';
import { defaultRegistry } from './mechanisms/registry.js';
import { runSelfTests } from './selftest/selftest.js';
import { AuditLog } from './audit/log.js';
import { createCsr, issueCertificate } from '../pki/pki.js';
import { HsmServer, type TlsMaterial } from './server/server.js';
import type { ClusterIdentity, HsmContext, MemberView, MtlsConfig, NodeIdentity, NodeState } from './context.js';
import { loadDeviceIdentity, loadDomainKey, loadStorageKey, saveDomainKey, zeroiseDomainKey } from './identity.js';
import { exportDomainKey, importDomainKey } from './cloning.js';
import { Membership } from './cluster/membership.js';
import { HsmMetrics } from './metrics.js';

export interface NodeConfig {
  hsmId: string;
  clusterId: string;
  availabilityZone: string;
  address: string;
  port: number;
  /** The node's own directory: storage key, sealed device key and domain key, audit log. */
  dir: string;
  /** SQLite file of the cluster store (shared by the HSMs on this machine), unless etcd is given. */
  storePath: string;
  /** etcd client URLs: the cluster store on etcd, for HSMs on several machines. */
  etcdEndpoints?: string[];
  fleetCaPem: string;
  /** Only at first boot ("manufacturing"): the fleet CA key that certifies the device key. */
  fleetCaKeyPem?: string;
  /** The fleet backup secret ("manufacturer" provisioned): the persistent backup key derives from it. */
  fleetBackupSecret?: Buffer;
  maxFrame?: number;
  /** Made for a FIPS-mode cluster: non-approved mechanisms and key sizes are refused (fixed at creation). */
  fips?: boolean;
  /** Test hook: shifts the clock MFA and quorum use (STRONGROOM_TEST_CLOCK_OFFSET_MS). */
  clockOffsetMs?: number;
  /** Lifetime of quorum tokens and MFA challenges (default 10 minutes; STRONGROOM_TOKEN_TTL_MS). */
  tokenTtlMs?: number;
}

const CLUSTER_ID = 'cluster/identity';
const MTLS_ID = 'cluster/mtls';

export class HsmNode {
  private nodeState: NodeState = 'UNINITIALIZED';
  private clusterRec: { rec: ClusterIdentity; version: number } | undefined;
  private mtlsRec: { rec: MtlsConfig; version: number } = { rec: { anchors: [], enforcement: 'none' }, version: 0 };
  private server: HsmServer | undefined;
  private stopWatch: (() => void) | undefined;
  private membership: Membership | undefined;
  private domainKey: Buffer | undefined;
  private storageKey: Buffer | undefined;
  boundPort = 0;

  private constructor(
    readonly cfg: NodeConfig,
    readonly log: Logger,
    readonly id: NodeIdentity,
    private readonly rawStore: ClusterStore,
    private readonly sealed: SealedStore,
    readonly ctx: HsmContext,
  ) {}

  static async start(cfg: NodeConfig, log: Logger = pino({ base: { hsmId: cfg.hsmId } }, pino.destination(2))): Promise<HsmNode> {
    const mechs = defaultRegistry();
    let selfTestError: string | undefined;
    try {
      const r = await runSelfTests(mechs);
      log.info({ passed: r.passed.length }, 'power-on self-tests passed');
    } catch (e) {
      selfTestError = (e as Error).message;
      log.error({ err: selfTestError }, 'power-on self-tests FAILED: serving nothing');
    }
    const storageKey = loadStorageKey(cfg.dir);
    const device = await loadDeviceIdentity(cfg.dir, storageKey, cfg.hsmId, cfg.address, { certPem: cfg.fleetCaPem, keyPem: cfg.fleetCaKeyPem });
    const id: NodeIdentity = {
      hsmId: cfg.hsmId,
      clusterId: cfg.clusterId,
      availabilityZone: cfg.availabilityZone,
      address: cfg.address,
      port: cfg.port,
      serial: createPublicKey(device.key).export({ format: 'der', type: 'spki' }).subarray(-8).toString('hex'),
      deviceKey: device.key,
      devicePublicKey: device.publicKey,
      deviceCertificate: device.certificate,
      fleetCa: cfg.fleetCaPem,
    };
    const rawStore: ClusterStore = cfg.etcdEndpoints?.length
      ? await EtcdStore.open({ endpoints: cfg.etcdEndpoints, prefix: `strongroom/${cfg.clusterId}/` })
      : SqliteStore.open(cfg.storePath);
    let domainKey = loadDomainKey(cfg.dir, storageKey, cfg.clusterId);
    let firstBoot = false;
    if (!domainKey && !(await rawStore.get(CLUSTER_ID))) {
      domainKey = randomBytes(32);
      firstBoot = true;
    }
    const sealed = new SealedStore(rawStore, domainKey ? new Barrier(domainKey, cfg.clusterId) : undefined);
    const audit = AuditLog.open({ path: join(cfg.dir, 'audit.log'), hsmId: cfg.hsmId, signer: device.key });

    // The context closes over `node`, assigned just below.
    // eslint-disable-next-line prefer-const
    let node: HsmNode;
    const users = new UserService(sealed);
    const offset = cfg.clockOffsetMs ?? 0;
    const now = (): number => Date.now() + offset;
    const tokenTtlMs = cfg.tokenTtlMs ?? DEFAULT_TOKEN_TTL_MS;
    const mfa = new MfaService(users, { now, challengeTtlMs: tokenTtlMs });
    const quorum = new QuorumService(sealed, users, audit, { clusterId: cfg.clusterId, now, tokenTtlMs });
    if (offset !== 0) log.warn({ offsetMs: offset }, 'test clock offset in use for MFA and quorum (STRONGROOM_TEST_CLOCK_OFFSET_MS)');
    const keys = new KeyStore(sealed, (rid, err) => {
      log.error({ record: rid, code: err.code }, 'sealed record failed to open: tamper evidence; record refused');
      try {
        audit.append({ user: null, role: null, op: 'TAMPER_EVIDENCE', keyRefs: [], result: err.code, detail: { record: rid } });
      } catch {
        /* already logged */
      }
    });
    const ctx: HsmContext = {
      id,
      log,
      state: () => node.nodeState,
      store: sealed,
      keys,
      users,
      mfa,
      quorum,
      now,
      mechs,
      audit,
      cluster: () => {
        if (!node.clusterRec) throw new HsmError('CKR_STRONGROOM_STATE', 'this HSM has no cluster identity (it needs cloning)');
        return node.clusterRec.rec;
      },
      setCluster: async (next) => {
        const v = await sealed.put(CLUSTER_ID, Buffer.from(JSON.stringify(next)), node.clusterRec?.version ?? 0);
        node.clusterRec = { rec: next, version: v };
        node.nodeState = next.state;
        node.membership?.beat();
      },
      mtls: () => node.mtlsRec.rec,
      setMtls: async (next) => {
        const v = await sealed.put(MTLS_ID, Buffer.from(JSON.stringify(next)), node.mtlsRec.version);
        node.mtlsRec = { rec: next, version: v };
        await node.refreshTls();
      },
      refreshTls: () => node.refreshTls(),
      members: () => node.members(),
      clone: {
        export: (recipientCertificate) => {
          if (!node.domainKey) throw new HsmError('CKR_STRONGROOM_STATE', 'this HSM holds no domain key to clone');
          return exportDomainKey({ domainKey: node.domainKey, clusterId: id.clusterId, recipientCertificate, sender: { key: id.deviceKey, certificate: id.deviceCertificate }, fleetCa: id.fleetCa });
        },
        import: async (pkg) => {
          const key = await importDomainKey(pkg, { key: id.deviceKey, certificate: id.deviceCertificate, clusterId: id.clusterId }, id.fleetCa);
          await node.adoptDomainKey(key);
        },
      },
      backupSecret: () => {
        if (!cfg.fleetBackupSecret) throw new HsmError('CKR_STRONGROOM_STATE', 'this HSM was manufactured without a fleet backup secret');
        return cfg.fleetBackupSecret;
      },
      reload: async () => {
        await node.loadClusterRecords();
        keys.stop();
        await keys.start();
        await node.refreshTls();
      },
      metrics: new HsmMetrics(),
      connections: () => node.server?.connections() ?? { client: 0, appliance: 0 },
    };
    node = new HsmNode(cfg, log, id, rawStore, sealed, ctx);
    node.storageKey = storageKey;
    node.domainKey = domainKey;

    if (!domainKey) {
      node.nodeState = 'UNCLONED';
    } else {
      if (firstBoot && !(await node.createClusterIdentity(domainKey, storageKey))) {
        // Another HSM made the cluster first: this one waits to be cloned.
        node.domainKey = undefined;
        sealed.setBarrier(undefined);
        node.nodeState = 'UNCLONED';
      } else {
        await node.goLive();
      }
    }
    if (selfTestError) node.nodeState = 'ERROR';
    node.server = new HsmServer(ctx, cfg.maxFrame ?? DEFAULT_MAX_FRAME);
    node.boundPort = await node.server.listen(cfg.address, cfg.port, await node.tlsMaterial());
    log.info({ address: cfg.address, port: node.boundPort, state: node.nodeState }, 'HSM listening');
    return node;
  }

  get state(): NodeState {
    return this.nodeState;
  }

  private async createClusterIdentity(domainKey: Buffer, storageKey: Buffer): Promise<boolean> {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const csr = await createCsr(pair, this.cfg.clusterId);
    const rec: ClusterIdentity = {
      state: 'UNINITIALIZED',
      clusterKey: pair.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
      csr,
      fips: this.cfg.fips === true,
    };
    try {
      await this.sealed.put(CLUSTER_ID, Buffer.from(JSON.stringify(rec)), 0);
    } catch (e) {
      if (e instanceof HsmError && e.code === 'CKR_STRONGROOM_CONFLICT') return false;
      throw e;
    }
    saveDomainKey(this.cfg.dir, storageKey, this.cfg.clusterId, domainKey);
    this.ctx.audit.append({ user: null, role: null, op: 'CN_GENERATE_KEY_PAIR', keyRefs: [], result: 'CKR_OK', detail: { what: 'domain key and cluster key pair' } });
    return true;
  }

  private async loadClusterRecords(): Promise<void> {
    const c = await this.sealed.get(CLUSTER_ID);
    if (c) {
      this.clusterRec = { rec: JSON.parse(c.value.toString('utf8')) as ClusterIdentity, version: c.version };
      if (this.nodeState !== 'ERROR' && this.nodeState !== 'DEGRADED' && this.nodeState !== this.clusterRec.rec.state) {
        this.nodeState = this.clusterRec.rec.state;
        this.membership?.beat();
      }
    }
    const m = await this.sealed.get(MTLS_ID);
    const before = JSON.stringify(this.mtlsRec.rec);
    if (m) this.mtlsRec = { rec: JSON.parse(m.value.toString('utf8')) as MtlsConfig, version: m.version };
    if (this.server && before !== JSON.stringify(this.mtlsRec.rec)) await this.refreshTls();
  }

  /** With the domain key in hand: load the cluster's records, follow the change feed, join the member list. */
  private async goLive(): Promise<void> {
    await this.loadClusterRecords();
    await this.ctx.keys.start();
    const head = await this.sealed.head();
    this.stopWatch = this.sealed.watch('cluster/', head, () => void this.loadClusterRecords().catch(() => undefined));
    this.membership = new Membership(this.sealed, this.log, () => this.ownMember());
    await this.membership.start(head);
  }

  private stopLive(): void {
    this.stopWatch?.();
    this.membership?.stop();
    this.stopWatch = undefined;
    this.ctx.keys.stop();
  }

  private ownMember(): MemberView {
    return {
      hsmId: this.id.hsmId,
      az: this.id.availabilityZone,
      address: this.id.address,
      port: this.boundPort || this.id.port,
      state: this.nodeState,
      keyCount: this.ctx.keys.tokenCount,
      serial: this.id.serial,
    };
  }

  /** Every HSM of the cluster; before this HSM holds the domain key, only itself. */
  members(): MemberView[] {
    return this.membership ? this.membership.members() : [this.ownMember()];
  }

  /** Cloning, recipient side: keep the domain key sealed at rest, then serve. */
  private async adoptDomainKey(key: Buffer): Promise<void> {
    saveDomainKey(this.cfg.dir, this.storageKey!, this.cfg.clusterId, key);
    this.domainKey = key;
    this.sealed.setBarrier(new Barrier(key, this.cfg.clusterId));
    this.nodeState = 'UNINITIALIZED';
    await this.goLive();
    await this.refreshTls();
    this.log.info({ state: this.nodeState }, 'cloned: domain key received from an active HSM');
  }

  /** TLS identity: the device certificate before initialisation; after, a certificate issued by the cluster key. */
  private async tlsMaterial(): Promise<TlsMaterial> {
    const key = this.id.deviceKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const clientCas = [this.id.fleetCa, ...this.mtlsRec.rec.anchors.map((a) => a.pem)];
    const c = this.domainKey ? this.clusterRec?.rec : undefined;
    if (!c?.clusterCertificate) return { key, certChain: this.id.deviceCertificate, clientCas };
    const clusterKey = createPrivateKey({ key: Buffer.from(c.clusterKey, 'base64'), format: 'der', type: 'pkcs8' });
    const serverCert = await issueCertificate({
      issuerCertPem: c.clusterCertificate,
      issuerKey: clusterKey,
      subjectPublicKey: this.id.devicePublicKey,
      commonName: this.id.hsmId,
      kind: 'server',
      ipAddresses: [this.id.address],
      dnsNames: ['localhost'],
      days: 365,
    });
    return { key, certChain: serverCert.trim() + '\n' + c.clusterCertificate.trim() + '\n', clientCas };
  }

  async refreshTls(): Promise<void> {
    this.server?.updateTls(await this.tlsMaterial());
  }

  /** Tamper response: zeroise keys in memory and the sealed domain key; the node must be cloned again. */
  tamper(reason: string): void {
    this.log.error({ reason }, 'TAMPER: zeroising');
    // Last word to the others before the key is gone (best effort).
    this.nodeState = 'DEGRADED';
    this.membership?.beat();
    this.stopLive();
    this.ctx.keys.zeroise();
    zeroiseDomainKey(this.cfg.dir);
    this.domainKey?.fill(0);
    this.domainKey = undefined;
    this.clusterRec = undefined;
    setImmediate(() => this.sealed.setBarrier(undefined));
    void this.refreshTls().catch(() => undefined);
    try {
      this.ctx.audit.append({ user: null, role: null, op: 'CN_ZEROIZE', keyRefs: [], result: 'CKR_OK', detail: { reason } });
    } catch {
      /* logged above */
    }
    this.server?.dropAll();
  }

  async close(): Promise<void> {
    this.stopLive();
    await this.server?.close();
    try {
      this.ctx.audit.close();
    } catch {
      /* closing */
    }
    await this.rawStore.close();
  }
}
