// A node's own secrets at rest: the device storage key, the device identity key pair and its
// certificate from the fleet CA ("manufacturing"), and the node's sealed copy of the domain key.
// The storage key stands in for an HSM's internal key store: a 0600 file in the node directory.
// Must never write the device key or the domain key unsealed.

import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { HsmError } from '../protocol/errors.js';
import { openWithKey, sealWithKey } from './barrier/keyseal.js';
import { issueCertificate } from '../pki/pki.js';

export function writeFileAtomic(path: string, data: string | Buffer, mode = 0o600): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data, { mode });
  renameSync(tmp, path);
}

export function loadStorageKey(dir: string): Buffer {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const p = join(dir, 'storage.key');
  if (!existsSync(p)) writeFileAtomic(p, randomBytes(32));
  const k = readFileSync(p);
  if (k.length !== 32) throw new HsmError('CKR_DEVICE_ERROR', 'the device storage key is damaged');
  return k;
}

export interface DeviceIdentity {
  key: KeyObject;
  publicKey: KeyObject;
  certificate: string;
}

/**
 * Loads the device identity, or makes it at first boot when the fleet CA's key is at hand
 * (the "factory" step: in production the manufacturer does this once).
 */
export async function loadDeviceIdentity(
  dir: string,
  storageKey: Buffer,
  hsmId: string,
  address: string,
  fleet: { certPem: string; keyPem?: string | undefined },
): Promise<DeviceIdentity> {
  const keyPath = join(dir, 'device.key.sealed');
  const certPath = join(dir, 'device.crt');
  if (!existsSync(keyPath) || !existsSync(certPath)) {
    if (!fleet.keyPem) throw new HsmError('CKR_DEVICE_ERROR', `HSM ${hsmId} has no device identity and no fleet CA key to make one`);
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const cert = await issueCertificate({
      issuerCertPem: fleet.certPem,
      issuerKey: fleet.keyPem,
      subjectPublicKey: pair.publicKey,
      commonName: hsmId,
      organizationalUnit: 'device',
      kind: 'server',
      ipAddresses: [address],
      days: 3650,
    });
    writeFileAtomic(keyPath, sealWithKey(storageKey, `device-key|${hsmId}`, pair.privateKey.export({ format: 'der', type: 'pkcs8' })));
    writeFileAtomic(certPath, cert, 0o644);
  }
  const der = openWithKey(storageKey, `device-key|${hsmId}`, readFileSync(keyPath));
  const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  der.fill(0);
  return { key, publicKey: createPublicKey(key), certificate: readFileSync(certPath, 'utf8') };
}

export function domainKeyPath(dir: string): string {
  return join(dir, 'domain.sealed');
}

export function loadDomainKey(dir: string, storageKey: Buffer, clusterId: string): Buffer | undefined {
  const p = domainKeyPath(dir);
  if (!existsSync(p)) return undefined;
  return openWithKey(storageKey, `domain-key|${clusterId}`, readFileSync(p));
}

export function saveDomainKey(dir: string, storageKey: Buffer, clusterId: string, domainKey: Buffer): void {
  writeFileAtomic(domainKeyPath(dir), sealWithKey(storageKey, `domain-key|${clusterId}`, domainKey));
}

/** Tamper response at rest: the sealed domain key is overwritten and removed. */
export function zeroiseDomainKey(dir: string): void {
  const p = domainKeyPath(dir);
  if (existsSync(p)) {
    writeFileSync(p, randomBytes(64));
    rmSync(p);
  }
}
