// The control plane's Prometheus metrics (prom-client, one Registry per control plane: no global
// registry) and the GET /metrics route that serves them in the text exposition format.
// - HSM series (CloudHSM's CloudWatch metrics): read at scrape time by one scrapeHsms() shared by
//   every collect() of the scrape; counters and the histogram carry the HSMs' own totals. A scrape
//   less than MIN_SCRAPE_INTERVAL_MS after the last one reuses its HSM readings, so that frequent
//   scrapers (several open consoles, an eager Prometheus) cannot keep the HSMs busy with handshakes.
// - AWS API calls: counted from the AWS server's onCall hook.
// - Clusters, HSMs and backups by state, from the control plane's state.
// - prom-client's default process metrics, prefixed strongroom_controlplane_.
// Served without authentication on the API's listen address: it must never hold a secret, only
// ids, states, operation and error names, and numbers.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';
import type { AwsCallRecord } from '../../aws/server.js';
import { HSM_NODE_STATES, type HsmMetricsReport } from '../../protocol/operations.js';
import type { BackupState, ClusterState, HsmState } from '../state.js';
import type { Lifecycle } from '../provisioning/lifecycle.js';
import { HSM_SCRAPE_TIMEOUT_MS, lifecycleTargets, scrapeHsms, type HsmScrape, type ScrapeTarget } from './hsms.js';

/** Every state of each kind, so each gauge shows zeros too (a console can draw all of them). */
const CLUSTER_STATES = Object.keys({
  CREATE_IN_PROGRESS: 0, UNINITIALIZED: 0, INITIALIZE_IN_PROGRESS: 0, INITIALIZED: 0, ACTIVE: 0, UPDATE_IN_PROGRESS: 0,
  DELETE_IN_PROGRESS: 0, DELETED: 0, DEGRADED: 0,
} satisfies Record<ClusterState, 0>);
const HSM_STATES = Object.keys({ CREATE_IN_PROGRESS: 0, ACTIVE: 0, DEGRADED: 0, DELETE_IN_PROGRESS: 0, DELETED: 0 } satisfies Record<HsmState, 0>);
const BACKUP_STATES = Object.keys({ CREATE_IN_PROGRESS: 0, READY: 0, DELETED: 0, PENDING_DELETION: 0 } satisfies Record<BackupState, 0>);

/** Label value for a service or operation the caller named but nobody serves. */
const UNKNOWN = '(unknown)';

const HSM_LABELS = ['cluster_id', 'hsm_id', 'availability_zone'] as const;
type HsmLabels = Record<(typeof HSM_LABELS)[number], string>;

function hsmLabels(s: HsmScrape): HsmLabels {
  return { cluster_id: s.clusterId, hsm_id: s.hsmId, availability_zone: s.availabilityZone };
}

/** 'cloudhsmv2.amazonaws.com' → 'cloudhsmv2'. */
function serviceLabel(call: AwsCallRecord): string {
  return call.service ? call.service.eventSource.replace(/\.amazonaws\.com$/, '') : UNKNOWN;
}

/**
 * strongroom_hsm_request_duration_seconds from the HSMs' own bucket counts. prom-client's Histogram
 * can only observe values one at a time, so this is a collector of the same shape: the registry
 * reads name, help and type, and get() at each scrape.
 */
class HsmDurationCollector {
  readonly name = 'strongroom_hsm_request_duration_seconds';
  readonly help = 'Time each command spent inside the HSM, from arrival in its request pipeline to its reply (HSM-side totals).';
  readonly type = 'histogram';
  readonly aggregator = 'sum';

  constructor(private readonly scrape: () => Promise<HsmScrape[]>) {}

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> }> {
    const values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> = [];
    for (const s of await this.scrape()) {
      const d = s.report?.duration;
      if (!d || d.counts.length !== d.bounds.length + 1) continue;
      const labels = { cluster_id: s.clusterId, hsm_id: s.hsmId };
      d.bounds.forEach((le, i) => values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le }, value: d.counts[i]! }));
      values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: d.counts[d.bounds.length]! });
      values.push({ metricName: `${this.name}_sum`, labels, value: d.sum });
      values.push({ metricName: `${this.name}_count`, labels, value: d.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    /* nothing kept between scrapes */
  }
}

