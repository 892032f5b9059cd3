// Issuance and path validation, cross-checked against the openssl command line both ways.
import { generateKeyPairSync, createPrivateKey, createPublicKey } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createCa,
  createCsr,
  fingerprint,
  issueCertificate,
  publicKeyOf,
  signCsr,
  verifyChain,
} from '../../src/pki/pki.js';
import { HsmError } from '../../src/protocol/errors.js';
import { openssl, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const ec = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });

describe('createCa', () => {
  it('makes an RSA-2048 customer CA that openssl reads as a CA', async () => {
    const ca = await createCa('customer-ca', { keyType: 'rsa' });
    const f = tmp.file('rsa-ca.pem', ca.certPem);
    const text = openssl(['x509', '-in', f, '-noout', '-text']).out;
    expect(text).toMatch(/Public-Key: \(2048 bit\)/);
    expect(text).toMatch(/Basic Constraints: critical\s+CA:TRUE/);
    expect(text).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign/);
    expect(text).toMatch(/Subject Key Identifier/);
    expect(openssl(['verify', '-CAfile', f, f]).ok).toBe(true);
    expect(createPrivateKey(ca.keyPem).asymmetricKeyType).toBe('rsa');
  });

  it('defaults to EC P-256', async () => {
    const ca = await createCa('fleet-ca');
    expect(publicKeyOf(ca.certPem).asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });
});

describe('CSR made here, signed here, verified by openssl', () => {
  it('openssl req -verify accepts the cluster CSR', async () => {
    const csr = await createCsr(ec(), 'cluster-1234');
    const f = tmp.file('cluster.csr', csr);
    const r = openssl(['req', '-verify', '-in', f, '-noout']);
    expect(r.ok, r.out).toBe(true);
    expect(openssl(['req', '-in', f, '-noout', '-subject']).out).toMatch(/CN\s*=\s*cluster-1234/);
  });

  it('openssl verify accepts a cluster CA cert from signCsr and a server cert under it', async () => {
    const customer = await createCa('customer-ca', { keyType: 'rsa' });
    const clusterKeys = ec();
    const csr = await createCsr(clusterKeys, 'cluster-1234');
    const clusterCert = await signCsr({
      csrPem: csr,
      caCertPem: customer.certPem,
      caKey: customer.keyPem,
      kind: 'ca',
    });
    const hsm = ec();
    const server = await issueCertificate({
      issuerCertPem: clusterCert,
      issuerKey: clusterKeys.privateKey,
      subjectPublicKey: hsm.publicKey,
      commonName: 'hsm-az-a',
      organizationalUnit: 'cluster-1234',
      kind: 'server',
      ipAddresses: ['127.0.0.1'],
      dnsNames: ['localhost'],
    });
    const caF = tmp.file('customer.pem', customer.certPem);
    const clF = tmp.file('cluster.pem', clusterCert);
    const svF = tmp.file('server.pem', server);
    let r = openssl(['verify', '-CAfile', caF, clF]);
    expect(r.ok, r.out).toBe(true);
    r = openssl(['verify', '-CAfile', caF, '-untrusted', clF, '-purpose', 'sslserver', svF]);
    expect(r.ok, r.out).toBe(true);
    expect(openssl(['x509', '-in', clF, '-noout', '-text']).out).toMatch(/CA:TRUE, pathlen:0/);
    const svText = openssl(['x509', '-in', svF, '-noout', '-text']).out;
    expect(svText).toMatch(/TLS Web Server Authentication/);
    expect(svText).toMatch(/IP Address:127\.0\.0\.1/);
    expect(svText).toMatch(/DNS:localhost/);
    // and our own path validation agrees
    expect(await verifyChain(server, [clusterCert], [customer.certPem])).toBe(true);
    expect(await verifyChain(server, [], [customer.certPem])).toBe(false);
  });

  it('a device cert verifies under the fleet CA with openssl', async () => {
    const fleet = await createCa('strongroom-fleet');
    const dev = ec();
    const cert = await issueCertificate({
      issuerCertPem: fleet.certPem,
      issuerKey: createPrivateKey(fleet.keyPem),
      subjectPublicKey: dev.publicKey,
      commonName: 'hsm-0001',
      kind: 'device',
    });
    const r = openssl(['verify', '-CAfile', tmp.file('fleet.pem', fleet.certPem), tmp.file('dev.pem', cert)]);
    expect(r.ok, r.out).toBe(true);
    expect(publicKeyOf(cert).export({ type: 'spki', format: 'der' })).toEqual(
      dev.publicKey.export({ type: 'spki', format: 'der' }),
    );
  });
});

