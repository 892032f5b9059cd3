// The web console's metrics arithmetic, with no DOM: parse Prometheus text exposition (what the
// control plane's GET /metrics serves), turn two scrapes into per-HSM and per-API rates (counter
// deltas over the time between them), keep short histories and lay out a sparkline's points.
// Loaded by the page as an ES module and imported by the tests from Node (metrics.d.ts types it).
// Must never touch the DOM or the network: console.js does both.

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/** A number as the exposition format writes it (NaN, +Inf, -Inf, floats). */
function parseValue(text) {
  if (text === 'NaN') return NaN;
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}

/** The labels of `{a="x",b="y\"z"}` starting at line[i] === '{'; returns them and the index after '}'. */
function parseLabels(line, i) {
  const labels = {};
  i++;
  for (;;) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (line[i] === '}') return { labels, end: i + 1 };
    const m = LABEL_NAME_RE.exec(line.slice(i));
    if (!m) return undefined;
    const name = m[0];
    i += name.length;
    while (line[i] === ' ') i++;
    if (line[i] !== '=') return undefined;
    i++;
    while (line[i] === ' ') i++;
    if (line[i] !== '"') return undefined;
    i++;
    let value = '';
    for (;;) {
      const c = line[i];
      if (c === undefined) return undefined;
      if (c === '"') break;
      if (c === '\\') {
        const n = line[i + 1];
        value += n === 'n' ? '\n' : n === '"' ? '"' : n === '\\' ? '\\' : '\\' + (n ?? '');
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    i++;
    labels[name] = value;
    while (line[i] === ' ') i++;
    if (line[i] === ',') i++;
    else if (line[i] !== '}') return undefined;
  }
}

/**
 * Every sample of a Prometheus text exposition: [{ name, labels, value }]. Comments (# HELP,
 * # TYPE) and blank lines are skipped; a line that does not parse is skipped too (one bad line
 * must not blank the panel).
 */
export function parsePrometheus(text) {
  const out = [];
  for (const raw of String(text).split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = NAME_RE.exec(line);
    if (!m) continue;
    const name = m[0];
    let i = name.length;
    let labels = {};
    if (line[i] === '{') {
      const l = parseLabels(line, i);
      if (!l) continue;
      labels = l.labels;
      i = l.end;
    }
    const rest = line.slice(i).trim().split(/\s+/);
    const value = parseValue(rest[0] ?? '');
    if (value === undefined) continue;
    out.push({ name, labels, value });
  }
  return out;
}

/** A stable key for one series: its name and its labels sorted by name. */
export function seriesKey(name, labels) {
  return name + '{' + Object.keys(labels).sort().map((k) => `${k}=${JSON.stringify(labels[k])}`).join(',') + '}';
}

/** Per-second increase of each series of counter `name` between two scrapes, with its labels. */
export function counterRates(prev, cur, name) {
  const dt = (cur.t - prev.t) / 1000;
  if (!(dt > 0)) return [];
  const before = new Map();
  for (const s of prev.samples) if (s.name === name) before.set(seriesKey(s.name, s.labels), s.value);
  const out = [];
  for (const s of cur.samples) {
    if (s.name !== name) continue;
    const p = before.get(seriesKey(s.name, s.labels));
    // A series new since the last scrape started at 0 in between; a counter that went down was reset.
    const delta = p === undefined ? s.value : s.value < p ? s.value : s.value - p;
    out.push({ labels: s.labels, rate: delta / dt });
  }
  return out;
}

const HSM_GAUGES = { strongroom_hsm_up: 'up', strongroom_hsm_sessions: 'sessions', strongroom_hsm_keys_token_occupied: 'keysTokenOccupied' };

/** An API request counts as an error unless its error label is empty (or "none"). */
function isApiError(labels) {
  const e = labels.error;
  return e !== undefined && e !== '' && e !== 'none' && e !== 'false';
}

/**
 * What the metrics panel shows, from the latest scrape `cur` ({ t: ms, samples }) and the one before
 * it (`prev`, or null on the first scrape: rates are null then). HSMs are limited to the clusters
 * in `clusterIds` (the ones the signed-in identity may see), when given.
 *   { hsms: [{ clusterId, hsmId, az, up, sessions, keysTokenOccupied, requestRate, errorRate }],
 *     api: { requestRate, errorRate, operations: [{ service, operation, rate, errorRate }] } }
 */
export function summarize(prev, cur, clusterIds) {
  const visible = clusterIds ? new Set(clusterIds) : null;
  const hsms = new Map();
  const hsmOf = (labels) => {
    const clusterId = labels.cluster_id ?? '';
    const hsmId = labels.hsm_id ?? '';
    if (!hsmId || (visible && !visible.has(clusterId))) return undefined;
    const key = clusterId + '/' + hsmId;
    let h = hsms.get(key);
    if (!h) {
      h = { clusterId, hsmId, az: '', up: null, sessions: null, keysTokenOccupied: null, requestRate: prev ? 0 : null, errorRate: prev ? 0 : null };
      hsms.set(key, h);
    }
    if (labels.availability_zone) h.az = labels.availability_zone;
    return h;
  };
  for (const s of cur.samples) {
    const field = HSM_GAUGES[s.name];
    if (field === undefined) {
      if (s.name === 'strongroom_hsm_requests_total') hsmOf(s.labels);
      continue;
    }
    const h = hsmOf(s.labels);
    if (!h) continue;
    h[field] = field === 'up' ? s.value === 1 : (h[field] ?? 0) + s.value;
  }
  const api = { requestRate: prev ? 0 : null, errorRate: prev ? 0 : null, operations: [] };
  if (prev) {
    for (const r of counterRates(prev, cur, 'strongroom_hsm_requests_total')) {
      const h = hsmOf(r.labels);
      if (!h) continue;
      h.requestRate += r.rate;
      if (r.labels.result !== 'ok') h.errorRate += r.rate;
    }
    const ops = new Map();
    for (const r of counterRates(prev, cur, 'strongroom_api_requests_total')) {
      const service = r.labels.service ?? '';
      const operation = r.labels.operation ?? '';
      const key = service + '.' + operation;
      let o = ops.get(key);
      if (!o) ops.set(key, (o = { service, operation, rate: 0, errorRate: 0 }));
      o.rate += r.rate;
      api.requestRate += r.rate;
      if (isApiError(r.labels)) {
        o.errorRate += r.rate;
        api.errorRate += r.rate;
      }
    }
    api.operations = [...ops.values()].filter((o) => o.rate > 0).sort((a, b) => b.rate - a.rate || (a.service + a.operation).localeCompare(b.service + b.operation));
  }
  const list = [...hsms.values()].sort((a, b) => (a.clusterId + a.az + a.hsmId).localeCompare(b.clusterId + b.az + b.hsmId));
  return { hsms: list, api };
}

/** Appends `value` to history[key], keeping the last `max` values; returns that list. */
export function pushHistory(history, key, value, max = 60) {
  const list = history.get(key) ?? [];
  list.push(value);
  while (list.length > max) list.shift();
  history.set(key, list);
  return list;
}

/**
 * The points attribute of an SVG polyline drawing `values` (oldest first) in a width×height box:
 * the newest at the right edge, 0 at the bottom, the largest value at the top. Non-numbers
 * (null, NaN) are drawn as 0.
 */
export function sparklinePoints(values, width, height, slots = values.length) {
  const vals = values.map((v) => (typeof v === 'number' && Number.isFinite(v) ? v : 0));
  if (vals.length === 0) return '';
  const max = Math.max(...vals, 0);
  const step = slots > 1 ? width / (slots - 1) : 0;
  const x0 = width - step * (vals.length - 1);
  return vals.map((v, i) => {
    const x = vals.length === 1 ? width : x0 + step * i;
    const y = max > 0 ? height - (v / max) * height : height;
    return `${+x.toFixed(1)},${+y.toFixed(1)}`;
  }).join(' ');
}

/** A rate for people: "—" when unknown, else requests per second with sensible precision. */
export function formatRate(rate) {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return '—';
  if (rate === 0) return '0/s';
  if (rate < 0.1) return rate.toFixed(3) + '/s';
  if (rate < 10) return rate.toFixed(2) + '/s';
  return Math.round(rate) + '/s';
}