/** HSM readings younger than this are served again instead of asking the HSMs anew. */
export const MIN_SCRAPE_INTERVAL_MS = 1_000;

export interface ControlPlaneMetricsOptions {
  lifecycle: Lifecycle;
  /** Deadline per HSM at each scrape (default 1 s). */
  hsmTimeoutMs?: number;
  /** HSMs beyond the control plane's clusters (KMS's own store). */
  moreHsms?: () => ScrapeTarget[];
  log?: (line: string) => void;
}

export class ControlPlaneMetrics {
  readonly registry = new Registry();
  private readonly apiRequests: Counter<'service' | 'operation' | 'error'>;
  private readonly apiDuration: Histogram<'service'>;
  private inflight: Promise<HsmScrape[]> | undefined;
  private last: { at: number; scrape: HsmScrape[] } | undefined;

  constructor(private readonly opts: ControlPlaneMetricsOptions) {
    const registers = [this.registry];
    const state = opts.lifecycle.state;
    collectDefaultMetrics({ register: this.registry, prefix: 'strongroom_controlplane_' });

    // --- the HSMs: read from each HSM at scrape time --------------------------------------------
    const scrape = () => this.scrapeOnce();
    const hsmGauge = (name: string, help: string, value: (r: HsmMetricsReport) => number | undefined): void => {
      new Gauge({
        name, help, labelNames: HSM_LABELS, registers,
        async collect() {
          this.reset();
          for (const s of await scrape()) {
            const v = s.report ? value(s.report) : undefined;
            if (v !== undefined) this.set(hsmLabels(s), v);
          }
        },
      });
    };
    new Gauge({
      name: 'strongroom_hsm_up', help: '1 when the HSM answered this scrape, else 0 (CloudHSM: HsmUnhealthy, inverted).', labelNames: HSM_LABELS, registers,
      async collect() {
        this.reset();
        for (const s of await scrape()) this.set(hsmLabels(s), s.report ? 1 : 0);
      },
    });
    new Gauge({
      name: 'strongroom_hsm_state', help: "1 for the HSM node's current state, 0 for the others (ERROR: failed self-tests; UNCLONED: no domain key yet; DEGRADED: zeroised by tamper).",
      labelNames: [...HSM_LABELS, 'state'], registers,
      async collect() {
        this.reset();
        for (const s of await scrape()) {
          if (!s.report) continue;
          for (const st of HSM_NODE_STATES) this.set({ ...hsmLabels(s), state: st }, s.report.state === st ? 1 : 0);
        }
      },
    });
    hsmGauge('strongroom_hsm_sessions', 'Open client connections to the HSM, the appliance\'s apart (CloudHSM: HsmSessionCount).', (r) => r.sessions);
    hsmGauge('strongroom_hsm_appliance_sessions', 'Open appliance (control plane) connections to the HSM, this scrape\'s included.', (r) => r.applianceSessions);
    hsmGauge('strongroom_hsm_keys_token_occupied', 'Token keys of the cluster held by the HSM (CloudHSM: HsmKeysTokenOccupied).', (r) => r.keysTokenOccupied);
    hsmGauge('strongroom_hsm_keys_session_occupied', 'Session keys of open connections on the HSM (CloudHSM: HsmKeysSessionOccupied).', (r) => r.keysSessionOccupied);
    hsmGauge('strongroom_hsm_users', 'Users of the cluster (admins and crypto users) as the HSM reads them; absent when it cannot (uncloned, zeroised).', (r) => r.users);
    hsmGauge('strongroom_hsm_users_max', 'The most users a cluster may hold (CloudHSM: HsmUsersMax).', (r) => r.usersMax);
    hsmGauge('strongroom_hsm_users_available', 'Users that may still be created (CloudHSM: HsmUsersAvailable).', (r) => (r.users === undefined ? undefined : Math.max(0, r.usersMax - r.users)));
    hsmGauge('strongroom_hsm_uptime_seconds', 'Seconds since the HSM process started (a drop means it restarted or was replaced).', (r) => r.uptimeSeconds);
    new Counter({
      name: 'strongroom_hsm_requests_total', help: 'Commands the HSM answered since it started, per command and result (ok or the CKR_* name).',
      labelNames: ['cluster_id', 'hsm_id', 'command', 'result'], registers,
      async collect() {
        this.reset();
        for (const s of await scrape()) {
          for (const r of s.report?.requests ?? []) this.inc({ cluster_id: s.clusterId, hsm_id: s.hsmId, command: r.command, result: r.result }, r.count);
        }
      },
    });
    this.registry.registerMetric(new HsmDurationCollector(scrape) as unknown as Metric);

    // --- the AWS API: counted as calls are answered ---------------------------------------------
    this.apiRequests = new Counter({
      name: 'strongroom_api_requests_total', help: 'AWS API calls answered, per service (cloudhsmv2, kms), operation and error (the __type; empty when it succeeded).',
      labelNames: ['service', 'operation', 'error'], registers,
    });
    this.apiDuration = new Histogram({
      name: 'strongroom_api_request_duration_seconds', help: 'Time to answer an AWS API call, per service.', labelNames: ['service'], registers,
    });

    // --- the control plane's own state ----------------------------------------------------------
    const byState = (name: string, help: string, all: readonly string[], states: () => string[]): void => {
      new Gauge({
        name, help, labelNames: ['state'], registers,
        collect() {
          this.reset();
          const n = new Map(all.map((s) => [s, 0]));
          for (const s of states()) n.set(s, (n.get(s) ?? 0) + 1);
          for (const [s, v] of n) this.set({ state: s }, v);
        },
      });
    };
    byState('strongroom_clusters', 'Clusters by state (every account).', CLUSTER_STATES, () => state.clusters().map((c) => c.state));
    byState('strongroom_hsms', 'HSMs by the control plane\'s state (every cluster).', HSM_STATES, () => state.clusters().flatMap((c) => state.hsms(c.clusterId).map((h) => h.state)));
    byState('strongroom_backups', 'Backups by state (every account and region).', BACKUP_STATES, () => state.backups().map((b) => b.state));
  }

