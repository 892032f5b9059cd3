// Java through SunPKCS11 (issue 4's JCE acceptance check): test/pkcs11/java/StrongroomJce.java is
// compiled here with Debian's OpenJDK 17 javac and run against libstrongroom-pkcs11.so and a real
// one-HSM cluster. The program prints one JSON line per check, each verified with the JDK's own
// software providers (SunJCE, SunRsaSign, SunEC); this file asserts every line. The library starts
// the client daemon itself (as for any application); the test kills it by pid at the end.

import { daemonPids } from '../../bench/daemon-pids.js';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, cli, ROOT, startCluster, type Cluster } from '../integration/harness.js';

/** Debian's openjdk-17-jdk-headless, named explicitly: `java` on PATH may be another JDK. */
const JDK = '/usr/lib/jvm/java-17-openjdk-amd64/bin';
const LIB = join(ROOT, 'native', 'pkcs11', 'build', 'libstrongroom-pkcs11.so');
const SOURCE = join(ROOT, 'test', 'pkcs11', 'java', 'StrongroomJce.java');
const ADMIN_PW = 'Admin-pass-1';
const ALICE_PW = 'Alice-pass-1';

const haveJdk = existsSync(join(JDK, 'javac')) && existsSync(join(JDK, 'java'));
if (!haveJdk && process.env['STRONGROOM_REQUIRE_ALL'] === '1') throw new Error(`${JDK}/javac is required in CI (openjdk-17-jdk-headless)`);


interface CheckLine { check?: string; ok?: boolean; detail?: string; error?: string; done?: boolean; failures?: number }

describe.skipIf(!haveJdk || !existsSync(LIB))('Java (SunPKCS11) against the cluster', () => {
  let c: Cluster;
  let dir: string;
  let socket: string;
  let lines: CheckLine[] = [];
  let run: ReturnType<typeof spawnSync>;

  beforeAll(async () => {
    c = await startCluster(['--hsms', '1']);
    expect(cli(c, ['cluster', 'activate', '--password', ADMIN_PW]).json.error_code).toBe(0);
    const created = cli(c, ['user', 'create', '--username', 'alice', '--role', 'crypto-user', '--password', ALICE_PW], as('admin', 'admin', ADMIN_PW));
    expect(created.json.error_code, created.stdout).toBe(0);
    dir = mkdtempSync(join(tmpdir(), 'strongroom-java-'));
    socket = join(dir, 'run', 'p11.sock');
    const classes = join(dir, 'classes');
    mkdirSync(classes);
    const javac = spawnSync(join(JDK, 'javac'), ['-Xlint:all', '-Werror', '-d', classes, SOURCE], { encoding: 'utf8', timeout: 120_000 });
    expect(javac.status, javac.stderr).toBe(0);
    // SunPKCS11's documented way to ask for key usages: the HSM's defaults (CloudHSM's) are false.
    const cfg = join(dir, 'sunpkcs11.cfg');
    writeFileSync(cfg, [
      'name = Strongroom',
      `library = ${LIB}`,
      'slot = 1',
      'attributes(*,CKO_SECRET_KEY,*) = {',
      '  CKA_ENCRYPT = true',
      '  CKA_DECRYPT = true',
      '}',
      'attributes(generate,CKO_PRIVATE_KEY,*) = {',
      '  CKA_SIGN = true',
      '}',
      'attributes(generate,CKO_PUBLIC_KEY,*) = {',
      '  CKA_VERIFY = true',
      '}',
      '',
    ].join('\n'));
    run = spawnSync(join(JDK, 'java'), ['-cp', classes, 'StrongroomJce', cfg, `alice:${ALICE_PW}`], {
      encoding: 'utf8',
      timeout: 180_000,
      env: { ...process.env, STRONGROOM_CONFIG: c.config, STRONGROOM_PKCS11_SOCKET: socket, STRONGROOM_PKCS11_IDLE_MS: '10000' },
    });
    lines = String(run.stdout).split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as CheckLine);
  }, 300_000);

  afterAll(async () => {
    if (socket) for (const pid of daemonPids(socket)) process.kill(pid, 'SIGTERM');
    await c?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const line = (name: string): CheckLine => {
    const l = lines.find((x) => x.check === name);
    expect(l, `no line for ${name}; stdout: ${String(run.stdout)} stderr: ${String(run.stderr)}`).toBeDefined();
    expect(l!.error, name).toBeUndefined();
    expect(l!.ok).toBe(true);
    return l!;
  };

  it('configures SunPKCS11 on the module and logs in through KeyStore "PKCS11" with user:password', () => {
    expect(line('provider').detail).toContain('SunPKCS11-Strongroom');
    line('keystore-login');
  });

  it('generates an AES-256 key in the cluster with KeyGenerator, whose value never leaves it', () => {
    line('keygenerator-aes-256');
  });

  it('imports a known AES key through KeyStore.setEntry (C_CreateObject) and finds it by alias', () => {
    line('keystore-import-aes');
  });

  it('AES/GCM/NoPadding from the cluster decrypts with SunJCE, and SunJCE ciphertext decrypts in the cluster', () => {
    line('aes-gcm-cluster-to-sunjce');
    expect(line('aes-gcm-sunjce-to-cluster').detail).toContain('AEADBadTagException');
  });

  it('SHA256withRSA on a cluster RSA-2048 key pair verifies with SunRsaSign', () => {
    expect(line('rsa-2048-sha256withrsa').detail).toMatch(/^modulus 2048 sig 256$/);
  });

  it('SHA256withECDSA on a cluster P-256 key pair verifies with SunEC', () => {
    expect(line('ec-p256-sha256withecdsa').detail).toMatch(/^EC 256 sig 7\d$/);
  });

  it('ends with no failure and exit code 0', () => {
    expect(lines.at(-1)).toEqual({ done: true, failures: 0 });
    expect(run.status, String(run.stderr)).toBe(0);
  });
});
