// GnuTLS's p11tool against libstrongroom-pkcs11.so and a real cluster: the token (label = the
// cluster id) with its pkcs11: URI, and after a login with GNUTLS_PIN=alice:… the objects on it,
// each with a pkcs11: URI naming the token, the object and its type.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveTool } from '../integration/harness.js';
import { MODULE, PIN, startP11Cluster, type P11Cluster } from './p11-cluster.js';

const HAVE = haveTool('p11tool') && haveTool('pkcs11-tool');

describe.skipIf(!HAVE)('p11tool (GnuTLS)', () => {
  let p: P11Cluster;
  let clusterId = '';

  beforeAll(async () => {
    p = await startP11Cluster('p11tool-gnutls');
    clusterId = (JSON.parse(readFileSync(p.cluster.config, 'utf8')) as { clusterId: string }).clusterId;
    // Keys to list, made through the same module by OpenSC's tool.
    for (const args of [['--keypairgen', '--key-type', 'EC:prime256v1', '--label', 'tls-ec', '--id', '11'], ['--keygen', '--key-type', 'AES:32', '--label', 'aes-k', '--id', '12']]) {
      const r = p.run('pkcs11-tool', ['--module', MODULE, '--login', '--pin', PIN, ...args]);
      expect(r.status, r.stderr).toBe(0);
    }
  }, 120_000);
  afterAll(async () => {
    await p?.cleanup();
  });

  it('lists the token, labelled with the cluster id', () => {
    const r = p.run('p11tool', ['--provider', MODULE, '--list-tokens']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`URL: pkcs11:.*token=${clusterId}`));
    expect(r.stdout).toMatch(new RegExp(`Label: ${clusterId}\\n`));
    expect(r.stdout).toMatch(/Manufacturer: Strongroom/);
    expect(r.stdout).toMatch(/Flags: .*Requires login/);
  });

  it('lists every object with a pkcs11: URI after a login', () => {
    const r = p.run('p11tool', ['--provider', MODULE, '--list-all', '--login'], { env: { GNUTLS_PIN: PIN } });
    expect(r.status, r.stderr).toBe(0);
    const urls = [...r.stdout.matchAll(/URL: (pkcs11:\S+)/g)].map((m) => m[1]!);
    expect(urls).toHaveLength(3);
    for (const u of urls) expect(u).toContain(`token=${clusterId}`);
    expect(urls).toContainEqual(expect.stringMatching(/;id=%11;object=tls-ec;type=private$/));
    expect(urls).toContainEqual(expect.stringMatching(/;id=%11;object=tls-ec;type=public$/));
    expect(urls).toContainEqual(expect.stringMatching(/;id=%12;object=aes-k;type=secret-key$/));
    expect(r.stdout).toMatch(/Type: Private key \(EC\/ECDSA-SECP256R1\)/);
  });

  it('lists no private object without a login (as CloudHSM: the HSM shows keys to a logged-in user only)', () => {
    const r = p.run('p11tool', ['--provider', MODULE, '--list-all']);
    expect(r.stdout).not.toMatch(/type=private|type=secret-key/);
    if (r.status !== 0) expect(r.stderr).toMatch(/No matching objects found/);
  });
});
