// The web console's metrics module (src/control-plane/console/static/metrics.js, the very file the
// page loads) from Node: Prometheus text parsing (comments, escapes, special values, bad lines),
// counter rates between two scrapes (new series, resets), the per-HSM and API summaries limited to
// the identity's clusters, histories and sparkline points. Also checks each static script parses.

import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { counterRates, formatRate, parsePrometheus, pushHistory, sparklinePoints, summarize } from '../../../src/control-plane/console/static/metrics.js';

const STATIC = fileURLToPath(new URL('../../../src/control-plane/console/static/', import.meta.url));

/** Two scrapes 5 s apart, as the control plane's /metrics writes them. */
const SCRAPE_1 = `# HELP strongroom_hsm_up Whether the HSM answers its health check (1) or not (0).
# TYPE strongroom_hsm_up gauge
strongroom_hsm_up{cluster_id="cluster-aaaaaaaaaaa",hsm_id="hsm-aaaaaaaaaa1",availability_zone="local-1a"} 1
strongroom_hsm_up{cluster_id="cluster-aaaaaaaaaaa",hsm_id="hsm-aaaaaaaaaa2",availability_zone="local-1b"} 1
strongroom_hsm_up{cluster_id="cluster-bbbbbbbbbbb",hsm_id="hsm-bbbbbbbbbb1",availability_zone="local-1a"} 1
# HELP strongroom_hsm_sessions Open sessions on the HSM.
# TYPE strongroom_hsm_sessions gauge
strongroom_hsm_sessions{cluster_id="cluster-aaaaaaaaaaa",hsm_id="hsm-aaaaaaaaaa1",availability_zone="local-1a"} 3
strongroom_hsm_sessions{cluster_id="cluster-aaaaaaaaaaa",hsm_id="hsm-aaaaaaaaaa2",availability_zone="local-1b"} 0
# HELP strongroom_hsm_keys_token_occupied Token keys stored.
# TYPE strongroom_hsm_keys_token_occupied gauge
strongroom_hsm_keys_token_occupied{cluster_id="cluster-aaaaaaaaaaa",hsm_id="hsm-aaaaaaaaaa1",availability_zone="local-1a"} 12
# HELP strongroom_hsm_requests_total Requests served by the HSM.
# TYPE strongroom_hsm_requests_total counter
strongroom_hsm_requests_total{cluster_id="cluster-aaaaaaaaaaa",hsm_id="hsm-aaaaaaaaaa1",command="crypto.sign",result="ok"} 100
strongroom_hsm_requests_total{cluster_id="cluster-aaaaaaaaaaa",hsm_id="hsm-aaaaaaaaaa1",command="crypto.sign",result="CKR_KEY_HANDLE_INVALID"} 4
strongroom_hsm_requests_total{cluster_id="cluster-aaaaaaaaaaa",hsm_id="hsm-aaaaaaaaaa2",command="session.open",result="ok"} 50
strongroom_hsm_requests_total{cluster_id="cluster-bbbbbbbbbbb",hsm_id="hsm-bbbbbbbbbb1",command="crypto.sign",result="ok"} 7
# HELP strongroom_api_requests_total AWS API requests.
# TYPE strongroom_api_requests_total counter
strongroom_api_requests_total{service="cloudhsmv2",operation="DescribeClusters",error=""} 10
strongroom_api_requests_total{service="kms",operation="Encrypt",error=""} 1000
strongroom_api_requests_total{service="kms",operation="Encrypt",error="ThrottlingException"} 0
process_resident_memory_bytes 5.24288e+07
`;

