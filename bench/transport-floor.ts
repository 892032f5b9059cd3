// The transport floor of the PKCS#11 path, measured on this machine: what the architecture costs
// with no work at all. A C client (bench/transport-floor.c, threads blocking on round trips like
// PKCS#11 calls) → unix socket → a Node relay (as the client daemon) → one TLS 1.3 connection →
// a Node echo server (as the HSM) → back, 1 KiB frames. No parsing, no crypto, no JSON: every
// figure Strongroom reaches through libstrongroom-pkcs11.so is below this one.
// Used by bench/pkcs11.ts; also `node dist/bench/transport-floor.js [seconds]` on its own.
// Must never leave a process behind: the relay and echo children are killed in finally.

import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as netServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SOURCE = join(ROOT, 'bench', 'transport-floor.c');

/** Round trips (or operations) per second and latency at one thread count (pkcs11-bench.c's JSON shape). */
export interface FloorRow {
  threads: number;
  ops: number;
  seconds: number;
  opsPerSec: number;
  p50us: number;
  p99us: number;
}

/** Calls onFrame with each whole frame (u32 length + body, the length's byte order given). */
function framer(le: boolean, onFrame: (frame: Buffer) => void): (d: Buffer) => void {
  let buf: Buffer = Buffer.alloc(0);
  return (d) => {
    buf = buf.length > 0 ? Buffer.concat([buf, d]) : d;
    while (buf.length >= 4) {
      const n = le ? buf.readUInt32LE(0) : buf.readUInt32BE(0);
      if (buf.length < 4 + n) break;
      onFrame(buf.subarray(0, 4 + n));
      buf = buf.subarray(4 + n);
    }
  };
}

function echo(dir: string): void {
  const server = tls.createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')), minVersion: 'TLSv1.3' }, (s) => {
    s.setNoDelay(true);
    s.on('data', framer(false, (f) => s.write(f)));
  });
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as { port: number }).port }));
}

function relay(dir: string, port: number): void {
  const up = tls.connect({ host: '127.0.0.1', port, ca: readFileSync(join(dir, 'cert.pem')), servername: 'localhost', minVersion: 'TLSv1.3' }, () => {
    up.setNoDelay(true);
    const waiting: Socket[] = [];
    up.on('data', framer(false, (f) => {
      const c = waiting.shift();
      if (!c) return;
      const out = Buffer.from(f);
      out.writeUInt32LE(f.readUInt32BE(0), 0);
      c.write(out);
    }));
    netServer((c) => {
      c.on('data', framer(true, (f) => {
        const out = Buffer.from(f);
        out.writeUInt32BE(f.readUInt32LE(0), 0);
        waiting.push(c);
        up.write(out);
      }));
      c.on('error', () => c.destroy());
    }).listen(join(dir, 'floor.sock'), () => process.send?.({ ready: true }));
  });
}

function started(child: ChildProcess): Promise<Record<string, unknown>> {
  return new Promise((res, rej) => {
    child.once('message', (m) => res(m as Record<string, unknown>));
    child.once('exit', (code) => rej(new Error(`transport-floor child exited ${code}`)));
  });
}

/** Runs the floor at each thread count for `seconds`, frames of `bytes`. */
export async function measureTransportFloor(seconds: number, threadCounts: number[] = [1, 2], bytes = 1024): Promise<FloorRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-floor-'));
  const kids: ChildProcess[] = [];
  try {
    const bin = join(dir, 'transport-floor');
    const cc = spawnSync(process.env['CC'] ?? 'cc', ['-std=c99', '-O2', '-Wall', '-Wextra', '-Werror', '-pthread', SOURCE, '-o', bin], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`cc failed: ${cc.stderr}`);
    const ossl = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'key.pem'),
      '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], { encoding: 'utf8' });
    if (ossl.status !== 0) throw new Error(`openssl req failed: ${ossl.stderr}`);
    const self = fileURLToPath(import.meta.url);
    const e = fork(self, ['echo', dir], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    kids.push(e);
    const { port } = await started(e);
    const r = fork(self, ['relay', dir, String(port)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    kids.push(r);
    await started(r);
    const rows: FloorRow[] = [];
    for (const t of threadCounts) {
      const run = spawnSync(bin, [join(dir, 'floor.sock'), String(t), String(seconds), String(bytes)], { encoding: 'utf8', timeout: (seconds + 30) * 1000 });
      if (run.status !== 0) throw new Error(`transport-floor exited ${run.status ?? run.signal}: ${run.stderr}`);
      rows.push(JSON.parse(run.stdout.trim()) as FloorRow);
    }
    return rows;
  } finally {
    for (const k of kids) k.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

const [role, a, b] = process.argv.slice(2);
if (role === 'echo' && a) echo(a);
else if (role === 'relay' && a && b) relay(a, Number(b));
else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const seconds = Number(role ?? '3');
  measureTransportFloor(seconds).then((rows) => {
    for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
  }, (e: unknown) => {
    process.stderr.write(`transport-floor: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
