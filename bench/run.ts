// `npm run bench`: suites chosen with BENCH_SUITES (single,cluster,propagation; default all).
// single: RSA-2048, ECDSA P-256, AES-256-GCM and HMAC-SHA256 through the client library over
// mutual TLS to one real HSM process, beside the same operation on node:crypto in this process, at
// 1/16/64 in flight. cluster: RSA-2048 sign and AES-256-GCM through the cluster-aware client to
// three HSMs, against one HSM in the same run. propagation: how soon a key generated, shared,
// unshared or deleted on one HSM shows on another (SQLite and etcd stores). Prints markdown tables
// and writes results.json to a temp dir.
// Settings (env): BENCH_SECONDS (3), BENCH_WARMUP (0.5), BENCH_RUNS (3), BENCH_DEPTHS (1,16,64),
// BENCH_OPS (rsa,ecdsa,aes,hmac), BENCH_SIDES (hsm,node), BENCH_HSM_PROFILE=DIR (HSM --cpu-prof),
// BENCH_CLUSTER_DEPTH (64), BENCH_PROP_KEYS (200), BENCH_PROP_ENGINES (sqlite,etcd).
// Must never report a figure it did not measure, nor measure before every reply checked correct.

import crypto from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { startBenchCluster, type BenchCluster } from './cluster.js';
import { haveEtcd, startBenchEtcd } from './etcd.js';
import { closedLoop, medianOf, processCpuSeconds, type CellResult } from './loop.js';
import { propagationSuite, type PropagationRow } from './propagation.js';

