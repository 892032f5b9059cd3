// Trust-anchor admission (InitializeCluster's TrustAnchor, `cluster mtls register-trust-anchor`):
// the RFC 5280 rules CloudHSM states, as a pure check that throws CKR_ARGUMENTS_BAD.
// Must never accept a certificate it could not fully parse, and never modify its input.
import 'reflect-metadata';
import { X509Certificate as NodeCert } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { HsmError } from '../protocol/errors.js';
import { splitPem } from './chain.js';
import './keys.js';

const RSA_BITS = new Set([2048, 3072, 4096]);
const EC_CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1']);

function bad(msg: string, cause?: unknown): HsmError {
  return new HsmError('CKR_ARGUMENTS_BAD', `trust anchor: ${msg}`, cause === undefined ? undefined : { cause });
}

/**
 * Throws unless pem is exactly one self-signed certificate, currently valid, with an RSA
 * 2048/3072/4096 or EC P-256/384/521 key, and (when it has extensions) a Basic Constraints
 * extension with cA=true, no duplicate extensions, and keyCertSign if Key Usage is present.
 */
export function validateTrustAnchor(pem: string): void {
  const certs = splitPem(pem);
  if (certs.length !== 1) throw bad(`expected exactly one PEM certificate, found ${certs.length}`);
  let node: NodeCert;
  let px: x509.X509Certificate;
  try {
    node = new NodeCert(pem);
    px = new x509.X509Certificate(pem);
  } catch (err) {
    throw bad('not a parseable X.509 certificate', err);
  }

  const key = node.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') {
    if (!RSA_BITS.has(details.modulusLength ?? 0)) {
      throw bad(`RSA key must be 2048, 3072 or 4096 bits, got ${details.modulusLength ?? 'unknown'}`);
    }
  } else if (key.asymmetricKeyType === 'ec') {
    if (!EC_CURVES.has(details.namedCurve ?? '')) {
      throw bad(`EC key must be on P-256, P-384 or P-521, got ${details.namedCurve ?? 'unknown'}`);
    }
  } else {
    throw bad(`key type must be RSA or EC, got ${key.asymmetricKeyType ?? 'unknown'}`);
  }

  let selfSigned = false;
  try {
    selfSigned = node.subject === node.issuer && node.verify(key);
  } catch {
    selfSigned = false;
  }
  if (!selfSigned) throw bad(`must be self-signed (subject ${node.subject} issued by ${node.issuer})`);

  const now = Date.now();
  if (px.notBefore.getTime() > now || px.notAfter.getTime() < now) {
    throw bad(`not within its validity period (${px.notBefore.toISOString()} to ${px.notAfter.toISOString()})`);
  }

  if (px.extensions.length > 0) {
    const seen = new Set<string>();
    for (const e of px.extensions) {
      if (seen.has(e.type)) throw bad(`extension ${e.type} appears more than once`);
      seen.add(e.type);
    }
    const bc = px.getExtension(x509.BasicConstraintsExtension);
    if (!bc) throw bad('has X509v3 extensions but no Basic Constraints');
    if (!bc.ca) throw bad('Basic Constraints cA is false: not a CA certificate');
    const ku = px.getExtension(x509.KeyUsagesExtension);
    if (ku && (ku.usages & x509.KeyUsageFlags.keyCertSign) === 0) {
      throw bad('Key Usage present without keyCertSign, which conflicts with cA=true');
    }
  }
}
