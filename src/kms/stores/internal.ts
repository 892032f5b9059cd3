// KMS's own key store: an internal Strongroom cluster in DIR/kms-store/ that KMS operates itself
// (started with orchestrator/up, activated, with one crypto user "kms" that owns every key of the
// KMS store, whatever the tenant; KMS keeps tenancy in kms.sqlite). The admin's and the crypto
// user's passwords are random and kept in DIR/kms-store/kms-credentials.json (0600), like the
// other development secrets of the data directory. Never logs them.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { up, type RunningCluster } from '../../orchestrator/up.js';
import { applianceConnect, applianceCreds } from '../../orchestrator/appliance.js';
import type { HsmConnection } from '../../client/connection.js';
import { StrongroomClient, loadClientConfig } from '../../client/client.js';

export const KMS_CRYPTO_USER = 'kms';

export interface OwnStoreOptions {
  dir: string;
  port: number;
  /** Loopback range of its HSMs, like up's --subnet-base (127.N). */
  subnetBase: string;
  hsms: number;
  region: string;
  log: (line: string) => void;
}

export interface OwnStore {
  client: StrongroomClient;
  clusterId: string;
  /** The store's HSMs, for monitoring (the control plane's /metrics asks them as the appliance). */
  hsms: Array<{ hsmId: string; availabilityZone: string }>;
  /** An appliance connection to one of its HSMs (metrics.get and cluster.info only need that). */
  applianceConnect(hsmId: string, timeoutMs: number): Promise<HsmConnection>;
  stop(): Promise<void>;
}

export function password(): string {
  // 32 alphanumerics: within CloudHSM's 8–32 and KMS's 7–32 alphanumeric rules.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(32), (b) => alphabet[b % alphabet.length]).join('');
}

export async function openOwnStore(opts: OwnStoreOptions): Promise<OwnStore> {
  const cluster: RunningCluster = await up({ dataDir: opts.dir, subnetBase: opts.subnetBase, port: opts.port, hsms: opts.hsms, region: opts.region, mtls: true, out: (l) => opts.log(`kms-store: ${l}`) });
  try {
    const credsPath = join(opts.dir, 'kms-credentials.json');
    if (!existsSync(credsPath)) writeFileSync(credsPath, JSON.stringify({ admin: password(), kms: password() }) + '\n', { mode: 0o600 });
    const creds = JSON.parse(readFileSync(credsPath, 'utf8')) as { admin: string; kms: string };
    const client = await StrongroomClient.connect(loadClientConfig(cluster.clientConfigPath), { failoverWaitMs: 10_000 });
    try {
      const info = await client.call('cluster.info', {});
      if (info.state === 'INITIALIZED') await client.call('cluster.activate', { password: creds.admin });
      const users = (await client.call('user.list', {})).users;
      if (!users.some((u) => u.username === KMS_CRYPTO_USER)) {
        await client.login('admin', 'admin', creds.admin);
        await client.call('user.create', { username: KMS_CRYPTO_USER, role: 'crypto-user', password: creds.kms });
        await client.call('logout', {});
      }
      await client.login(KMS_CRYPTO_USER, 'crypto-user', creds.kms);
    } catch (e) {
      client.close();
      throw e;
    }
    const appliance = applianceCreds(opts.dir);
    return {
      client,
      clusterId: cluster.clusterId,
      hsms: cluster.hsms.map((h) => ({ hsmId: h.hsmId, availabilityZone: h.availabilityZone })),
      applianceConnect: (hsmId, timeoutMs) => {
        const h = cluster.hsms.find((x) => x.hsmId === hsmId);
        return h ? applianceConnect(appliance, h.address, h.port, timeoutMs) : Promise.reject(new Error(`no HSM ${hsmId} in KMS's store`));
      },
      stop: async () => {
        client.close();
        await cluster.stop();
      },
    };
  } catch (e) {
    await cluster.stop();
    throw e;
  }
}
