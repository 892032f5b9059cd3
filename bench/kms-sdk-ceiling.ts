// `node dist/bench/kms-sdk-ceiling.js`: what @aws-sdk/client-kms alone costs. The same harness
// shape as bench/kms.ts (one KMSClient, keep-alive agent, 64 in flight, closed loop) against a
// do-nothing HTTP server in a child process that checks nothing and answers every call with a
// canned reply of the right shape and size (a 4 KiB Encrypt's blob, a Decrypt's plaintext, a
// data key). Prints ops/s and CPU µs per request of the SDK client and of the stub: the client's
// figure is the floor of what any KMS server costs this machine per request, and 2 cores divided
// by it is the ceiling of bench:kms. Not a KMS: it must never be quoted as one.
// Env: BENCH_SECONDS (default 5), BENCH_WARMUP (default 1), BENCH_IN_FLIGHT (default 64).

import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { Agent } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { DecryptCommand, EncryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { closedLoop } from './loop.js';

const seconds = Number(process.env['BENCH_SECONDS'] ?? 5);
const warmupSeconds = Number(process.env['BENCH_WARMUP'] ?? 1);
const inFlight = Number(process.env['BENCH_IN_FLIGHT'] ?? 64);
const KEY_ARN = 'arn:aws:kms:local-1:111122223333:key/00000000-0000-4000-8000-000000000000';

function stub(): void {
  const replies: Record<string, string> = {
    Encrypt: JSON.stringify({ CiphertextBlob: randomBytes(4096 + 49).toString('base64'), KeyId: KEY_ARN, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' }),
    Decrypt: JSON.stringify({ Plaintext: randomBytes(4096).toString('base64'), KeyId: KEY_ARN, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' }),
    GenerateDataKey: JSON.stringify({ CiphertextBlob: randomBytes(32 + 49).toString('base64'), Plaintext: randomBytes(32).toString('base64'), KeyId: KEY_ARN }),
  };
  const server = createServer((req, res) => {
    const op = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    req.resume();
    req.on('end', () => {
      const body = replies[op] ?? '{}';
      res.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.1', 'Content-Length': Buffer.byteLength(body), 'x-amzn-RequestId': randomUUID() });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
}

async function main(): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), ['stub'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((res) => child.once('message', (m: { port: number }) => res(m.port)));
  try {
    const kms = new KMSClient({
      endpoint: `http://127.0.0.1:${port}`, region: 'local-1', maxAttempts: 1,
      credentials: { accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: 'x'.repeat(40) },
      requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets: inFlight }) },
    });
    const plaintext = randomBytes(4096);
    const blob = randomBytes(4096 + 49);
    const ctx = { bench: 'kms' };
    const cells: Array<[string, () => Promise<unknown>]> = [
      ['Encrypt 4 KiB', () => kms.send(new EncryptCommand({ KeyId: KEY_ARN, Plaintext: plaintext, EncryptionContext: ctx }))],
      ['Decrypt 4 KiB', () => kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: ctx }))],
      ['GenerateDataKey AES_256', () => kms.send(new GenerateDataKeyCommand({ KeyId: KEY_ARN, KeySpec: 'AES_256', EncryptionContext: ctx }))],
    ];
    process.stdout.write(`SDK client against a do-nothing stub: ${inFlight} in flight, ${seconds} s window after ${warmupSeconds} s warm-up\n`);
    process.stdout.write(`${'operation'.padEnd(24)}${'ops/s'.padStart(10)}${'p50 ms'.padStart(10)}${'CPU µs/req:'.padStart(14)}${'client'.padStart(8)}${'stub'.padStart(8)}\n`);
    for (const [name, op] of cells) {
      const r = await closedLoop(op, { inFlight, seconds, warmupSeconds, serverPid: child.pid! });
      process.stdout.write(`${name.padEnd(24)}${r.opsPerSec.toFixed(0).padStart(10)}${r.p50Ms.toFixed(2).padStart(10)}${''.padEnd(14)}${(r.benchCpuUs ?? 0).toFixed(0).padStart(8)}${(r.serverCpuUs ?? 0).toFixed(0).padStart(8)}\n`);
    }
    kms.destroy();
  } finally {
    child.kill();
  }
}

if (process.argv[2] === 'stub') stub();
else main().catch((e: unknown) => {
  process.stderr.write(`kms-sdk-ceiling failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
