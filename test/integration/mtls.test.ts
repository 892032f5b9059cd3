// Mutual TLS between client and HSM, through a real HSM process: `strongroom up` enforces it with
// the development client CA as the first trust anchor; a client without a certificate, or with one
// from another CA, is dropped; the admin manages trust anchors and enforcement (`cluster mtls …`).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HsmConnection } from '../../src/client/connection.js';
import { createCa, issueCertificate } from '../../src/pki/pki.js';
import { as, cli, startCluster, type Cluster } from './harness.js';

let c: Cluster;
const PW = 'Admin-pass-1';
let ca: string;

beforeAll(async () => {
  c = await startCluster();
  ca = readFileSync(join(c.dir, 'customerCA.crt'), 'utf8');
  expect(cli(c, ['cluster', 'activate', '--password', PW]).json.error_code).toBe(0);
});
afterAll(async () => {
  await c?.cleanup();
});

async function tryInfo(opts: { cert?: string; key?: string }): Promise<'served' | 'refused'> {
  try {
    const hsm = JSON.parse(readFileSync(c.config, 'utf8')).hsms[0] as { address: string; port: number };
    const conn = await HsmConnection.connect({ host: hsm.address, port: hsm.port, ca, ...opts });
    try {
      await conn.call('cluster.info', {});
      return 'served';
    } finally {
      conn.close();
    }
  } catch {
    return 'refused';
  }
}

describe('mutual TLS', () => {
  it('is enforced by default: no client certificate, no service', async () => {
    expect(cli(c, ['cluster', 'mtls', 'get-enforcement'], as('admin', 'admin', PW)).json.data).toEqual({ 'mtls-enforcement-level': 'cluster' });
    expect(await tryInfo({})).toBe('refused');
    const cert = readFileSync(join(c.dir, 'client.crt'), 'utf8');
    const key = readFileSync(join(c.dir, 'client.key'), 'utf8');
    expect(await tryInfo({ cert, key })).toBe('served');
  });

  it('refuses a client certificate from a CA that is not a registered trust anchor', async () => {
    const other = await createCa('Some other CA', { keyType: 'ec' });
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const cert = await issueCertificate({ issuerCertPem: other.certPem, issuerKey: other.keyPem, subjectPublicKey: pair.publicKey, commonName: 'intruder', kind: 'client' });
    expect(await tryInfo({ cert, key: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() })).toBe('refused');
  });

  it('lists, registers and deregisters trust anchors; at most two', async () => {
    const list = cli(c, ['cluster', 'mtls', 'list-trust-anchors']).json.data;
    expect(list.trust_anchors).toHaveLength(1);
    const second = await createCa('Second client CA', { keyType: 'ec' });
    const p = join(c.dir, 'second-ca.crt');
    writeFileSync(p, second.certPem);
    const reg = cli(c, ['cluster', 'mtls', 'register-trust-anchor', '--path', p], as('admin', 'admin', PW));
    expect(reg.json.error_code).toBe(0);
    const ref = reg.json.data.trust_anchor['certificate-reference'] as string;
    // A client certificate from the second anchor is now accepted.
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const cert = await issueCertificate({ issuerCertPem: second.certPem, issuerKey: second.keyPem, subjectPublicKey: pair.publicKey, commonName: 'app2', kind: 'client' });
    expect(await tryInfo({ cert, key: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() })).toBe('served');
    const third = await createCa('Third client CA', { keyType: 'ec' });
    writeFileSync(join(c.dir, 'third-ca.crt'), third.certPem);
    expect(cli(c, ['cluster', 'mtls', 'register-trust-anchor', '--path', join(c.dir, 'third-ca.crt')], as('admin', 'admin', PW)).json.error_code).toBe(1);
    expect(cli(c, ['cluster', 'mtls', 'deregister-trust-anchor', '--certificate-reference', ref], as('admin', 'admin', PW)).json.error_code).toBe(0);
    expect(await tryInfo({ cert, key: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() })).toBe('refused');
  });

  it('a crypto user cannot change enforcement; the admin can turn it off and on', async () => {
    const admin = as('admin', 'admin', PW);
    expect(cli(c, ['user', 'create', '--username', 'cu1', '--role', 'crypto-user', '--password', 'Cu1-pass-1'], admin).json.error_code).toBe(0);
    expect(cli(c, ['cluster', 'mtls', 'set-enforcement', '--level', 'none'], as('crypto-user', 'cu1', 'Cu1-pass-1')).json.error_code).toBe(1);
    expect(cli(c, ['cluster', 'mtls', 'set-enforcement', '--level', 'none'], admin).json.error_code).toBe(0);
    expect(await tryInfo({})).toBe('served');
    expect(cli(c, ['cluster', 'mtls', 'set-enforcement', '--level', 'cluster'], admin).json.error_code).toBe(0);
    expect(await tryInfo({})).toBe('refused');
  });
});
