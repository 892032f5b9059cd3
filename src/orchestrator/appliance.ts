// Appliance-user helpers for the local orchestrator: connect to an HSM with the appliance
// certificate (issued by the fleet CA), and clone the domain key from an active HSM into another.
// The orchestrator carries the clone package but can never open it (it is wrapped to the
// recipient's device key). Must never hold or log the domain key.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HsmConnection } from '../client/connection.js';

export interface ApplianceCreds {
  ca: string[];
  cert: string;
  key: string;
}

export function applianceCreds(dataDir: string): ApplianceCreds {
  return {
    ca: [readFileSync(join(dataDir, 'fleet', 'fleetCA.crt'), 'utf8'), readFileSync(join(dataDir, 'customerCA.crt'), 'utf8')],
    cert: readFileSync(join(dataDir, 'fleet', 'appliance.crt'), 'utf8'),
    key: readFileSync(join(dataDir, 'fleet', 'appliance.key'), 'utf8'),
  };
}

export function applianceConnect(creds: ApplianceCreds, address: string, port: number, timeoutMs?: number): Promise<HsmConnection> {
  return HsmConnection.connect({ host: address, port, ca: creds.ca, cert: creds.cert, key: creds.key, checkHostname: false, ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
}

/** Clones the domain key from `source` into `target`; returns the target's new state. */
export async function cloneInto(source: HsmConnection, target: HsmConnection): Promise<string> {
  const dev = await target.call('cluster.device', {});
  const { package: pkg } = await source.call('cluster.cloneExport', { recipientCertificate: dev.deviceCertificate });
  const r = await target.call('cluster.cloneImport', { package: pkg });
  return r.state;
}

/**
 * Clones into `target` from the first of `peers` that is active; returns the peer used and the
 * target's new state, or undefined when no peer could.
 */
export async function cloneFromAnyPeer(
  creds: ApplianceCreds,
  target: HsmConnection,
  peers: Array<{ hsmId: string; address: string; port: number }>,
): Promise<{ from: string; state: string } | undefined> {
  for (const p of peers) {
    let source: HsmConnection | undefined;
    try {
      source = await applianceConnect(creds, p.address, p.port);
      const st = (await source.call('cluster.device', {})).state;
      if (st !== 'ACTIVE' && st !== 'INITIALIZED') continue;
      return { from: p.hsmId, state: await cloneInto(source, target) };
    } catch {
      /* the next peer */
    } finally {
      source?.close();
    }
  }
  return undefined;
}
