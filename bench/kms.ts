// `npm run bench:kms`: KMS requests per second through @aws-sdk/client-kms with 64 requests in
// flight (Encrypt and Decrypt of 4 KiB, GenerateDataKey AES_256), for a key in KMS's own store and
// a key in a CloudHSM custom key store on a 3-HSM cluster. Everything (the SDK client, the
// control plane with KMS, and all HSM processes) shares this machine. Prints ops/s and p50/p99.
// Also prints CPU time per request of this process (the SDK client), the control plane (which
// serves KMS) and the HSM processes, measured from /proc over warm-up and window.
// Env: BENCH_SECONDS (default 5), BENCH_WARMUP (default 1), BENCH_IN_FLIGHT (default 64),
// BENCH_STORES (kms,custom; default both), BENCH_SERVER_PROF=DIR (control plane under --cpu-prof).
// BENCH_CLIENT_PROCS=N (default 1): N load-generator processes, each with its own KMSClient and
// 1/N of the requests in flight. 1 is the measurement (one SDK client); N > 1 is a second
// figure, labelled as such, showing what the servers do when one SDK process is not the limit.

import { randomBytes } from 'node:crypto';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Agent } from 'node:http';
import { CreateKeyCommand, CreateCustomKeyStoreCommand, ConnectCustomKeyStoreCommand, DescribeCustomKeyStoresCommand, DecryptCommand, EncryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { readdirSync, readFileSync } from 'node:fs';
import { closedLoop, processCpuSeconds, sumCpu, type CellResult } from './loop.js';
import { customerCluster, startKmsPlane } from './kms-setup.js';

const seconds = Number(process.env['BENCH_SECONDS'] ?? 5);
const warmupSeconds = Number(process.env['BENCH_WARMUP'] ?? 1);
const inFlight = Number(process.env['BENCH_IN_FLIGHT'] ?? 64);
const stores = new Set((process.env['BENCH_STORES'] ?? 'kms,custom').split(','));
const profDir = process.env['BENCH_SERVER_PROF'];
const clientProcs = Math.max(1, Number(process.env['BENCH_CLIENT_PROCS'] ?? 1));

type Cell = 'Encrypt 4 KiB' | 'Decrypt 4 KiB' | 'GenerateDataKey AES_256';
const CELLS: Cell[] = ['Encrypt 4 KiB', 'Decrypt 4 KiB', 'GenerateDataKey AES_256'];
interface Target { url: string; credentials: { accessKeyId: string; secretAccessKey: string }; keyId: string; blob: string }

/** The SDK client and the three operations, as one load-generator process runs them. */
function operations(t: Target, n: number): { kms: KMSClient; ops: Record<Cell, () => Promise<unknown>> } {
  const kms = new KMSClient({
    endpoint: t.url, region: 'local-1', credentials: t.credentials, maxAttempts: 1,
    requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets: n }) },
  });
  const plaintext = randomBytes(4096);
  const blob = Buffer.from(t.blob, 'base64');
  const ctx = { bench: 'kms' };
  return {
    kms,
    ops: {
      'Encrypt 4 KiB': () => kms.send(new EncryptCommand({ KeyId: t.keyId, Plaintext: plaintext, EncryptionContext: ctx })),
      'Decrypt 4 KiB': () => kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: ctx })),
      'GenerateDataKey AES_256': () => kms.send(new GenerateDataKeyCommand({ KeyId: t.keyId, KeySpec: 'AES_256', EncryptionContext: ctx })),
    },
  };
}

/** A load-generator process: runs the cells it is sent, answers with each cell's result. */
function generator(): void {
  let g: ReturnType<typeof operations> | undefined;
  let forKey = '';
  process.on('message', (m: { target: Target; n: number; cell: Cell } | 'exit') => {
    if (m === 'exit') {
      g?.kms.destroy();
      process.exit(0);
    }
    if (!g || forKey !== m.target.keyId) {
      g?.kms.destroy();
      g = operations(m.target, m.n);
      forKey = m.target.keyId;
    }
    const ops = g.ops;
    closedLoop(ops[m.cell], { inFlight: m.n, seconds, warmupSeconds }).then(
      (r) => process.send!(r),
      (e: unknown) => {
        process.stderr.write(`generator failed: ${(e as Error).stack ?? String(e)}\n`);
        process.exit(1);
      },
    );
  });
  process.send!('ready');
}

