/**
 * A small, strict parser of the Prometheus text exposition format (0.0.4), for tests: every line must be a
 * HELP, a TYPE, a comment, blank, or a sample; every family needs HELP and TYPE before its samples; series are
 * unique; histograms have cumulative buckets ending in le="+Inf" equal to _count. Throws on the first problem,
 * naming the line.
 */
export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  help?: string;
  type?: MetricType;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** Values as Prometheus reads them (Go's ParseFloat: Inf and NaN in any case; prom-client writes "Nan"). */
function parseValue(raw: string, where: string): number {
  if (/^\+?inf$/i.test(raw)) return Infinity;
  if (/^-inf$/i.test(raw)) return -Infinity;
  if (/^nan$/i.test(raw)) return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw)) throw new Error(`${where}: bad value ${JSON.stringify(raw)}`);
  return Number(raw);
}

function parseLabels(text: string, where: string): [Record<string, string>, number] {
  // text starts just after '{'; returns the labels and the index after '}'.
  const labels: Record<string, string> = {};
  let i = 0;
  while (true) {
    if (text[i] === '}') return [labels, i + 1];
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`${where}: label without =`);
    const name = text.slice(i, eq);
    if (!LABEL.test(name)) throw new Error(`${where}: bad label name ${JSON.stringify(name)}`);
    if (name in labels) throw new Error(`${where}: label ${name} twice`);
    if (text[eq + 1] !== '"') throw new Error(`${where}: label value of ${name} is not quoted`);
    let j = eq + 2;
    let value = '';
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\\') {
        const next = text[++j];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else throw new Error(`${where}: bad escape \\${next}`);
      } else if (text[j] === '\n') {
        throw new Error(`${where}: newline in label value`);
      } else value += text[j];
    }
    if (text[j] !== '"') throw new Error(`${where}: unterminated label value`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
    else if (text[i] !== '}') throw new Error(`${where}: expected , or } after label ${name}`);
  }
}

/** The family a sample name belongs to, given the families typed so far. */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  if (families.has(name)) return families.get(name);
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue;
    const f = families.get(name.slice(0, -suffix.length));
    if (f && (f.type === 'histogram' || (f.type === 'summary' && suffix !== '_bucket'))) return f;
  }
  return undefined;
}

export function parsePrometheus(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  const lines = text.split('\n');
  lines.pop();
  lines.forEach((line, n) => {
    const where = `line ${n + 1} (${JSON.stringify(line.slice(0, 80))})`;
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) return; // a plain comment
      const [, kind, name, rest] = m;
      if (!NAME.test(name)) throw new Error(`${where}: bad metric name`);
      let f = families.get(name);
      if (!f) families.set(name, (f = { name, samples: [] }));
      if (kind === 'HELP') {
        if (f.help !== undefined) throw new Error(`${where}: second HELP for ${name}`);
        f.help = rest;
      } else {
        if (f.type !== undefined) throw new Error(`${where}: second TYPE for ${name}`);
        if (f.samples.length > 0) throw new Error(`${where}: TYPE after samples of ${name}`);
        if (!TYPES.has(rest)) throw new Error(`${where}: unknown type ${rest}`);
        f.type = rest as MetricType;
      }
      return;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{)?/.exec(line);
    if (!m) throw new Error(`${where}: not a sample`);
    const name = m[1];
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (m[2]) {
      const [l, end] = parseLabels(rest.slice(1), where);
      labels = l;
      rest = rest.slice(1 + end);
    }
    const parts = rest.split(' ');
    if (parts[0] !== '' || parts.length < 2 || parts.length > 3) throw new Error(`${where}: expected " <value> [timestamp]"`);
    const value = parseValue(parts[1], where);
    if (parts[2] !== undefined && !/^-?\d+$/.test(parts[2])) throw new Error(`${where}: bad timestamp`);
    const f = familyOf(name, families);
    if (!f || f.type === undefined) throw new Error(`${where}: sample of ${name} before its TYPE`);
    if (f.help === undefined) throw new Error(`${where}: sample of ${name} without HELP`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`${where}: duplicate series`);
    seen.add(key);
    f.samples.push({ name, labels, value });
  });
  for (const f of families.values()) {
    if (f.type === undefined) throw new Error(`${f.name}: HELP without TYPE`);
    if (f.type === 'histogram') checkHistogram(f);
  }
  return families;
}

function checkHistogram(f: Family): void {
  const groups = new Map<string, Sample[]>();
  for (const s of f.samples) {
    if (s.name !== `${f.name}_bucket`) continue;
    const { le, ...rest } = s.labels;
    if (le === undefined) throw new Error(`${f.name}: bucket without le`);
    const key = JSON.stringify(Object.entries(rest).sort());
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  // A labelled histogram with no series yet (e.g. GC durations before the first GC) has no samples at all.
  if (groups.size === 0 && f.samples.length > 0) throw new Error(`${f.name}: histogram samples without buckets`);
  for (const [key, buckets] of groups) {
    let previousLe = -Infinity;
    let previous = 0;
    for (const b of buckets) {
      const le = parseValue(b.labels.le, `${f.name} le`);
      if (le <= previousLe) throw new Error(`${f.name}: le not ascending`);
      if (b.value < previous) throw new Error(`${f.name}: buckets not cumulative`);
      previousLe = le;
      previous = b.value;
    }
    if (previousLe !== Infinity) throw new Error(`${f.name}: no le="+Inf" bucket`);
    const count = f.samples.find((s) => s.name === `${f.name}_count` && JSON.stringify(Object.entries(s.labels).sort()) === key);
    if (!count || count.value !== previous) throw new Error(`${f.name}: _count does not equal the +Inf bucket`);
    if (!f.samples.some((s) => s.name === `${f.name}_sum`)) throw new Error(`${f.name}: no _sum`);
  }
}

/**
 * Naming conventions (prometheus.io/docs/practices/naming): snake_case, counters end in _total (and only they),
 * durations in _seconds, sizes in _bytes. Returns the problems.
 */
export function namingProblems(f: Family): string[] {
  const problems: string[] = [];
  const n = f.name;
  if (!/^[a-z][a-z0-9]*(_[a-z0-9]+)+$/.test(n)) problems.push(`${n}: not snake_case with a namespace prefix`);
  if (f.type === 'counter' && !n.endsWith('_total')) problems.push(`${n}: counter without _total`);
  if (f.type !== 'counter' && n.endsWith('_total')) problems.push(`${n}: _total on a ${f.type}`);
  if (/duration|latency|_lag|_time/.test(n) && !/_seconds(_total)?$/.test(n)) problems.push(`${n}: a time not in _seconds`);
  if (/size|memory/.test(n) && !/_bytes(_total)?$/.test(n)) problems.push(`${n}: a size not in _bytes`);
  if (/milliseconds|_ms$|kilobytes|megabytes/.test(n)) problems.push(`${n}: not a base unit`);
  return problems;
}
