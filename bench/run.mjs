// Relay benchmark: the same fixed data set and scenarios against our peer and strfry, side by side, or against any
// relay URL. Prints a table (stdout), one JSON line (stdout, last line) and progress (stderr).
//
//   npm run build && npm run bench                        ours (from a copy of dist/) and strfry, 50k events
//   npm run bench -- --events 5000                        small run, for debugging
//   npm run bench -- --growth                             ingest + queries + noisy neighbour at 10k, 100k, 1M events
//   npm run bench -- --url ws://127.0.0.1:7777 [--pid N]  any running relay (RSS only with --pid)
//   node bench/verify.mjs                                 signature verifier comparison (or --verify here)
//
// Figures are ratios and distributions from one run; nothing here asserts a time.
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as secp from 'tiny-secp256k1';
import WebSocket from 'ws';
import { DEFAULT_SEED, loadDataset, mulberry32, pubkeyOf } from './dataset.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const STRFRY_START = path.resolve(repo, '../shared/anchors/strfry/start.sh');

// ---- CLI ----------------------------------------------------------------------------------------------------
const HELP = `usage: node bench/run.mjs [options]
  --url ws://host:port   benchmark this running relay instead of starting ours and strfry (127.0.0.1 only);
                         turn its rate limits and per-IP connection caps off first (ours: RATE_*=0, MAX_CONNECTIONS_PER_IP=0)
  --pid N                with --url: the relay's PID, to sample its RSS from /proc
  --only ours|strfry     start only one of the two
  --events N             data set size (default 50000; cached in bench/.cache/)
  --conns N              ingest connections (default 4)
  --window N             in-flight EVENTs per ingest connection (default 100)
  --queries N            queries over the six filter shapes (default 2000)
  --query-conns N        connections issuing queries, one REQ in flight each (default 4)
  --subscribers N        live subscribers for fan-out (default 1000)
  --fanout-events N      events published to them (default 200)
  --fanout-interval MS   pause between published events (default 20; 0 = one burst)
  --idle N               idle WebSockets to open (default 10000)
  --noisy-queries N      simple REQs timed while another client sends the heaviest reads (default 300)
  --scenarios LIST       any of ingest,queries,noisy,fanout,idle,coldstart (default all)
  --growth               ingest + queries + noisy neighbour at 10k, 100k, 1M stored events (--sizes a,b,c to change)
  --seed S               data set seed (default "${DEFAULT_SEED}")
  --verify               also run bench/verify.mjs (signature verifiers) and include its figures
  --keep                 keep the temporary data folders
`;
const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  process.stdout.write(HELP);
  process.exit(0);
}
const flag = (name) => argv.includes(name);
const opt = (name, dflt) => {
  const k = argv.indexOf(name);
  if (k < 0) return dflt;
  const v = argv[k + 1];
  if (v === undefined || v.startsWith('--')) die(`${name} needs a value`);
  return v;
};
const num = (name, dflt, min = 0) => {
  const v = Number(opt(name, String(dflt)));
  if (!Number.isSafeInteger(v) || v < min) die(`${name} must be an integer ≥ ${min}`);
  return v;
};
function die(msg) {
  console.error(`bench: ${msg}`);
  process.exit(2);
}
const known = new Set(['--url', '--pid', '--only', '--events', '--conns', '--window', '--queries', '--query-conns', '--subscribers',
  '--fanout-events', '--fanout-interval', '--idle', '--noisy-queries', '--scenarios', '--growth', '--sizes', '--seed', '--verify', '--keep']);
for (const a of argv) if (a.startsWith('--') && !known.has(a)) die(`unknown option ${a} (see --help)`);

const cfg = {
  url: opt('--url'),
  pid: opt('--pid') ? num('--pid', 0, 1) : undefined,
  only: opt('--only'),
  events: num('--events', 50_000, 1),
  conns: num('--conns', 4, 1),
  window: num('--window', 100, 1),
  queries: num('--queries', 2000, 0),
  queryConns: num('--query-conns', 4, 1),
  subscribers: num('--subscribers', 1000, 0),
  fanoutEvents: num('--fanout-events', 200, 1),
  fanoutInterval: num('--fanout-interval', 20, 0),
  idle: num('--idle', 10_000, 0),
  noisyQueries: num('--noisy-queries', 300, 1),
  growth: flag('--growth'),
  sizes: (opt('--sizes', '10000,100000,1000000')).split(',').map(Number),
  seed: opt('--seed', DEFAULT_SEED),
  verify: flag('--verify'),
  keep: flag('--keep'),
};
const ALL = ['ingest', 'queries', 'noisy', 'fanout', 'idle', 'coldstart'];
cfg.scenarios = opt('--scenarios', cfg.growth ? 'ingest,queries,noisy,coldstart' : ALL.join(',')).split(',');
for (const s of cfg.scenarios) if (!ALL.includes(s)) die(`unknown scenario ${s}`);
if (cfg.only && !['ours', 'strfry'].includes(cfg.only)) die('--only takes ours or strfry');
if (cfg.url) {
  const u = new URL(cfg.url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) die('--url must point at 127.0.0.1 / localhost');
}
if (cfg.growth) {
  if (cfg.sizes.some((s, k) => !Number.isSafeInteger(s) || s < 1 || (k > 0 && s <= cfg.sizes[k - 1]))) die('--sizes must be increasing integers');
  cfg.events = cfg.sizes.at(-1);
}

const log = (s) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${s}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();