const SCRAPE_2 = `strongroom_hsm_up{cluster_id="cluster-aaaaaaaaaaa",hsm_id="hsm-aaaaaaaaaa1",availability_zone="local-1a"} 1
strongroom_hsm_up{cluster_id="cluster-aaaaaaaaaaa",hsm_id="hsm-aaaaaaaaaa2",availability_zone="local-1b"} 0
strongroom_hsm_up{cluster_id="cluster-bbbbbbbbbbb",hsm_id="hsm-bbbbbbbbbb1",availability_zone="local-1a"} 1
strongroom_hsm_sessions{cluster_id="cluster-aaaaaaaaaaa",hsm_id="hsm-aaaaaaaaaa1",availability_zone="local-1a"} 4
strongroom_hsm_keys_token_occupied{cluster_id="cluster-aaaaaaaaaaa",hsm_id="hsm-aaaaaaaaaa1",availability_zone="local-1a"} 13
strongroom_hsm_requests_total{cluster_id="cluster-aaaaaaaaaaa",hsm_id="hsm-aaaaaaaaaa1",command="crypto.sign",result="ok"} 150
strongroom_hsm_requests_total{cluster_id="cluster-aaaaaaaaaaa",hsm_id="hsm-aaaaaaaaaa1",command="crypto.sign",result="CKR_KEY_HANDLE_INVALID"} 9
strongroom_hsm_requests_total{cluster_id="cluster-aaaaaaaaaaa",hsm_id="hsm-aaaaaaaaaa1",command="key.generate",result="ok"} 5
strongroom_hsm_requests_total{cluster_id="cluster-aaaaaaaaaaa",hsm_id="hsm-aaaaaaaaaa2",command="session.open",result="ok"} 20
strongroom_hsm_requests_total{cluster_id="cluster-bbbbbbbbbbb",hsm_id="hsm-bbbbbbbbbb1",command="crypto.sign",result="ok"} 507
strongroom_api_requests_total{service="cloudhsmv2",operation="DescribeClusters",error=""} 20
strongroom_api_requests_total{service="kms",operation="Encrypt",error=""} 1500
strongroom_api_requests_total{service="kms",operation="Encrypt",error="ThrottlingException"} 25
`;

