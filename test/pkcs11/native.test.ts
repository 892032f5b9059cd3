// libstrongroom-pkcs11.so without the real daemon: native/pkcs11/test/smoke.c compiled with cc and
// run against the library, offline and against native/pkcs11/test/fake-daemon.mjs.
// Proves: the function list (68 entries, version 2.40, internals hidden); C_Initialize rules
// (pReserved, all-or-none mutex callbacks, the application's callbacks used without
// CKF_OS_LOCKING_OK, second call → CKR_CRYPTOKI_ALREADY_INITIALIZED); every function before
// C_Initialize → CKR_CRYPTOKI_NOT_INITIALIZED; NULL pointers → CKR_ARGUMENTS_BAD and
// wrong-size mechanism parameters → CKR_MECHANISM_PARAM_INVALID without any daemon; the framing of
// docs/pkcs11-daemon-protocol.md (function numbers, OUT and the size-query convention,
// TEMPLATE_IN/TEMPLATE_QUERY, C_GetAttributeValue, mechanism kinds 0–7); a forked child opening
// its own connection; the daemon being started by the library at the hashed socket path; and a
// daemon that stops answering ending the call with CKR_DEVICE_ERROR after the reply timeout.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '..', '..');
const NATIVE = join(REPO, 'native', 'pkcs11');
const LIB = join(NATIVE, 'build', 'libstrongroom-pkcs11.so');
const FAKE = join(NATIVE, 'test', 'fake-daemon.mjs');
const CC = ['cc', 'gcc', 'clang'].find((c) => spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0);

interface LogEntry {
  conn?: number;
  fn?: number;
  name?: string;
  closed?: boolean;
  error?: string;
  started?: string;
  socketMatchesHash?: boolean;
  mech?: Record<string, string | number>;
  out?: { present: boolean; capacity: string };
  template?: { type: string; hasValue: boolean; len: string; value?: string }[];
}