// ---- file-descriptor limit: 10,000 idle sockets need more than the usual 1,024 -------------------------------
function fdLimits() {
  const line = fs.readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
  const [soft, hard] = line.trim().split(/\s+/).slice(3, 5).map((v) => (v === 'unlimited' ? Infinity : Number(v)));
  return { soft, hard };
}
{
  const need = cfg.idle + cfg.subscribers + 2000;
  const { soft, hard } = fdLimits();
  if (soft < need && cfg.scenarios.includes('idle')) {
    if (hard >= need && !process.env.BENCH_REEXEC) {
      // Node cannot raise its own limit: run again under a shell that does (children inherit it).
      log(`raising the open-file limit from ${soft} to ${need}`);
      const child = spawn('bash', ['-c', `ulimit -n ${need} && exec "$0" "$@"`, process.execPath, ...process.argv.slice(1)], {
        stdio: 'inherit',
        env: { ...process.env, BENCH_REEXEC: '1' },
      });
      child.on('exit', (code, sig) => process.exit(code ?? (sig ? 1 : 0)));
      await new Promise(() => {});
    }
    cfg.idle = Math.max(0, Math.min(cfg.idle, soft - cfg.subscribers - 2000));
    log(`open-file limit is ${soft} (hard ${hard}): idle connections reduced to ${cfg.idle}; raise it with ulimit -n`);
  }
}

// ---- statistics ---------------------------------------------------------------------------------------------
function dist(values) {
  if (values.length === 0) return { n: 0 };
  const a = Float64Array.from(values).sort();
  const q = (p) => a[Math.min(a.length - 1, Math.floor(p * a.length))];
  const r = (v) => +v.toFixed(2);
  return { n: a.length, p50: r(q(0.5)), p95: r(q(0.95)), p99: r(q(0.99)), max: r(a[a.length - 1]) };
}

// ---- process memory -----------------------------------------------------------------------------------------
function procMem(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? NaN);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024, zombie: /^State:\s+Z/m.test(s) };
  } catch {
    return undefined;
  }
}
const alive = (pid) => {
  const m = procMem(pid);
  return m !== undefined && !m.zombie;
};
/** Samples a process's RSS every 100 ms; `take()` returns the peak since the previous take. */
class RssSampler {
  constructor(pid) {
    this.pid = pid;
    this.peak = 0;
    this.timer = pid ? setInterval(() => this.sample(), 100) : undefined;
    this.timer?.unref();
  }
  sample() {
    const m = this.pid && procMem(this.pid);
    if (m && m.rss > this.peak) this.peak = m.rss;
    return m;
  }
  take() {
    this.sample();
    const p = this.peak;
    this.peak = 0;
    return p ? +p.toFixed(1) : undefined;
  }
  stop() {
    clearInterval(this.timer);
  }
}

// ---- WebSocket client ---------------------------------------------------------------------------------------
// No compression (strfry offers it), no UTF-8 validation and an all-zero mask: the client should cost little CPU.
const WS_OPTS = { perMessageDeflate: false, skipUTF8Validation: true, generateMask: (m) => m.fill(0), maxPayload: 256 << 20 };
// Each connection from its own loopback address (127.0.0.2–254, in turn), as clients come from many addresses: a
// relay's per-IP shares (ours: READ_QUEUE_PER_CLIENT, a worker left free for other addresses) then apply as in the
// field, rather than putting every client of the bench behind one address. A --url on another host keeps the default.
let nextSource = 0;
const sourceAddress = (url) =>
  /^wss?:\/\/127\./.test(url) ? { localAddress: `127.0.0.${2 + (nextSource++ % 253)}` } : {};
function connect(url, timeoutMs = 15_000) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { ...WS_OPTS, ...sourceAddress(url) });
    const t = setTimeout(() => {
      ws.terminate();
      reject(new Error('connect timeout'));
    }, timeoutMs);
    ws.once('open', () => {
      clearTimeout(t);
      resolve(ws);
    });
    ws.once('error', (err) => {
      clearTimeout(t);
      reject(err);
    });
  });
}
/** Opens n connections, at most `parallel` handshakes at a time. */
async function connectMany(url, n, parallel = 100, onOpen) {
  const out = new Array(n);
  let next = 0;
  let failed = 0;
  let firstError;
  const worker = async () => {
    while (next < n) {
      const k = next++;
      try {
        out[k] = await connect(url);
        onOpen?.(out[k], k);
      } catch (err) {
        failed++;
        firstError ??= err.message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, n) }, worker));
  return { sockets: out.filter(Boolean), failed, firstError };
}
function closeAll(sockets) {
  for (const ws of sockets) ws?.terminate();
}
const corked = (ws, fn) => {
  const s = ws._socket;
  s?.cork();
  try {
    fn();
  } finally {
    if (s) process.nextTick(() => s.uncork());
  }
};

// Relay messages are read by looking at bytes, not JSON.parse: ["OK","<id>",true|false,"msg"], ["EOSE",…], ["EVENT",…]
const C_QUOTE = 0x22;
const isType = (buf, type) => buf[0] === 0x5b && buf[1] === C_QUOTE && buf.toString('latin1', 2, 2 + type.length + 1) === `${type}"`;
function parseOk(buf) {
  if (buf.length > 77 && buf[71] === C_QUOTE && buf[72] === 0x2c) {
    const accepted = buf[73] === 0x74;
    const rest = buf.toString('utf8', accepted ? 79 : 80, buf.length - 2);
    return { id: buf.toString('latin1', 7, 71), accepted, message: rest };
  }
  const m = JSON.parse(buf.toString());
  return { id: m[1], accepted: m[2] === true, message: String(m[3] ?? '') };
}
const ID_KEY = Buffer.from('"id":"');
function eventIdOf(buf) {
  const k = buf.indexOf(ID_KEY);
  return k < 0 ? undefined : buf.toString('latin1', k + 6, k + 70);
}

// ---- scenarios ------------------------------------------------------------------------------------------------