describe('console metrics module', () => {
  it('parses samples, labels with escapes, special values, and skips comments and bad lines', () => {
    const s = parsePrometheus(SCRAPE_1);
    expect(s).toHaveLength(14);
    expect(s[0]).toEqual({ name: 'strongroom_hsm_up', labels: { cluster_id: 'cluster-aaaaaaaaaaa', hsm_id: 'hsm-aaaaaaaaaa1', availability_zone: 'local-1a' }, value: 1 });
    expect(s.at(-1)).toEqual({ name: 'process_resident_memory_bytes', labels: {}, value: 52428800 });
    const odd = parsePrometheus([
      'm{a="x\\"y",b="back\\\\slash",c="new\\nline",} 2 1700000000000',
      'inf{} +Inf',
      'nan NaN',
      'neg -Inf',
      'broken{a="unterminated} 1',
      'novalue{a="1"}',
      '{a="1"} 3',
      '  # a comment with leading space',
    ].join('\n'));
    expect(odd).toHaveLength(4);
    expect(odd[0]).toEqual({ name: 'm', labels: { a: 'x"y', b: 'back\\slash', c: 'new\nline' }, value: 2 });
    expect(odd[1]!.value).toBe(Infinity);
    expect(odd[2]!.value).toBeNaN();
    expect(odd[3]!.value).toBe(-Infinity);
  });

  it('turns two scrapes into per-second counter rates, counting a new series from 0 and a reset from 0', () => {
    const prev = { t: 0, samples: parsePrometheus(SCRAPE_1) };
    const cur = { t: 5_000, samples: parsePrometheus(SCRAPE_2) };
    const rates = counterRates(prev, cur, 'strongroom_hsm_requests_total');
    const of = (hsm: string, command: string, result = 'ok') => rates.find((r) => r.labels['hsm_id'] === hsm && r.labels['command'] === command && r.labels['result'] === result)!.rate;
    expect(of('hsm-aaaaaaaaaa1', 'crypto.sign')).toBe(10);
    expect(of('hsm-aaaaaaaaaa1', 'crypto.sign', 'CKR_KEY_HANDLE_INVALID')).toBe(1);
    expect(of('hsm-aaaaaaaaaa1', 'key.generate')).toBe(1); // new series: 5 over 5 s
    expect(of('hsm-aaaaaaaaaa2', 'session.open')).toBe(4); // reset: 50 → 20 counts as 20 new
    expect(counterRates(prev, { ...cur, t: 0 }, 'strongroom_hsm_requests_total')).toEqual([]);
  });

  it('summarises per HSM (only the visible clusters) and per API operation', () => {
    const prev = { t: 0, samples: parsePrometheus(SCRAPE_1) };
    const cur = { t: 5_000, samples: parsePrometheus(SCRAPE_2) };
    const s = summarize(prev, cur, ['cluster-aaaaaaaaaaa']);
    expect(s.hsms.map((h) => h.hsmId)).toEqual(['hsm-aaaaaaaaaa1', 'hsm-aaaaaaaaaa2']);
    expect(s.hsms[0]).toEqual({ clusterId: 'cluster-aaaaaaaaaaa', hsmId: 'hsm-aaaaaaaaaa1', az: 'local-1a', up: true, sessions: 4, keysTokenOccupied: 13, requestRate: 12, errorRate: 1 });
    expect(s.hsms[1]).toMatchObject({ az: 'local-1b', up: false, sessions: null, requestRate: 4, errorRate: 0 });
    expect(s.api.requestRate).toBe(2 + 100 + 5);
    expect(s.api.errorRate).toBe(5);
    expect(s.api.operations).toEqual([
      { service: 'kms', operation: 'Encrypt', rate: 105, errorRate: 5 },
      { service: 'cloudhsmv2', operation: 'DescribeClusters', rate: 2, errorRate: 0 },
    ]);
    // Every cluster when no filter is given; no rates on the first scrape.
    const first = summarize(null, cur, null);
    expect(first.hsms).toHaveLength(3);
    expect(first.hsms.every((h) => h.requestRate === null && h.errorRate === null)).toBe(true);
    expect(first.api).toEqual({ requestRate: null, errorRate: null, operations: [] });
    // Another tenant's HSMs never show, however their metrics read.
    expect(summarize(prev, cur, []).hsms).toEqual([]);
  });

  it('keeps bounded histories and lays out sparkline points in the box', () => {
    const h = new Map<string, Array<number | null>>();
    for (let i = 0; i < 5; i++) pushHistory(h, 'k', i, 3);
    expect(h.get('k')).toEqual([2, 3, 4]);
    expect(sparklinePoints([0, 5, 10], 100, 20)).toBe('0,20 50,10 100,0');
    expect(sparklinePoints([null, 0], 100, 20, 5)).toBe('75,20 100,20');
    expect(sparklinePoints([], 100, 20)).toBe('');
    expect(formatRate(null)).toBe('—');
    expect(formatRate(0)).toBe('0/s');
    expect(formatRate(2.5)).toBe('2.50/s');
    expect(formatRate(123.4)).toBe('123/s');
  });

  it('declares in metrics.d.ts exactly what metrics.js exports', async () => {
    const mod = '../../../src/control-plane/console/static/metrics.js';
    const exported = Object.keys(await import(mod)).sort();
    const declared = [...readFileSync(STATIC + 'metrics.d.ts', 'utf8').matchAll(/^export function (\w+)/gm)].map((m) => m[1]).sort();
    expect(declared).toEqual(exported);
  });

  it('ships static scripts that parse (node --check)', () => {
    const scripts = readdirSync(STATIC).filter((f) => f.endsWith('.js'));
    expect(scripts.sort()).toEqual(['console.js', 'metrics.js']);
    for (const f of scripts) execFileSync(process.execPath, ['--check', STATIC + f], { stdio: 'pipe' });
  });
});
