// validateTrustAnchor: one negative test per rule, named after the fault.
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createCa, issueCertificate, validateTrustAnchor } from '../../src/pki/pki.js';
import { HsmError } from '../../src/protocol/errors.js';
import { openssl, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function expectBad(pem: string, msg: RegExp): void {
  try {
    validateTrustAnchor(pem);
  } catch (err) {
    expect(err).toBeInstanceOf(HsmError);
    expect((err as HsmError).code).toBe('CKR_ARGUMENTS_BAD');
    expect((err as HsmError).message).toMatch(msg);
    return;
  }
  throw new Error('validateTrustAnchor accepted a bad anchor');
}

/** A self-signed certificate made by openssl with the given -addext lines. */
function opensslSelfSigned(name: string, keyArgs: string[], addext: string[]): string {
  const key = `${tmp.dir}/${name}.key`;
  const cert = `${tmp.dir}/${name}.pem`;
  const r = openssl([
    'req', '-x509', '-new', ...keyArgs, '-nodes', '-keyout', key, '-out', cert, '-days', '30',
    '-subj', `/CN=${name}`, ...addext.flatMap((e) => ['-addext', e]),
  ]);
  if (!r.ok) throw new Error(r.out);
  return openssl(['x509', '-in', cert]).out;
}

describe('validateTrustAnchor', () => {
  it('accepts an RSA-2048 and an EC P-256 CA made here', async () => {
    validateTrustAnchor((await createCa('rsa', { keyType: 'rsa' })).certPem);
    validateTrustAnchor((await createCa('ec')).certPem);
  });

  it('accepts a P-384 CA made by openssl', () => {
    const pem = opensslSelfSigned('p384', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'], [
      'basicConstraints=critical,CA:TRUE',
    ]);
    validateTrustAnchor(pem);
  });

  it('rejects a non-CA (Basic Constraints cA=false)', () => {
    const pem = opensslSelfSigned('notca', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], [
      'basicConstraints=critical,CA:FALSE',
    ]);
    expectBad(pem, /not a CA/);
  });

  it('rejects extensions without Basic Constraints', () => {
    // openssl req -x509 adds basicConstraints by default; a leaf issued here has it with cA=false,
    // so build one with only keyUsage through a config that disables the defaults.
    const cfg = tmp.file('nobc.cnf', '[req]\ndistinguished_name=dn\nx509_extensions=ext\nprompt=no\n[dn]\nCN=nobc\n[ext]\nkeyUsage=keyCertSign\n');
    const key = `${tmp.dir}/nobc.key`;
    const out = `${tmp.dir}/nobc.pem`;
    const r = openssl(['req', '-x509', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', key, '-out', out, '-days', '30', '-config', cfg]);
    expect(r.ok, r.out).toBe(true);
    expectBad(openssl(['x509', '-in', out]).out, /no Basic Constraints/);
  });

  it('rejects a certificate that is not self-signed', async () => {
    const ca = await createCa('root');
    const sub = await issueCertificate({
      issuerCertPem: ca.certPem, issuerKey: ca.keyPem,
      subjectPublicKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey,
      commonName: 'intermediate', kind: 'ca',
    });
    expectBad(sub, /self-signed/);
  });

  it('rejects an RSA-1024 key', () => {
    const pem = opensslSelfSigned('rsa1024', ['-newkey', 'rsa:1024'], ['basicConstraints=critical,CA:TRUE']);
    expectBad(pem, /2048, 3072 or 4096/);
  });

  it('rejects an EC key on another curve (secp256k1)', () => {
    const pem = opensslSelfSigned('k1', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp256k1'], [
      'basicConstraints=critical,CA:TRUE',
    ]);
    expectBad(pem, /P-256, P-384 or P-521/);
  });

  it('rejects a CA whose Key Usage lacks keyCertSign', () => {
    const pem = opensslSelfSigned('ku', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], [
      'basicConstraints=critical,CA:TRUE',
      'keyUsage=critical,digitalSignature',
    ]);
    expectBad(pem, /keyCertSign/);
  });

  it('rejects two certificates, garbage and an empty string', async () => {
    const a = (await createCa('a')).certPem;
    expectBad(a + a, /exactly one/);
    expectBad('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', /parseable/);
    expectBad('', /exactly one/);
  });
});