/** Sends events [from, to) over `conns` connections, `window` in flight on each; every OK is matched by id. */
async function ingest(url, ds, from, to, { conns, window, label }) {
  const total = to - from;
  const queues = Array.from({ length: conns }, () => []);
  // One author's events always go down the same connection, in order, so a replaceable event's newer version
  // never overtakes the older one.
  for (let i = from; i < to; i++) queues[ds.authorOf(i) % conns].push(i);
  const { sockets, failed, firstError } = await connectMany(url, conns);
  if (failed) throw new Error(`ingest: ${failed} connections failed (${firstError})`);
  const sent = new Map(); // id → send time
  const okLatency = [];
  const reasons = new Map();
  let accepted = 0;
  let duplicates = 0;
  let rejected = 0;
  let stray = 0;
  let notices = 0;
  let lastProgress = now();
  let lastOk = now();
  const t0 = now();
  let finish;
  const done = new Promise((r) => (finish = r));
  const state = sockets.map((ws, c) => ({ ws, q: queues[c], next: 0, inflight: 0, scheduled: false, closed: false }));
  const allDone = () => state.every((s) => (s.next === s.q.length || s.closed) && (s.inflight === 0 || s.closed));
  const refill = (s) => {
    s.scheduled = false;
    if (s.closed) return;
    corked(s.ws, () => {
      while (s.inflight < window && s.next < s.q.length) {
        const i = s.q[s.next++];
        sent.set(ds.ids[i], now());
        s.inflight++;
        s.ws.send(`["EVENT",${ds.lines[i]}]`);
      }
    });
  };
  for (const s of state) {
    s.ws.on('message', (buf) => {
      if (isType(buf, 'OK')) {
        const ok = parseOk(buf);
        const t = sent.get(ok.id);
        if (t === undefined) return void stray++;
        sent.delete(ok.id);
        lastOk = lastProgress = now();
        okLatency.push(lastOk - t);
        if (ok.accepted) {
          accepted++;
          if (ok.message.startsWith('duplicate')) duplicates++;
        } else {
          rejected++;
          const r = ok.message.slice(0, 60);
          reasons.set(r, (reasons.get(r) ?? 0) + 1);
        }
        s.inflight--;
        if (!s.scheduled) {
          s.scheduled = true;
          setImmediate(refill, s);
        }
        if (s.inflight === 0 && s.next === s.q.length && allDone()) finish();
      } else if (isType(buf, 'NOTICE')) notices++;
    });
    s.ws.on('close', () => {
      s.closed = true;
      if (allDone()) finish();
    });
    refill(s);
  }
  if (allDone()) finish();
  let reported = now();
  const watchdog = setInterval(() => {
    const t = now();
    if (t - lastProgress > 30_000) finish(); // stalled: whatever is still in flight counts as missing
    if (total >= 20_000 && t - reported > 5000) {
      reported = t;
      const n = accepted + rejected;
      log(`  ${label}: ${n}/${total} OKs (${Math.round(n / ((t - t0) / 1000))}/s)`);
    }
  }, 250);
  await done;
  clearInterval(watchdog);
  closeAll(sockets);
  const secs = (lastOk - t0) / 1000;
  const missing = total - accepted - rejected;
  return {
    events: total,
    ok_true: accepted,
    ok_false: rejected,
    missing,
    duplicates,
    stray,
    notices,
    rejectReasons: Object.fromEntries([...reasons].sort((a, b) => b[1] - a[1]).slice(0, 5)),
    seconds: +secs.toFixed(2),
    eventsPerSec: Math.round(accepted / secs),
    okLatencyMs: dist(okLatency),
  };
}

const WARMUP = 60; // unmeasured queries first, 10 of each shape
const SHAPES = ['ids', 'authors+kinds', '#e', '#p', 'kinds+since/until', 'global'];
/** The query mix over the first `upto` events: deterministic for a given seed and size. */
function makeQueries(ds, upto, count, salt = '') {
  const h = createHash('sha256').update(`${ds.seed}/queries/${upto}${salt}`).digest();
  const r = mulberry32(h.readUInt32LE(0));
  const idx = () => Math.floor(r() * upto);
  const author = () => ds.pks[Math.floor(ds.pks.length * r() * r())];
  const stable = () => {
    // kind 1 and 7 are never replaced, so their ids stay stored
    for (;;) {
      const i = idx();
      const k = ds.plan(i).kind;
      if (k === 1 || k === 7) return ds.ids[i];
    }
  };
  const out = [];
  for (let q = 0; q < count; q++) {
    const shape = SHAPES[q % SHAPES.length];
    let f;
    switch (shape) {
      case 'ids':
        f = { ids: Array.from({ length: 1 + Math.floor(r() * 20) }, stable) };
        break;
      case 'authors+kinds':
        f = { authors: [...new Set(Array.from({ length: 1 + Math.floor(r() * 5) }, author))], kinds: [1], limit: 100 };
        break;
      case '#e': {
        let target = -1;
        for (let tries = 0; target < 0 && tries < 1000; tries++) target = ds.plan(idx()).target;
        f = { '#e': [ds.ids[Math.max(0, target)]], limit: 500 };
        break;
      }
      case '#p':
        f = { '#p': [author()], kinds: [1, 7], limit: 100 };
        break;
      case 'kinds+since/until': {
        const since = ds.base + idx();
        f = { kinds: [1], since, until: since + 60 + Math.floor(r() * 1140), limit: 500 };
        break;
      }
      default:
        f = { limit: 500 };
    }
    out.push({ shape, json: JSON.stringify(f) });
  }
  return out;
}

