// Many threads and fork() through libstrongroom-pkcs11.so: test/pkcs11/c/threads.c runs 16
// pthreads × 2 sessions each doing C_Sign (ECDSA P-256) and C_Encrypt (AES-256-GCM with a caller
// IV, compared with a reference ciphertext) concurrently for 20 s (STRONGROOM_PKCS11_THREADS_SECONDS
// for a shorter run while developing) against the real daemon: no error. Then a forked child
// re-initialises and signs, the daemon's statistics (SIGUSR2) show only the one session left
// open and nothing leaked, and after C_Finalize the daemon holds no session at all.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveTool } from '../integration/harness.js';
import { CC, compileC, daemonStats, MODULE, PIN, startP11Cluster, type DaemonStats, type P11Cluster } from './p11-cluster.js';

const HAVE = CC !== undefined && haveTool(CC);
const SECONDS = Number(process.env['STRONGROOM_PKCS11_THREADS_SECONDS'] ?? '20');
const THREADS = 16;

describe.skipIf(!HAVE)('16 threads × 2 sessions, fork, and no leaked sessions', () => {
  let p: P11Cluster;
  const lines: string[] = [];
  let atPause: DaemonStats | undefined;
  let afterFinalize: DaemonStats | undefined;
  let exitCode: number | null = null;

  beforeAll(async () => {
    p = await startP11Cluster('p11-threads');
    const exe = compileC(p.dir, 'threads.c');
    const proc = spawn(exe, [MODULE, PIN, String(SECONDS), String(THREADS)], { cwd: p.dir, env: p.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const done = new Promise<number | null>((res) => proc.once('exit', (code) => res(code)));
    const rl = createInterface({ input: proc.stdout });
    for await (const line of rl) {
      lines.push(line);
      if (line === 'PAUSE') {
        // The child's connection is gone once it finalised; the parent's one session remains.
        atPause = await daemonStats(p, (s) => s.connections === 1);
        proc.stdin.write('\n');
      } else if (line.startsWith('FINALIZED')) {
        afterFinalize = await daemonStats(p, (s) => s.connections === 0);
        proc.stdin.write('\n');
      }
    }
    exitCode = await done;
    if (stderr !== '') lines.push(`stderr: ${stderr}`);
  }, 180_000 + SECONDS * 1000);
  afterAll(async () => {
    await p?.cleanup();
  });

  const line = (prefix: string) => lines.find((l) => l.startsWith(prefix)) ?? `(no ${prefix} line in ${lines.join('\n')})`;

  it(`signs and encrypts from ${THREADS} threads for ${SECONDS} s without an error`, () => {
    expect(line('SETUP')).toBe('SETUP ok');
    const r = line('RESULT');
    const num = (k: string) => Number(new RegExp(`\\b${k}=([0-9.]+)`).exec(r)?.[1] ?? NaN);
    expect(num('errors'), r).toBe(0);
    expect(num('threads')).toBe(THREADS);
    expect(num('session_calls')).toBe(4 * THREADS);
    expect(num('seconds')).toBeGreaterThanOrEqual(SECONDS);
    // Every thread got work done on both sessions.
    expect(num('signs')).toBeGreaterThanOrEqual(THREADS);
    expect(num('encrypts')).toBeGreaterThanOrEqual(THREADS);
    expect(num('verifies')).toBeGreaterThanOrEqual(THREADS);
  });

  it('a child after fork() calls C_Initialize, logs in, finds the key and signs; the parent still signs', () => {
    expect(line('CHILD')).toMatch(/^CHILD ok rv=0x0/);
    expect(line('PARENT')).toMatch(/^PARENT ok rv=0x0/);
  });

  it('leaves the daemon holding only the open session, nothing leaked', () => {
    expect(atPause, lines.join('\n')).toMatchObject({ connections: 1, sessions: 1, operations: 0, sessionObjects: 0, pending: 0 });
  });

  it('C_Finalize closes everything', () => {
    expect(line('FINALIZED')).toBe('FINALIZED rv=0x0');
    expect(afterFinalize).toMatchObject({ connections: 0, sessions: 0, operations: 0, sessionObjects: 0, pending: 0 });
    expect(exitCode, lines.join('\n')).toBe(0);
  });
});
