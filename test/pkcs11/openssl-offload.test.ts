// The SSL/TLS offload through OpenSSL 3 and Debian's libengine-pkcs11-openssl: a key pair made in
// the cluster (pkcs11-tool), `openssl req -x509 -engine pkcs11 -keyform engine -key pkcs11:…`
// self-signs a certificate (subjectAltName DNS:localhost) with the key that never leaves the
// cluster, `openssl s_server -engine pkcs11 … -tls1_3 -www` serves with it, and curl checks the
// chain with --cacert and gets HTTP 200. The certificate is then stored on the token next to its
// key with C_CreateObject (pkcs11-tool --write-object) and listed.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, haveTool } from '../integration/harness.js';
import { MODULE, PIN, startP11Cluster, type P11Cluster } from './p11-cluster.js';

/** Debian's engine, in the directory `openssl version -e` names; with STRONGROOM_REQUIRE_ALL=1 its absence throws. */
function haveEngine(): boolean {
  if (!haveTool('openssl')) return false;
  const dir = /ENGINESDIR: "(.*)"/.exec(spawnSync('openssl', ['version', '-e'], { encoding: 'utf8' }).stdout ?? '')?.[1];
  const ok = dir !== undefined && existsSync(join(dir, 'pkcs11.so'));
  if (!ok && process.env['STRONGROOM_REQUIRE_ALL'] === '1') throw new Error('libengine-pkcs11-openssl is required in CI (scripts/install-test-deps.mjs installs it)');
  return ok;
}

const HAVE = haveTool('pkcs11-tool') && haveTool('curl') && haveEngine();
/** The PIN inside a pkcs11: URI: ':' percent-encoded. */
const URI_PIN = PIN.replace(/:/g, '%3A');

describe.skipIf(!HAVE)('TLS offload through openssl s_server and the pkcs11 engine', () => {
  let p: P11Cluster;
  let server: ChildProcess | undefined;
  const file = (name: string) => join(p.dir, name);
  const engineEnv = () => ({ PKCS11_MODULE_PATH: MODULE });

  beforeAll(async () => {
    p = await startP11Cluster('p11-offload');
  }, 120_000);
  afterEach(() => {
    if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGTERM');
    server = undefined;
  });
  afterAll(async () => {
    await p?.cleanup();
  });

  /** Starts s_server and resolves once it accepts connections. */
  function serve(key: string, cert: string, port: number): Promise<ChildProcess> {
    return new Promise((ok, fail) => {
      const proc = spawn('openssl', ['s_server', '-engine', 'pkcs11', '-keyform', 'engine', '-key', key, '-cert', cert, '-www', '-tls1_3',
        '-accept', String(port)], { cwd: p.dir, env: { ...p.env, ...engineEnv() }, stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      const timer = setTimeout(() => fail(new Error(`s_server did not start: ${err}`)), 30_000);
      createInterface({ input: proc.stdout! }).on('line', (line) => {
        if (line.startsWith('ACCEPT')) {
          clearTimeout(timer);
          ok(proc);
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`s_server exited with ${code}: ${err}`));
      });
    });
  }

  for (const [name, keyType] of [['ec', 'EC:prime256v1'], ['rsa', 'rsa:2048']] as const) {
    it(`serves TLS 1.3 with a cluster-held ${name.toUpperCase()} key; curl gets HTTP 200`, async () => {
      const label = `tls-${name}`;
      const gen = p.run('pkcs11-tool', ['--module', MODULE, '--login', '--pin', PIN, '--keypairgen', '--key-type', keyType, '--label', label]);
      expect(gen.status, gen.stderr).toBe(0);
      const key = `pkcs11:object=${label};type=private;pin-value=${URI_PIN}`;
      const cert = file(`${label}.pem`);
      const req = p.run('openssl', ['req', '-new', '-x509', '-engine', 'pkcs11', '-keyform', 'engine', '-key', key, '-sha256', '-days', '2',
        '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost', '-out', cert], { env: engineEnv() });
      expect(req.status, req.stderr).toBe(0);
      // The certificate's public key is the cluster's public key: the private half never left.
      const pub = p.run('pkcs11-tool', ['--module', MODULE, '--login', '--pin', PIN, '--read-object', '--type', 'pubkey', '--label', label, '-o', file(`${label}.pub.der`)]);
      expect(pub.status, pub.stderr).toBe(0);
      const fromCert = p.run('openssl', ['x509', '-in', cert, '-noout', '-pubkey']).stdout;
      const fromToken = p.run('openssl', ['pkey', '-pubin', '-inform', 'DER', '-in', file(`${label}.pub.der`)]).stdout;
      expect(fromCert).toMatch(/BEGIN PUBLIC KEY/);
      expect(fromCert).toBe(fromToken);

      const port = await freePort();
      server = await serve(key, cert, port);
      const r = p.run('curl', ['-sS', '--max-time', '30', '--cacert', cert, '-o', file('body.html'), '-w', '%{http_code}', `https://localhost:${port}/`]);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('200');
      // s_server -www reports the session it served: TLS 1.3.
      expect(readFileSync(file('body.html'), 'utf8')).toMatch(/Protocol\s+: TLSv1\.3/);
    }, 120_000);
  }

  it('stores the certificate on the token next to its key (C_CreateObject) and lists it', () => {
    const der = file('tls-ec.der');
    expect(p.run('openssl', ['x509', '-in', file('tls-ec.pem'), '-outform', 'DER', '-out', der]).status).toBe(0);
    const w = p.run('pkcs11-tool', ['--module', MODULE, '--login', '--pin', PIN, '--write-object', der, '--type', 'cert', '--label', 'tls-ec']);
    expect(w.status, w.stderr).toBe(0);
    const list = p.run('pkcs11-tool', ['--module', MODULE, '--login', '--pin', PIN, '--list-objects', '--type', 'cert']);
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/Certificate Object; type = X\.509 cert\s+label:\s+tls-ec\s+subject:\s+DN: CN=localhost/);
    const back = p.run('pkcs11-tool', ['--module', MODULE, '--login', '--pin', PIN, '--read-object', '--type', 'cert', '--label', 'tls-ec', '-o', file('back.der')]);
    expect(back.status, back.stderr).toBe(0);
    expect(readFileSync(file('back.der')).equals(readFileSync(der))).toBe(true);
  });
});
