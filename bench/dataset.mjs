// The benchmark's fixed data set: N pre-signed Nostr events, the same on every run and every machine.
//
// Everything but the signatures is a pure function of (seed, index): event i's kind, author, tags and content come
// from a PRNG seeded with (seed, i), its created_at is EPOCH_BASE + i (strictly increasing, so the newest version of
// a replaceable event is always the last one sent), and its e tags point at earlier events. Secret keys are
// sha256(seed/key/a). Signatures use tiny-secp256k1 (WASM libsecp256k1, ~10× nostr-tools' finalizeEvent here) with
// the event id as BIP-340 aux data, so the file is byte-for-byte reproducible; they are computed in worker threads and
// cached in bench/.cache/ (gitignored). A smaller size reads the prefix of a larger cached file.
//
// Mix: ~2% kind 0, ~3% kind 3 (20–150 p tags), ~12% kind 7 (e+p), ~3% kind 30023 (d tag, up to 5 per author, so
// some replace older ones), ~80% kind 1 (half replies with e+p tags, half notes with p mentions / t tags), 1,000
// authors with skewed activity and popularity.
//
//   node bench/dataset.mjs [--events N] [--seed S]     generate (or check) the cache and print its summary
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import * as secp from 'tiny-secp256k1';

const here = path.dirname(fileURLToPath(import.meta.url));
export const CACHE_DIR = path.join(here, '.cache');
export const DEFAULT_SEED = 'ilp-nostr-peer/bench/v1';
export const AUTHORS = 1000;
export const MAX_EVENTS = 1_100_000;
/** created_at of event i is EPOCH_BASE + i; fixed so the set is reproducible, and old enough to never be "future". */
const FIXED_EPOCH = 1_790_000_000; // 2026-09-21
export function epochBase(now = Math.floor(Date.now() / 1000)) {
  const end = Math.min(FIXED_EPOCH, Math.floor((now - 86_400) / 86_400) * 86_400);
  return end - MAX_EVENTS;
}

const sha256 = (s) => createHash('sha256').update(s).digest();

export function secretKeys(seed, n = AUTHORS) {
  const sks = [];
  for (let a = 0; a < n; a++) {
    let sk = sha256(`${seed}/key/${a}`);
    while (!secp.isPrivate(sk)) sk = sha256(sk);
    sks.push(sk);
  }
  return sks;
}
export const pubkeyOf = (sk) => Buffer.from(secp.xOnlyPointFromScalar(sk)).toString('hex');