/** One cell over `clientProcs` generator processes: summed ops/s, CPU per request of each side. */
async function multiCell(gens: ReturnType<typeof fork>[], target: Target, cell: Cell, serverPid: number, hsmPids: number[]): Promise<CellResult> {
  const n = Math.max(1, Math.round(inFlight / gens.length));
  const s0 = processCpuSeconds(serverPid), h0 = sumCpu(hsmPids), g0 = sumCpu(gens.map((g) => g.pid!));
  const rs = await Promise.all(gens.map((g) => new Promise<CellResult>((res, rej) => {
    const exited = (c: number | null) => rej(new Error(`generator exited ${c}`));
    g.once('exit', exited);
    g.once('message', (r: CellResult) => {
      g.off('exit', exited);
      res(r);
    });
    g.send({ target, n, cell });
  })));
  const s1 = processCpuSeconds(serverPid), h1 = sumCpu(hsmPids), g1 = sumCpu(gens.map((g) => g.pid!));
  const total = rs.reduce((a, r) => a + (r.total ?? 0), 0);
  const per = (a?: number, b?: number) => (a === undefined || b === undefined || total === 0 ? undefined : ((b - a) * 1e6) / total);
  const med = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const r: CellResult = { opsPerSec: rs.reduce((a, x) => a + x.opsPerSec, 0), p50Ms: med(rs.map((x) => x.p50Ms)), p99Ms: Math.max(...rs.map((x) => x.p99Ms)), count: rs.reduce((a, x) => a + x.count, 0), total };
  const b = per(g0, g1), sv = per(s0, s1), hs = per(h0, h1);
  if (b !== undefined) r.benchCpuUs = b;
  if (sv !== undefined) r.serverCpuUs = sv;
  if (hs !== undefined) r.hsmCpuUs = hs;
  return r;
}

/** Every process under `root` (the HSMs the control plane started), from /proc. */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* gone */
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const [c, pp] of parent) if (pp === p) {
      out.push(c);
      walk(c);
    }
  };
  walk(root);
  return out;
}

async function main(): Promise<void> {
  process.stdout.write('starting a control plane with KMS and a 3-HSM customer cluster...\n');
  const p = await startKmsPlane([], profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []);
  try {
    const kms = new KMSClient({
      endpoint: p.url, region: 'local-1', credentials: p.credentials, maxAttempts: 1,
      requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets: inFlight }) },
    });
    const c = await customerCluster(p, 3, 'bench');
    const storeId = (await kms.send(new CreateCustomKeyStoreCommand({ CustomKeyStoreName: 'bench', CloudHsmClusterId: c.clusterId, TrustAnchorCertificate: c.caCert, KeyStorePassword: c.kmsuserPassword }))).CustomKeyStoreId!;
    await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    for (let n = 0; ; n++) {
      const s = (await kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: storeId }))).CustomKeyStores![0]!;
      if (s.ConnectionState === 'CONNECTED') break;
      if (s.ConnectionState === 'FAILED' || n > 200) throw new Error(`custom key store did not connect: ${s.ConnectionState} ${s.ConnectionErrorCode ?? ''}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const keys: Record<string, string> = {};
    if (stores.has('kms')) keys['KMS store'] = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    if (stores.has('custom')) keys['custom key store (3 HSMs)'] = (await kms.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: storeId }))).KeyMetadata!.KeyId!;
    const serverPid = p.proc.pid!;
    const hsmPids = descendants(serverPid);
    const plaintext = randomBytes(4096);
    const ctx = { bench: 'kms' };
    const gens = clientProcs > 1 ? await Promise.all(Array.from({ length: clientProcs }, () => new Promise<ReturnType<typeof fork>>((res) => {
      const g = fork(fileURLToPath(import.meta.url), ['generator'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      g.once('message', () => res(g));
    }))) : [];
    const who = clientProcs > 1 ? `${clientProcs} SDK client processes (NOT the issue's measurement: that is one)` : 'one SDK client process';
    process.stdout.write(`\n${inFlight} in flight, ${seconds} s window after ${warmupSeconds} s warm-up, ${who}\n`);
    process.stdout.write(`${'store'.padEnd(28)}${'operation'.padEnd(24)}${'ops/s'.padStart(10)}${'p50 ms'.padStart(10)}${'p99 ms'.padStart(10)}${'CPU µs/req:'.padStart(18)}${'client'.padStart(7)}${'server'.padStart(8)}${'HSMs'.padStart(8)}\n`);
    for (const [store, keyId] of Object.entries(keys)) {
      const blob = (await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: plaintext, EncryptionContext: ctx }))).CiphertextBlob!;
      const target: Target = { url: p.url, credentials: p.credentials, keyId, blob: Buffer.from(blob).toString('base64') };
      const local = gens.length ? undefined : operations(target, inFlight);
      for (const name of CELLS) {
        const r = local
          ? await closedLoop(local.ops[name], { inFlight, seconds, warmupSeconds, hsmPid: hsmPids, serverPid })
          : await multiCell(gens, target, name, serverPid, hsmPids);
        const us = (x: number | undefined) => (x === undefined ? '?' : x.toFixed(0)).padStart(8);
        process.stdout.write(`${store.padEnd(28)}${name.padEnd(24)}${r.opsPerSec.toFixed(0).padStart(10)}${r.p50Ms.toFixed(2).padStart(10)}${r.p99Ms.toFixed(2).padStart(10)}${''.padEnd(18)}${us(r.benchCpuUs).slice(1)}${us(r.serverCpuUs)}${us(r.hsmCpuUs)}\n`);
      }
      local?.kms.destroy();
    }
    for (const g of gens) g.send('exit');
    kms.destroy();
  } finally {
    await p.stop();
  }
}

if (process.argv[2] === 'generator') generator();
else main().catch((e: unknown) => {
  process.stderr.write(`bench:kms failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
