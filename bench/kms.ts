// `npm run bench:kms`: KMS requests per second through @aws-sdk/client-kms with 64 requests in
// flight (Encrypt and Decrypt of 4 KiB, GenerateDataKey AES_256), for a key in KMS's own store and
// a key in a CloudHSM custom key store on a 3-HSM cluster. Everything (the SDK client, the
// control plane with KMS, and all HSM processes) shares this machine. Prints ops/s and p50/p99.
// Also prints CPU time per request of this process (the SDK client), the control plane (which
// serves KMS) and the HSM processes, measured from /proc over warm-up and window.
// Env: BENCH_SECONDS (default 5), BENCH_WARMUP (default 1), BENCH_IN_FLIGHT (default 64),
// BENCH_STORES (kms,custom; default both), BENCH_SERVER_PROF=DIR (control plane under --cpu-prof).

import { randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import { CreateKeyCommand, CreateCustomKeyStoreCommand, ConnectCustomKeyStoreCommand, DescribeCustomKeyStoresCommand, DecryptCommand, EncryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { readdirSync, readFileSync } from 'node:fs';
import { closedLoop } from './loop.js';
import { customerCluster, startKmsPlane } from './kms-setup.js';

const seconds = Number(process.env['BENCH_SECONDS'] ?? 5);
const warmupSeconds = Number(process.env['BENCH_WARMUP'] ?? 1);
const inFlight = Number(process.env['BENCH_IN_FLIGHT'] ?? 64);
const stores = new Set((process.env['BENCH_STORES'] ?? 'kms,custom').split(','));
const profDir = process.env['BENCH_SERVER_PROF'];

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
    process.stdout.write(`\n${inFlight} in flight, ${seconds} s window after ${warmupSeconds} s warm-up\n`);
    process.stdout.write(`${'store'.padEnd(28)}${'operation'.padEnd(24)}${'ops/s'.padStart(10)}${'p50 ms'.padStart(10)}${'p99 ms'.padStart(10)}${'CPU µs/req:'.padStart(18)}${'client'.padStart(7)}${'server'.padStart(8)}${'HSMs'.padStart(8)}\n`);
    for (const [store, keyId] of Object.entries(keys)) {
      const blob = (await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: plaintext, EncryptionContext: ctx }))).CiphertextBlob!;
      const cells: Array<[string, () => Promise<unknown>]> = [
        ['Encrypt 4 KiB', () => kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: plaintext, EncryptionContext: ctx }))],
        ['Decrypt 4 KiB', () => kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: ctx }))],
        ['GenerateDataKey AES_256', () => kms.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: ctx }))],
      ];
      for (const [name, op] of cells) {
        const r = await closedLoop(op, { inFlight, seconds, warmupSeconds, hsmPid: hsmPids, serverPid });
        const us = (x: number | undefined) => (x === undefined ? '?' : x.toFixed(0)).padStart(8);
        process.stdout.write(`${store.padEnd(28)}${name.padEnd(24)}${r.opsPerSec.toFixed(0).padStart(10)}${r.p50Ms.toFixed(2).padStart(10)}${r.p99Ms.toFixed(2).padStart(10)}${''.padEnd(18)}${us(r.benchCpuUs).slice(1)}${us(r.serverCpuUs)}${us(r.hsmCpuUs)}\n`);
      }
    }
    kms.destroy();
  } finally {
    await p.stop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:kms failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
