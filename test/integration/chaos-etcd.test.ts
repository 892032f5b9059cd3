// The chaos test on a three-member etcd cluster: HSMs kill -9'd and restarted under load, plus
// kill -9 of one etcd member at a time (restarted at once). Then with two etcd members down,
// crypto on existing keys goes on without a failure while key creation fails cleanly
// (CKR_STRONGROOM_STORE_UNAVAILABLE) until one member returns, after which it works again.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { cli, as, hsmProcesses, startCluster, type Cluster } from './harness.js';
import { CU_PW, IN_FLIGHT, runChaos, SECONDS } from './chaos-run.js';
import { haveEtcd, startEtcd, type EtcdCluster } from '../support/etcd.js';
import { HsmError } from '../../src/protocol/errors.js';

const PW = 'Admin-pass-1';
const run = haveEtcd();
if (!run) console.warn('etcd is not installed: skipping the etcd chaos test (scripts/install-test-deps.mjs installs etcd-server)');

let etcd: EtcdCluster;
let c: Cluster;
const restarted: ChildProcess[] = [];

describe.skipIf(!run)('chaos on etcd', () => {
  beforeAll(async () => {
    etcd = await startEtcd({ members: 3 });
    c = await startCluster(['--hsms', '3', '--store', 'etcd', '--etcd-endpoints', etcd.endpoints.join(',')]);
    expect(cli(c, ['cluster', 'activate', '--password', PW]).json.error_code).toBe(0);
    expect(cli(c, ['user', 'create', '--username', 'app', '--role', 'crypto-user', '--password', CU_PW], as('admin', 'admin', PW)).json.error_code).toBe(0);
  }, 120_000);

  afterAll(async () => {
    for (const p of restarted) if (p.exitCode === null) p.kill('SIGKILL');
    for (const h of c ? hsmProcesses(c) : []) {
      try {
        process.kill(h.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await c?.cleanup();
    await etcd?.stop();
  });

  it(`serves ${IN_FLIGHT} in flight for ${SECONDS} s while HSMs and etcd members die; then survives losing etcd quorum`, async () => {
    let next = 0;
    const client = await runChaos(c, restarted, {
      alsoKill: async () => {
        const i = next++ % 3;
        await etcd.killMember(i);
        await etcd.startMember(i);
      },
    });
    try {
      const ec = await client.call('key.generateKeyPair', { keyType: 'ec', curve: 'secp256r1', privateAttributes: { sign: true } });
      const ref = ec.private_key['key-reference'];
      // Two of three etcd members down: no quorum.
      await etcd.killMember(0);
      await etcd.killMember(1);
      let signed = 0;
      for (let i = 0; i < 200; i++) {
        await client.call('crypto.sign', { mechanism: 'CKM_ECDSA_SHA256', ref, data: 'aGVsbG8=' });
        signed++;
      }
      expect(signed).toBe(200);
      const err = await client.call('key.generateSymmetric', { keyType: 'aes', keyLengthBytes: 32 }).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(HsmError);
      expect((err as HsmError).code).toBe('CKR_STRONGROOM_STORE_UNAVAILABLE');
      expect((err as HsmError).message).toMatch(/unreachable/);
      // One member back: quorum again, and changes work.
      await etcd.startMember(0);
      let created = false;
      for (let i = 0; i < 50 && !created; i++) {
        try {
          await client.call('key.generateSymmetric', { keyType: 'aes', keyLengthBytes: 32 });
          created = true;
        } catch {
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      expect(created).toBe(true);
      await etcd.startMember(1);
    } finally {
      client.close();
    }
  }, (SECONDS + 180) * 1000);
});
