// Test support: real etcd servers (the `etcd` binary, Debian's etcd-server) as child processes on
// free loopback ports with temp data dirs, one or three members, for the etcd store tests.
// Must never touch an etcd it did not start, listen beyond 127.0.0.1, or leave processes or
// directories behind (stop() kills every member and removes the data).

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { freePort, haveTool } from '../integration/harness.js';

export interface EtcdCluster {
  /** Client URLs, one per member, in member order. */
  endpoints: string[];
  /** SIGTERM one member and wait for it to exit. */
  stopMember(i: number): Promise<void>;
  /** SIGKILL one member (no clean shutdown) and wait for it to exit. */
  killMember(i: number): Promise<void>;
  /** Start a stopped member again on its data dir and ports; resolves once it answers. */
  startMember(i: number): Promise<void>;
  /** Kill every member and remove the data dirs. */
  stop(): Promise<void>;
}

/** True when the etcd binary is present (with STRONGROOM_REQUIRE_ALL=1 a missing etcd throws). */
export const haveEtcd = (): boolean => haveTool('etcd');

interface Member {
  name: string;
  dir: string;
  clientUrl: string;
  peerUrl: string;
  proc: ChildProcess | undefined;
}

export async function startEtcd(opts: { members?: 1 | 3 } = {}): Promise<EtcdCluster> {
  const count = opts.members ?? 1;
  const root = mkdtempSync(join(tmpdir(), 'strongroom-etcd-'));
  const token = `strongroom-test-${randomBytes(6).toString('hex')}`;
  const members: Member[] = [];
  for (let i = 0; i < count; i++) {
    members.push({
      name: `m${i}`,
      dir: join(root, `m${i}`),
      clientUrl: `http://127.0.0.1:${await freePort()}`,
      peerUrl: `http://127.0.0.1:${await freePort()}`,
      proc: undefined,
    });
  }
  const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');

  const spawnMember = (m: Member): void => {
    const log = openSync(join(root, `${m.name}.log`), 'a');
    m.proc = spawn(
      'etcd',
      [
        '--name', m.name,
        '--data-dir', m.dir,
        '--listen-client-urls', m.clientUrl,
        '--advertise-client-urls', m.clientUrl,
        '--listen-peer-urls', m.peerUrl,
        '--initial-advertise-peer-urls', m.peerUrl,
        '--initial-cluster', initialCluster,
        '--initial-cluster-state', 'new',
        '--initial-cluster-token', token,
        // Short timeouts so a killed leader is replaced quickly in tests.
        '--heartbeat-interval', '50',
        '--election-timeout', '500',
        '--logger', 'zap',
        '--log-outputs', 'stderr',
        '--log-level', 'warn',
      ],
      { stdio: ['ignore', log, log] },
    );
    closeSync(log);
  };

  const logTail = (m: Member): string => {
    try {
      return readFileSync(join(root, `${m.name}.log`), 'utf8').split('\n').slice(-15).join('\n');
    } catch {
      return '';
    }
  };

  /** Waits until a get through `hosts` succeeds (linearizable: needs a quorum; else served locally). */
  const waitReady = async (hosts: string[], linearizable: boolean, watch: Member[]): Promise<void> => {
    const client = new Etcd3({ hosts, dialTimeout: 1000 });
    const deadline = Date.now() + 30_000;
    try {
      for (;;) {
        for (const m of watch) {
          if (m.proc && (m.proc.exitCode !== null || m.proc.signalCode !== null)) {
            throw new Error(`etcd member ${m.name} exited (${m.proc.exitCode ?? m.proc.signalCode}):\n${logTail(m)}`);
          }
        }
        try {
          await client.get('strongroom-health').serializable(!linearizable).options({ deadline: new Date(Date.now() + 1000) }).exec();
          return;
        } catch (err) {
          if (Date.now() > deadline) throw new Error(`etcd did not become ready: ${String(err)}\n${watch.map(logTail).join('\n')}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    } finally {
      client.close();
    }
  };

  const exit = (m: Member, signal: NodeJS.Signals): Promise<void> =>
    new Promise((res) => {
      const p = m.proc;
      m.proc = undefined;
      if (!p || p.exitCode !== null || p.signalCode !== null) return res();
      p.once('exit', () => res());
      p.kill(signal);
    });

  const member = (i: number): Member => {
    const m = members[i];
    if (!m) throw new RangeError(`no etcd member ${i}`);
    return m;
  };

  const cluster: EtcdCluster = {
    endpoints: members.map((m) => m.clientUrl),
    stopMember: (i) => exit(member(i), 'SIGTERM'),
    killMember: (i) => exit(member(i), 'SIGKILL'),
    startMember: async (i) => {
      const m = member(i);
      if (m.proc) return;
      spawnMember(m);
      await waitReady([m.clientUrl], false, [m]);
    },
    stop: async () => {
      await Promise.all(members.map((m) => exit(m, 'SIGKILL')));
      rmSync(root, { recursive: true, force: true });
    },
  };

  try {
    for (const m of members) spawnMember(m);
    await waitReady(cluster.endpoints, true, members);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}
