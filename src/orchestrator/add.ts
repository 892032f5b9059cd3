// `strongroom hsm add`: a new HSM joins a running cluster. It gets the next address in its zone's
// loopback subnet, is manufactured (device certificate from the fleet CA), started, and cloned
// from an active HSM; it then serves every existing key and user. Runs in the foreground.
// Must never hold the domain key: the clone package is opaque to this process.

import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { applianceConnect, applianceCreds, cloneFromAnyPeer } from './appliance.js';
import { randomId, startHsmProcess } from './up.js';

interface NodeJson {
  hsmId: string;
  clusterId: string;
  availabilityZone: string;
  address: string;
  port: number;
  dir: string;
  storePath: string;
  etcdEndpoints?: string[];
  fleetCaFile: string;
  fleetCaKeyFile?: string;
}

export async function addHsm(dataDir: string, zone?: string): Promise<{ hsmId: string; availabilityZone: string; address: string; port: number; state: string; process: ChildProcess }> {
  const dir = resolve(dataDir);
  const layoutPath = join(dir, 'cluster.json');
  const layout = JSON.parse(readFileSync(layoutPath, 'utf8')) as { clusterId: string; hsms: Array<{ hsmId: string; availabilityZone: string }> };
  const peers = layout.hsms.map((h) => JSON.parse(readFileSync(join(dir, 'hsms', h.hsmId, 'node.json'), 'utf8')) as NodeJson);
  const template = peers[0];
  if (!template) throw new Error(`no cluster under ${dir}: run strongroom up first`);
  const zones = [...new Set(peers.map((p) => p.availabilityZone))].sort();
  const az = zone ?? zones.map((z) => ({ z, n: peers.filter((p) => p.availabilityZone === z).length })).sort((a, b) => a.n - b.n || a.z.localeCompare(b.z))[0]!.z;
  const sameZone = peers.filter((p) => p.availabilityZone === az);
  const base = template.address.split('.').slice(0, 2).join('.');
  const subnet = sameZone[0] ? sameZone[0].address.split('.')[2]! : String(zones.length + 1);
  const used = new Set(sameZone.map((p) => p.address));
  let host = 10;
  while (used.has(`${base}.${subnet}.${host}`)) host++;
  const hsmId = randomId('hsm-');
  const nodeDir = join(dir, 'hsms', hsmId);
  mkdirSync(nodeDir, { recursive: true, mode: 0o700 });
  const cfg: NodeJson = { ...template, hsmId, availabilityZone: az, address: `${base}.${subnet}.${host}`, dir: nodeDir };
  writeFileSync(join(nodeDir, 'node.json'), JSON.stringify(cfg, null, 2) + '\n');
  layout.hsms.push({ hsmId, availabilityZone: az });
  writeFileSync(layoutPath, JSON.stringify(layout, null, 2) + '\n');

  const started = await startHsmProcess(join(nodeDir, 'node.json'), join(nodeDir, 'hsm.log'));
  const creds = applianceCreds(dir);
  const target = await applianceConnect(creds, cfg.address, started.port);
  try {
    const done = await cloneFromAnyPeer(creds, target, peers);
    if (done) return { hsmId, availabilityZone: az, address: cfg.address, port: started.port, state: done.state, process: started.child };
  } finally {
    target.close();
  }
  started.child.kill('SIGTERM');
  throw new Error('no active HSM could clone into the new HSM');
}
