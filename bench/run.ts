// `npm run bench`: RSA-2048, ECDSA P-256, AES-256-GCM and HMAC-SHA256 through the client library
// over mutual TLS to one real HSM process, beside the same operation on node:crypto in this
// process, at 1/16/64 in flight; prints a markdown table and writes results.json to a temp dir.
// Settings (env): BENCH_SECONDS (3), BENCH_WARMUP (0.5), BENCH_RUNS (3), BENCH_DEPTHS (1,16,64),
// BENCH_OPS (rsa,ecdsa,aes,hmac), BENCH_SIDES (hsm,node), BENCH_HSM_PROFILE=DIR (HSM --cpu-prof).
// Must never report a figure it did not measure, nor measure before every reply checked correct.

import crypto from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { startBenchCluster, type BenchCluster } from './cluster.js';
import { closedLoop, medianOf, type CellResult } from './loop.js';

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

async function main(): Promise<void> {
  const log = (s: string): void => void process.stderr.write(s + '\n');
  const outDir = mkdtempSync(join(os.tmpdir(), 'strongroom-bench-'));
  const profileDir = PROFILE_DIR ? resolve(PROFILE_DIR) : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  log(`bench: ${SECONDS}s per cell after ${WARMUP}s warm-up, median of ${RUNS}; in flight ${DEPTHS.join('/')}; ${os.cpus().length} CPUs, Node ${process.version}`);
  log('bench: starting one HSM node (up) with mutual TLS...');
  let bc: BenchCluster;
  try {
    bc = await startBenchCluster(join(outDir, 'cluster'), profileDir);
  } catch (e) {
    rmSync(outDir, { recursive: true, force: true });
    throw e;
  }
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
  const results = {
    date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model,
    settings: { seconds: SECONDS, warmupSeconds: WARMUP, runs: RUNS, depths: DEPTHS, inputBytes: MSG.length },
    rows,
  };
  const resultsPath = join(outDir, 'results.json');
  writeFileSync(resultsPath, JSON.stringify(results, null, 2) + '\n');
  process.stdout.write(`\n${table(rows)}\n\n${targets(rows).join('\n')}\n\nresults: ${resultsPath}\n`);
  if (profileDir) process.stdout.write(`HSM CPU profile: ${profileDir} (node dist/bench/profile.js ${profileDir}/*.cpuprofile)\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