/** Runs the queries over `queryConns` connections, one REQ in flight on each; latency = REQ sent → EOSE. */
async function queries(url, list, { queryConns }, warmup = []) {
  const { sockets, failed, firstError } = await connectMany(url, queryConns);
  if (failed) throw new Error(`queries: ${failed} connections failed (${firstError})`);
  // Unmeasured warm-up (JIT, prepared statements, page cache), on the first connection only.
  for (const q of warmup) {
    await new Promise((resolve) => {
      const onMessage = (buf) => {
        if (isType(buf, 'EOSE') || isType(buf, 'CLOSED')) {
          sockets[0].off('message', onMessage);
          clearTimeout(timer);
          sockets[0].send('["CLOSE","w"]');
          resolve();
        }
      };
      const timer = setTimeout(() => onMessage(Buffer.from('["EOSE"')), 15_000);
      sockets[0].on('message', onMessage);
      sockets[0].send(`["REQ","w",${q.json}]`);
    });
  }
  const lat = Object.fromEntries(SHAPES.map((s) => [s, []]));
  const events = Object.fromEntries(SHAPES.map((s) => [s, 0]));
  let closed = 0;
  let timeouts = 0;
  let next = 0;
  const t0 = now();
  const runOne = (ws, q, k) =>
    new Promise((resolve) => {
      const subId = `q${k}`;
      const eose = Buffer.from(`["EOSE","${subId}"]`);
      let n = 0;
      const t = now();
      const onMessage = (buf) => {
        if (isType(buf, 'EVENT')) n++;
        else if (buf.equals(eose)) end(true);
        else if (isType(buf, 'CLOSED')) {
          closed++;
          end(false);
        }
      };
      const timer = setTimeout(() => {
        timeouts++;
        end(false);
      }, 15_000);
      const end = (ok) => {
        clearTimeout(timer);
        ws.off('message', onMessage);
        if (ok) {
          lat[q.shape].push(now() - t);
          events[q.shape] += n;
        }
        ws.send(`["CLOSE","${subId}"]`);
        resolve();
      };
      ws.on('message', onMessage);
      ws.send(`["REQ","${subId}",${q.json}]`);
    });
  await Promise.all(
    sockets.map(async (ws) => {
      while (next < list.length) {
        const k = next++;
        await runOne(ws, list[k], k);
      }
    }),
  );
  const secs = (now() - t0) / 1000;
  closeAll(sockets);
  const all = Object.values(lat).flat();
  return {
    queries: list.length,
    answered: all.length,
    closed,
    timeouts,
    perSec: Math.round(all.length / secs),
    all: dist(all),
    shapes: Object.fromEntries(
      SHAPES.map((s) => [s, { ...dist(lat[s]), avgEvents: lat[s].length ? +(events[s] / lat[s].length).toFixed(1) : 0 }]),
    ),
  };
}

/**
 * The heaviest reads one client may legally send (defaults: MAX_FILTERS 10, MAX_LIMIT 5000): a REQ of ten
 * overlapping filters, a COUNT of ten filters over the whole table, a NEG-OPEN of everything. Each ends at one of
 * `ends` (or after 60 s).
 */
const HEAVY = [
  { msg: (k) => `["REQ","hog${k}",${Array.from({ length: 10 }, (_, i) => JSON.stringify({ limit: 5000, since: i })).join(',')}]`, ends: ['EOSE', 'CLOSED', 'NOTICE'] },
  { msg: (k) => `["COUNT","hog${k}",${Array.from({ length: 10 }, (_, i) => JSON.stringify({ since: i })).join(',')}]`, ends: ['COUNT', 'CLOSED', 'NOTICE'] },
  { msg: (k) => `["NEG-OPEN","hog${k}",{},"6100000200"]`, ends: ['NEG-MSG', 'NEG-ERR', 'NOTICE'] },
];

/**
 * Noisy neighbour: one connection sends the heaviest reads back to back (one in flight, REQ → COUNT → NEG-OPEN
 * in turn) while another sends simple REQs (the `ids` shape), one in flight; their latency (REQ → EOSE) is the
 * figure. With reads on the event loop each simple REQ waits for the heavy read in progress.
 */
async function noisy(url, ds, upto, { noisyQueries }) {
  const [hog, light] = await Promise.all([connect(url), connect(url)]);
  const heavy = { REQ: 0, COUNT: 0, 'NEG-OPEN': 0, refused: 0 };
  let stop = false;
  const hogDone = (async () => {
    for (let k = 0; !stop; k++) {
      const h = HEAVY[k % HEAVY.length];
      const name = ['REQ', 'COUNT', 'NEG-OPEN'][k % HEAVY.length];
      await new Promise((resolve) => {
        const onMessage = (buf) => {
          const end = h.ends.find((t) => isType(buf, t));
          if (!end) return;
          if (end === h.ends[0]) heavy[name]++;
          else heavy.refused++;
          done();
        };
        const timer = setTimeout(() => done(), 60_000);
        const done = () => {
          clearTimeout(timer);
          hog.off('message', onMessage);
          hog.send(name === 'NEG-OPEN' ? `["NEG-CLOSE","hog${k}"]` : `["CLOSE","hog${k}"]`);
          resolve();
        };
        hog.on('message', onMessage);
        hog.send(h.msg(k));
      });
    }
  })();
  await sleep(200); // the first heavy read is under way
  const list = makeQueries(ds, upto, noisyQueries * SHAPES.length, '/noisy').filter((q) => q.shape === 'ids').slice(0, noisyQueries);
  const lat = [];
  let closed = 0;
  for (const [k, q] of list.entries()) {
    await new Promise((resolve) => {
      const eose = Buffer.from(`["EOSE","n${k}"]`);
      const t = now();
      const onMessage = (buf) => {
        if (buf.equals(eose)) end(true);
        else if (isType(buf, 'CLOSED')) end(false);
      };
      const timer = setTimeout(() => end(false), 15_000);
      const end = (ok) => {
        clearTimeout(timer);
        light.off('message', onMessage);
        if (ok) lat.push(now() - t);
        else closed++;
        light.send(`["CLOSE","n${k}"]`);
        resolve();
      };
      light.on('message', onMessage);
      light.send(`["REQ","n${k}",${q.json}]`);
    });
  }
  stop = true;
  await hogDone;
  closeAll([hog, light]);
  return { queries: list.length, answered: lat.length, closed, latencyMs: dist(lat), heavy };
}

