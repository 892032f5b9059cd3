// Benchmark driver: a closed loop keeping N operations outstanding for a fixed time after a
// warm-up, with ops/s and p50/p99 latency, and the median of several runs. Pure timing: it knows
// nothing about HSMs. Must never count operations that started in the warm-up or ended after the
// window, nor hide a failed operation (the first error ends the cell and is thrown).

import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

export interface LoopOptions {
  /** Operations kept in flight (N workers, each starting its next operation when one ends). */
  inFlight: number;
  /** Measured window, seconds. */
  seconds: number;
  /** Warm-up before the window, seconds (its operations are not counted). */
  warmupSeconds: number;
}

export interface CellResult {
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Operations completed inside the window. */
  count: number;
  /** Operations completed in all, warm-up included (what the CPU figures are divided by). */
  total?: number;
  /** CPU time per operation over warm-up and window (µs): the HSM process(es, summed), and this process. */
  hsmCpuUs?: number;
  benchCpuUs?: number;
  /** Same, for a server process between this one and the HSMs (serverPid), when given. */
  serverCpuUs?: number;
}

/** CPU seconds (user + system) a process has used, from /proc on Linux; undefined elsewhere. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return undefined;
  }
}

/** CPU seconds of several processes together (the HSMs of a cluster); undefined if any is unreadable. */
export function sumCpu(pids: number[]): number | undefined {
  let t = 0;
  for (const p of pids) {
    const c = processCpuSeconds(p);
    if (c === undefined) return undefined;
    t += c;
  }
  return t;
}

/** Nearest-rank percentile of sorted samples. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/**
 * Runs `op` in a closed loop. `op` may be truly asynchronous (an HSM call, crypto.sign with a
 * callback) or do synchronous work and return a resolved promise: the workers then interleave on
 * microtasks, which is what "N in flight" means for a synchronous API.
 */
export async function closedLoop(op: () => Promise<unknown>, o: LoopOptions & { hsmPid?: number | number[]; serverPid?: number }): Promise<CellResult> {
  const pids = o.hsmPid === undefined ? [] : Array.isArray(o.hsmPid) ? o.hsmPid : [o.hsmPid];
  const hsmCpu0 = pids.length === 0 ? undefined : sumCpu(pids);
  const serverCpu0 = o.serverPid === undefined ? undefined : processCpuSeconds(o.serverPid);
  const cpu0 = process.cpuUsage();
  let all = 0;
  const start = performance.now();
  const windowStart = start + o.warmupSeconds * 1000;
  const end = windowStart + o.seconds * 1000;
  let samples = new Float64Array(1 << 16);
  let n = 0;
  let completed = 0;
  const record = (ms: number): void => {
    if (n === samples.length) {
      const bigger = new Float64Array(samples.length * 2);
      bigger.set(samples);
      samples = bigger;
    }
    samples[n++] = ms;
  };
  const worker = async (): Promise<void> => {
    for (;;) {
      const t0 = performance.now();
      if (t0 >= end) return;
      await op();
      all++;
      const t1 = performance.now();
      if (t1 >= windowStart && t1 <= end) completed++;
      if (t0 >= windowStart && t1 <= end) record(t1 - t0);
    }
  };
  await Promise.all(Array.from({ length: o.inFlight }, () => worker()));
  const cpu = process.cpuUsage(cpu0);
  const hsmCpu1 = pids.length === 0 ? undefined : sumCpu(pids);
  const serverCpu1 = o.serverPid === undefined ? undefined : processCpuSeconds(o.serverPid);
  const sorted = samples.subarray(0, n).sort();
  const r: CellResult = { opsPerSec: completed / o.seconds, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), count: completed, total: all };
  if (all > 0) {
    r.benchCpuUs = (cpu.user + cpu.system) / all;
    if (hsmCpu0 !== undefined && hsmCpu1 !== undefined) r.hsmCpuUs = ((hsmCpu1 - hsmCpu0) * 1e6) / all;
    if (serverCpu0 !== undefined && serverCpu1 !== undefined) r.serverCpuUs = ((serverCpu1 - serverCpu0) * 1e6) / all;
  }
  return r;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Runs a cell `runs` times; each figure is the median of that figure over the runs. */
export async function medianOf(runs: number, cell: () => Promise<CellResult>): Promise<CellResult & { runs: number[] }> {
  const all: CellResult[] = [];
  for (let i = 0; i < runs; i++) all.push(await cell());
  return {
    opsPerSec: median(all.map((r) => r.opsPerSec)),
    p50Ms: median(all.map((r) => r.p50Ms)),
    p99Ms: median(all.map((r) => r.p99Ms)),
    count: median(all.map((r) => r.count)),
    ...(all.every((r) => r.benchCpuUs !== undefined) ? { benchCpuUs: median(all.map((r) => r.benchCpuUs!)) } : {}),
    ...(all.every((r) => r.hsmCpuUs !== undefined) ? { hsmCpuUs: median(all.map((r) => r.hsmCpuUs!)) } : {}),
    runs: all.map((r) => r.opsPerSec),
  };
}
