// A strict parser of Prometheus' text exposition format 0.0.4 for the tests (no parser ships in
// node_modules): HELP and TYPE lines, samples with escaped label values, every sample in a family
// its TYPE declared first, no duplicate series, and each histogram well formed (buckets ascending
// and cumulative, +Inf equal to _count). Throws with the line number at the first fault.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/**
 * A value as Prometheus reads it (Go's strconv.ParseFloat): decimal floats, and NaN and ±Inf in
 * any case ("Inf", "infinity"). prom-client writes NaN as "Nan", which Prometheus accepts.
 */
function parseValue(s: string, at: string): number {
  const special = /^([-+]?)(inf|infinity|nan)$/i.exec(s);
  if (special) return special[2]!.toLowerCase() === 'nan' ? NaN : special[1] === '-' ? -Infinity : Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new Error(`${at}: bad value ${JSON.stringify(s)}`);
  return Number(s);
}

/** name{a="x",b="y"} value [timestamp] */
function parseSample(line: string, at: string): Sample {
  let i = 0;
  while (i < line.length && line[i] !== '{' && line[i] !== ' ') i++;
  const name = line.slice(0, i);
  if (!METRIC_NAME.test(name)) throw new Error(`${at}: bad metric name ${JSON.stringify(name)}`);
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    while (line[i] !== '}') {
      const eq = line.indexOf('=', i);
      if (eq < 0) throw new Error(`${at}: label without =`);
      const ln = line.slice(i, eq);
      if (!LABEL_NAME.test(ln)) throw new Error(`${at}: bad label name ${JSON.stringify(ln)}`);
      if (Object.hasOwn(labels, ln)) throw new Error(`${at}: label ${ln} twice`);
      if (line[eq + 1] !== '"') throw new Error(`${at}: label value of ${ln} not quoted`);
      let v = '';
      let j = eq + 2;
      for (;;) {
        const ch = line[j];
        if (ch === undefined) throw new Error(`${at}: unterminated label value of ${ln}`);
        if (ch === '"') break;
        if (ch === '\\') {
          const nx = line[j + 1];
          if (nx === 'n') v += '\n';
          else if (nx === '\\' || nx === '"') v += nx;
          else throw new Error(`${at}: bad escape \\${nx ?? ''} in ${ln}`);
          j += 2;
        } else {
          v += ch;
          j++;
        }
      }
      labels[ln] = v;
      i = j + 1;
      if (line[i] === ',') i++;
      else if (line[i] !== '}') throw new Error(`${at}: expected , or } after label ${ln}`);
    }
    i++;
  }
  if (line[i] !== ' ') throw new Error(`${at}: expected a space before the value`);
  const rest = line.slice(i + 1).split(' ');
  if (rest.length < 1 || rest.length > 2) throw new Error(`${at}: expected a value and an optional timestamp`);
  if (rest.length === 2 && !/^-?\d+$/.test(rest[1]!)) throw new Error(`${at}: bad timestamp`);
  return { name, labels, value: parseValue(rest[0]!, at) };
}

/** The family a sample belongs to: X for X, X_bucket/_sum/_count of a histogram X, X_sum/_count of a summary X. */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  const own = families.get(name);
  if (own && own.type !== 'histogram') return own;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue;
    const f = families.get(name.slice(0, -suffix.length));
    if (f && (f.type === 'histogram' || (f.type === 'summary' && suffix !== '_bucket'))) return f;
  }
  return undefined;
}

function seriesKey(s: Sample, without?: string): string {
  return s.name.replace(/_(bucket|sum|count)$/, '') + JSON.stringify(Object.entries(s.labels).filter(([k]) => k !== without).sort());
}

function checkHistogram(f: Family): void {
  const series = new Map<string, { buckets: Array<{ le: number; v: number }>; count?: number; sum?: number }>();
  for (const s of f.samples) {
    const key = seriesKey(s, 'le');
    const e = series.get(key) ?? { buckets: [] };
    series.set(key, e);
    if (s.name === `${f.name}_bucket`) {
      if (s.labels['le'] === undefined) throw new Error(`${f.name}: a bucket without le`);
      e.buckets.push({ le: parseValue(s.labels['le'], f.name), v: s.value });
    } else if (s.name === `${f.name}_count`) e.count = s.value;
    else if (s.name === `${f.name}_sum`) e.sum = s.value;
    else throw new Error(`${f.name}: sample ${s.name} does not belong to a histogram`);
  }
  for (const [key, e] of series) {
    for (let i = 1; i < e.buckets.length; i++) {
      if (!(e.buckets[i]!.le > e.buckets[i - 1]!.le)) throw new Error(`${f.name} ${key}: buckets not in ascending le`);
      if (e.buckets[i]!.v < e.buckets[i - 1]!.v) throw new Error(`${f.name} ${key}: bucket counts not cumulative`);
    }
    const inf = e.buckets.at(-1);
    if (!inf || inf.le !== Infinity) throw new Error(`${f.name} ${key}: no +Inf bucket`);
    if (e.count === undefined || e.sum === undefined) throw new Error(`${f.name} ${key}: _count or _sum missing`);
    if (inf.v !== e.count) throw new Error(`${f.name} ${key}: +Inf bucket ${inf.v} != _count ${e.count}`);
  }
}

export function parseExposition(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  const families = new Map<string, Family>();
  const helps = new Map<string, string>();
  const seen = new Set<string>();
  const lines = text.split('\n');
  lines.pop();
  lines.forEach((line, n) => {
    const at = `line ${n + 1}`;
    if (line === '') return;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) return; // a plain comment
      const [, kind, name, rest] = m as unknown as [string, 'HELP' | 'TYPE', string, string];
      if (!METRIC_NAME.test(name)) throw new Error(`${at}: bad metric name in ${kind}`);
      if (kind === 'HELP') {
        if (helps.has(name)) throw new Error(`${at}: second HELP for ${name}`);
        helps.set(name, rest);
        const f = families.get(name);
        if (f) f.help = rest;
      } else {
        if (!TYPES.has(rest)) throw new Error(`${at}: bad type ${rest}`);
        if (families.has(name)) throw new Error(`${at}: second TYPE for ${name}`);
        families.set(name, { name, type: rest as Family['type'], help: helps.get(name) ?? '', samples: [] });
      }
      return;
    }
    const s = parseSample(line, at);
    const f = familyOf(s.name, families);
    if (!f) throw new Error(`${at}: sample ${s.name} before (or without) its TYPE line`);
    const key = s.name + JSON.stringify(Object.entries(s.labels).sort());
    if (seen.has(key)) throw new Error(`${at}: duplicate series ${key}`);
    seen.add(key);
    f.samples.push(s);
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

/** The samples of a family (by sample name) whose labels include every one given. */
export function samples(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): Sample[] {
  const f = familyOf(name, families);
  if (!f) return [];
  return f.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** The one sample matching name and labels; throws when there is none or several. */
export function value(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const got = samples(families, name, labels);
  if (got.length !== 1) throw new Error(`${name}${JSON.stringify(labels)}: ${got.length} samples`);
  return got[0]!.value;
}
