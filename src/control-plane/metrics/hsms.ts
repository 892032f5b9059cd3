// One scrape of the HSMs for /metrics: every HSM of every cluster that is not deleted is asked for
// metrics.get as the appliance user, all in parallel, each within a short deadline (connection,
// TLS and reply together). An HSM that does not answer in time, answers with an error, or answers
// as another HSM counts as down: it keeps no numbers from an earlier scrape. Talks to HSMs only
// through the lifecycle's appliance connections; reads counts, never keys or users.

import type { HsmMetricsReport } from '../../protocol/operations.js';
import type { ClusterRow, HsmRow } from '../state.js';
import type { Lifecycle } from '../provisioning/lifecycle.js';

/** Default deadline per HSM: a scrape of a fleet with one dead HSM still answers in about a second. */
export const HSM_SCRAPE_TIMEOUT_MS = 1_000;

export interface HsmScrape {
  cluster: ClusterRow;
  hsm: HsmRow;
  /** The HSM's answer; undefined when it did not answer (down). */
  report: HsmMetricsReport | undefined;
}

class Timeout extends Error {}

async function ask(lifecycle: Lifecycle, c: ClusterRow, h: HsmRow, timeoutMs: number): Promise<HsmMetricsReport> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Timeout(`HSM ${h.hsmId} did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  // The connection is closed however the call ends, even when it is made after the deadline.
  const work = (async () => {
    const conn = await lifecycle.connect(c, h, timeoutMs);
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

/** Asks every HSM that is not deleted; resolves once each has answered or run out of time. */
export async function scrapeHsms(lifecycle: Lifecycle, timeoutMs = HSM_SCRAPE_TIMEOUT_MS, log?: (line: string) => void): Promise<HsmScrape[]> {
  const targets: Array<{ cluster: ClusterRow; hsm: HsmRow }> = [];
  for (const cluster of lifecycle.state.clusters()) {
    if (cluster.state === 'DELETED') continue;
    for (const hsm of lifecycle.state.hsms(cluster.clusterId)) if (hsm.state !== 'DELETED') targets.push({ cluster, hsm });
  }
  return Promise.all(targets.map(async ({ cluster, hsm }): Promise<HsmScrape> => {
    try {
      const report = await ask(lifecycle, cluster, hsm, timeoutMs);
      if (report.hsmId !== hsm.hsmId) {
        log?.(`metrics: the HSM at ${hsm.eniIp} answered as ${report.hsmId}, not ${hsm.hsmId}: counted as down`);
        return { cluster, hsm, report: undefined };
      }
      return { cluster, hsm, report };
    } catch {
      return { cluster, hsm, report: undefined };
    }
  }));
}
