// Types of static/metrics.js (plain JavaScript so the browser loads it with no build step), for
// the TypeScript tests that import it from Node. Declarations only; keep in step with the module.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  /** When it was taken, in ms. */
  t: number;
  samples: Sample[];
}

export interface HsmMetrics {
  clusterId: string;
  hsmId: string;
  az: string;
  up: boolean | null;
  sessions: number | null;
  keysTokenOccupied: number | null;
  requestRate: number | null;
  errorRate: number | null;
}

export interface ApiOperationRate {
  service: string;
  operation: string;
  rate: number;
  errorRate: number;
}

export interface MetricsSummary {
  hsms: HsmMetrics[];
  api: { requestRate: number | null; errorRate: number | null; operations: ApiOperationRate[] };
}

export function parsePrometheus(text: string): Sample[];
export function seriesKey(name: string, labels: Record<string, string>): string;
export function counterRates(prev: Scrape, cur: Scrape, name: string): Array<{ labels: Record<string, string>; rate: number }>;
export function summarize(prev: Scrape | null, cur: Scrape, clusterIds?: string[] | null): MetricsSummary;
export function pushHistory(history: Map<string, Array<number | null>>, key: string, value: number | null, max?: number): Array<number | null>;
export function sparklinePoints(values: Array<number | null>, width: number, height: number, slots?: number): string;
export function formatRate(rate: number | null | undefined): string;