/** Subscribers each with a REQ matching one author's kind-1 events; that author publishes; every delivery is timed. */
async function fanout(url, { subscribers, fanoutEvents, fanoutInterval }) {
  const sk = createHash('sha256').update(`fanout/${randomBytes(8).toString('hex')}`).digest();
  const pk = pubkeyOf(sk);
  const created = Math.floor(Date.now() / 1000);
  const evs = Array.from({ length: fanoutEvents }, (_, k) => {
    const e = { pubkey: pk, created_at: created, kind: 1, tags: [], content: `fan-out ${k} ${'x'.repeat(100)}` };
    const h = createHash('sha256').update(JSON.stringify([0, e.pubkey, e.created_at, e.kind, e.tags, e.content])).digest();
    e.id = h.toString('hex');
    e.sig = Buffer.from(secp.signSchnorr(h, sk, h)).toString('hex');
    return e;
  });
  const index = new Map(evs.map((e, k) => [e.id, k]));
  const sentAt = new Float64Array(fanoutEvents);
  const got = new Uint8Array(subscribers * fanoutEvents);
  const lat = [];
  let deliveries = 0;
  let dupes = 0;
  let stray = 0;
  let eoses = 0;
  let lastDelivery = 0;
  let allEose;
  const eoseAll = new Promise((r) => (allEose = r));
  let complete;
  const completed = new Promise((r) => (complete = r));
  const expected = subscribers * fanoutEvents;
  const req = `["REQ","f",${JSON.stringify({ kinds: [1], authors: [pk], since: created - 5 })}]`;
  const t0 = now();
  const { sockets, failed, firstError } = await connectMany(url, subscribers, 100, (ws, s) => {
    let live = false;
    ws.on('message', (buf) => {
      if (live && isType(buf, 'EVENT')) {
        const k = index.get(eventIdOf(buf));
        if (k === undefined) return void stray++;
        const t = now();
        if (got[s * fanoutEvents + k]++) return void dupes++;
        lat.push(t - sentAt[k]);
        lastDelivery = t;
        if (++deliveries === expected) complete();
      } else if (isType(buf, 'EOSE')) {
        live = true;
        if (++eoses === subscribers) allEose();
      }
    });
    ws.send(req);
  });
  const connectSecs = (now() - t0) / 1000;
  if (failed) log(`  fan-out: ${failed} subscriber connections failed (${firstError})`);
  const reached = sockets.length;
  const expectedReached = reached * fanoutEvents;
  if (eoses < reached) await Promise.race([eoseAll, sleep(30_000)]);
  const pub = await connect(url);
  let oks = 0;
  let okFalse = 0;
  pub.on('message', (buf) => {
    if (isType(buf, 'OK')) parseOk(buf).accepted ? oks++ : okFalse++;
  });
  const tPub = now();
  for (let k = 0; k < fanoutEvents; k++) {
    sentAt[k] = now();
    pub.send(`["EVENT",${JSON.stringify(evs[k])}]`);
    if (fanoutInterval > 0) await sleep(fanoutInterval);
  }
  const tPubEnd = now();
  if (deliveries < expectedReached) {
    await Promise.race([
      completed,
      (async () => {
        while (deliveries < expectedReached && now() - Math.max(lastDelivery, tPubEnd) < 10_000) await sleep(50);
      })(),
    ]);
  }
  await sleep(200); // late duplicates
  let complete_ = 0;
  for (let s = 0; s < reached; s++) {
    let n = 0;
    for (let k = 0; k < fanoutEvents; k++) if (got[s * fanoutEvents + k]) n++;
    if (n === fanoutEvents) complete_++;
  }
  closeAll(sockets);
  pub.terminate();
  return {
    subscribers: reached,
    failedConnections: failed,
    subscribeSecs: +connectSecs.toFixed(2),
    events: fanoutEvents,
    intervalMs: fanoutInterval,
    publishOk: oks,
    publishRejected: okFalse,
    expected,
    delivered: deliveries,
    subscribersComplete: complete_,
    duplicates: dupes,
    stray,
    latencyMs: dist(lat),
    deliveriesPerSec: Math.round(deliveries / ((lastDelivery - tPub) / 1000 || 1)),
  };
}

/** Opens n idle WebSockets and reads the server's RSS with them open. */
async function idle(url, n, pid) {
  const before = pid ? procMem(pid) : undefined;
  const t0 = now();
  const { sockets, failed, firstError } = await connectMany(url, n, 200);
  const openSecs = (now() - t0) / 1000;
  await sleep(2000);
  let lost = 0;
  for (const ws of sockets) if (ws.readyState !== WebSocket.OPEN) lost++;
  const during = pid ? procMem(pid) : undefined;
  closeAll(sockets);
  await sleep(1000);
  const after = pid ? procMem(pid) : undefined;
  return {
    connections: sockets.length - lost,
    failed,
    firstError,
    openSecs: +openSecs.toFixed(2),
    rssBeforeMB: before && +before.rss.toFixed(1),
    rssIdleMB: during && +during.rss.toFixed(1),
    rssAfterCloseMB: after && +after.rss.toFixed(1),
    kbPerConnection: during && before ? +(((during.rss - before.rss) * 1024) / Math.max(1, sockets.length)).toFixed(2) : undefined,
  };
}

// ---- the relays under test ------------------------------------------------------------------------------------
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}
/** Polls an HTTP URL every 5 ms until it answers (with `okStatus`, if given); returns ms or throws. */
async function waitHttp(url, { okStatus, timeoutMs = 30_000, headers = {}, failIf } = {}) {
  const t0 = now();
  for (;;) {
    const status = await new Promise((resolve) => {
      const req = http.get(url, { agent: false, headers }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', () => resolve(0));
      req.setTimeout(1000, () => req.destroy());
    });
    if (status && (okStatus === undefined || status === okStatus)) return now() - t0;
    if (failIf?.()) throw new Error(`${url}: process exited`);
    if (now() - t0 > timeoutMs) throw new Error(`${url}: no answer within ${timeoutMs} ms`);
    await sleep(5);
  }
}
async function waitExit(pid, timeoutMs) {
  const t0 = now();
  while (alive(pid)) {
    if (now() - t0 > timeoutMs) return false;
    await sleep(20);
  }
  return true;
}
async function stopPid(pid) {
  if (!alive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  if (!(await waitExit(pid, 20_000))) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
    await waitExit(pid, 5000);
  }
}

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-bench-'));
const toKill = new Set();
function cleanup() {
  for (const pid of toKill) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  if (!cfg.keep) fs.rmSync(tmpRoot, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    cleanup();
    process.exit(130);
  });
}

