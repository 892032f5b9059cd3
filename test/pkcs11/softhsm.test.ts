// Interop with another HSM (issue 4): keys wrapped out of Strongroom with CKM_AES_KEY_WRAP_PAD
// (RFC 5649) unwrap in Debian's SoftHSMv2 and give the same ciphertexts there, and the reverse.
// test/pkcs11/softhsm-interop.c loads both modules in one process (a SoftHSMv2 token initialised
// in a temp dir through SOFTHSM2_CONF, and a real one-HSM cluster), imports the same KEK into
// both with C_CreateObject, and prints one JSON line per check; this file asserts them.
//
// SoftHSMv2 2.6.1 (Debian 12) zero-pads a key to a multiple of 8 bytes before its RFC 5649 wrap
// (softhsm/SoftHSMv2 PR #307, issue #626), so for a key whose length is not a multiple of 8 its
// output is not RFC 5649's. AES keys (16/24/32 bytes) are unaffected. The test pins down both:
// Strongroom matches RFC 5649's own test vector; SoftHSMv2's deviation is asserted as such.

import { daemonPids } from '../../bench/daemon-pids.js';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, cli, haveTool, ROOT, startCluster, type Cluster } from '../integration/harness.js';

const LIB = join(ROOT, 'native', 'pkcs11', 'build', 'libstrongroom-pkcs11.so');
const SOFTHSM = '/usr/lib/softhsm/libsofthsm2.so';
const SOURCE = join(ROOT, 'test', 'pkcs11', 'softhsm-interop.c');
const INCLUDE = join(ROOT, 'native', 'pkcs11', 'include');
const CC = ['cc', 'gcc', 'clang'].find((c) => spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0);
const ADMIN_PW = 'Admin-pass-1';
const ALICE_PW = 'Alice-pass-1';
const RFC5649_VECTOR = '138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a';

const ready = haveTool('softhsm2-util') && existsSync(SOFTHSM) && CC !== undefined && existsSync(LIB);


interface Line { check?: string; ok?: boolean; detail?: string; done?: boolean; failures?: number }

/** "wrapped=40 valueLen=32 same=1 rewrap=1 …" → its fields. */
function fields(detail: string | undefined): Record<string, string> {
  return Object.fromEntries((detail ?? '').split(' ').map((kv) => kv.split('=') as [string, string]));
}

describe.skipIf(!ready)('RFC 5649 key wrap interop with SoftHSMv2', () => {
  let c: Cluster;
  let dir: string;
  let socket: string;
  let lines: Line[] = [];
  let out = '';

  beforeAll(async () => {
    c = await startCluster(['--hsms', '1']);
    expect(cli(c, ['cluster', 'activate', '--password', ADMIN_PW]).json.error_code).toBe(0);
    const created = cli(c, ['user', 'create', '--username', 'alice', '--role', 'crypto-user', '--password', ALICE_PW], as('admin', 'admin', ADMIN_PW));
    expect(created.json.error_code, created.stdout).toBe(0);
    dir = mkdtempSync(join(tmpdir(), 'strongroom-softhsm-'));
    socket = join(dir, 'run', 'p11.sock');
    mkdirSync(join(dir, 'tokens'));
    const conf = join(dir, 'softhsm2.conf');
    writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
    const env = { ...process.env, SOFTHSM2_CONF: conf, STRONGROOM_CONFIG: c.config, STRONGROOM_PKCS11_SOCKET: socket, STRONGROOM_PKCS11_IDLE_MS: '10000' };
    const init = spawnSync('softhsm2-util', ['--init-token', '--free', '--label', 'interop', '--pin', '1234', '--so-pin', '5678'], { env, encoding: 'utf8' });
    expect(init.status, init.stderr).toBe(0);
    const bin = join(dir, 'softhsm-interop');
    const cc = spawnSync(CC!, ['-std=c99', '-Wall', '-Wextra', '-Werror', `-I${INCLUDE}`, SOURCE, '-ldl', '-o', bin], { encoding: 'utf8' });
    expect(cc.status, cc.stderr).toBe(0);
    const r = spawnSync(bin, [LIB, `alice:${ALICE_PW}`, SOFTHSM, '1234'], { env, encoding: 'utf8', timeout: 120_000 });
    out = `${r.stdout}\n${r.stderr}`;
    lines = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line);
  }, 300_000);

  afterAll(async () => {
    if (socket) for (const pid of daemonPids(socket)) process.kill(pid, 'SIGTERM');
    await c?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const line = (name: string): Line => {
    const l = lines.find((x) => x.check === name);
    expect(l, `no line for ${name}: ${out}`).toBeDefined();
    return l!;
  };
  const ok = (name: string): Line => {
    const l = line(name);
    expect(l.ok, `${name}: ${l.detail}`).toBe(true);
    return l;
  };

  it('opens both tokens and imports the same KEK into each with C_CreateObject', () => {
    expect(ok('open-strongroom').detail).toBe('slot 1');
    ok('open-softhsm');
    ok('kek-strongroom');
    ok('kek-softhsm');
    expect(lines.at(-1)?.done).toBe(true);
  });

  it('Strongroom wraps RFC 5649 §6\'s 20-byte example under its 192-bit KEK to the RFC\'s bytes', () => {
    expect(ok('rfc5649-vector-strongroom').detail).toBe(RFC5649_VECTOR);
  });

  it('an AES-256 key wrapped out of Strongroom unwraps in SoftHSMv2, encrypts identically (ECB, CBC-PAD) and re-wraps to the same bytes', () => {
    const f = fields(ok('aes256-strongroom-to-softhsm').detail);
    expect(f).toMatchObject({ wrapped: '40', same: '1', rewrap: '1' });
  });

  it('an AES-256 key wrapped out of SoftHSMv2 unwraps in Strongroom (CKA_VALUE_LEN 32), encrypts identically and re-wraps to the same bytes', () => {
    const f = fields(ok('aes256-softhsm-to-strongroom').detail);
    expect(f).toMatchObject({ wrapped: '40', valueLen: '32', same: '1', rewrap: '1' });
  });

  it('a 36-byte HMAC key (RFC 5649 padding) crosses both ways and MACs identically; SoftHSMv2\'s zero-padding shows as such', () => {
    const there = fields(line('hmac36-strongroom-to-softhsm').detail);
    const back = fields(line('hmac36-softhsm-to-strongroom').detail);
    expect(there).toMatchObject({ wrapped: '48', same: '1' });
    expect(back).toMatchObject({ wrapped: '48', same: '1', rewrap: '1' });
    const softhsmConforms = line('rfc5649-vector-softhsm').detail === RFC5649_VECTOR;
    if (softhsmConforms) {
      ok('rfc5649-vector-softhsm');
      ok('hmac36-strongroom-to-softhsm');
      ok('hmac36-softhsm-to-strongroom');
    } else {
      // SoftHSMv2 wraps the key zero-padded to 40 bytes: Strongroom unwraps exactly what it was
      // given (40 bytes, the same HMAC since HMAC zero-pads short keys), and SoftHSMv2's re-wrap
      // of Strongroom's 36-byte key differs from Strongroom's RFC 5649 output.
      expect(back.valueLen).toBe('40');
      expect(there.rewrap).toBe('0');
    }
  });
});
