// Shared set-up for the suites that drive libstrongroom-pkcs11.so from real programs: one
// activated cluster (`strongroom up --hsms 1`) with crypto user alice, the module built, an
// environment with STRONGROOM_CONFIG and a socket of the suite's own (so suites never share a
// client daemon), helpers to compile a C test program, and cleanup that stops the daemon the
// library started (by the pid file it writes next to its socket). Never touches another daemon.

import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';
import { as, cli, startCluster, type Cluster } from '../integration/harness.js';

export const REPO = resolve(import.meta.dirname, '..', '..');
export const NATIVE = join(REPO, 'native', 'pkcs11');
export const MODULE = join(NATIVE, 'build', 'libstrongroom-pkcs11.so');
export const ADMIN_PW = 'Admin-pass-1';
export const ALICE_PW = 'Alice-pass-1';
export const PIN = `alice:${ALICE_PW}`;
export const CC = ['cc', 'gcc', 'clang'].find((c) => spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0);

/** The module, built when `npm run build` has not built it yet. */
export function ensureModule(): string {
  if (!existsSync(MODULE)) {
    const b = spawnSync(process.execPath, [join(REPO, 'scripts', 'build-native.mjs')], { encoding: 'utf8' });
    expect(b.status, b.stderr).toBe(0);
  }
  return MODULE;
}

export interface P11Cluster {
  cluster: Cluster;
  /** A temporary directory of the suite's own (socket, files). */
  dir: string;
  socket: string;
  /** process.env plus STRONGROOM_CONFIG and STRONGROOM_PKCS11_SOCKET. */
  env: NodeJS.ProcessEnv;
  /** Runs a program with env (and extra variables). */
  run(cmd: string, args: string[], opts?: { env?: Record<string, string>; input?: string | Buffer; timeout?: number }): SpawnSyncReturns<string>;
  /** The pid the daemon wrote next to its socket, or undefined when none runs. */
  daemonPid(): number | undefined;
  /** Stops the daemon, the cluster, and removes the directories. */
  cleanup(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function startP11Cluster(prefix: string): Promise<P11Cluster> {
  ensureModule();
  const cluster = await startCluster(['--hsms', '1']);
  const act = cli(cluster, ['cluster', 'activate', '--password', ADMIN_PW]);
  expect(act.json.error_code, act.stdout).toBe(0);
  const created = cli(cluster, ['user', 'create', '--username', 'alice', '--role', 'crypto-user', '--password', ALICE_PW], as('admin', 'admin', ADMIN_PW));
  expect(created.json.error_code, created.stdout).toBe(0);
  const dir = mkdtempSync(join(tmpdir(), `sr-${prefix}-`));
  const socket = join(dir, 'p11', 'd.sock');
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['STRONGROOM_DAEMON_CMD', 'STRONGROOM_PKCS11_DEBUG']) delete env[k];
  // A daemon left behind by a crashed run exits by itself after 30 s without connections.
  Object.assign(env, { STRONGROOM_CONFIG: cluster.config, STRONGROOM_PKCS11_SOCKET: socket, STRONGROOM_PKCS11_IDLE_MS: '30000' });
  const daemonPid = (): number | undefined => {
    try {
      const pid = Number(readFileSync(`${socket}.pid`, 'utf8').trim());
      return pid > 0 && alive(pid) ? pid : undefined;
    } catch {
      return undefined;
    }
  };
  return {
    cluster, dir, socket, env, daemonPid,
    run: (cmd, args, opts = {}) => spawnSync(cmd, args, {
      encoding: 'utf8', env: { ...env, ...opts.env }, input: opts.input ?? '', timeout: opts.timeout ?? 120_000, cwd: dir,
    }),
    cleanup: async () => {
      const pid = daemonPid();
      if (pid !== undefined) {
        process.kill(pid, 'SIGTERM');
        for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
        if (alive(pid)) process.kill(pid, 'SIGKILL');
      }
      await cluster.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Compiles one C program of test/pkcs11/c/ against native/pkcs11/include into dir. */
export function compileC(dir: string, source: string, extra: string[] = []): string {
  const exe = join(dir, source.replace(/\.c$/, ''));
  const r = spawnSync(CC ?? 'cc', ['-std=c99', '-O1', '-Wall', '-Wextra', '-Werror', '-pthread', `-I${join(NATIVE, 'include')}`,
    join(REPO, 'test', 'pkcs11', 'c', source), '-ldl', ...extra, '-o', exe], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return exe;
}

/** Lines "CASE <name> <result>" of a C program's output, by name. */
export function cases(stdout: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const g = /^CASE (\S+) (.*)$/.exec(line);
    if (g) m.set(g[1]!, g[2]!.trim());
  }
  return m;
}

export interface DaemonStats {
  pid: number;
  connections: number;
  sessions: number;
  operations: number;
  sessionObjects: number;
  pending: number;
}

/**
 * The daemon's statistics: SIGUSR2 makes it write <socket>.stats.json. Asks again (for up to
 * 10 s) until `until` holds, since a closed connection is torn down after its last request.
 */
export async function daemonStats(p: P11Cluster, until: (s: DaemonStats) => boolean = () => true): Promise<DaemonStats> {
  const file = `${p.socket}.stats.json`;
  let last: DaemonStats | undefined;
  for (let attempt = 0; attempt < 20; attempt++) {
    const pid = p.daemonPid();
    if (pid === undefined) throw new Error('no client daemon runs on this socket');
    rmSync(file, { force: true });
    process.kill(pid, 'SIGUSR2');
    for (let i = 0; i < 100 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 20));
    last = JSON.parse(readFileSync(file, 'utf8')) as DaemonStats;
    if (until(last)) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  return last!;
}
