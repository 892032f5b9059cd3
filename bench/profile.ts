// Summarises a V8 .cpuprofile (from `npm run bench` with BENCH_HSM_PROFILE=DIR, which runs the
// HSM process with --cpu-prof): self time by category (zod, JSON, base64, TLS, crypto, audit,
// keystore, dispatch, idle, GC ...) and the top functions. Reads files only; never edits them.
// Usage: node dist/bench/profile.js FILE.cpuprofile [TOP=30]

import { readFileSync } from 'node:fs';

interface CallFrame { functionName: string; url: string; lineNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; hitCount?: number; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

const CATEGORIES: Array<[string, (f: CallFrame) => boolean]> = [
  ['idle', (f) => f.functionName === '(idle)'],
  ['GC', (f) => f.functionName === '(garbage collector)'],
  ['program (native, incl. TLS record crypto and socket I/O)', (f) => f.functionName === '(program)'],
  ['zod validation', (f) => f.url.includes('/zod/')],
  ['pino / logging', (f) => f.url.includes('/pino')],
  ['TLS / net / streams (JS side)', (f) => /node:(internal\/)?(_tls|tls|net|stream|internal\/streams|_stream)|internal\/stream_base_commons|internal\/tls/.test(f.url)],
  ['JSON', (f) => /^(parse|stringify)$/.test(f.functionName) && f.url === ''],
  ['base64 / Buffer', (f) => /node:buffer|internal\/buffer/.test(f.url) || /base64/i.test(f.functionName)],
  ['node:crypto (JS + native calls)', (f) => /internal\/crypto|node:crypto/.test(f.url)],
  ['timers / setImmediate / microtasks', (f) => /internal\/timers|internal\/process\/task_queues/.test(f.url) || f.functionName === 'processImmediate'],
  ['frames (protocol/frames.js)', (f) => f.url.includes('/protocol/frames.js')],
  ['server.js', (f) => f.url.includes('/hsm/server/server.js')],
  ['dispatch.js', (f) => f.url.includes('/hsm/server/dispatch.js')],
  ['audit', (f) => f.url.includes('/hsm/audit/')],
  ['keystore', (f) => f.url.includes('/hsm/keystore/')],
  ['mechanisms / handlers', (f) => /\/hsm\/(mechanisms|handlers|objects|users)\//.test(f.url)],
  ['other strongroom', (f) => f.url.includes('/dist/src/')],
  ['other node internals', (f) => f.url.startsWith('node:')],
  ['other native / builtins', (f) => f.url === ''],
];

function main(): void {
  const [file, topArg] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: node dist/bench/profile.js FILE.cpuprofile [TOP]\n');
    process.exit(2);
  }
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const busy = total - [...selfUs.entries()].filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)').reduce((a, [, v]) => a + v, 0);
  const cats = new Map<string, number>();
  const fns = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const f = byId.get(id)!.callFrame;
    const cat = CATEGORIES.find(([, t]) => t(f))?.[0] ?? 'other';
    cats.set(cat, (cats.get(cat) ?? 0) + us);
    const short = f.url.replace(/^.*\/(dist|node_modules)\//, '$1/');
    const key = `${f.functionName || '(anonymous)'} ${short}${f.url ? ':' + (f.lineNumber + 1) : ''}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
  }
  const pct = (us: number, of: number): string => `${((100 * us) / of).toFixed(1)}%`.padStart(6);
  process.stdout.write(`profile ${file}: ${(total / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s busy\n\nself time by category (% of busy):\n`);
  for (const [c, us] of [...cats].sort((a, b) => b[1] - a[1])) if (c !== 'idle') process.stdout.write(`  ${pct(us, busy)}  ${c}\n`);
  process.stdout.write(`\ntop functions by self time (% of busy):\n`);
  const top = Number(topArg ?? 30);
  for (const [k, us] of [...fns].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`  ${pct(us, busy)}  ${k}\n`);
  }
}

main();
