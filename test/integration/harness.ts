// Test harness: a real `strongroom up` process in a temp directory on a free loopback port, and
// helpers to run `strongroom-cli` as a subprocess and parse its JSON. Uses the compiled dist/
// (npm test builds first). Cleans up its processes and directories.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from '../../bench/free-port.js';

export { freePort };

export const ROOT = resolve(import.meta.dirname, '../..');
export const STRONGROOM = join(ROOT, 'dist/src/bin/strongroom.js');
export const CLI = join(ROOT, 'dist/src/bin/strongroom-cli.js');

export interface Cluster {
  dir: string;
  port: number;
  config: string;
  proc: ChildProcess;
  stop(): Promise<void>;
  /** Starts `up` again on the same directory (restart test). */
  restart(): Promise<void>;
  cleanup(): Promise<void>;
}

/** A loopback range of its own per cluster, so test files running side by side never collide. */
function subnetBase(): string {
  return `127.${21 + Math.floor(Math.random() * 220)}`;
}

function startUp(dir: string, port: number, extra: string[], env: Record<string, string> = {}): Promise<ChildProcess> {
  const args = ['up', '--data-dir', dir, '--port', String(port)];
  if (!extra.includes('--hsms')) args.push('--hsms', '1');
  if (!extra.includes('--subnet-base')) args.push('--subnet-base', subnetBase());
  // Tests of the data plane run without the control plane (its own tests start it on a free port).
  if (!extra.includes('--api-port')) args.push('--no-control-plane');
  return new Promise((res, rej) => {
    const proc = spawn(process.execPath, [STRONGROOM, ...args, ...extra], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let err = '';
    proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const rl = createInterface({ input: proc.stdout! });
    const timer = setTimeout(() => rej(new Error(`strongroom up did not start in time: ${err}`)), 60_000);
    rl.on('line', (line) => {
      if (line.includes('Press Ctrl-C')) {
        clearTimeout(timer);
        res(proc);
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`strongroom up exited with ${code}: ${err}`));
    });
  });
}

function stopProc(proc: ChildProcess): Promise<void> {
  return new Promise((res) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return res();
    proc.once('exit', () => res());
    proc.kill('SIGTERM');
  });
}

/** env: extra environment for `up` and its HSMs (e.g. STRONGROOM_TOKEN_TTL_MS, STRONGROOM_TEST_CLOCK_OFFSET_MS). */
export async function startCluster(extra: string[] = [], env: Record<string, string> = {}): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-test-'));
  const port = await freePort();
  // The subnet base is fixed once per cluster so restart() finds the same addresses.
  if (!extra.includes('--subnet-base')) extra = [...extra, '--subnet-base', subnetBase()];
  const c: Cluster = {
    dir,
    port,
    config: join(dir, 'client.json'),
    proc: await startUp(dir, port, extra, env),
    stop: () => stopProc(c.proc),
    restart: async () => {
      await stopProc(c.proc);
      c.proc = await startUp(dir, port, extra, env);
    },
    cleanup: async () => {
      await stopProc(c.proc);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return c;
}

export interface CliResult {
  code: number;
  json: { error_code: number; data: any };
  stdout: string;
  stderr: string;
}

/** Runs strongroom-cli once (single-command mode) and parses its JSON output. */
export function cli(cluster: Cluster, args: string[], env: Record<string, string> = {}, input?: string): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args, '--config', cluster.config], {
    env: { ...process.env, ...env },
    input: input ?? '',
    encoding: 'utf8',
    timeout: 60_000,
  });
  let json: CliResult['json'];
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = { error_code: -1, data: `unparseable output: ${r.stdout} ${r.stderr}` };
  }
  return { code: r.status ?? -1, json, stdout: r.stdout, stderr: r.stderr };
}

/** Environment for single-command mode as a given user (CloudHSM's CLOUDHSM_ROLE / CLOUDHSM_PIN). */
export function as(role: 'admin' | 'crypto-user', user: string, password: string): Record<string, string> {
  return { CLOUDHSM_ROLE: role, CLOUDHSM_PIN: `${user}:${password}` };
}

/** True when a command-line tool is present; with STRONGROOM_REQUIRE_ALL=1 (CI) a missing tool throws. */
export function haveTool(bin: string): boolean {
  const ok = spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
  if (!ok && process.env['STRONGROOM_REQUIRE_ALL'] === '1') throw new Error(`${bin} is required in CI (scripts/install-test-deps.mjs installs it)`);
  return ok;
}

export interface HsmProcessInfo {
  hsmId: string;
  dir: string;
  config: string;
  address: string;
  port: number;
  pid: number;
}

/** The HSMs of a cluster started by `up`, read from their node.json and pid files. */
export function hsmProcesses(cluster: Cluster): HsmProcessInfo[] {
  const out: HsmProcessInfo[] = [];
  const base = join(cluster.dir, 'hsms');
  for (const id of readdirSync(base)) {
    const config = join(base, id, 'node.json');
    const n = JSON.parse(readFileSync(config, 'utf8')) as { address: string; port: number };
    let pid = 0;
    try {
      pid = Number(readFileSync(join(base, id, 'hsm.pid'), 'utf8'));
    } catch {
      /* not started */
    }
    out.push({ hsmId: id, dir: join(base, id), config, address: n.address, port: n.port, pid });
  }
  return out;
}

/** Starts one HSM process by hand (after a kill -9), resolving when it is ready. */
export function startHsm(h: HsmProcessInfo): Promise<ChildProcess> {
  return new Promise((res, rej) => {
    const proc = spawn(process.execPath, [STRONGROOM, 'hsm', '--config', h.config], { stdio: ['ignore', 'pipe', 'ignore'], detached: false });
    const rl = createInterface({ input: proc.stdout! });
    const timer = setTimeout(() => rej(new Error(`HSM ${h.hsmId} did not start`)), 30_000);
    rl.on('line', (line) => {
      if (line.includes('"event":"ready"')) {
        clearTimeout(timer);
        res(proc);
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`HSM ${h.hsmId} exited with ${code}`));
    });
  });
}

/**
 * Debian's AWS CLI v2 (package awscli). A machine may have another `aws` earlier on PATH (a v1
 * from pip, say); the tests always use Debian's, which scripts/install-test-deps.mjs installs.
 */
export const AWS_CLI = '/usr/bin/aws';
