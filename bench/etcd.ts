// Benchmark fixture: one single-member etcd (the `etcd` binary) as a child process on free
// loopback ports with a temp data dir, for the propagation suite's etcd row. Written apart from
// test/support/etcd.ts because the build (tsconfig.build.json) holds src/ and bench/ only.
// Must never touch an etcd it did not start, listen beyond 127.0.0.1, or leave the process or its
// directory behind: stop() kills it and removes the data.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { freePort } from './free-port.js';

export interface BenchEtcd {
  endpoints: string[];
  stop(): Promise<void>;
}

/** True when an `etcd` binary is on PATH. */
export function haveEtcd(): boolean {
  const r = spawnSync('etcd', ['--version'], { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

export async function startBenchEtcd(): Promise<BenchEtcd> {
  const root = mkdtempSync(join(tmpdir(), 'strongroom-bench-etcd-'));
  const clientUrl = `http://127.0.0.1:${await freePort()}`;
  const peerUrl = `http://127.0.0.1:${await freePort()}`;
  const logPath = join(root, 'etcd.log');
  const log = openSync(logPath, 'a');
  const proc: ChildProcess = spawn('etcd', [
    '--name', 'bench',
    '--data-dir', join(root, 'data'),
    '--listen-client-urls', clientUrl,
    '--advertise-client-urls', clientUrl,
    '--listen-peer-urls', peerUrl,
    '--initial-advertise-peer-urls', peerUrl,
    '--initial-cluster', `bench=${peerUrl}`,
    '--initial-cluster-state', 'new',
    '--logger', 'zap',
    '--log-outputs', 'stderr',
    '--log-level', 'warn',
  ], { stdio: ['ignore', log, log] });
  closeSync(log);

  const stop = (): Promise<void> => new Promise<void>((res) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return res();
    proc.once('exit', () => res());
    proc.kill('SIGKILL');
  }).then(() => rmSync(root, { recursive: true, force: true }));

  const client = new Etcd3({ hosts: [clientUrl], dialTimeout: 1000 });
  const deadline = Date.now() + 30_000;
  try {
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`etcd exited (${proc.exitCode ?? proc.signalCode}): ${readFileSync(logPath, 'utf8').split('\n').slice(-15).join('\n')}`);
      }
      try {
        await client.get('strongroom-bench-health').options({ deadline: new Date(Date.now() + 1000) }).exec();
        break;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`etcd did not become ready: ${String(err)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (e) {
    await stop();
    throw e;
  } finally {
    client.close();
  }
  return { endpoints: [clientUrl], stop };
}
