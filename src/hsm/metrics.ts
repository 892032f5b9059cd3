// Request counters of one HSM node for `metrics.get`: how many requests each operation answered
// with each result, and a histogram of the time each spent inside the HSM. Built once per node by
// node.ts; dispatch.ts records every request. The hot path allocates nothing: every operation's
// row of counters and every bucket exist from the start, so a request costs one Map lookup, one
// typed-array increment and one bucket increment. Holds counts only: never a parameter, a key
// reference, a user name or anything else a request carried.

import { CKR, type CkrName } from '../protocol/errors.js';
import { ops } from '../protocol/operations.js';

/**
 * Upper bounds (seconds) of the duration histogram: from an AES-GCM call (tens of µs) to an RSA
 * key pair generation or a scrypt login (tens of ms to seconds).
 */
export const DURATION_BOUNDS: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** Label of requests whose operation is not in the catalogue (so a caller cannot mint labels). */
export const UNKNOWN_COMMAND = '(unknown)';

/** Result column of each CKR_* name; CKR_OK is column 0 and reported as 'ok'. */
const RESULTS: readonly CkrName[] = Object.keys(CKR) as CkrName[];
const RESULT_COLUMN = new Map<string, number>(RESULTS.map((name, i) => [name, i]));
const FALLBACK_COLUMN = RESULT_COLUMN.get('CKR_FUNCTION_FAILED')!;

export interface MetricsSnapshot {
  requests: Array<{ command: string; result: string; count: number }>;
  duration: { bounds: number[]; counts: number[]; sum: number; count: number };
}

export class HsmMetrics {
  /** Per operation (and UNKNOWN_COMMAND): one counter per result column. */
  private readonly rows = new Map<string, Float64Array>();
  private readonly unknown: Float64Array;
  /** Non-cumulative: buckets[i] counts requests in (bounds[i-1], bounds[i]]; the last is above every bound. */
  private readonly buckets = new Float64Array(DURATION_BOUNDS.length + 1);
  private sum = 0;
  readonly startedAt = Date.now();

  constructor() {
    for (const op of Object.keys(ops)) this.rows.set(op, new Float64Array(RESULTS.length));
    this.unknown = new Float64Array(RESULTS.length);
    this.rows.set(UNKNOWN_COMMAND, this.unknown);
  }

  /** One answered request: `op` as the frame named it, its result, and performance.now() when it arrived. */
  record(op: unknown, result: CkrName, startedMs: number): void {
    this.count(op, result);
    const seconds = (performance.now() - startedMs) / 1000;
    let i = 0;
    while (i < DURATION_BOUNDS.length && seconds > DURATION_BOUNDS[i]!) i++;
    this.buckets[i]!++;
    this.sum += seconds;
  }

  /** A request refused before the pipeline ran (busy): counted, but it spent no time inside. */
  count(op: unknown, result: CkrName): void {
    const row = (typeof op === 'string' ? this.rows.get(op) : undefined) ?? this.unknown;
    row[RESULT_COLUMN.get(result) ?? FALLBACK_COLUMN]!++;
  }

  /** Every non-zero counter, and the histogram with cumulative bucket counts (the last one is +Inf). */
  snapshot(): MetricsSnapshot {
    const requests: MetricsSnapshot['requests'] = [];
    for (const [command, row] of this.rows) {
      for (let i = 0; i < row.length; i++) {
        if (row[i]! > 0) requests.push({ command, result: i === 0 ? 'ok' : RESULTS[i]!, count: row[i]! });
      }
    }
    const counts: number[] = [];
    let acc = 0;
    for (const b of this.buckets) counts.push((acc += b));
    return { requests, duration: { bounds: [...DURATION_BOUNDS], counts, sum: this.sum, count: acc } };
  }
}