// ---- per-index PRNG -------------------------------------------------------------------------------------------
function seedNumber(seed) {
  return sha256(seed).readUInt32LE(0);
}
/** mulberry32: a small seeded PRNG in [0, 1), the same numbers for the same seed everywhere. */
export function mulberry32(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function rngFor(seedNum, i) {
  let h = (seedNum ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return mulberry32(h ^ (h >>> 16));
}

const WORDS = (
  'the a of to and in is it you that he was for on are with as I his they be at one have this from or had by hot word ' +
  'but what some we can out other were all there when up use your how said an each she which do their time if will way ' +
  'about many then them write would like so these her long make thing see him two has look more day could go come did ' +
  'number sound no most people my over know water than call first who may down side been now find any new work part take ' +
  'get place made live where after back little only round man year came show every good me give our under name very ' +
  'through just form sentence great think say help low line differ turn cause much mean before move right boy old too ' +
  'same tell does set three want air well also play small end put home read hand port large spell add even land here ' +
  'must big high such follow act why ask men change went light kind off need house picture try us again animal point ' +
  'nostr relay zap sats bitcoin lightning interledger note pubkey event signature client gm pv onchain node wasm'
).split(' ');

function words(r, minChars, maxChars) {
  const target = minChars + Math.floor(r() * (maxChars - minChars));
  let s = WORDS[Math.floor(r() * WORDS.length)];
  while (s.length < target) s += ' ' + WORDS[Math.floor(r() * WORDS.length)];
  return s;
}

/** The data set's shape: pure functions of the index. */
export function makePlan(seed) {
  const seedNum = seedNumber(seed);
  const base = epochBase();
  const zipfAuthor = (u) => Math.floor(AUTHORS * u * u); // skewed: low indexes are busy / popular
  const kindOf = (i) => {
    const u = rngFor(seedNum, i)();
    return u < 0.02 ? 0 : u < 0.05 ? 3 : u < 0.17 ? 7 : u < 0.2 ? 30023 : 1;
  };
  const authorOf = (i) => {
    const r = rngFor(seedNum, i);
    r();
    return zipfAuthor(r());
  };
  /** The earlier kind-1 event a reply or reaction of event i refers to, or -1. */
  const findTarget = (i, r) => {
    if (i === 0) return -1;
    const u = r();
    let j = r() < 0.5 ? i - 1 - Math.floor(200 * u) : Math.floor(i * Math.sqrt(u));
    if (j >= i) j = i - 1;
    for (let k = 0; k < 50 && j >= 0; k++, j--) if (kindOf(j) === 1) return j;
    return -1;
  };
  /** Event i without pubkey/id/sig; e tags hold indexes (`eIdx`) resolved to ids when the event is built. */
  const plan = (i) => {
    const r = rngFor(seedNum, i);
    const u = r();
    const kind = u < 0.02 ? 0 : u < 0.05 ? 3 : u < 0.17 ? 7 : u < 0.2 ? 30023 : 1;
    const author = zipfAuthor(r());
    const created_at = base + i;
    const tags = [];
    let content = '';
    let target = -1;
    switch (kind) {
      case 0:
        content = JSON.stringify({ name: `user${author}`, about: words(r, 20, 160), picture: `https://example.com/a/${author}.png` });
        break;
      case 3: {
        const n = 20 + Math.floor(r() * 130);
        const seen = new Set([author]);
        for (let k = 0; k < n * 2 && seen.size <= n; k++) {
          const p = zipfAuthor(r());
          if (!seen.has(p)) {
            seen.add(p);
            tags.push(['p', { pIdx: p }]);
          }
        }
        break;
      }
      case 7:
        target = findTarget(i, r);
        if (target < 0) return { ...plan0(i, author, created_at, r), index: i };
        tags.push(['e', { eIdx: target }], ['p', { pIdx: authorOf(target) }]);
        content = r() < 0.8 ? '+' : '🤙';
        break;
      case 30023: {
        const d = `article-${Math.floor(r() * 5)}`;
        tags.push(['d', d], ['title', words(r, 10, 60)], ['t', WORDS[Math.floor(r() * WORDS.length)]], ['published_at', String(created_at)]);
        content = words(r, 600, 2000);
        break;
      }
      default:
        return { ...plan1(i, author, created_at, r), index: i };
    }
    return { index: i, kind, author, created_at, tags, content, target };
  };
  const plan0 = (i, author, created_at, r) => plan1(i, author, created_at, r, true);
  // kind 1: a reply (e root + p) or a note with mentions
  const plan1 = (i, author, created_at, r, forceNote = false) => {
    const tags = [];
    let target = -1;
    if (!forceNote && r() < 0.5) target = findTarget(i, r);
    if (target >= 0) tags.push(['e', { eIdx: target }, '', 'root'], ['p', { pIdx: authorOf(target) }]);
    const mentions = Math.floor(r() * 3);
    for (let k = 0; k < mentions; k++) tags.push(['p', { pIdx: zipfAuthor(r()) }]);
    if (r() < 0.2) tags.push(['t', WORDS[Math.floor(r() * WORDS.length)]]);
    return { kind: 1, author, created_at, tags, content: words(r, 20, 280), target };
  };
  return { seed, base, kindOf, authorOf, plan };
}

// ---- signing workers -------------------------------------------------------------------------------------------
if (!isMainThread && workerData?.role === 'bench-signer') {
  const sks = secretKeys(workerData.seed);
  parentPort.on('message', ({ seq, ids, authors }) => {
    const n = authors.length;
    const sigs = Buffer.alloc(64 * n); // not from the shared pool: its buffer is transferred
    for (let k = 0; k < n; k++) {
      const h = ids.subarray(32 * k, 32 * k + 32);
      sigs.set(secp.signSchnorr(h, sks[authors[k]], h), 64 * k);
    }
    parentPort.postMessage({ seq, sigs }, [sigs.buffer]);
  });
}

const cacheTag = (seed, base) => `${sha256(seed).toString('hex').slice(0, 12)}-${base}`;
const cacheFile = (seed, base, n) => path.join(CACHE_DIR, `events-${cacheTag(seed, base)}-${n}.jsonl`);

function findCached(seed, base, n) {
  if (!fs.existsSync(CACHE_DIR)) return undefined;
  const prefix = `events-${cacheTag(seed, base)}-`;
  const sizes = fs
    .readdirSync(CACHE_DIR)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.jsonl'))
    .map((f) => Number(f.slice(prefix.length, -'.jsonl'.length)))
    .filter((m) => Number.isSafeInteger(m) && m >= n)
    .sort((a, b) => a - b);
  return sizes.length ? cacheFile(seed, base, sizes[0]) : undefined;
}

/** Generates n events into the cache file, signing in worker threads; logs progress every few seconds. */
async function generate(seed, n, log) {
  const { plan, base } = makePlan(seed);
  const sks = secretKeys(seed);
  const pks = sks.map(pubkeyOf);
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  const file = cacheFile(seed, base, n);
  const tmp = `${file}.${process.pid}.tmp`;
  const out = fs.createWriteStream(tmp);
  const nWorkers = Math.max(1, Math.min(os.availableParallelism(), 8));
  const workers = Array.from(
    { length: nWorkers },
    () => new Worker(fileURLToPath(import.meta.url), { workerData: { role: 'bench-signer', seed } }),
  );
  const waiting = new Map();
  for (const w of workers) {
    w.on('message', ({ seq, sigs }) => waiting.get(seq)(Buffer.from(sigs.buffer, sigs.byteOffset, sigs.byteLength)));
    w.on('error', (err) => log(`dataset: signer failed: ${err.message}`));
  }
  const ids = new Array(n);
  const resolve = (t) => t.map((v) => (typeof v === 'object' ? (v.eIdx !== undefined ? ids[v.eIdx] : pks[v.pIdx]) : v));
  const CHUNK = 2000;
  const inflight = [];
  const started = performance.now();
  let lastLog = started;
  let written = 0;
  const flushOne = async () => {
    const { events, sigsP } = inflight.shift();
    const sigs = await sigsP;
    let text = '';
    for (let k = 0; k < events.length; k++) {
      const e = events[k];
      text += `${JSON.stringify({ id: e.id, pubkey: e.pubkey, created_at: e.created_at, kind: e.kind, tags: e.tags, content: e.content, sig: sigs.toString('hex', 64 * k, 64 * k + 64) })}\n`;
    }
    written += events.length;
    if (!out.write(text)) await once(out, 'drain');
    const t = performance.now();
    if (t - lastLog > 5000) {
      lastLog = t;
      log(`dataset: ${written}/${n} events signed (${Math.round(written / ((t - started) / 1000))}/s)`);
    }
  };
  for (let start = 0, seq = 0; start < n; start += CHUNK, seq++) {
    const end = Math.min(n, start + CHUNK);
    const events = [];
    const idBuf = Buffer.alloc(32 * (end - start)); // not pooled: transferred to the worker
    const authors = new Uint16Array(end - start);
    for (let i = start; i < end; i++) {
      const p = plan(i);
      const pubkey = pks[p.author];
      const tags = p.tags.map(resolve);
      const h = sha256(JSON.stringify([0, pubkey, p.created_at, p.kind, tags, p.content]));
      ids[i] = h.toString('hex');
      idBuf.set(h, 32 * (i - start));
      authors[i - start] = p.author;
      events.push({ id: ids[i], pubkey, created_at: p.created_at, kind: p.kind, tags, content: p.content });
    }
    const sigsP = new Promise((res) => waiting.set(seq, res));
    workers[seq % nWorkers].postMessage({ seq, ids: idBuf, authors }, [idBuf.buffer, authors.buffer]);
    inflight.push({ events, sigsP });
    if (inflight.length >= nWorkers * 3) await flushOne();
  }
  while (inflight.length) await flushOne();
  out.end();
  await once(out, 'finish');
  await Promise.all(workers.map((w) => w.terminate()));
  fs.renameSync(tmp, file);
  log(`dataset: ${n} events signed in ${((performance.now() - started) / 1000).toFixed(1)} s → ${path.relative(process.cwd(), file)}`);
  return file;
}

/**
 * The first n events of the data set: `lines[i]` is event i's JSON (id first, so `lines[i].slice(7, 71)` is its id),
 * `ids[i]` its id, `pks[a]` author a's pubkey, and the plan functions describe any event without parsing it.
 */
export async function loadDataset(n, { seed = DEFAULT_SEED, log = (s) => console.error(s) } = {}) {
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_EVENTS) throw new Error(`events must be 1..${MAX_EVENTS}`);
  const p = makePlan(seed);
  const file = findCached(seed, p.base, n) ?? (await generate(seed, n, log));
  const lines = new Array(n);
  const ids = new Array(n);
  const rl = readline.createInterface({ input: fs.createReadStream(file, { highWaterMark: 1 << 20 }), crlfDelay: Infinity });
  let i = 0;
  for await (const line of rl) {
    if (i >= n) break;
    lines[i] = line;
    ids[i] = line.slice(7, 71);
    i++;
  }
  rl.close();
  if (i < n) throw new Error(`${file} holds only ${i} events; delete it and run again`);
  const pks = secretKeys(seed).map(pubkeyOf);
  return { n, seed, file, lines, ids, pks, ...p };
}

if (isMainThread && process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name, dflt) => {
    const k = process.argv.indexOf(name);
    return k > 0 ? process.argv[k + 1] : dflt;
  };
  const n = Number(arg('--events', '50000'));
  const t = performance.now();
  const ds = await loadDataset(n, { seed: arg('--seed', DEFAULT_SEED) });
  const kinds = {};
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const k = ds.plan(i).kind;
    kinds[k] = (kinds[k] ?? 0) + 1;
    bytes += ds.lines[i].length;
  }
  console.log(
    JSON.stringify({ events: n, file: path.relative(process.cwd(), ds.file), kinds, avgBytes: Math.round(bytes / n), ms: Math.round(performance.now() - t) }),
  );
}