/**
 * Our peer's settings for the run, like strfry's defaults: no per-IP rate limits or connection caps (the clients
 * here come from a few hundred loopback addresses, and the ingest connections each send thousands of events a second),
 * no scheduled backup. The read queue's per-IP shares stay at their defaults. The environment can override any.
 */
const PEER_ENV = {
  RATE_EVENTS_PER_IP: '0',
  RATE_EVENTS_PER_PUBKEY: '0',
  RATE_REQS_PER_IP: '0',
  RATE_COUNTS_PER_IP: '0',
  RATE_CONNECTIONS_PER_IP: '0',
  MAX_CONNECTIONS_PER_IP: '0',
  BACKUP_INTERVAL: '0',
};

/** Our peer, run from a copy of dist/ (so a concurrent `npm run build` cannot swap it mid-run). */
async function startOurs() {
  const dist = path.join(repo, 'dist');
  if (!fs.existsSync(path.join(dist, 'peer.js'))) throw new Error('dist/peer.js is missing: run `npm run build` first');
  const dir = path.join(tmpRoot, 'ours');
  fs.cpSync(dist, path.join(dir, 'dist'), { recursive: true });
  const port = await freePort();
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'peer.log');
  let child;
  const spawnIt = async () => {
    const fd = fs.openSync(logFile, 'a');
    const t0 = now();
    child = spawn(process.execPath, [path.join(dir, 'dist', 'peer.js')], {
      env: { ...PEER_ENV, ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
      stdio: ['ignore', fd, fd],
    });
    fs.closeSync(fd);
    toKill.add(child.pid);
    let exited = false;
    child.once('exit', () => (exited = true));
    await waitHttp(`http://127.0.0.1:${port}/ready`, { okStatus: 200, failIf: () => exited }).catch((err) => {
      throw new Error(`${err.message}; log: ${logFile}\n${fs.readFileSync(logFile, 'utf8').slice(-2000)}`);
    });
    return now() - t0;
  };
  await spawnIt();
  const stop = async () => {
    const t0 = now();
    const exited = new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(t);
    toKill.delete(child.pid);
    return now() - t0;
  };
  return {
    name: 'ours',
    url: `ws://127.0.0.1:${port}`,
    get pid() {
      return child.pid;
    },
    stop,
    /** Stops the peer and starts it again on the same data: ms from spawn to GET /ready = 200. */
    async restart() {
      const stopMs = await stop();
      return { stopMs, startMs: await spawnIt() };
    },
  };
}

/** strfry through the shared anchor script; it prints the PID of the relay, which is not our child. */
async function startStrfry() {
  if (!fs.existsSync(STRFRY_START)) return undefined;
  const dir = path.join(tmpRoot, 'strfry');
  const port = await freePort();
  const out = execFileSync('bash', [STRFRY_START, String(port), dir], { encoding: 'utf8', timeout: 120_000 });
  let pid = Number(out.trim().split('\n').at(-1));
  if (!Number.isSafeInteger(pid) || !alive(pid)) throw new Error(`strfry did not start: ${out}\n${readTail(path.join(dir, 'strfry.log'))}`);
  toKill.add(pid);
  const url = `ws://127.0.0.1:${port}`;
  await waitHttp(`http://127.0.0.1:${port}/`, { headers: { accept: 'application/nostr+json' } });
  const stop = async () => {
    const t0 = now();
    await stopPid(pid);
    toKill.delete(pid);
    return now() - t0;
  };
  return {
    name: 'strfry',
    url,
    get pid() {
      return pid;
    },
    stop,
    /** Same as ours: stop, start the binary on the same config and database, time until it answers HTTP. */
    async restart() {
      const stopMs = await stop();
      const fd = fs.openSync(path.join(dir, 'strfry.log'), 'a');
      const t0 = now();
      const child = spawn(path.join(path.dirname(STRFRY_START), 'strfry'), [`--config=${path.join(dir, 'strfry.conf')}`, 'relay'], {
        stdio: ['ignore', fd, fd],
        detached: true,
      });
      fs.closeSync(fd);
      pid = child.pid;
      toKill.add(pid);
      let exited = false;
      child.once('exit', () => (exited = true));
      await waitHttp(`http://127.0.0.1:${port}/`, { headers: { accept: 'application/nostr+json' }, failIf: () => exited });
      return { stopMs, startMs: now() - t0 };
    },
  };
}
const readTail = (f) => {
  try {
    return fs.readFileSync(f, 'utf8').slice(-2000);
  } catch {
    return '';
  }
};

// ---- driving one relay through the scenarios ------------------------------------------------------------------
const round = (v) => (v === undefined ? undefined : Math.round(v));

