// The provisioner interface: how the control plane gets HSMs made, started, reached and removed.
// The lifecycle code talks only to this, so a provisioner for machines or containers can replace
// the local-process one. Must never hand the control plane key material: HSMs are reached as the
// appliance user only.

import type { HsmConnection } from '../../client/connection.js';

export interface HsmSpec {
  clusterId: string;
  hsmId: string;
  availabilityZone: string;
  address: string;
  port: number;
  /** The cluster's Mode is FIPS: the HSM refuses non-approved mechanisms and key sizes. */
  fips?: boolean;
}

export interface Provisioner {
  /** Manufactures a new HSM (fresh device identity) for a cluster and starts it. */
  create(spec: HsmSpec): Promise<void>;
  /** Starts an existing HSM again with its own data (after a restart of the control plane). */
  resume(spec: HsmSpec): Promise<void>;
  /** Replaces a failed HSM: the old one's data is discarded, a new device takes its place and address. */
  replace(spec: HsmSpec): Promise<void>;
  /** Stops an HSM and discards its data. */
  remove(spec: HsmSpec): Promise<void>;
  /** Whether the HSM's process (or machine) is up. */
  alive(hsmId: string): boolean;
  /** Discards a cluster's store (before a restore into a cluster that lost every HSM). */
  resetClusterStore(clusterId: string): Promise<void>;
  /** Discards everything of a deleted cluster. */
  removeCluster(clusterId: string): Promise<void>;
  /**
   * An appliance connection to an HSM; trustAnchor is the customer CA once the cluster is
   * initialised. timeoutMs bounds the TCP and TLS handshake (default 10 s).
   */
  connect(spec: Pick<HsmSpec, 'address' | 'port'>, trustAnchor?: string, timeoutMs?: number): Promise<HsmConnection>;
  /** The fleet ("manufacturer") CA certificate, shown as ManufacturerHardwareCertificate. */
  fleetCaPem(): string;
  stopAll(): Promise<void>;
}
