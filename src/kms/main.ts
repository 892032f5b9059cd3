// Composition root of KMS: kms.sqlite, KMS's own key store (an internal cluster in DIR/kms-store/),
// the custom key stores (clusters of the control plane's state), the sweep that deletes keys whose
// deletion date passed and rotates keys whose rotation is due, and the `kms` AwsService that the
// control plane serves beside cloudhsmv2. No singletons. Never holds key material.

import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { AwsService } from '../aws/server.js';
import type { ControlPlaneState } from '../control-plane/state.js';
import { KmsDb } from './db.js';
import { openOwnStore, type OwnStore } from './stores/internal.js';
import { CustomStores } from './stores/custom.js';
import { kmsService } from './service.js';
import { RequestQuotas, type QuotaTable } from './quotas.js';
import { clientFor, type Deps } from './operations/common.js';
import { rotate } from './operations/rotation.js';

export interface KmsOptions {
  dataDir: string;
  cp: ControlPlaneState;
  region: string;
  /** Port of the internal store's HSMs (each on its own loopback address). */
  hsmPort: number;
  /** Loopback range of the internal store's HSMs (127.N). */
  subnetBase: string;
  /** HSMs of the internal store (default 2, in two zones). */
  storeHsms?: number;
  dayMs?: number;
  sweepIntervalMs?: number;
  /** Request quotas in requests/s (see quotas.ts); none: no throttling. */
  quotas?: QuotaTable;
  log: (line: string) => void;
  /** Whether an IAM principal ARN exists (the control plane's IAM store); unchecked without it. */
  principalExists?: (arn: string) => boolean;
}

export interface Kms {
  service: AwsService;
  deps: Deps;
  store: OwnStore;
  stop(): Promise<void>;
}

export async function startKms(opts: KmsOptions): Promise<Kms> {
  mkdirSync(join(opts.dataDir, 'kms-store'), { recursive: true, mode: 0o700 });
  const store = await openOwnStore({ dir: join(opts.dataDir, 'kms-store'), port: opts.hsmPort, subnetBase: opts.subnetBase, hsms: opts.storeHsms ?? 2, region: opts.region, log: opts.log });
  const db = new KmsDb(join(opts.dataDir, 'kms.sqlite'), join(opts.dataDir, 'kms.key'));
  const custom = new CustomStores(db, opts.cp, opts.log);
  const deps: Deps = {
    db, own: store.client, custom, cp: opts.cp, dayMs: opts.dayMs ?? 86_400_000, log: opts.log,
    ...(opts.principalExists ? { principalExists: opts.principalExists } : {}),
    ...(opts.quotas ? { quotas: new RequestQuotas(opts.quotas) } : {}),
  };
  custom.resume();

  let sweeping = false;
  const sweep = async (): Promise<void> => {
    if (sweeping) return;
    sweeping = true;
    try {
      const now = Date.now();
      for (const k of db.keys()) {
        if (k.state === 'PendingDeletion' && k.deletionDate !== undefined && k.deletionDate <= now) {
          // Best effort on the HSM objects (a disconnected store keeps them), then the metadata.
          try {
            const c = clientFor(deps, k);
            for (const ref of [...k.versions.map((v) => v.ref), ...(k.publicRef ? [k.publicRef] : [])]) await c.call('key.delete', { ref }).catch(() => undefined);
          } catch {
            /* store not connected */
          }
          db.deleteKey(k.keyId);
        } else if (k.rotation && k.state === 'Enabled' && k.rotation.next <= now) {
          await rotate(deps, k, now).catch((e: unknown) => opts.log(`kms: rotating ${k.arn} failed: ${(e as Error).message}`));
        }
      }
    } finally {
      sweeping = false;
    }
  };
  const timer = setInterval(() => void sweep().catch((e: unknown) => opts.log(`kms: sweep failed: ${(e as Error).message}`)), opts.sweepIntervalMs ?? Math.min(60_000, Math.max(200, Math.floor((opts.dayMs ?? 86_400_000) / 4))));
  timer.unref();

  return {
    service: kmsService(deps),
    deps,
    store,
    stop: async () => {
      clearInterval(timer);
      await custom.stop();
      await store.stop();
      db.close();
    },
  };
}
