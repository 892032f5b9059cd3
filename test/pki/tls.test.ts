// A real TLS 1.3 handshake with certificates from this module: the client trusts only the
// customer CA, the HSM sends [server, cluster]; mutual TLS with a client cert under a trust anchor.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import * as tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCa, createCsr, issueCertificate, signCsr } from '../../src/pki/pki.js';

const ec = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = (k: KeyObject) => k.export({ type: 'pkcs8', format: 'pem' }).toString();

interface Pki {
  customerCa: string;
  serverChain: string;
  serverKey: string;
  anchor: string;
  clientCert: string;
  clientKey: string;
  strangerCa: string;
  strangerClientCert: string;
  strangerClientKey: string;
}

async function buildPki(): Promise<Pki> {
  const customer = await createCa('customerCA', { keyType: 'rsa' });
  const cluster = ec();
  const clusterCert = await signCsr({
    csrPem: await createCsr(cluster, 'cluster-tls'),
    caCertPem: customer.certPem,
    caKey: customer.keyPem,
    kind: 'ca',
  });
  const hsm = ec();
  const serverCert = await issueCertificate({
    issuerCertPem: clusterCert,
    issuerKey: cluster.privateKey,
    subjectPublicKey: hsm.publicKey,
    commonName: 'hsm-az-a',
    kind: 'server',
    ipAddresses: ['127.0.0.1'],
  });
  const anchor = await createCa('mtls-anchor');
  const client = ec();
  const clientCert = await issueCertificate({
    issuerCertPem: anchor.certPem,
    issuerKey: anchor.keyPem,
    subjectPublicKey: client.publicKey,
    commonName: 'app-1',
    kind: 'client',
  });
  const stranger = await createCa('customerCA'); // same name, different key
  const sk = ec();
  const strangerClientCert = await issueCertificate({
    issuerCertPem: stranger.certPem,
    issuerKey: stranger.keyPem,
    subjectPublicKey: sk.publicKey,
    commonName: 'app-1',
    kind: 'client',
  });
  return {
    customerCa: customer.certPem,
    serverChain: serverCert + clusterCert,
    serverKey: pem(hsm.privateKey),
    anchor: anchor.certPem,
    clientCert,
    clientKey: pem(client.privateKey),
    strangerCa: stranger.certPem,
    strangerClientCert,
    strangerClientKey: pem(sk.privateKey),
  };
}

let pki: Pki;
let server: tls.Server;
let port: number;

beforeAll(async () => {
  pki = await buildPki();
  server = tls.createServer(
    {
      key: pki.serverKey,
      cert: pki.serverChain,
      ca: [pki.anchor],
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.3',
    },
    (sock) => sock.end('hello from hsm\n'),
  );
  server.on('tlsClientError', () => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
});

function connect(opts: { ca: string; cert?: string; key?: string }): Promise<{ ok: boolean; data: string; error?: string; protocol?: string | null }> {
  return new Promise((resolve) => {
    let data = '';
    let protocol: string | null = null;
    const sock = tls.connect({
      host: '127.0.0.1',
      port,
      ca: [opts.ca],
      ...(opts.cert ? { cert: opts.cert } : {}),
      ...(opts.key ? { key: opts.key } : {}),
      minVersion: 'TLSv1.3',
    });
    sock.on('secureConnect', () => {
      protocol = sock.getProtocol();
    });
    sock.on('data', (d: Buffer) => (data += d.toString()));
    sock.on('error', (e) => resolve({ ok: false, data, error: e.message }));
    sock.on('close', () => resolve({ ok: data.length > 0, data, protocol }));
  });
}

describe('TLS 1.3 with Strongroom certificates', () => {
  it('succeeds: client trusts only the customer CA; mTLS client cert under the anchor', async () => {
    const r = await connect({ ca: pki.customerCa, cert: pki.clientCert, key: pki.clientKey });
    expect(r.error).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.data).toBe('hello from hsm\n');
    expect(r.protocol).toBe('TLSv1.3');
  });

  it('fails when the client trusts another CA (same name, other key)', async () => {
    const r = await connect({ ca: pki.strangerCa, cert: pki.clientCert, key: pki.clientKey });
    expect(r.ok).toBe(false);
    expect(r.data).toBe('');
  });

  it('fails when the client certificate comes from another CA', async () => {
    const r = await connect({ ca: pki.customerCa, cert: pki.strangerClientCert, key: pki.strangerClientKey });
    expect(r.ok).toBe(false);
    expect(r.data).toBe('');
  });

  it('fails without a client certificate', async () => {
    const r = await connect({ ca: pki.customerCa });
    expect(r.ok).toBe(false);
    expect(r.data).toBe('');
  });
});
