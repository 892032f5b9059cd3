// What the custom key store operations share: lookup within the caller's account, the checks on
// the CloudHSM cluster (reference §10), trust-anchor comparison, and the SDK-shaped entry.

import type { CustomKeyStoresListEntry } from '@aws-sdk/client-kms';
import type { AwsCallContext } from '../../aws/server.js';
import type { ClusterRow } from '../../control-plane/state.js';
import type { StoreRow } from '../db.js';
import { K, kmsError } from '../errors.js';
import { req, type Deps, type In } from './common.js';
import { requireTwoZones } from './CreateKey.js';

export function requireStore(d: Deps, ctx: AwsCallContext, i: In): StoreRow {
  const id = req(i, 'CustomKeyStoreId', { min: 1, max: 64 });
  const s = d.db.store(id);
  if (!s || s.accountId !== ctx.identity.accountId) throw kmsError(K.cksNotFound, `Custom key store ${id} does not exist.`);
  return s;
}

/** The cluster, in the caller's account, ACTIVE, with ≥2 active HSMs in different zones. */
export function usableCluster(d: Deps, ctx: AwsCallContext, clusterId: string): ClusterRow {
  const c = d.cp.cluster(clusterId);
  if (!c || c.accountId !== ctx.identity.accountId || c.state === 'DELETED') throw kmsError(K.clusterNotFound, `CloudHSM cluster ${clusterId} does not exist.`);
  if (c.state !== 'ACTIVE') throw kmsError(K.clusterNotActive, `CloudHSM cluster ${clusterId} is ${c.state}; it must be ACTIVE.`);
  requireTwoZones(d.custom.endpoints(clusterId).map((h) => h.zone), clusterId);
  return c;
}

export function pemBody(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}

export function checkTrustAnchor(c: ClusterRow, pem: string): void {
  if (!/-----BEGIN CERTIFICATE-----/.test(pem)) throw kmsError(K.incorrectTrustAnchor, 'TrustAnchorCertificate must be a PEM certificate (the contents of customerCA.crt).');
  if (!c.trustAnchor || pemBody(c.trustAnchor) !== pemBody(pem)) {
    throw kmsError(K.incorrectTrustAnchor, `The trust anchor certificate does not match the one of cluster ${c.clusterId}.`);
  }
}

/** kmsuser's password as KMS takes it: 7–32 characters (no secret in the message). */
export function checkPassword(pw: string): void {
  if (pw.length < 7 || pw.length > 32) throw kmsError(K.validation, 'KeyStorePassword must be 7 to 32 characters.');
}

/** Two clusters are related when one was restored from a backup of the other (or they share a source). */
export function related(d: Deps, a: string, b: string): boolean {
  if (a === b) return true;
  const root = (id: string): string => {
    let cur = id;
    for (let n = 0; n < 16; n++) {
      const src = d.cp.cluster(cur)?.sourceBackupId;
      const origin = src ? d.cp.backup(src)?.clusterId : undefined;
      if (!origin || origin === cur) return cur;
      cur = origin;
    }
    return cur;
  };
  return root(a) === root(b);
}

export function entry(s: StoreRow): CustomKeyStoresListEntry {
  return {
    CustomKeyStoreId: s.id,
    CustomKeyStoreName: s.name,
    CloudHsmClusterId: s.clusterId,
    TrustAnchorCertificate: s.trustAnchor,
    ConnectionState: s.connectionState,
    ...(s.connectionState === 'FAILED' && s.connectionErrorCode ? { ConnectionErrorCode: s.connectionErrorCode as CustomKeyStoresListEntry['ConnectionErrorCode'] } : {}),
    CreationDate: new Date(s.createdAt),
    CustomKeyStoreType: 'AWS_CLOUDHSM',
  };
}