/** The environment without any Strongroom variable a developer may have set. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['STRONGROOM_PKCS11_SOCKET', 'STRONGROOM_CONFIG', 'STRONGROOM_DAEMON_CMD', 'STRONGROOM_PKCS11_DEBUG', 'STRONGROOM_PKCS11_TIMEOUT_MS']) delete env[k];
  return { ...env, ...extra };
}

function readLog(file: string): LogEntry[] {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogEntry);
}

describe('C compiler', () => {
  it.runIf(process.env.STRONGROOM_REQUIRE_ALL === '1')('is present in CI', () => {
    expect(CC).toBeDefined();
  });
});

describe.skipIf(CC === undefined)('libstrongroom-pkcs11.so', () => {
  let dir = '';
  let smoke = '';

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sr-p11-'));
    const build = spawnSync(process.execPath, [join(REPO, 'scripts', 'build-native.mjs')], { encoding: 'utf8' });
    expect(build.status, build.stderr).toBe(0);
    smoke = join(dir, 'smoke');
    const cc = spawnSync(CC ?? 'cc', ['-std=c99', '-Wall', '-Wextra', '-Werror', `-I${join(NATIVE, 'include')}`,
      join(NATIVE, 'test', 'smoke.c'), '-ldl', '-o', smoke], { encoding: 'utf8' });
    expect(cc.status, cc.stderr).toBe(0);
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers locally: function list, C_Initialize rules, C_GetInfo, NULL arguments, C_Finalize', () => {
    // A socket nobody listens on and a daemon command that cannot start: nothing here may need them.
    const r = spawnSync(smoke, [LIB], {
      encoding: 'utf8', timeout: 20_000,
      env: cleanEnv({ STRONGROOM_PKCS11_SOCKET: join(dir, 'none.sock'), STRONGROOM_DAEMON_CMD: '/nonexistent/strongroom' }),
    });
    expect(r.stdout).toContain('0 failure(s)');
    expect(r.stdout).not.toContain('FAIL');
    expect(r.status).toBe(0);
  });

  describe('framing against the fake daemon', () => {
    let daemon: ChildProcess | undefined;
    const log = () => join(dir, 'framing.log');

    beforeAll(async () => {
      const sock = join(dir, 'fake.sock');
      daemon = spawn(process.execPath, [FAKE, '--socket', sock], { env: cleanEnv({ FAKE_DAEMON_LOG: log() }), stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((ok, fail) => {
        daemon?.stdout?.once('data', () => ok());
        daemon?.once('exit', (code) => fail(new Error(`fake daemon exited ${code}`)));
      });
      const r = spawnSync(smoke, [LIB, 'framing'], { encoding: 'utf8', timeout: 30_000, env: cleanEnv({ STRONGROOM_PKCS11_SOCKET: sock }) });
      expect(r.stdout).not.toContain('FAIL');
      expect(r.stdout).toContain('0 failure(s)');
      expect(r.status).toBe(0);
    });

    afterAll(() => {
      if (daemon && daemon.exitCode === null) daemon.kill();
    });

    it('decodes every request without leftovers and numbers functions by their position', () => {
      const entries = readLog(log()).filter((e) => e.fn !== undefined);
      expect(entries.filter((e) => e.error !== undefined)).toEqual([]);
      const numbers = new Map(entries.map((e) => [e.name, e.fn]));
      expect(numbers.get('C_Initialize')).toBe(1);
      expect(numbers.get('C_GetSlotList')).toBe(5);
      expect(numbers.get('C_GetAttributeValue')).toBe(25);
      expect(numbers.get('C_VerifyInit')).toBeUndefined();
      expect(numbers.get('C_Verify')).toBe(50);
      expect(numbers.get('C_GenerateKeyPair')).toBe(60);
      expect(numbers.get('C_WrapKey')).toBe(61);
      expect(numbers.get('C_DeriveKey')).toBe(63);
      expect(numbers.get('C_GenerateRandom')).toBe(65);
    });

    it('opens each connection with C_Initialize, and a forked child gets its own', () => {
      const entries = readLog(log());
      const conns = [...new Set(entries.map((e) => e.conn))];
      expect(conns).toEqual([1, 2]);
      for (const c of conns) expect(entries.find((e) => e.conn === c && e.fn !== undefined)?.name).toBe('C_Initialize');
      const last = entries.filter((e) => e.conn === 1 && e.fn !== undefined).at(-1);
      expect(last?.name).toBe('C_Finalize');
    });

    it('sends OUT as present/capacity for the size query, the too-small buffer and the real one', () => {
      const outs = readLog(log()).filter((e) => e.name === 'C_Encrypt').map((e) => e.out);
      expect(outs).toEqual([{ present: false, capacity: '0' }, { present: true, capacity: '4' }, { present: true, capacity: '64' }]);
    });

    it('sends TEMPLATE_QUERY capacities without values and TEMPLATE_IN with values', () => {
      const entries = readLog(log());
      const query = entries.find((e) => e.name === 'C_GetAttributeValue')?.template;
      expect(query?.map((a) => [a.type, a.hasValue, a.len, a.value])).toEqual([
        ['3', true, '64', undefined], ['17', true, '32', undefined], ['0', true, '8', undefined],
        ['3', false, '0', undefined], ['3', true, '2', undefined],
      ]);
      const create = entries.find((e) => e.name === 'C_CreateObject')?.template;
      expect(create).toEqual([
        { type: '0', hasValue: true, len: '8', value: '0400000000000000' },
        { type: '3', hasValue: true, len: '2', value: '6b31' },
        { type: '1', hasValue: true, len: '1', value: '01' },
        { type: '258', hasValue: false, len: '0' },
      ]);
    });

    it('converts mechanism parameters to kinds 0–7', () => {
      const mechs = readLog(log()).filter((e) => e.mech !== undefined).map((e) => e.mech);
      expect(mechs).toContainEqual({ mechanism: '4231', kind: 2, iv: '000102030405060708090a0b', aad: '616263', tagBits: '128' });
      expect(mechs).toContainEqual({ mechanism: '4230', kind: 6, counterBits: '32', cb: '00000000000000000000000000000001' });
      expect(mechs).toContainEqual({ mechanism: '9', kind: 3, hashAlg: '592', mgf: '2', source: '1', sourceData: '4c' });
      expect(mechs).toContainEqual({ mechanism: '68', kind: 4, hashAlg: '608', mgf: '3', sLen: '48' });
      expect(mechs).toContainEqual({ mechanism: '4229', kind: 1, bytes: '000102030405060708090a0b' });
      expect(mechs).toContainEqual({ mechanism: '592', kind: 0 });
      expect(mechs).toContainEqual({ mechanism: '4176', kind: 5, kdf: '1', sharedData: '', publicData: '040102' });
      expect(mechs).toContainEqual({ mechanism: '4180', kind: 7, aesKeyBits: '256', hashAlg: '592', mgf: '2', source: '1', sourceData: '4c' });
    });
  });

  it('starts the daemon itself at /tmp/strongroom-pkcs11-<uid>/<fnv1a64(config)>.sock', () => {
    const config = join(dir, 'client.json');
    writeFileSync(config, '{}\n');
    const log = join(dir, 'autostart.log');
    // Through a symlinked-looking path: the library hashes realpath(config).
    const r = spawnSync(smoke, [LIB, 'framing'], {
      encoding: 'utf8', timeout: 30_000, cwd: dir,
      env: cleanEnv({ STRONGROOM_CONFIG: join(dir, '.', 'client.json'), STRONGROOM_DAEMON_CMD: `${process.execPath} ${FAKE}`, FAKE_DAEMON_LOG: log }),
    });
    expect(r.stdout).toContain('0 failure(s)');
    expect(r.status).toBe(0);
    expect(existsSync(log)).toBe(true);
    const started = readLog(log)[0];
    expect(started?.started).toBe('client-daemon');
    expect(started?.socketMatchesHash).toBe(true);
  });

  it('ends a call the daemon never answers with CKR_DEVICE_ERROR after STRONGROOM_PKCS11_TIMEOUT_MS; the next call works', async () => {
    const sock = join(dir, 'hang.sock');
    const fake = spawn(process.execPath, [FAKE, '--socket', sock], { env: cleanEnv({ FAKE_DAEMON_LOG: join(dir, 'hang.log') }), stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((ok, fail) => {
        fake.stdout?.once('data', () => ok());
        fake.once('exit', (code) => fail(new Error(`fake daemon exited ${code}`)));
      });
      // pkcs11js (a dev dependency) drives the library from a child process with its own environment.
      const script = `
        import p from 'pkcs11js';
        const m = new p.PKCS11(); m.load(${JSON.stringify(LIB)}); m.C_Initialize();
        const h = m.C_OpenSession(m.C_GetSlotList(true)[0], p.CKF_SERIAL_SESSION);
        const t0 = Date.now(); let code = 'none';
        try { m.C_SeedRandom(h, Buffer.from('hang')); } catch (e) { code = e.code; }
        const ms = Date.now() - t0;
        m.C_SeedRandom(h, Buffer.from('ok'));
        console.log(JSON.stringify({ code, ms }));
        m.C_Finalize();`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        cwd: REPO, encoding: 'utf8', timeout: 20_000, env: cleanEnv({ STRONGROOM_PKCS11_SOCKET: sock, STRONGROOM_PKCS11_TIMEOUT_MS: '400' }),
      });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout.trim()) as { code: number; ms: number };
      expect(out.code).toBe(0x30); // CKR_DEVICE_ERROR
      expect(out.ms).toBeGreaterThanOrEqual(350);
      expect(out.ms).toBeLessThan(5_000);
    } finally {
      fake.kill();
    }
  });
});
