// OpenSC's pkcs11-tool against libstrongroom-pkcs11.so and a real cluster: the slot and token,
// the mechanism list (CKF_HW set, else `--test` skips its signature tests), key generation (EC
// P-256, RSA-2048, AES-256), ECDSA and RSA signatures verified by the openssl command line against
// the public key pkcs11-tool reads from the token, object listing, and `pkcs11-tool --test` with
// RSA, EC and AES keys on the token, which must report no error.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveTool } from '../integration/harness.js';
import { MODULE, PIN, startP11Cluster, type P11Cluster } from './p11-cluster.js';

const HAVE = haveTool('pkcs11-tool') && haveTool('openssl');

describe.skipIf(!HAVE)('pkcs11-tool (OpenSC)', () => {
  let p: P11Cluster;
  const tool = (args: string[], login = true) => {
    const r = p.run('pkcs11-tool', ['--module', MODULE, ...(login ? ['--login', '--pin', PIN] : []), ...args]);
    expect(r.status, `pkcs11-tool ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
    return r.stdout;
  };
  const file = (name: string) => join(p.dir, name);

  beforeAll(async () => {
    p = await startP11Cluster('p11tool-opensc');
  }, 120_000);
  afterAll(async () => {
    await p?.cleanup();
  });

  it('lists the slot with the token named after the cluster', () => {
    const out = tool(['-L'], false);
    const { clusterId } = JSON.parse(readFileSync(p.cluster.config, 'utf8')) as { clusterId: string };
    expect(clusterId).toMatch(/^cluster-/);
    expect(out).toMatch(/Slot 0 \(0x1\)/);
    expect(out).toMatch(new RegExp(`token label\\s+: ${clusterId}\\s`));
    expect(out).toMatch(/token flags\s+:.*login required.*token initialized/);
  });

  it('lists mechanisms with CKF_HW', () => {
    const out = tool(['-M'], false);
    for (const m of ['ECDSA-KEY-PAIR-GEN', 'RSA-PKCS-KEY-PAIR-GEN', 'AES-KEY-GEN', 'ECDSA', 'SHA256-RSA-PKCS', 'AES-GCM']) {
      expect(out).toMatch(new RegExp(`^\\s+${m}, .*\\bhw\\b`, 'm'));
    }
    const lines = out.split('\n').filter((l) => /^\s+\S+,/.test(l));
    expect(lines.length).toBeGreaterThan(20);
    for (const l of lines) expect(l, l).toMatch(/\bhw\b/);
  });

  it('generates an EC P-256 key pair, an RSA-2048 key pair and an AES-256 key', () => {
    const ec = tool(['--keypairgen', '--key-type', 'EC:prime256v1', '--label', 'ec1', '--id', '01']);
    expect(ec).toMatch(/Private Key Object; EC/);
    expect(ec).toMatch(/EC_PARAMS:\s+06082a8648ce3d030107/);
    const rsa = tool(['--keypairgen', '--key-type', 'rsa:2048', '--label', 'rsa1', '--id', '02']);
    expect(rsa).toMatch(/Public Key Object; RSA 2048 bits/);
    const aes = tool(['--keygen', '--key-type', 'AES:32', '--label', 'aes1', '--id', '03']);
    expect(aes).toMatch(/Secret Key Object; AES length 32/);
  });

  it('signs with ECDSA and RSA; openssl verifies against the public key read from the token', () => {
    const data = file('data.txt');
    writeFileSync(data, 'sign me through PKCS#11\n');
    for (const [id, mech, format, name] of [['01', 'ECDSA-SHA256', ['--signature-format', 'openssl'], 'ec'], ['02', 'SHA256-RSA-PKCS', [], 'rsa']] as const) {
      tool(['--sign', '--id', id, '-m', mech, ...format, '-i', data, '-o', file(`${name}.sig`)]);
      tool(['--read-object', '--type', 'pubkey', '--id', id, '-o', file(`${name}.pub.der`)]);
      const v = p.run('openssl', ['dgst', '-sha256', '-verify', file(`${name}.pub.der`), '-keyform', 'DER', '-signature', file(`${name}.sig`), data]);
      expect(v.stdout + v.stderr).toContain('Verified OK');
      expect(v.status).toBe(0);
    }
  });

  it('lists the objects it made', () => {
    const out = tool(['--list-objects']);
    for (const l of ['ec1', 'rsa1', 'aes1']) expect(out).toMatch(new RegExp(`label:\\s+${l}\\b`));
    expect(out.match(/Private Key Object/g)).toHaveLength(2);
    expect(out.match(/Public Key Object/g)).toHaveLength(2);
    expect(out).toMatch(/Secret Key Object; AES length 32/);
  });

  it('encrypts and decrypts with the AES key (AES-CBC-PAD)', () => {
    const data = file('plain.bin');
    writeFileSync(data, Buffer.from('sixty-four bytes of plaintext that cross the socket both ways!!'));
    const iv = '00112233445566778899aabbccddeeff';
    tool(['--encrypt', '--id', '03', '-m', 'AES-CBC-PAD', '--iv', iv, '-i', data, '-o', file('enc.bin')]);
    tool(['--decrypt', '--id', '03', '-m', 'AES-CBC-PAD', '--iv', iv, '-i', file('enc.bin'), '-o', file('dec.bin')]);
    expect(p.run('cmp', [data, file('dec.bin')]).status).toBe(0);
  });

  it('passes pkcs11-tool --test with RSA, EC and AES keys on the token', () => {
    const r = p.run('pkcs11-tool', ['--module', MODULE, '--test', '--login', '--pin', PIN]);
    const out = r.stdout + r.stderr;
    expect(out, out).toMatch(/No errors/);
    expect(out).toMatch(/all 4 signature functions seem to work/);
    expect(out).toMatch(/testing key \d+ \(rsa1\)/);
    expect(out).not.toMatch(/CKR_|failed/i);
    expect(r.status).toBe(0);
  }, 120_000);
});
