// Benchmark fixture: one real HSM node process started with the orchestrator's up() in a temp
// directory on a free loopback port (mutual TLS enforced), the cluster activated, a crypto user
// created and logged in, and the four benchmark keys generated. Must never leave the HSM process
// running: stop() ends it cleanly (SIGTERM) and removes the cluster directory.

import { mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { up, type RunningCluster } from '../src/orchestrator/up.js';
import { StrongroomClient } from '../src/client/client.js';

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

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

const ADMIN_PASSWORD = 'bench-admin-pw';
const CU = { username: 'benchcu', password: 'bench-cu-pw' };

/**
 * Starts the cluster. `hsmNodeOptions` (e.g. "--cpu-prof --cpu-prof-dir=D") is given to the HSM
 * process alone, through NODE_OPTIONS in the environment up() spawns it with.
 */
export async function startBenchCluster(dir: string, hsmNodeOptions?: string): Promise<BenchCluster> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const saved = process.env['NODE_OPTIONS'];
  if (hsmNodeOptions) process.env['NODE_OPTIONS'] = [saved, hsmNodeOptions].filter(Boolean).join(' ');
  let cluster: RunningCluster;
  try {
    cluster = await up({ dataDir: dir, address: '127.0.0.1', port, mtls: true, out: () => undefined });
  } finally {
    if (hsmNodeOptions) {
      if (saved === undefined) delete process.env['NODE_OPTIONS'];
      else process.env['NODE_OPTIONS'] = saved;
    }
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
