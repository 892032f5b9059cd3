// Cloning: the domain key travels from an active HSM to a new (or re-cloned) HSM wrapped to the
// recipient's attested device key. Both device certificates must chain to the fleet CA (the
// "manufacturer"); the package is ECDH(P-256, ephemeral) → HKDF-SHA256 → AES-256-GCM, signed by
// the sender's device key. The orchestrator that carries the package never sees the domain key.
// Must never return or log the domain key or the derived wrapping key.

import {
  createCipheriv, createDecipheriv, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes,
  sign as signData, verify as verifyData, X509Certificate, type KeyObject,
} from 'node:crypto';
import { HsmError } from '../protocol/errors.js';
import { fingerprint, verifyChain } from '../pki/pki.js';

export interface ClonePackage {
  clusterId: string;
  senderCertificate: string;
  recipientFingerprint: string;
  ephemeralPublicKey: string;
  iv: string;
  wrapped: string;
  signature: string;
}

/** A genuine device: its certificate chains to the fleet CA and was issued for a device. */
export async function checkGenuineDevice(certPem: string, fleetCaPem: string, what: string): Promise<X509Certificate> {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    throw new HsmError('CKR_ARGUMENTS_BAD', `${what}: not a certificate`);
  }
  if (!/OU=device/.test(cert.subject) || !(await verifyChain(certPem, [], [fleetCaPem]))) {
    throw new HsmError('CKR_FUNCTION_REJECTED', `${what} is not a genuine HSM: its device certificate does not chain to the fleet CA`);
  }
  if (cert.publicKey.asymmetricKeyType !== 'ec') throw new HsmError('CKR_FUNCTION_REJECTED', `${what}: device keys are EC P-256`);
  return cert;
}

function context(clusterId: string, recipientFp: string, senderFp: string, ephemeral: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`strongroom-clone-v1|${clusterId}|${recipientFp}|${senderFp}|`), ephemeral]);
}

function kek(shared: Buffer, info: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, Buffer.alloc(0), info, 32));
}

/** On the active HSM: wraps the domain key to the recipient's device key. */
export async function exportDomainKey(opts: {
  domainKey: Buffer;
  clusterId: string;
  recipientCertificate: string;
  sender: { key: KeyObject; certificate: string };
  fleetCa: string;
}): Promise<ClonePackage> {
  const recipient = await checkGenuineDevice(opts.recipientCertificate, opts.fleetCa, 'the recipient');
  const eph = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const ephDer = eph.publicKey.export({ format: 'der', type: 'spki' });
  const shared = diffieHellman({ privateKey: eph.privateKey, publicKey: recipient.publicKey });
  const recipientFp = fingerprint(opts.recipientCertificate);
  const senderFp = fingerprint(opts.sender.certificate);
  const info = context(opts.clusterId, recipientFp, senderFp, ephDer);
  const k = kek(shared, info);
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', k, iv);
  c.setAAD(info);
  const wrapped = Buffer.concat([c.update(opts.domainKey), c.final(), c.getAuthTag()]);
  k.fill(0);
  shared.fill(0);
  const signature = signData('sha256', Buffer.concat([info, iv, wrapped]), opts.sender.key);
  return {
    clusterId: opts.clusterId,
    senderCertificate: opts.sender.certificate,
    recipientFingerprint: recipientFp,
    ephemeralPublicKey: ephDer.toString('base64'),
    iv: iv.toString('base64'),
    wrapped: wrapped.toString('base64'),
    signature: signature.toString('base64'),
  };
}

/** On the new HSM: checks the sender is genuine and the package is for us, then unwraps. */
export async function importDomainKey(pkg: ClonePackage, me: { key: KeyObject; certificate: string; clusterId: string }, fleetCa: string): Promise<Buffer> {
  if (pkg.clusterId !== me.clusterId) throw new HsmError('CKR_ARGUMENTS_BAD', `the clone package is for cluster ${pkg.clusterId}, not ${me.clusterId}`);
  const myFp = fingerprint(me.certificate);
  if (pkg.recipientFingerprint !== myFp) throw new HsmError('CKR_ARGUMENTS_BAD', 'the clone package is wrapped to another HSM');
  const sender = await checkGenuineDevice(pkg.senderCertificate, fleetCa, 'the sending HSM');
  const ephDer = Buffer.from(pkg.ephemeralPublicKey, 'base64');
  const info = context(pkg.clusterId, myFp, fingerprint(pkg.senderCertificate), ephDer);
  const iv = Buffer.from(pkg.iv, 'base64');
  const wrapped = Buffer.from(pkg.wrapped, 'base64');
  if (!verifyData('sha256', Buffer.concat([info, iv, wrapped]), sender.publicKey, Buffer.from(pkg.signature, 'base64'))) {
    throw new HsmError('CKR_SIGNATURE_INVALID', 'the clone package signature does not verify with the sender\'s device key');
  }
  const shared = diffieHellman({ privateKey: me.key, publicKey: createPublicKey({ key: ephDer, format: 'der', type: 'spki' }) });
  const k = kek(shared, info);
  shared.fill(0);
  try {
    const d = createDecipheriv('aes-256-gcm', k, iv);
    d.setAAD(info);
    d.setAuthTag(wrapped.subarray(wrapped.length - 16));
    return Buffer.concat([d.update(wrapped.subarray(0, wrapped.length - 16)), d.final()]);
  } catch {
    throw new HsmError('CKR_WRAPPED_KEY_INVALID', 'the clone package does not open');
  } finally {
    k.fill(0);
  }
}