describe('CSR made here, signed by openssl x509 -req, verified by verifyChain', () => {
  it('the documented InitializeCluster flow', async () => {
    const customer = await createCa('customerCA', { keyType: 'rsa' });
    const clusterKeys = ec();
    const csrF = tmp.file('c2.csr', await createCsr(clusterKeys, 'cluster-5678'));
    const caF = tmp.file('c2-ca.pem', customer.certPem);
    const caKeyF = tmp.file('c2-ca.key', customer.keyPem);
    const extF = tmp.file('c2.ext', 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\n');
    const outF = `${tmp.dir}/c2-cluster.pem`;
    const r = openssl([
      'x509', '-req', '-in', csrF, '-CA', caF, '-CAkey', caKeyF, '-CAcreateserial',
      '-days', '30', '-sha256', '-extfile', extF, '-out', outF,
    ], tmp.dir);
    expect(r.ok, r.out).toBe(true);
    const { readFileSync } = await import('node:fs');
    const clusterCert = readFileSync(outF, 'utf8');
    expect(await verifyChain(clusterCert, [], [customer.certPem])).toBe(true);

    // The cluster certificate signed by openssl can issue HSM server certs here.
    const server = await issueCertificate({
      issuerCertPem: clusterCert,
      issuerKey: clusterKeys.privateKey,
      subjectPublicKey: ec().publicKey,
      commonName: 'hsm-az-b',
      kind: 'server',
      ipAddresses: ['::1'],
    });
    expect(await verifyChain(server, [clusterCert], [customer.certPem])).toBe(true);
  });

  it('a plain openssl x509 -req leaf (no extensions file) verifies too', async () => {
    const customer = await createCa('customerCA', { keyType: 'rsa' });
    const csrF = tmp.file('c3.csr', await createCsr(ec(), 'leaf'));
    const outF = `${tmp.dir}/c3.pem`;
    const r = openssl([
      'x509', '-req', '-in', csrF, '-CA', tmp.file('c3-ca.pem', customer.certPem),
      '-CAkey', tmp.file('c3-ca.key', customer.keyPem), '-CAcreateserial', '-days', '1', '-out', outF,
    ], tmp.dir);
    expect(r.ok, r.out).toBe(true);
    const { readFileSync } = await import('node:fs');
    const leaf = readFileSync(outF, 'utf8');
    expect(await verifyChain(leaf, [], [customer.certPem])).toBe(true);
    const other = await createCa('someone-else');
    expect(await verifyChain(leaf, [], [other.certPem])).toBe(false);
  });
});

describe('refusals', () => {
  it('signCsr refuses a CSR whose signature does not verify', async () => {
    const ca = await createCa('ca');
    const csr = await createCsr(ec(), 'cluster');
    // Flip one bit inside the signature (the last bytes of the DER).
    const der = Buffer.from(csr.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der[der.length - 3] = (der[der.length - 3] ?? 0) ^ 0x01;
    const bad = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    await expect(signCsr({ csrPem: bad, caCertPem: ca.certPem, caKey: ca.keyPem, kind: 'ca' })).rejects.toMatchObject({
      code: 'CKR_SIGNATURE_INVALID',
    });
  });

  it('refuses to issue from a non-CA certificate', async () => {
    const ca = await createCa('ca');
    const leafKeys = ec();
    const leaf = await issueCertificate({
      issuerCertPem: ca.certPem, issuerKey: ca.keyPem, subjectPublicKey: leafKeys.publicKey,
      commonName: 'leaf', kind: 'client',
    });
    await expect(
      issueCertificate({
        issuerCertPem: leaf, issuerKey: leafKeys.privateKey, subjectPublicKey: ec().publicKey,
        commonName: 'x', kind: 'client',
      }),
    ).rejects.toBeInstanceOf(HsmError);
  });

  it('refuses an issuer key that does not match the issuer certificate', async () => {
    const ca = await createCa('ca');
    await expect(
      issueCertificate({
        issuerCertPem: ca.certPem, issuerKey: ec().privateKey, subjectPublicKey: ec().publicKey,
        commonName: 'x', kind: 'server',
      }),
    ).rejects.toMatchObject({ code: 'CKR_KEY_TYPE_INCONSISTENT' });
  });

  it('refuses a bad IP address in the SAN', async () => {
    const ca = await createCa('ca');
    await expect(
      issueCertificate({
        issuerCertPem: ca.certPem, issuerKey: ca.keyPem, subjectPublicKey: ec().publicKey,
        commonName: 'x', kind: 'server', ipAddresses: ['10.0.0.300'],
      }),
    ).rejects.toMatchObject({ code: 'CKR_ARGUMENTS_BAD' });
  });

  it('verifyChain refuses a path through a pathLen-0 CA with another CA below it', async () => {
    const root = await createCa('root');
    const k1 = ec();
    const cluster = await issueCertificate({
      issuerCertPem: root.certPem, issuerKey: root.keyPem, subjectPublicKey: k1.publicKey, commonName: 'cluster', kind: 'ca',
    });
    const k2 = ec();
    const sub = await issueCertificate({
      issuerCertPem: cluster, issuerKey: k1.privateKey, subjectPublicKey: k2.publicKey, commonName: 'sub', kind: 'ca',
    });
    const leaf = await issueCertificate({
      issuerCertPem: sub, issuerKey: k2.privateKey, subjectPublicKey: ec().publicKey, commonName: 'leaf', kind: 'server',
    });
    expect(await verifyChain(sub, [cluster], [root.certPem])).toBe(true);
    expect(await verifyChain(leaf, [sub, cluster], [root.certPem])).toBe(false);
  });

  it('verifyChain refuses a leaf with the right issuer name but a signature from another key', async () => {
    const a = await createCa('same-name');
    const b = await createCa('same-name');
    const leaf = await issueCertificate({
      issuerCertPem: b.certPem, issuerKey: b.keyPem, subjectPublicKey: ec().publicKey, commonName: 'l', kind: 'client',
    });
    expect(await verifyChain(leaf, [], [a.certPem])).toBe(false);
    expect(await verifyChain(leaf, [], [a.certPem, b.certPem])).toBe(true);
  });
});

describe('helpers', () => {
  it('fingerprint is sha256 of the DER, as openssl prints it', async () => {
    const ca = await createCa('fp');
    const out = openssl(['x509', '-in', tmp.file('fp.pem', ca.certPem), '-noout', '-fingerprint', '-sha256']).out;
    const expected = out.split('=')[1]?.trim().replace(/:/g, '').toLowerCase();
    expect(fingerprint(ca.certPem)).toBe(expected);
    expect(createPublicKey(ca.keyPem).equals(publicKeyOf(ca.certPem))).toBe(true);
  });
});
