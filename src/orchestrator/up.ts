// `strongroom up`: a local cluster on one machine. Makes the development fleet CA ("manufacturer")
// and customer CA, starts HSM node processes on loopback, initialises the cluster (signing its CSR
// with the customer CA), and writes client.json. Holds CA keys only in the data directory.
// Must never read or hold HSM keys, users' passwords or the domain key.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { applianceConnect, applianceCreds, cloneInto } from './appliance.js';
import { createCa, issueCertificate, signCsr } from '../pki/pki.js';

export interface UpOptions {
  dataDir: string;
  /** First two octets of the loopback subnets: zone z gets 127.B.(z+1).0/24. Default 127.20. */
  subnetBase: string;
  port: number;
  /** How many HSMs (spread over zones a, b, c, …). */
  hsms: number;
  region: string;
  /** FIPS mode, fixed when the cluster is made: non-approved mechanisms and key sizes are refused. */
  fips?: boolean;
  /** Run the cluster store on etcd instead of the embedded SQLite file. */
  etcdEndpoints?: string[];
  /** Enforce mutual TLS (the default). */
  mtls: boolean;
  out?: (line: string) => void;
}

export interface RunningCluster {
  clusterId: string;
  hsms: Array<{ hsmId: string; availabilityZone: string; address: string; port: number; process: ChildProcess; state: string }>;
  clientConfigPath: string;
  stop(): Promise<void>;
}

const ZONES = 'abcdefghijklmnopqrstuvwxyz'.split('');
const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../bin/strongroom.js');

function writeOnce(path: string, make: () => string, mode = 0o644): void {
  if (!existsSync(path)) writeFileSync(path, make(), { mode });
}

export async function ensureCa(dir: string, name: string, cn: string, keyType: 'rsa' | 'ec'): Promise<{ cert: string; key: string }> {
  const crt = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  if (!existsSync(crt) || !existsSync(key)) {
    const ca = await createCa(cn, { keyType, days: 3650 });
    writeFileSync(key, ca.keyPem, { mode: 0o600 });
    writeFileSync(crt, ca.certPem, { mode: 0o644 });
  }
  return { cert: readFileSync(crt, 'utf8'), key: readFileSync(key, 'utf8') };
}

export async function ensureLeaf(dir: string, name: string, issuer: { cert: string; key: string }, cn: string, ou: string): Promise<{ cert: string; key: string }> {
  const crt = join(dir, `${name}.crt`);
  const keyPath = join(dir, `${name}.key`);
  if (!existsSync(crt) || !existsSync(keyPath)) {
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const cert = await issueCertificate({ issuerCertPem: issuer.cert, issuerKey: issuer.key, subjectPublicKey: pair.publicKey, commonName: cn, organizationalUnit: ou, kind: 'client', days: 825 });
    writeFileSync(keyPath, pair.privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    writeFileSync(crt, cert, { mode: 0o644 });
  }
  return { cert: readFileSync(crt, 'utf8'), key: readFileSync(keyPath, 'utf8') };
}

export function randomId(prefix: string): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  const b = randomBytes(11);
  return prefix + Array.from(b, (x) => alphabet[x % 32]).join('');
}

/** Starts one HSM process and resolves when it says it is listening. */
export function startHsmProcess(nodeConfigPath: string, logPath: string): Promise<{ child: ChildProcess; port: number; state: string }> {
  return new Promise((resolveP, reject) => {
    const log = openSync(logPath, 'a');
    const child = spawn(process.execPath, [BIN, 'hsm', '--config', nodeConfigPath], { stdio: ['ignore', 'pipe', log] });
    const rl = createInterface({ input: child.stdout! });
    const onExit = (code: number | null) => reject(new Error(`HSM process exited with code ${code} before it was ready; see ${logPath}`));
    child.once('exit', onExit);
    rl.on('line', (line) => {
      try {
        const ev = JSON.parse(line) as { event?: string; port?: number; state?: string };
        if (ev.event === 'ready') {
          child.off('exit', onExit);
          resolveP({ child, port: ev.port!, state: ev.state ?? '' });
        }
      } catch {
        /* not ours */
      }
    });
  });
}