  /** AwsServerOptions.onCall. */
  onCall(call: AwsCallRecord): void {
    const service = serviceLabel(call);
    this.apiRequests.inc({ service, operation: call.operation ?? UNKNOWN, error: call.errorType });
    this.apiDuration.observe({ service }, call.seconds);
  }

  /** The AWS server's route for '/metrics'. */
  readonly route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found: metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('Method not allowed\n');
      return;
    }
    const body = await this.registry.metrics();
    res.writeHead(200, { 'Content-Type': this.registry.contentType, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  /** One scrape of the HSMs, shared by every collect() of the same /metrics request (they run together) and by later requests within MIN_SCRAPE_INTERVAL_MS. */
  private scrapeOnce(): Promise<HsmScrape[]> {
    if (this.last && performance.now() - this.last.at < MIN_SCRAPE_INTERVAL_MS) return Promise.resolve(this.last.scrape);
    if (!this.inflight) {
      this.inflight = scrapeHsms([...lifecycleTargets(this.opts.lifecycle), ...(this.opts.moreHsms?.() ?? [])], this.opts.hsmTimeoutMs ?? HSM_SCRAPE_TIMEOUT_MS, this.opts.log)
        .then((scrape) => {
          this.last = { at: performance.now(), scrape };
          return scrape;
        })
        .finally(() => {
          this.inflight = undefined;
        });
    }
    return this.inflight;
  }
}