async function benchOne(target, ds, notes) {
  const res = { name: target.name, url: target.url };
  const rss = new RssSampler(target.pid);
  const step = async (name, fn) => {
    if (!cfg.scenarios.includes(name)) return;
    log(`${target.name}: ${name}…`);
    const sampler = new RssSampler(target.pid); // per step: the cold start changes the PID
    try {
      res[name] = await fn();
    } catch (err) {
      res[name] = { error: err.message };
      notes.push(`${target.name} ${name}: ${err.message}`);
    }
    if (res[name] && target.pid) res[name].peakRssMB = sampler.take();
    sampler.stop();
  };
  if (cfg.growth) {
    res.growth = [];
    let from = 0;
    for (const size of cfg.sizes) {
      log(`${target.name}: growth to ${size} events`);
      const point = { size };
      rss.take();
      if (cfg.scenarios.includes('ingest')) point.ingest = await ingest(target.url, ds, from, size, { ...cfg, label: `${target.name} ingest ${from}→${size}` });
      if (cfg.scenarios.includes('queries')) point.queries = await queries(target.url, makeQueries(ds, size, cfg.queries), cfg, makeQueries(ds, size, WARMUP, '/warm-up'));
      if (cfg.scenarios.includes('noisy')) point.noisy = await noisy(target.url, ds, size, cfg);
      point.peakRssMB = rss.take();
      const m = target.pid && procMem(target.pid);
      if (m) point.rssMB = +m.rss.toFixed(1);
      res.growth.push(point);
      log(`  ${size}: ingest ${point.ingest?.eventsPerSec ?? '-'} ev/s, queries p50/p95/p99 ${point.queries?.all.p50}/${point.queries?.all.p95}/${point.queries?.all.p99} ms`);
      from = size;
    }
  } else {
    await step('ingest', () => ingest(target.url, ds, 0, ds.n, { ...cfg, label: `${target.name} ingest` }));
    await step('queries', () => queries(target.url, makeQueries(ds, ds.n, cfg.queries), cfg, makeQueries(ds, ds.n, WARMUP, '/warm-up')));
    await step('noisy', () => noisy(target.url, ds, ds.n, cfg));
    await step('fanout', () => fanout(target.url, cfg));
  }
  const m = target.pid && procMem(target.pid);
  if (m) res.peakRssMB = +m.hwm.toFixed(1); // VmHWM: the process's peak over the whole run
  rss.stop();
  if (cfg.scenarios.includes('coldstart') && target.restart) {
    log(`${target.name}: cold start ×3…`);
    const runs = [];
    try {
      for (let k = 0; k < 3; k++) runs.push(await target.restart());
      const starts = runs.map((r) => r.startMs).sort((a, b) => a - b);
      res.coldstart = { storedEvents: cfg.growth ? cfg.sizes.at(-1) : ds.n, medianMs: round(starts[1]), runsMs: starts.map(round), stopMs: runs.map((r) => round(r.stopMs)) };
      const mm = procMem(target.pid);
      if (mm) res.coldstart.rssAfterStartMB = +mm.rss.toFixed(1);
    } catch (err) {
      res.coldstart = { error: err.message };
      notes.push(`${target.name} coldstart: ${err.message}`);
    }
  }
  if (!cfg.growth) {
    // After the cold start (when there was one), so the idle figure is a fresh process on the loaded database.
    await step('idle', () => idle(target.url, cfg.idle, target.pid));
  }
  return res;
}

// ---- report ----------------------------------------------------------------------------------------------------
const get = (o, p) => p.split('.').reduce((v, k) => (v == null ? undefined : v[k]), o);
function rowsFor(results) {
  const rows = [];
  const add = (label, pathOrFn, better, fmt = (v) => v) => {
    const vals = results.map((r) => (typeof pathOrFn === 'function' ? pathOrFn(r) : get(r, pathOrFn)));
    if (vals.every((v) => v === undefined)) return;
    rows.push({ label, vals, better, fmt });
  };
  if (cfg.growth) {
    for (let k = 0; k < cfg.sizes.length; k++) {
      const sz = cfg.sizes[k] >= 1e6 ? `${cfg.sizes[k] / 1e6}M` : `${cfg.sizes[k] / 1e3}k`;
      add(`@${sz} ingest events/s`, (r) => r.growth?.[k]?.ingest?.eventsPerSec, 'higher');
      add(`@${sz} ingest OK true/false/missing`, (r) => r.growth?.[k]?.ingest && `${r.growth[k].ingest.ok_true}/${r.growth[k].ingest.ok_false}/${r.growth[k].ingest.missing}`);
      for (const p of ['p50', 'p95', 'p99']) add(`@${sz} query ${p} ms (all shapes)`, (r) => r.growth?.[k]?.queries?.all[p], 'lower');
      for (const s of SHAPES) add(`@${sz}   ${s} p50/p99 ms`, (r) => r.growth?.[k]?.queries?.shapes[s] && `${r.growth[k].queries.shapes[s].p50}/${r.growth[k].queries.shapes[s].p99}`);
      add(`@${sz} noisy neighbour: simple REQ p99 ms`, (r) => r.growth?.[k]?.noisy?.latencyMs.p99, 'lower');
      add(`@${sz} RSS MB`, (r) => r.growth?.[k]?.rssMB, 'lower');
    }
  } else {
    add('ingest events/s', 'ingest.eventsPerSec', 'higher');
    add('ingest OK true/false/missing', (r) => r.ingest?.ok_true !== undefined && `${r.ingest.ok_true}/${r.ingest.ok_false}/${r.ingest.missing}`);
    add('ingest OK latency p50 ms', 'ingest.okLatencyMs.p50', 'lower');
    add('ingest OK latency p99 ms', 'ingest.okLatencyMs.p99', 'lower');
    for (const p of ['p50', 'p95', 'p99']) add(`query ${p} ms (all shapes)`, `queries.all.${p}`, 'lower');
    add('queries/s', 'queries.perSec', 'higher');
    for (const s of SHAPES) {
      add(`  ${s} p50/p95/p99 ms`, (r) => r.queries?.shapes?.[s] && `${r.queries.shapes[s].p50}/${r.queries.shapes[s].p95}/${r.queries.shapes[s].p99}`);
      add(`  ${s} p99 ms`, `queries.shapes.${s}.p99`, 'lower');
    }
    add('noisy neighbour: simple REQ p50 ms', 'noisy.latencyMs.p50', 'lower');
    add('noisy neighbour: simple REQ p99 ms', 'noisy.latencyMs.p99', 'lower');
    add('noisy neighbour: heavy REQ/COUNT/NEG-OPEN done', (r) => r.noisy?.heavy && `${r.noisy.heavy.REQ}/${r.noisy.heavy.COUNT}/${r.noisy.heavy['NEG-OPEN']}`);
    add('fan-out p50 ms', 'fanout.latencyMs.p50', 'lower');
    add('fan-out p99 ms', 'fanout.latencyMs.p99', 'lower');
    add('fan-out delivered/expected', (r) => r.fanout?.expected !== undefined && `${r.fanout.delivered}/${r.fanout.expected}`);
    add('fan-out deliveries/s', 'fanout.deliveriesPerSec', 'higher');
  }
  add(cfg.growth ? 'peak RSS MB (VmHWM)' : 'peak RSS MB (VmHWM, ingest+queries+fan-out)', 'peakRssMB', 'lower');
  add('cold start to ready ms (median of 3)', 'coldstart.medianMs', 'lower');
  if (!cfg.growth) {
    add('RSS MB before idle conns', 'idle.rssBeforeMB', 'lower');
    add(`RSS MB with ${cfg.idle} idle conns`, 'idle.rssIdleMB', 'lower');
    add('KB per idle connection', 'idle.kbPerConnection', 'lower');
  }
  return rows;
}
function printTable(results) {
  const rows = rowsFor(results);
  const two = results.length === 2;
  const head = ['figure', ...results.map((r) => r.name), ...(two ? [`${results[0].name}/${results[1].name}`, 'better'] : [])];
  const body = rows.map(({ label, vals, better }) => {
    const cells = vals.map((v) => (v === undefined || v === false ? '-' : String(v)));
    if (two) {
      const [a, b] = vals;
      cells.push(typeof a === 'number' && typeof b === 'number' && b !== 0 ? (a / b).toFixed(2) : '');
      cells.push(better ?? '');
    }
    return [label, ...cells];
  });
  const widths = head.map((_, c) => Math.max(...[head, ...body].map((r) => String(r[c]).length)));
  const line = (r) => r.map((v, c) => (c === 0 ? String(v).padEnd(widths[c]) : String(v).padStart(widths[c]))).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of body) console.log(line(r));
}
function ratios(results) {
  if (results.length !== 2) return undefined;
  const out = {};
  for (const { label, vals } of rowsFor(results)) {
    const [a, b] = vals;
    if (typeof a === 'number' && typeof b === 'number' && b !== 0) out[label.trim()] = +(a / b).toFixed(3);
  }
  return out;
}
function growthChanges(results) {
  if (!cfg.growth) return undefined;
  const out = {};
  for (const r of results) {
    const g = r.growth ?? [];
    if (g.length < 2) continue;
    const [first, last] = [g[0], g.at(-1)];
    const f = (p) => {
      const a = get(first, p);
      const b = get(last, p);
      return typeof a === 'number' && typeof b === 'number' && a ? +(b / a).toFixed(2) : undefined;
    };
    out[r.name] = {
      from: first.size,
      to: last.size,
      ingestEventsPerSec: f('ingest.eventsPerSec'),
      queryP50: f('queries.all.p50'),
      queryP95: f('queries.all.p95'),
      queryP99: f('queries.all.p99'),
      rss: f('rssMB'),
      ...Object.fromEntries(SHAPES.map((s) => [`${s} p99`, f(`queries.shapes.${s}.p99`)])),
    };
  }
  return out;
}