export async function up(opts: UpOptions): Promise<RunningCluster> {
  const say = opts.out ?? ((l: string) => process.stdout.write(l + '\n'));
  const dir = resolve(opts.dataDir);
  mkdirSync(join(dir, 'fleet'), { recursive: true, mode: 0o700 });
  mkdirSync(join(dir, 'hsms'), { recursive: true, mode: 0o700 });

  const fleet = await ensureCa(join(dir, 'fleet'), 'fleetCA', 'Strongroom development fleet CA', 'ec');
  const appliance = await ensureLeaf(join(dir, 'fleet'), 'appliance', fleet, 'app_user', 'appliance');
  const customer = await ensureCa(dir, 'customerCA', 'Strongroom development customer CA', 'rsa');
  const client = await ensureLeaf(dir, 'client', customer, 'strongroom-client', 'client');

  const clusterFile = join(dir, 'cluster.json');
  writeOnce(clusterFile, () => JSON.stringify({ clusterId: randomId('cluster-'), hsms: [] }, null, 2) + '\n');
  const layout = JSON.parse(readFileSync(clusterFile, 'utf8')) as { clusterId: string; hsms: Array<{ hsmId: string; availabilityZone: string }> };
  const zones = ZONES.map((z) => `${opts.region}${z}`);
  while (layout.hsms.length < opts.hsms) {
    layout.hsms.push({ hsmId: randomId('hsm-'), availabilityZone: zones[layout.hsms.length % zones.length]! });
  }
  writeFileSync(clusterFile, JSON.stringify(layout, null, 2) + '\n');
  const wanted = layout.hsms.slice(0, opts.hsms);

  const running: RunningCluster['hsms'] = [];
  const perZone = new Map<string, number>();
  const creds = applianceCreds(dir);
  const startOne = async (h: { hsmId: string; availabilityZone: string }) => {
    const z = zones.indexOf(h.availabilityZone);
    const k = perZone.get(h.availabilityZone) ?? 0;
    perZone.set(h.availabilityZone, k + 1);
    const address = `${opts.subnetBase}.${(z < 0 ? zones.length : z) + 1}.${10 + k}`;
    const nodeDir = join(dir, 'hsms', h.hsmId);
    mkdirSync(nodeDir, { recursive: true, mode: 0o700 });
    const nodeConfigPath = join(nodeDir, 'node.json');
    writeFileSync(nodeConfigPath, JSON.stringify({
      hsmId: h.hsmId,
      clusterId: layout.clusterId,
      availabilityZone: h.availabilityZone,
      address,
      port: opts.port,
      dir: nodeDir,
      storePath: join(dir, 'store.sqlite'),
      ...(opts.etcdEndpoints ? { etcdEndpoints: opts.etcdEndpoints } : {}),
      ...(opts.fips ? { fips: true } : {}),
      fleetCaFile: join(dir, 'fleet', 'fleetCA.crt'),
      fleetCaKeyFile: join(dir, 'fleet', 'fleetCA.key'),
    }, null, 2) + '\n');
    const started = await startHsmProcess(nodeConfigPath, join(nodeDir, 'hsm.log'));
    const entry = { hsmId: h.hsmId, availabilityZone: h.availabilityZone, address, port: started.port, process: started.child, state: started.state };
    running.push(entry);
    return entry;
  };

  // The first HSM alone: on a new cluster it makes the domain key and the cluster key pair.
  const first = await startOne(wanted[0]!);
  const conn = await applianceConnect(creds, first.address, first.port);
  try {
    const info = await conn.call('cluster.info', {});
    if (info.state === 'UNINITIALIZED') {
      const { csr } = await conn.call('cluster.csr', {});
      const clusterCertificate = await signCsr({ csrPem: csr, caCertPem: customer.cert, caKey: customer.key, kind: 'ca', days: 3650 });
      writeFileSync(join(dir, 'cluster.crt'), clusterCertificate);
      await conn.call('cluster.initialize', {
        clusterCertificate,
        trustAnchor: customer.cert,
        clientTrustAnchors: [customer.cert],
        mtlsEnforcement: opts.mtls ? 'cluster' : 'none',
      });
    }
    // The others, in parallel; any HSM without the domain key is cloned from the first.
    const rest = await Promise.all(wanted.slice(1).map((h) => startOne(h)));
    for (const h of [first, ...rest]) {
      if (h.state !== 'UNCLONED' && h.state !== 'DEGRADED') continue;
      const target = await applianceConnect(creds, h.address, h.port);
      try {
        h.state = await cloneInto(conn, target);
      } finally {
        target.close();
      }
    }
  } finally {
    conn.close();
  }

  const clientConfigPath = join(dir, 'client.json');
  writeFileSync(clientConfigPath, JSON.stringify({
    clusterId: layout.clusterId,
    hsms: running.map((h) => ({ address: h.address, port: h.port })),
    caFile: 'customerCA.crt',
    clientCertFile: 'client.crt',
    clientKeyFile: 'client.key',
  }, null, 2) + '\n');

  const stop = async (): Promise<void> => {
    await Promise.all(running.map((h) => new Promise<void>((r) => {
      if (h.process.exitCode !== null) return r();
      h.process.once('exit', () => r());
      h.process.kill('SIGTERM');
      setTimeout(() => h.process.kill('SIGKILL'), 10_000).unref();
    })));
  };
  say(`Strongroom cluster ${layout.clusterId} is up: ${running.length} HSM(s) on ${running.map((h) => `${h.address}:${h.port}`).join(', ')}`);
  say(`  client configuration: ${clientConfigPath}`);
  say(`  trust anchor (customer CA): ${join(dir, 'customerCA.crt')}`);
  say(`  mutual TLS: ${opts.mtls ? 'enforced; client certificate ' + join(dir, 'client.crt') : 'not enforced'}`);
  return { clusterId: layout.clusterId, hsms: running, clientConfigPath, stop };
}
