// One launcher for a real `strongroom control-plane` process (dist/), for bench/kms-setup.ts and
// test/control-plane: a temp data directory, an HSM port from freePort, a random subnet octet,
// wait for the "Strongroom control plane: URL" line, then the bootstrapped root keys read from
// DIR/aws-credentials. Never leaves the process or its directory behind once stop() has run.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { freePort } from './free-port.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root whether this runs from bench/ (vitest) or dist/bench/ (npm run bench:kms). */
export const ROOT = here.includes(`${join('dist', 'bench')}`) ? resolve(here, '../..') : resolve(here, '..');
export const STRONGROOM_BIN = join(ROOT, 'dist/src/bin/strongroom.js');

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface ControlPlaneProcess {
  dir: string;
  /** The CloudHSMv2 endpoint, as the process printed it. */
  url: string;
  hsmPort: number;
  proc: ChildProcess;
  /** The root keys of the account the control plane bootstrapped. */
  credentials: AwsCredentials;
  /** SIGTERM, wait for the exit, remove the data directory. */
  stop(): Promise<void>;
}

export interface ControlPlaneOptions {
  /** Prefix of the temp data directory's name. */
  dirPrefix: string;
  /** How long to wait for the URL line. */
  startTimeoutMs: number;
  /** control-plane flags after the common ones (a later flag wins). */
  args?: string[];
  /** Flags for the process's node (e.g. --cpu-prof for profiling). */
  nodeArgs?: string[];
}

export async function spawnControlPlane(o: ControlPlaneOptions): Promise<ControlPlaneProcess> {
  const dir = mkdtempSync(join(tmpdir(), o.dirPrefix));
  const hsmPort = await freePort();
  const octet = String(30 + Math.floor(Math.random() * 180));
  const proc = spawn(process.execPath, [...(o.nodeArgs ?? []), STRONGROOM_BIN, 'control-plane', '--data-dir', dir, '--port', '0', '--hsm-port', String(hsmPort), '--subnet-octet', octet, '--health-interval-ms', '500', ...(o.args ?? [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((res, rej) => {
    const rl = createInterface({ input: proc.stdout! });
    const t = setTimeout(() => rej(new Error(`control plane did not start: ${err}`)), o.startTimeoutMs);
    rl.on('line', (l) => {
      const m = /^Strongroom control plane: (\S+)/.exec(l);
      if (m) {
        clearTimeout(t);
        res(m[1]!);
      }
    });
    proc.once('exit', (c) => rej(new Error(`control plane exited ${c}: ${err}`)));
  });
  const text = readFileSync(join(dir, 'aws-credentials'), 'utf8');
  const credentials = { accessKeyId: /aws_access_key_id = (\S+)/.exec(text)![1]!, secretAccessKey: /aws_secret_access_key = (\S+)/.exec(text)![1]! };
  return {
    dir, url, hsmPort, proc, credentials,
    stop: () => new Promise<void>((res) => {
      const done = () => {
        rmSync(dir, { recursive: true, force: true });
        res();
      };
      if (proc.exitCode !== null) return done();
      proc.once('exit', done);
      proc.kill('SIGTERM');
    }),
  };
}
