// Certificate machinery of an HSM node: the fleet ("manufacturer") CA, device identity
// certificates, the cluster CSR and certificate, HSM TLS server certificates, client
// certificates, and the development customer CA. X.509 via @peculiar/x509, keys as node KeyObjects.
// Must never write private keys anywhere (callers decide where keyPem goes) and never issue from a
// certificate that is not a CA or with a key that does not match the issuer's certificate.
import 'reflect-metadata';
import { createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';
import { HsmError } from '../protocol/errors.js';
import { signingKey, spkiDer, toPrivateKeyObject, verifyingKey, webcrypto } from './keys.js';

export { verifyChain, publicKeyOf, fingerprint } from './chain.js';
export { validateTrustAnchor } from './anchor.js';

/** What a certificate is for; decides its extensions. */
export type CertKind = 'ca' | 'server' | 'client' | 'device';

export interface IssueOptions {
  issuerCertPem: string;
  issuerKey: KeyObject | string;
  subjectPublicKey: KeyObject;
  commonName: string;
  organizationalUnit?: string;
  kind: CertKind;
  days?: number;
  ipAddresses?: string[];
  dnsNames?: string[];
}

export interface SignCsrOptions {
  csrPem: string;
  caCertPem: string;
  caKey: KeyObject | string;
  kind: 'ca' | 'server' | 'client';
  days?: number;
}

const DAY_MS = 86_400_000;
const BACKDATE_MS = 5 * 60_000; // tolerate small clock differences between nodes and clients

/** Self-signed CA: BasicConstraints cA=true (critical), keyCertSign|cRLSign (critical), SKI. */
export async function createCa(
  commonName: string,
  opts: { keyType?: 'rsa' | 'ec'; days?: number } = {},
): Promise<{ certPem: string; keyPem: string }> {
  checkCommonName(commonName);
  const days = checkDays(opts.days ?? 3650);
  const pair =
    opts.keyType === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signer = await signingKey(pair.privateKey);
  const pub = await verifyingKey(pair.publicKey);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: newSerial(),
      name: [{ CN: [commonName] }],
      notBefore: new Date(now - BACKDATE_MS),
      notAfter: new Date(now + days * DAY_MS),
      signingAlgorithm: signer.alg,
      keys: { privateKey: signer.key, publicKey: pub },
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(pub, false, webcrypto),
      ],
    },
    webcrypto,
  );
  return {
    certPem: pemOut(cert.toString('pem')),
    keyPem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** Issues a certificate of the given kind for subjectPublicKey, signed by the issuer CA. */
export async function issueCertificate(opts: IssueOptions): Promise<string> {
  checkCommonName(opts.commonName);
  const name: x509.JsonName = [];
  if (opts.organizationalUnit !== undefined) {
    checkCommonName(opts.organizationalUnit, 'organizationalUnit');
    name.push({ OU: [opts.organizationalUnit] });
  }
  name.push({ CN: [opts.commonName] });
  return issue({
    issuerCertPem: opts.issuerCertPem,
    issuerKey: opts.issuerKey,
    subject: name,
    spki: spkiDer(opts.subjectPublicKey),
    kind: opts.kind,
    days: opts.days ?? defaultDays(opts.kind),
    ipAddresses: opts.ipAddresses ?? [],
    dnsNames: opts.dnsNames ?? [],
  });
}

/** PKCS#10 request signed by the key pair (the cluster CSR). */
export async function createCsr(
  key: { privateKey: KeyObject; publicKey: KeyObject },
  commonName: string,
): Promise<string> {
  checkCommonName(commonName);
  const signer = await signingKey(key.privateKey);
  const pub = await verifyingKey(key.publicKey);
  if (!spkiDer(key.privateKey).equals(spkiDer(key.publicKey))) {
    throw new HsmError('CKR_KEY_TYPE_INCONSISTENT', 'createCsr: publicKey does not belong to privateKey');
  }
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    {
      name: [{ CN: [commonName] }],
      keys: { privateKey: signer.key, publicKey: pub },
      signingAlgorithm: signer.alg,
    },
    webcrypto,
  );
  return pemOut(csr.toString('pem'));
}

/** What `openssl x509 -req -CA …` does: checks the CSR's own signature, then issues for its subject. */
export async function signCsr(opts: SignCsrOptions): Promise<string> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(opts.csrPem);
  } catch (err) {
    throw new HsmError('CKR_ARGUMENTS_BAD', 'csrPem is not a PKCS#10 certificate request', { cause: err });
  }
  if (!(await csr.verify(webcrypto))) {
    throw new HsmError('CKR_SIGNATURE_INVALID', 'csrPem: the request is not signed by its own public key');
  }
  let dnsNames: string[] = [];
  let ipAddresses: string[] = [];
  if (opts.kind === 'server') {
    const san = csr.extensions.find((e) => e.type === x509.SubjectAlternativeNameExtension.NAME);
    if (san) {
      const names = new x509.SubjectAlternativeNameExtension(san.rawData).names.items;
      dnsNames = names.filter((n) => n.type === 'dns').map((n) => n.value);
      ipAddresses = names.filter((n) => n.type === 'ip').map((n) => n.value);
    }
  }
  return issue({
    issuerCertPem: opts.caCertPem,
    issuerKey: opts.caKey,
    subject: csr.subjectName,
    spki: Buffer.from(csr.publicKey.rawData),
    kind: opts.kind,
    days: opts.days ?? defaultDays(opts.kind),
    ipAddresses,
    dnsNames,
  });
}

