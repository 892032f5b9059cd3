// One scrape of the HSMs for /metrics: every HSM of every cluster that is not deleted (and the
// HSMs of KMS's own store, which the control plane does not manage) is asked for metrics.get as
// the appliance user, all in parallel, each within a short deadline (connection, TLS and reply
// together). An HSM that does not answer in time, answers with an error, or answers as another
// HSM counts as down: it keeps no numbers from an earlier scrape. Talks to HSMs only through
// appliance connections; reads counts, never keys or users.

import type { HsmConnection } from '../../client/connection.js';
import type { HsmMetricsReport } from '../../protocol/operations.js';
import type { Lifecycle } from '../provisioning/lifecycle.js';

/** Default deadline per HSM: a scrape of a fleet with one dead HSM still answers in about a second. */
export const HSM_SCRAPE_TIMEOUT_MS = 1_000;

/** An HSM to ask, and how to reach it as the appliance user. */
export interface ScrapeTarget {
  clusterId: string;
  hsmId: string;
  availabilityZone: string;
  connect(timeoutMs: number): Promise<HsmConnection>;
}

export interface HsmScrape {
  clusterId: string;
  hsmId: string;
  availabilityZone: string;
  /** The HSM's answer; undefined when it did not answer (down). */
  report: HsmMetricsReport | undefined;
}

class Timeout extends Error {}

async function ask(t: ScrapeTarget, timeoutMs: number): Promise<HsmMetricsReport> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Timeout(`HSM ${t.hsmId} did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  // The connection is closed however the call ends, even when it is made after the deadline.
  const work = (async () => {
    const conn = await t.connect(timeoutMs);
    try {
      return await Promise.race([conn.call('metrics.get', {}), deadline]);
    } finally {
      conn.close();
    }
  })();
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** The HSMs of the control plane's clusters that are not deleted. */
export function lifecycleTargets(lifecycle: Lifecycle): ScrapeTarget[] {
  const targets: ScrapeTarget[] = [];
  for (const cluster of lifecycle.state.clusters()) {
    if (cluster.state === 'DELETED') continue;
    for (const hsm of lifecycle.state.hsms(cluster.clusterId)) {
      if (hsm.state === 'DELETED') continue;
      targets.push({ clusterId: cluster.clusterId, hsmId: hsm.hsmId, availabilityZone: hsm.availabilityZone, connect: (ms) => lifecycle.connect(cluster, hsm, ms) });
    }
  }
  return targets;
}

/** Asks every target; resolves once each has answered or run out of time. */
export async function scrapeHsms(targets: ScrapeTarget[], timeoutMs = HSM_SCRAPE_TIMEOUT_MS, log?: (line: string) => void): Promise<HsmScrape[]> {
  return Promise.all(targets.map(async (t): Promise<HsmScrape> => {
    const down = { clusterId: t.clusterId, hsmId: t.hsmId, availabilityZone: t.availabilityZone, report: undefined };
    try {
      const report = await ask(t, timeoutMs);
      if (report.hsmId !== t.hsmId) {
        log?.(`metrics: HSM ${t.hsmId} of ${t.clusterId} answered as ${report.hsmId}: counted as down`);
        return down;
      }
      return { ...down, report };
    } catch {
      return down;
    }
  }));
}
