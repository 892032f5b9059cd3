// The object graph one HSM node's handlers see, and the per-connection session.
// Built by node.ts (the composition root); no singletons. Holds secrets in memory only.

import type { Logger } from 'pino';
import type { KeyObject } from 'node:crypto';
import type { HsmNodeState, OpName, RoleName } from '../protocol/operations.js';
import type { SealedStore } from './barrier/sealed-store.js';
import type { KeyStore } from './keystore/keystore.js';
import type { UserService } from './users/users.js';
import type { MfaService } from './users/mfa.js';
import type { QuorumService } from './users/quorum.js';
import type { MechanismRegistry } from './mechanisms/registry.js';
import type { AuditLog } from './audit/log.js';
import type { ClonePackage } from './cloning.js';
import type { HsmMetrics } from './metrics.js';

export interface MemberView {
  hsmId: string;
  az: string;
  address: string;
  port: number;
  state: string;
  keyCount: number;
  serial: string;
}

export type NodeState = HsmNodeState;

export interface ClusterIdentity {
  state: 'UNINITIALIZED' | 'INITIALIZED' | 'ACTIVE';
  /** Cluster key pair (PKCS#8 DER, base64): lives only inside HSMs and sealed records. */
  clusterKey: string;
  csr: string;
  clusterCertificate?: string;
  trustAnchor?: string;
  fips: boolean;
}

export interface MtlsConfig {
  anchors: Array<{ ref: string; pem: string }>;
  enforcement: 'cluster' | 'none';
}

export interface NodeIdentity {
  hsmId: string;
  clusterId: string;
  availabilityZone: string;
  address: string;
  port: number;
  serial: string;
  deviceKey: KeyObject;
  devicePublicKey: KeyObject;
  deviceCertificate: string;
  fleetCa: string;
}

export interface Session {
  connId: number;
  user: { username: string; role: RoleName } | null;
  /** Authenticated by a client certificate chaining to a registered trust anchor. */
  mtls: boolean;
  /** Authenticated by an appliance certificate from the fleet CA. */
  appliance: boolean;
}

export interface Request<P = unknown> {
  op: OpName;
  params: P;
  session: Session;
  /** Key references touched, for the audit record. */
  keyRefs: string[];
  /** Extra non-secret audit details. */
  detail: Record<string, string | number | boolean>;
}

export interface HsmContext {
  id: NodeIdentity;
  log: Logger;
  state(): NodeState;
  store: SealedStore;
  keys: KeyStore;
  users: UserService;
  /** Second factors (token-sign, TOTP) and the one-time tickets after an MFA login. */
  mfa: MfaService;
  /** Quorum values, tokens and approvals (M of N). */
  quorum: QuorumService;
  /** The HSM's clock for MFA and quorum (ms since the epoch; shifted only in tests). */
  now(): number;
  mechs: MechanismRegistry;
  audit: AuditLog;
  cluster(): ClusterIdentity;
  setCluster(next: ClusterIdentity): Promise<void>;
  mtls(): MtlsConfig;
  setMtls(next: MtlsConfig): Promise<void>;
  /** Re-issues the TLS server certificate after initialisation or trust changes. */
  refreshTls(): Promise<void>;
  /** Every HSM of the cluster, from the member records in the store (this node's entry is live). */
  members(): MemberView[];
  /** Cloning: wrap the domain key to a genuine recipient, or adopt one wrapped to us. */
  clone: {
    export(recipientCertificate: string): Promise<ClonePackage>;
    import(pkg: ClonePackage): Promise<void>;
  };
  /** The fleet backup secret provisioned at manufacture (backups); CKR_STRONGROOM_STATE when absent. */
  backupSecret(): Buffer;
  /** Re-reads the cluster records and the key index after a restore wrote them. */
  reload(): Promise<void>;
  /** Request counters and the duration histogram (dispatch records every request). */
  metrics: HsmMetrics;
  /** Open connections: clients, and the appliance's apart. */
  connections(): { client: number; appliance: number };
}

export type Handler<P = unknown, R = unknown> = (ctx: HsmContext, req: Request<P>) => Promise<R> | R;
