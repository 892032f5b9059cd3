// Chaos on a three-HSM cluster (SQLite store, three zones on loopback): an application signs and
// encrypts with 32 requests in flight for 30 s (CHAOS_SECONDS) and creates keys now and then,
// while a chaos loop kill -9s a random HSM and restarts it every few seconds. At the end: the
// application saw zero failed sign/encrypt operations, every key whose creation was acknowledged
// exists and works on every HSM (checked against each HSM directly), and every audit chain verifies.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { cli, as, hsmProcesses, startCluster, type Cluster } from './harness.js';
import { CU_PW, IN_FLIGHT, runChaos, SECONDS } from './chaos-run.js';

const PW = 'Admin-pass-1';

let c: Cluster;
const restarted: ChildProcess[] = [];

beforeAll(async () => {
  c = await startCluster(['--hsms', '3']);
  expect(cli(c, ['cluster', 'activate', '--password', PW]).json.error_code).toBe(0);
  expect(cli(c, ['user', 'create', '--username', 'app', '--role', 'crypto-user', '--password', CU_PW], as('admin', 'admin', PW)).json.error_code).toBe(0);
}, 120_000);

afterAll(async () => {
  for (const p of restarted) if (p.exitCode === null) p.kill('SIGKILL');
  for (const h of hsmProcesses(c)) {
    try {
      process.kill(h.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await c?.cleanup();
});

describe('chaos: kill -9 HSMs under load', () => {
  it(`serves ${IN_FLIGHT} in flight for ${SECONDS} s with zero failures while HSMs die and return`, async () => {
    (await runChaos(c, restarted, {})).close();
  }, (SECONDS + 120) * 1000);
});