interface IssueInternal {
  issuerCertPem: string;
  issuerKey: KeyObject | string;
  subject: x509.JsonName | x509.Name;
  spki: Buffer;
  kind: CertKind;
  days: number;
  ipAddresses: string[];
  dnsNames: string[];
}

async function issue(p: IssueInternal): Promise<string> {
  // Checks first.
  const issuer = parseCert(p.issuerCertPem, 'issuerCertPem');
  const issuerKey = toPrivateKeyObject(p.issuerKey);
  const bc = issuer.getExtension(x509.BasicConstraintsExtension);
  if (!bc?.ca) throw new HsmError('CKR_ARGUMENTS_BAD', 'issuerCertPem is not a CA certificate (BasicConstraints cA)');
  if (!spkiDer(issuerKey).equals(Buffer.from(issuer.publicKey.rawData))) {
    throw new HsmError('CKR_KEY_TYPE_INCONSISTENT', "issuerKey does not match the issuer certificate's public key");
  }
  const days = checkDays(p.days);
  for (const ip of p.ipAddresses) {
    if (isIP(ip) === 0) throw new HsmError('CKR_ARGUMENTS_BAD', `ipAddresses: ${JSON.stringify(ip)} is not an IP address`);
  }
  for (const dns of p.dnsNames) {
    if (!/^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62})?)*$/.test(dns)) {
      throw new HsmError('CKR_ARGUMENTS_BAD', `dnsNames: ${JSON.stringify(dns)} is not a DNS name`);
    }
  }
  // Then act.
  const subjectKey = createPublicKey({ key: p.spki, format: 'der', type: 'spki' });
  const isRsa = subjectKey.asymmetricKeyType === 'rsa';
  const F = x509.KeyUsageFlags;
  const ext: x509.Extension[] = [];
  switch (p.kind) {
    case 'ca':
      ext.push(new x509.BasicConstraintsExtension(true, 0, true));
      ext.push(new x509.KeyUsagesExtension(F.keyCertSign | F.cRLSign | F.digitalSignature, true));
      break;
    case 'server':
      ext.push(new x509.BasicConstraintsExtension(false, undefined, true));
      ext.push(new x509.KeyUsagesExtension(isRsa ? F.digitalSignature | F.keyEncipherment : F.digitalSignature, true));
      ext.push(new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false));
      if (p.ipAddresses.length + p.dnsNames.length > 0) {
        ext.push(
          new x509.SubjectAlternativeNameExtension(
            [
              ...p.dnsNames.map((value) => ({ type: 'dns' as const, value })),
              ...p.ipAddresses.map((value) => ({ type: 'ip' as const, value })),
            ],
            false,
          ),
        );
      }
      break;
    case 'client':
      ext.push(new x509.BasicConstraintsExtension(false, undefined, true));
      ext.push(new x509.KeyUsagesExtension(isRsa ? F.digitalSignature | F.keyEncipherment : F.digitalSignature, true));
      ext.push(new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth], false));
      break;
    case 'device':
      ext.push(new x509.BasicConstraintsExtension(false, undefined, true));
      ext.push(new x509.KeyUsagesExtension(F.digitalSignature, true));
      break;
  }
  const spki = new Uint8Array(p.spki);
  ext.push(await x509.SubjectKeyIdentifierExtension.create(spki, false, webcrypto));
  const issuerSki = issuer.getExtension(x509.SubjectKeyIdentifierExtension);
  ext.push(
    issuerSki
      ? new x509.AuthorityKeyIdentifierExtension(issuerSki.keyId, false)
      : await x509.AuthorityKeyIdentifierExtension.create(issuer.publicKey, false, webcrypto),
  );
  const now = Date.now();
  // A certificate never outlives its issuer.
  const notAfter = new Date(Math.min(now + days * DAY_MS, issuer.notAfter.getTime()));
  const signer = await signingKey(issuerKey);
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: newSerial(),
      subject: p.subject,
      issuer: issuer.subjectName,
      notBefore: new Date(Math.max(now - BACKDATE_MS, issuer.notBefore.getTime())),
      notAfter,
      publicKey: spki,
      signingKey: signer.key,
      signingAlgorithm: signer.alg,
      extensions: ext,
    },
    webcrypto,
  );
  return pemOut(cert.toString('pem'));
}

export function parseCert(pem: string, field: string): x509.X509Certificate {
  try {
    return new x509.X509Certificate(pem);
  } catch (err) {
    throw new HsmError('CKR_ARGUMENTS_BAD', `${field} is not a PEM X.509 certificate`, { cause: err });
  }
}

/** PEM with a trailing newline, so that chain files can be made by concatenation. */
function pemOut(pem: string): string {
  return pem.endsWith('\n') ? pem : `${pem}\n`;
}

function newSerial(): string {
  const b = randomBytes(16);
  b[0] = ((b[0] ?? 0) & 0x7f) | 0x40; // positive, minimal DER encoding, always 16 bytes
  return b.toString('hex');
}

function defaultDays(kind: CertKind): number {
  return kind === 'ca' ? 3650 : kind === 'device' ? 7300 : 825;
}

function checkDays(days: number): number {
  if (!Number.isInteger(days) || days < 1 || days > 36_500) {
    throw new HsmError('CKR_ARGUMENTS_BAD', `days must be an integer from 1 to 36500, got ${days}`);
  }
  return days;
}

function checkCommonName(cn: string, field = 'commonName'): void {
  if (typeof cn !== 'string' || cn.length < 1 || cn.length > 64) {
    throw new HsmError('CKR_ARGUMENTS_BAD', `${field} must be 1 to 64 characters`);
  }
}