// ---- main ----------------------------------------------------------------------------------------------------
const notes = [];
const results = [];
let exitCode = 0;
try {
  const t0 = now();
  log(`data set: ${cfg.events} events (seed "${cfg.seed}")`);
  const ds = await loadDataset(cfg.events, { seed: cfg.seed, log });
  log(`data set ready in ${((now() - t0) / 1000).toFixed(1)} s`);
  if (cfg.url) {
    if (cfg.pid === undefined) notes.push('no --pid: server RSS not sampled');
    results.push(await benchOne({ name: 'relay', url: cfg.url, pid: cfg.pid }, ds, notes));
  } else {
    if (cfg.only !== 'strfry') {
      const ours = await startOurs();
      try {
        results.push(await benchOne(ours, ds, notes));
      } finally {
        await ours.stop();
      }
    }
    if (cfg.only !== 'ours') {
      const strfry = await startStrfry();
      if (!strfry) notes.push(`strfry not found at ${STRFRY_START}: ours ran alone, no ratios`);
      else {
        try {
          results.push(await benchOne(strfry, ds, notes));
        } finally {
          await strfry.stop();
        }
      }
    }
  }
  let verify;
  if (cfg.verify) {
    log('signature verifiers (bench/verify.mjs)…');
    const out = execFileSync(process.execPath, [path.join(here, 'verify.mjs')], { encoding: 'utf8' });
    verify = JSON.parse(out.trim().split('\n').at(-1)).rows;
  }
  console.log();
  console.log(
    `${cfg.growth ? `growth ${cfg.sizes.join(' → ')}` : `${ds.n} events`}; ingest ${cfg.conns} conns × window ${cfg.window}; ` +
      `${cfg.queries} queries on ${cfg.queryConns} conns; fan-out ${cfg.subscribers} subs × ${cfg.fanoutEvents} events every ${cfg.fanoutInterval} ms; ` +
      `${cfg.idle} idle; ${os.availableParallelism()} cores, load ${os.loadavg().map((v) => v.toFixed(1)).join('/')}`,
  );
  printTable(results);
  if (cfg.growth) {
    const ch = growthChanges(results);
    for (const [name, c] of Object.entries(ch ?? {})) {
      console.log(`${name} ${c.from}→${c.to}: ` + Object.entries(c).filter(([k]) => k !== 'from' && k !== 'to').map(([k, v]) => `${k} ×${v ?? '-'}`).join(', '));
    }
  }
  if (verify) console.table(verify);
  else console.log('signature verifiers: node bench/verify.mjs (or --verify)');
  for (const n of notes) console.log(`note: ${n}`);
  console.log(
    JSON.stringify({
      bench: 'relay',
      date: new Date().toISOString(),
      config: { ...cfg },
      peerEnv: cfg.url ? undefined : PEER_ENV,
      dataset: { events: ds.n, seed: ds.seed, file: path.relative(repo, ds.file) },
      machine: { cores: os.availableParallelism(), loadavg: os.loadavg(), node: process.version },
      results,
      ratios: ratios(results),
      growth: growthChanges(results),
      verify,
      notes,
    }),
  );
} catch (err) {
  console.error(`bench: ${err.stack ?? err.message}`);
  exitCode = 1;
} finally {
  cleanup();
}
process.exit(exitCode);
