// Benchmark fixture: real HSM node processes (one by default, or several over loopback zones, on
// SQLite or etcd) started with the orchestrator's up() in a temp directory on a free port (mutual
// TLS enforced), the cluster activated, a crypto user created and logged in through the
// cluster-aware client, and the four benchmark keys generated. Must never leave an HSM process
// running: stop() ends them cleanly (SIGTERM) and removes the cluster directory.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { up, type RunningCluster } from '../src/orchestrator/up.js';
import { StrongroomClient } from '../src/client/client.js';
import { freePort } from './free-port.js';

export interface BenchKeys {
  rsaPrivate: string;
  rsaPublic: string;
  ecPrivate: string;
  ecPublic: string;
  aes: string;
  hmac: string;
}

export interface BenchCluster {
  cluster: RunningCluster;
  /** One connection, logged in as the crypto user. */
  client: StrongroomClient;
  keys: BenchKeys;
  stop(): Promise<void>;
}


const STRONGROOM = resolve(dirname(fileURLToPath(import.meta.url)), '../src/bin/strongroom.js');

/** Runs `strongroom hsm --config FILE` with extra node flags; resolves when it reports ready. */
function spawnHsm(nodeFlags: string[], config: string, logPath: string): Promise<ChildProcess> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [...nodeFlags, STRONGROOM, 'hsm', '--config', config], { stdio: ['ignore', 'pipe', openSync(logPath, 'a')] });
    const onExit = (code: number | null): void => rej(new Error(`HSM process exited with ${code} before it was ready; see ${logPath}`));
    child.once('exit', onExit);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.includes('"event":"ready"')) {
        child.off('exit', onExit);
        res(child);
      }
    });
  });
}

const ADMIN_PASSWORD = 'bench-admin-pw';
/** The crypto user the bench client logs in as (extra users get the same password). */
export const BENCH_CU = { username: 'benchcu', password: 'bench-cu-pw' };
const CU = BENCH_CU;

export interface BenchClusterOptions {
  /** Restart the (single) HSM under --cpu-prof, writing the profile here. */
  profileDir?: string;
  /** HSMs in the cluster (default 1). */
  hsms?: number;
  /** up()'s subnetBase (default '127.0'): HSM addresses are 127.B.<zone>.<10+k>. */
  subnetBase?: string;
  /** Run the cluster store on these etcd endpoints instead of SQLite. */
  etcdEndpoints?: string[];
  /** More crypto users to create (password BENCH_CU.password). */
  extraCryptoUsers?: string[];
}

/**
 * Starts the cluster. With `profileDir` the HSM node is then restarted on the same directory and
 * port as `node --cpu-prof --cpu-prof-dir=profileDir strongroom.js hsm --config …` (Node refuses
 * --cpu-prof in NODE_OPTIONS, and up() spawns the node itself); the profile is written when it exits.
 */
export async function startBenchCluster(dir: string, opts: BenchClusterOptions = {}): Promise<BenchCluster> {
  const profileDir = opts.profileDir;
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const cluster = await up({
    dataDir: dir, subnetBase: opts.subnetBase ?? '127.0', port, hsms: opts.hsms ?? 1, region: 'local-1', mtls: true, out: () => undefined,
    ...(opts.etcdEndpoints ? { etcdEndpoints: opts.etcdEndpoints } : {}),
  });
  if (profileDir) {
    if (cluster.hsms.length !== 1) throw new Error('bench: --cpu-prof restart supports one HSM only');
    await cluster.stop();
    const h = cluster.hsms[0]!;
    const nodeDir = join(dir, 'hsms', h.hsmId);
    // cluster.stop() signals the processes in cluster.hsms, so it stops this one too.
    h.process = await spawnHsm(['--cpu-prof', `--cpu-prof-dir=${profileDir}`], join(nodeDir, 'node.json'), join(nodeDir, 'hsm.log'));
  }
  const stop = async (client?: StrongroomClient): Promise<void> => {
    client?.close();
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const admin = await StrongroomClient.connect(cluster.clientConfigPath);
    try {
      await admin.call('cluster.activate', { password: ADMIN_PASSWORD });
      await admin.login('admin', 'admin', ADMIN_PASSWORD);
      await admin.call('user.create', { username: CU.username, role: 'crypto-user', password: CU.password });
      for (const u of opts.extraCryptoUsers ?? []) await admin.call('user.create', { username: u, role: 'crypto-user', password: CU.password });
    } finally {
      admin.close();
    }
    const client = await StrongroomClient.connect(cluster.clientConfigPath);
    try {
      await client.login(CU.username, 'crypto-user', CU.password);
      const keys = await generateKeys(client);
      return { cluster, client, keys, stop: () => stop(client) };
    } catch (e) {
      client.close();
      throw e;
    }
  } catch (e) {
    await stop();
    throw e;
  }
}

async function generateKeys(c: StrongroomClient): Promise<BenchKeys> {
  const rsa = await c.call('key.generateKeyPair', {
    keyType: 'rsa', modulusSizeBits: 2048, publicExponent: 65537,
    publicAttributes: { label: 'bench-rsa-pub', verify: true }, privateAttributes: { label: 'bench-rsa', sign: true },
  });
  const ec = await c.call('key.generateKeyPair', {
    keyType: 'ec', curve: 'secp256r1',
    publicAttributes: { label: 'bench-ec-pub', verify: true }, privateAttributes: { label: 'bench-ec', sign: true },
  });
  const aes = await c.call('key.generateSymmetric', { keyType: 'aes', keyLengthBytes: 32, attributes: { label: 'bench-aes', encrypt: true, decrypt: true } });
  const hmac = await c.call('key.generateSymmetric', { keyType: 'generic-secret', keyLengthBytes: 32, attributes: { label: 'bench-hmac', sign: true, verify: true } });
  return {
    rsaPrivate: rsa.private_key['key-reference'],
    rsaPublic: rsa.public_key['key-reference'],
    ecPrivate: ec.private_key['key-reference'],
    ecPublic: ec.public_key['key-reference'],
    aes: aes.key['key-reference'],
    hmac: hmac.key['key-reference'],
  };
}