const num = (name: string, dflt: number): number => {
  const v = process.env[name];
  const n = v === undefined || v === '' ? dflt : Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number`);
  return n;
};
const list = (name: string, dflt: string): string[] => (process.env[name] ?? dflt).split(',').map((s) => s.trim()).filter(Boolean);

const SECONDS = num('BENCH_SECONDS', 3);
const WARMUP = num('BENCH_WARMUP', 0.5);
const RUNS = Math.round(num('BENCH_RUNS', 3));
const DEPTHS = list('BENCH_DEPTHS', '1,16,64').map(Number);
const OPS = list('BENCH_OPS', 'rsa,ecdsa,aes,hmac');
const SIDES = list('BENCH_SIDES', 'hsm,node');
const PROFILE_DIR = process.env['BENCH_HSM_PROFILE'];
const SUITES = list('BENCH_SUITES', 'single,cluster,propagation');
const CLUSTER_DEPTH = Math.round(num('BENCH_CLUSTER_DEPTH', 64));
const PROP_KEYS = Math.round(num('BENCH_PROP_KEYS', 200));
const PROP_ENGINES = list('BENCH_PROP_ENGINES', 'sqlite,etcd');
for (const x of SUITES) if (!['single', 'cluster', 'propagation'].includes(x)) throw new Error(`BENCH_SUITES: unknown suite ${x}`);
/** Loopback ranges of the bench's own (the integration tests pick 127.21–240 at random). */
const SUBNET = { single: '127.0', clusterOne: '127.0', clusterThree: '127.250', propSqlite: '127.251', propEtcd: '127.252' };

/** Every operation's input: 1 KiB of random bytes. */
const MSG = crypto.randomBytes(1024);

interface Case {
  id: string;
  title: string;
  /** One HSM operation through the client library, decoding its reply. */
  hsm: (bc: BenchCluster) => () => Promise<unknown>;
  /** The same operation on node:crypto in this process. */
  node: () => () => Promise<unknown>;
  /** Checks 64 pipelined replies for 64 distinct inputs (before any timing). */
  check: (bc: BenchCluster) => Promise<void>;
  target?: { inFlight: number; opsPerSec: number };
}

function nodeSign(alg: string, key: crypto.SignKeyObjectInput | crypto.KeyObject): () => Promise<Buffer> {
  return () => new Promise((res, rej) => crypto.sign(alg, MSG, key, (e, s) => (e ? rej(e) : res(s))));
}

function assert(ok: boolean, what: string): void {
  if (!ok) throw new Error(`bench: wrong reply: ${what}`);
}

const inputs = (): Buffer[] => Array.from({ length: 64 }, () => crypto.randomBytes(1024));

async function checkSignatures(bc: BenchCluster, mechanism: string, ref: string, pubRef: string, opts: { dsaEncoding?: 'ieee-p1363' }, len: number): Promise<void> {
  const { pem } = await bc.client.call('key.getPublic', { ref: pubRef });
  const msgs = inputs();
  const sigs = await Promise.all(msgs.map((m) => bc.client.call('crypto.sign', { mechanism, ref, data: m.toString('base64') })));
  sigs.forEach((s, i) => {
    const sig = Buffer.from(s.signature, 'base64');
    assert(sig.length === len, `${mechanism} signature length ${sig.length}`);
    assert(crypto.verify('sha256', msgs[i]!, { key: pem, ...opts }, sig), `${mechanism} signature ${i} does not verify`);
  });
}

const CASES: Case[] = [
  {
    id: 'rsa', title: 'RSA-2048 sign (CKM_SHA256_RSA_PKCS)', target: { inFlight: 64, opsPerSec: 2000 },
    hsm: (bc) => async () => Buffer.from((await bc.client.call('crypto.sign', { mechanism: 'CKM_SHA256_RSA_PKCS', ref: bc.keys.rsaPrivate, data: MSG.toString('base64') })).signature, 'base64'),
    node: () => nodeSign('sha256', crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey),
    check: (bc) => checkSignatures(bc, 'CKM_SHA256_RSA_PKCS', bc.keys.rsaPrivate, bc.keys.rsaPublic, {}, 256),
  },
  {
    id: 'ecdsa', title: 'ECDSA P-256 sign (CKM_ECDSA_SHA256)', target: { inFlight: 64, opsPerSec: 10_000 },
    hsm: (bc) => async () => Buffer.from((await bc.client.call('crypto.sign', { mechanism: 'CKM_ECDSA_SHA256', ref: bc.keys.ecPrivate, data: MSG.toString('base64') })).signature, 'base64'),
    node: () => nodeSign('sha256', { key: crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey, dsaEncoding: 'ieee-p1363' }),
    check: (bc) => checkSignatures(bc, 'CKM_ECDSA_SHA256', bc.keys.ecPrivate, bc.keys.ecPublic, { dsaEncoding: 'ieee-p1363' }, 64),
  },
  {
    id: 'aes', title: 'AES-256-GCM encrypt 1 KiB (CKM_AES_GCM, HSM IV)', target: { inFlight: 64, opsPerSec: 20_000 },
    hsm: (bc) => async () => {
      const r = await bc.client.call('crypto.encrypt', { mechanism: 'CKM_AES_GCM', ref: bc.keys.aes, data: MSG.toString('base64') });
      return [Buffer.from(r.data, 'base64'), Buffer.from(r.iv ?? '', 'base64')];
    },
    node: () => {
      const key = crypto.randomBytes(32);
      return () => {
        const iv = crypto.randomBytes(12);
        const c = crypto.createCipheriv('aes-256-gcm', key, iv);
        return Promise.resolve([Buffer.concat([c.update(MSG), c.final(), c.getAuthTag()]), iv]);
      };
    },
    check: async (bc) => {
      const msgs = inputs();
      const cts = await Promise.all(msgs.map((m) => bc.client.call('crypto.encrypt', { mechanism: 'CKM_AES_GCM', ref: bc.keys.aes, data: m.toString('base64') })));
      const ivs = new Set<string>();
      for (const [i, ct] of cts.entries()) {
        assert(Buffer.from(ct.data, 'base64').length === 1024 + 16 && Buffer.from(ct.iv ?? '', 'base64').length === 12, 'AES-GCM lengths');
        ivs.add(ct.iv ?? '');
        const pt = await bc.client.call('crypto.decrypt', { mechanism: 'CKM_AES_GCM', ref: bc.keys.aes, data: ct.data, params: { iv: ct.iv ?? '' } });
        assert(Buffer.from(pt.data, 'base64').equals(msgs[i]!), `AES-GCM round trip ${i}`);
      }
      assert(ivs.size === msgs.length, 'AES-GCM IVs must be distinct');
    },
  },
  {
    id: 'hmac', title: 'HMAC-SHA256 1 KiB (CKM_SHA256_HMAC)',
    hsm: (bc) => async () => Buffer.from((await bc.client.call('crypto.sign', { mechanism: 'CKM_SHA256_HMAC', ref: bc.keys.hmac, data: MSG.toString('base64') })).signature, 'base64'),
    node: () => {
      const key = crypto.randomBytes(32);
      return () => Promise.resolve(crypto.createHmac('sha256', key).update(MSG).digest());
    },
    check: async (bc) => {
      const msgs = inputs();
      const macs = await Promise.all(msgs.map((m) => bc.client.call('crypto.sign', { mechanism: 'CKM_SHA256_HMAC', ref: bc.keys.hmac, data: m.toString('base64') })));
      assert(new Set(macs.map((m) => m.signature)).size === msgs.length, 'HMACs of distinct inputs must differ');
      await Promise.all(macs.map(async (m, i) => {
        assert(Buffer.from(m.signature, 'base64').length === 32, 'HMAC length');
        await bc.client.call('crypto.verify', { mechanism: 'CKM_SHA256_HMAC', ref: bc.keys.hmac, data: msgs[i]!.toString('base64'), signature: m.signature });
      }));
    },
  },
];

interface Row {
  op: string;
  inFlight: number;
  hsm?: CellResult & { runs: number[] };
  node?: CellResult & { runs: number[] };
}

const f0 = (n: number | undefined): string => (n === undefined ? '–' : Math.round(n).toLocaleString('en-US'));
const f3 = (n: number | undefined): string => (n === undefined || Number.isNaN(n) ? '–' : n < 10 ? n.toFixed(3) : n < 1000 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US'));

function table(rows: Row[]): string {
  const out = [
    '| Operation | In flight | HSM ops/s | HSM p50 ms | HSM p99 ms | node:crypto ops/s | node p50 ms | node p99 ms | HSM/node |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const ratio = r.hsm && r.node ? `${((100 * r.hsm.opsPerSec) / r.node.opsPerSec).toFixed(1)}%` : '–';
    out.push(`| ${r.op} | ${r.inFlight} | ${f0(r.hsm?.opsPerSec)} | ${f3(r.hsm?.p50Ms)} | ${f3(r.hsm?.p99Ms)} | ${f0(r.node?.opsPerSec)} | ${f3(r.node?.p50Ms)} | ${f3(r.node?.p99Ms)} | ${ratio} |`);
  }
  out.push('', 'CPU per operation (µs, user+system of the whole process, thread pool included; warm-up included).', '',
    '| Operation | In flight | HSM process µs/op | bench process (client) µs/op | bench process (node:crypto) µs/op |', '|---|---:|---:|---:|---:|');
  for (const r of rows) out.push(`| ${r.op} | ${r.inFlight} | ${f3(r.hsm?.hsmCpuUs)} | ${f3(r.hsm?.benchCpuUs)} | ${f3(r.node?.benchCpuUs)} |`);
  return out.join('\n');
}

function targets(rows: Row[]): string[] {
  const lines: string[] = [];
  for (const c of CASES) {
    if (!c.target) continue;
    const r = rows.find((x) => x.op === c.title && x.inFlight === c.target!.inFlight);
    if (!r?.hsm) continue;
    const ok = r.hsm.opsPerSec >= c.target.opsPerSec;
    lines.push(`- ${c.title} at ${c.target.inFlight} in flight: ${f0(r.hsm.opsPerSec)}/s (target ≥ ${f0(c.target.opsPerSec)}/s): ${ok ? 'met' : 'MISSED'}`);
  }
  const rsa = rows.find((x) => x.op === CASES[0]!.title && x.inFlight === 64);
  if (rsa?.hsm && rsa.node) {
    const pct = (100 * rsa.hsm.opsPerSec) / rsa.node.opsPerSec;
    lines.push(`- RSA-2048 at 64 in flight vs in-process: ${pct.toFixed(1)}% (target ≥ 70%): ${pct >= 70 ? 'met' : 'MISSED'}`);
  }
  const aes1 = rows.find((x) => x.op === CASES[2]!.title && x.inFlight === 1);
  if (aes1?.hsm) lines.push(`- AES-GCM at 1 in flight p50: ${f3(aes1.hsm.p50Ms)} ms (target < 0.5 ms): ${aes1.hsm.p50Ms < 0.5 ? 'met' : 'MISSED'}`);
  return lines;
}

const log = (s: string): void => void process.stderr.write(s + '\n');

async function runSingle(outDir: string, profileDir: string | undefined): Promise<Row[]> {
  log('bench: starting one HSM node (up) with mutual TLS...');
  const bc = await startBenchCluster(join(outDir, 'cluster'), profileDir ? { profileDir } : {});
  const rows: Row[] = [];
  try {
    const cases = CASES.filter((c) => OPS.includes(c.id));
    for (const c of cases) {
      await c.check(bc);
      log(`bench: ${c.id}: 64 pipelined replies checked correct`);
    }
    for (const c of cases) {
      const hsmOp = c.hsm(bc);
      const nodeOp = c.node();
      for (const inFlight of DEPTHS) {
        const loop = { inFlight, seconds: SECONDS, warmupSeconds: WARMUP };
        const row: Row = { op: c.title, inFlight };
        const hsmPid = bc.cluster.hsms[0]!.process.pid;
        if (SIDES.includes('hsm')) row.hsm = await medianOf(RUNS, () => closedLoop(hsmOp, hsmPid === undefined ? loop : { ...loop, hsmPid }));
        if (SIDES.includes('node')) row.node = await medianOf(RUNS, () => closedLoop(nodeOp, loop));
        log(`bench: ${c.id} @${inFlight}: HSM ${f0(row.hsm?.opsPerSec)}/s p50 ${f3(row.hsm?.p50Ms)} ms, node ${f0(row.node?.opsPerSec)}/s`);
        rows.push(row);
      }
    }
  } finally {
    await bc.stop();
  }
  return rows;
}

// --- cluster: three HSMs through the cluster-aware client, against one ------------------------

const CLUSTER_CASES = ['rsa', 'aes'];

interface ClusterRow {
  op: string;
  inFlight: number;
  one: CellResult & { runs: number[]; source: 'single suite' | 'measured' };
  three: CellResult & { runs: number[] };
  /** Share of the three HSMs' CPU each HSM used over the three-HSM cells (%), in cluster.info order. */
  cpuSplit: number[];
}

/** Measures `ids` on a running cluster at `inFlight`, checking replies first; HSM CPU summed over its processes. */
async function measureOn(bc: BenchCluster, ids: string[], inFlight: number): Promise<Map<string, { cell: CellResult & { runs: number[] }; cpuSplit: number[] }>> {
  const out = new Map<string, { cell: CellResult & { runs: number[] }; cpuSplit: number[] }>();
  const pids = bc.cluster.hsms.map((h) => h.process.pid).filter((p): p is number => p !== undefined);
  for (const c of CASES.filter((x) => ids.includes(x.id))) {
    await c.check(bc);
    log(`bench: cluster (${bc.cluster.hsms.length} HSM): ${c.id}: 64 pipelined replies checked correct`);
  }
  for (const c of CASES.filter((x) => ids.includes(x.id))) {
    const cpu0 = pids.map((p) => processCpuSeconds(p) ?? 0);
    const cell = await medianOf(RUNS, () => closedLoop(c.hsm(bc), { inFlight, seconds: SECONDS, warmupSeconds: WARMUP, ...(pids.length ? { hsmPid: pids } : {}) }));
    const used = pids.map((p, k) => (processCpuSeconds(p) ?? 0) - cpu0[k]!);
    const total = used.reduce((x, y) => x + y, 0);
    const cpuSplit = used.map((u) => (total > 0 ? (100 * u) / total : NaN));
    log(`bench: cluster (${pids.length} HSM): ${c.id} @${inFlight}: ${f0(cell.opsPerSec)}/s p50 ${f3(cell.p50Ms)} ms, HSM CPU split ${cpuSplit.map((x) => x.toFixed(0) + '%').join('/')}`);
    out.set(c.id, { cell, cpuSplit });
  }
  return out;
}

async function runCluster(outDir: string, single: Row[]): Promise<ClusterRow[]> {
  const inFlight = CLUSTER_DEPTH;
  const ones = new Map<string, CellResult & { runs: number[]; source: 'single suite' | 'measured' }>();
  for (const id of CLUSTER_CASES) {
    const r = single.find((x) => x.op === CASES.find((c) => c.id === id)!.title && x.inFlight === inFlight);
    if (r?.hsm) ones.set(id, { ...r.hsm, source: 'single suite' });
  }
  const missing = CLUSTER_CASES.filter((id) => !ones.has(id));
  if (missing.length) {
    log(`bench: cluster: starting a one-HSM cluster for the baseline (${missing.join(', ')})...`);
    const bc1 = await startBenchCluster(join(outDir, 'cluster-1'), { hsms: 1, subnetBase: SUBNET.clusterOne });
    try {
      for (const [id, m] of await measureOn(bc1, missing, inFlight)) ones.set(id, { ...m.cell, source: 'measured' });
    } finally {
      await bc1.stop();
    }
  }
  log('bench: cluster: starting a three-HSM cluster (SQLite store)...');
  const bc3 = await startBenchCluster(join(outDir, 'cluster-3'), { hsms: 3, subnetBase: SUBNET.clusterThree });
  const rows: ClusterRow[] = [];
  try {
    const healthy = bc3.client.hsms.filter((h) => h.healthy);
    if (healthy.length !== 3) throw new Error(`bench: the cluster-aware client is connected to ${healthy.length} of 3 HSMs`);
    log(`bench: cluster: client connected to ${healthy.map((h) => `${h.address}:${h.port}`).join(', ')}`);
    const three = await measureOn(bc3, CLUSTER_CASES, inFlight);
    for (const id of CLUSTER_CASES) {
      const t = three.get(id)!;
      rows.push({ op: CASES.find((c) => c.id === id)!.title, inFlight, one: ones.get(id)!, three: t.cell, cpuSplit: t.cpuSplit });
    }
  } finally {
    await bc3.stop();
  }
  return rows;
}

function clusterTable(rows: ClusterRow[]): string {
  const cpus = os.cpus().length;
  const out = [
    '## Cluster: three HSMs through the cluster-aware client (SQLite store)', '',
    '| Operation | In flight | 1 HSM ops/s | 1 HSM p50 ms | 1 HSM p99 ms | 3 HSMs ops/s | 3 HSMs p50 ms | 3 HSMs p99 ms | 3 HSMs / 1 HSM | HSM CPU µs/op (1) | HSM CPU µs/op (3, summed) | CPU split over the 3 HSMs |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    out.push(`| ${r.op} | ${r.inFlight} | ${f0(r.one.opsPerSec)} | ${f3(r.one.p50Ms)} | ${f3(r.one.p99Ms)} | ${f0(r.three.opsPerSec)} | ${f3(r.three.p50Ms)} | ${f3(r.three.p99Ms)} | ${(r.three.opsPerSec / r.one.opsPerSec).toFixed(2)}× | ${f3(r.one.hsmCpuUs)} | ${f3(r.three.hsmCpuUs)} | ${r.cpuSplit.map((x) => x.toFixed(0) + '%').join(' / ')} |`);
  }
  const src = [...new Set(rows.map((r) => r.one.source))].join(', ');
  out.push('', `1-HSM figures: ${src} (same run, same settings). ` +
    `Note: this machine has ${cpus} CPU core${cpus === 1 ? '' : 's'}, shared by the bench client and every HSM process. ` +
    (cpus <= 2
      ? `On ${cpus} cores three HSMs cannot compute more than one, so the ratio shows the overhead of spreading (more processes, TLS connections and context switches), not a speed-up.`
      : 'With fewer cores than HSMs plus the client the ratio shows the overhead of spreading rather than a speed-up; a real cluster gives each HSM its own machine.'));
  return out.join('\n');
}

// --- propagation ------------------------------------------------------------------------------

async function runPropagation(outDir: string): Promise<{ rows: PropagationRow[]; skipped: string[] }> {
  const rows: PropagationRow[] = [];
  const skipped: string[] = [];
  const common = { keys: PROP_KEYS, warmupKeys: 5, jitterMs: 25, timeoutMs: 10_000, log };
  if (PROP_ENGINES.includes('sqlite')) {
    rows.push(...await propagationSuite({ ...common, engine: 'sqlite', dir: join(outDir, 'prop-sqlite'), subnetBase: SUBNET.propSqlite }));
  }
  if (PROP_ENGINES.includes('etcd')) {
    if (!haveEtcd()) {
      skipped.push('etcd: the `etcd` binary is not on PATH, so the etcd rows are skipped');
    } else {
      log('bench: propagation: starting a single-member etcd...');
      const etcd = await startBenchEtcd();
      try {
        rows.push(...await propagationSuite({ ...common, engine: 'etcd', dir: join(outDir, 'prop-etcd'), subnetBase: SUBNET.propEtcd, etcdEndpoints: etcd.endpoints }));
      } finally {
        await etcd.stop();
      }
    }
  }
  return { rows, skipped };
}

function propagationTable(p: { rows: PropagationRow[]; skipped: string[] }): string {
  const out = [
    '## Propagation: a key change acknowledged on HSM A, first seen on HSM B', '',
    '| Store | Event | Keys | p50 ms | p99 ms | max ms | requests to B per key |',
    '|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const r of p.rows) out.push(`| ${r.engine} | ${r.event} | ${r.n} | ${f3(r.p50Ms)} | ${f3(r.p99Ms)} | ${f3(r.maxMs)} | ${r.meanPolls.toFixed(2)} |`);
  out.push('', 'Time from A\'s reply to B\'s first reply showing the change, B polled back to back over its own connection; ' +
    'each change follows a random 0–25 ms pause so it is not in step with B\'s feed poll. ' +
    'Generate is served at once by read-through on a cache miss; share, unshare and delete wait for B to follow the store\'s change feed ' +
    '(SQLite: polled every 20 ms; etcd: watch).');
  for (const s of p.skipped) out.push('', `Skipped: ${s}.`);
  return out.join('\n');
}

async function main(): Promise<void> {
  const outDir = mkdtempSync(join(os.tmpdir(), 'strongroom-bench-'));
  const profileDir = PROFILE_DIR ? resolve(PROFILE_DIR) : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  log(`bench: suites ${SUITES.join(',')}; ${SECONDS}s per cell after ${WARMUP}s warm-up, median of ${RUNS}; in flight ${DEPTHS.join('/')}; ${os.cpus().length} CPUs, Node ${process.version}`);
  let rows: Row[] = [];
  let cluster: ClusterRow[] = [];
  let propagation: { rows: PropagationRow[]; skipped: string[] } | undefined;
  try {
    if (SUITES.includes('single')) rows = await runSingle(outDir, profileDir);
    if (SUITES.includes('cluster')) cluster = await runCluster(outDir, rows);
    if (SUITES.includes('propagation')) propagation = await runPropagation(outDir);
  } catch (e) {
    rmSync(outDir, { recursive: true, force: true });
    throw e;
  }
  const results = {
    date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model,
    settings: { suites: SUITES, seconds: SECONDS, warmupSeconds: WARMUP, runs: RUNS, depths: DEPTHS, inputBytes: MSG.length, clusterDepth: CLUSTER_DEPTH, propagationKeys: PROP_KEYS },
    rows, cluster, propagation,
  };
  const resultsPath = join(outDir, 'results.json');
  writeFileSync(resultsPath, JSON.stringify(results, null, 2) + '\n');
  const sections: string[] = [];
  if (SUITES.includes('single')) sections.push(`${table(rows)}\n\n${targets(rows).join('\n')}`);
  if (cluster.length) sections.push(clusterTable(cluster));
  if (propagation) sections.push(propagationTable(propagation));
  process.stdout.write(`\n${sections.join('\n\n')}\n\nresults: ${resultsPath}\n`);
  if (profileDir) process.stdout.write(`HSM CPU profile: ${profileDir} (node dist/bench/profile.js ${profileDir}/*.cpuprofile)\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
