import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnBundle, type BundledPeer } from './helpers/bundle';
import { signer, TestClient } from './helpers/client';

// dist/ copied alone into a temp dir: no node_modules anywhere above it, as on bare metal or in the image.
const dist = path.resolve(__dirname, '../dist');
const dir = mkdtempSync(path.join(tmpdir(), 'bundle-'));
const app = path.join(dir, 'app');
const pkg = JSON.parse(readFileSync(path.resolve(__dirname, '../package.json'), 'utf8'));
let peer: BundledPeer;
let port = 0;

const run = (args: string[], env: Record<string, string> = {}, cwd = dir) =>
  spawnSync(process.execPath, [path.join(app, 'peer.js'), ...args], { cwd, env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });

/** The entry of the first log line whose msg is `msg`. */
const entry = (output: string, msg: string) => JSON.parse(output.split('\n').find((l) => l.includes(`"msg":"${msg}"`))!);

beforeAll(async () => {
  if (!existsSync(path.join(dist, 'peer.js'))) throw new Error('dist/peer.js is missing: run `npm run build` first (npm test does)');
  cpSync(dist, app, { recursive: true });
  peer = await spawnBundle(path.join(app, 'peer.js'), { DATA_DIR: path.join(dir, 'data') }, dir);
  port = peer.port;
});
afterAll(() => {
  peer.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('dist/ alone', () => {
  it('serves NIP-01: publish and query', async () => {
    const c = await TestClient.connect(`ws://127.0.0.1:${port}`);
    const s = signer();
    const ev = s.sign({ content: 'from the bundle' });
    expect(await c.publish(ev)).toEqual(['OK', ev.id, true, '']);
    expect((await c.req('q', { authors: [s.pubkey] })).events).toEqual([ev]);
    await c.close();
  });

  it('logs JSON lines, starting with one summary of what runs', () => {
    const first = JSON.parse(peer.output().split('\n')[0]);
    expect(first).toMatchObject({
      level: 30,
      msg: 'peer listening',
      port,
      version: pkg.version,
      url: `ws://127.0.0.1:${port}`,
      prices: 'free',
      ilpAddress: 'test.peer',
      peers: [],
      dashboard: 'off',
      backups: `every 1d into ${path.join(dir, 'data')}/backups, keeping 7`,
    });
  });

  it('says in its summary which signature verifier it uses', () => {
    const { verifier } = entry(peer.output(), 'peer listening');
    if (process.env.CI) expect(verifier).toBe('native libsecp256k1');
    else expect(['native libsecp256k1', 'wasm (tiny-secp256k1)']).toContain(verifier);
  });

  it("NIP-11 `software` is package.json's repository, never a package page that does not exist", async () => {
    const info = (await (await fetch(`http://127.0.0.1:${port}/`, { headers: { Accept: 'application/nostr+json' } })).json()) as Record<string, unknown>;
    const repository = String(pkg.repository?.url ?? pkg.repository ?? '').replace(/^git\+/, '').replace(/\.git$/, '');
    expect(info.software).toBe(repository || undefined);
    expect(info.version).toBe(pkg.version);
  });

  it('healthcheck exits 0 against the running peer, 1 when nothing answers', () => {
    expect(run(['healthcheck'], { PORT: String(port), HOST: '127.0.0.1' }).status).toBe(0);
    expect(run(['healthcheck'], { PORT: '1', HOST: '127.0.0.1' }).status).toBe(1);
  });

  it('prints its version and usage', () => {
    for (const v of ['version', '--version', '-v']) expect(run([v]).stdout.trim()).toBe(pkg.version);
    expect(run(['--help']).stdout).toMatch(/usage: node dist\/peer.js/);
  });

  it('answers an unknown command as a usage error, not a config error', () => {
    const r = run(['nope']);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe('usage: unknown command "nope"; see --help');
  });

  it('lists backups newest first, with sizes and ages (a distroless image has no ls)', () => {
    const env = { DATA_DIR: path.join(dir, 'data') };
    expect(run(['backup', '--list'], env).stdout).toMatch(/^backup: no backups in .*backups\n\[\]\n$/);
    for (let i = 0; i < 2; i++) expect(run(['backup'], env).status).toBe(0);
    const r = run(['backup', '--list'], env);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const listed = JSON.parse(lines.at(-1)!) as { file: string; bytes: number; at: string }[];
    expect(listed).toHaveLength(2);
    expect(listed[0].at > listed[1].at).toBe(true);
    expect(listed.every((b) => b.bytes > 0 && existsSync(b.file))).toBe(true);
    expect(lines[0]).toMatch(new RegExp(`^${listed[0].file.replace(/[.]/g, '\\.')}  \\d+\\.\\d MiB  \\d+s ago  \\(${listed[0].at}\\)$`));
  });

  it('migrates a fresh data dir', () => {
    const r = run(['migrate'], { DATA_DIR: path.join(dir, 'migrated') });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ migrated: true });
  });

  it('stops at start with one line naming a bad variable', () => {
    const r = run([], { PORT: 'abc' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe('config: PORT="abc" is invalid: expected an integer from 0 to 65535');
  });

  it('reads ./.env at start, the environment winning, says so, and `config` shows it with secrets masked', async () => {
    const cwd = path.join(dir, 'with-env');
    mkdirSync(cwd);
    const token = 'tok-0123456789abcdef';
    writeFileSync(
      path.join(cwd, '.env'),
      `PRICE_BASE=5\nPRICE_PER_BYTE=2\nILP_PEERS=[{"id":"wallet","token":"${token}","creditLimit":"10"}]\nDASHBOARD_USER=admin\nDASHBOARD_PASSWORD=hunter2\n`,
    );
    const env = { DATA_DIR: path.join(dir, 'data-env'), PRICE_PER_BYTE: '3' };
    const p = await spawnBundle(path.join(app, 'peer.js'), env, cwd);
    try {
      expect(entry(p.output(), 'settings read from file').file).toBe(path.join(cwd, '.env'));
      expect(entry(p.output(), 'peer listening')).toMatchObject({
        prices: { base: '5', perByte: '3', kinds: {}, unit: 'USD', scale: 9 },
        peers: ['wallet (btp)'],
        dashboard: '/dashboard',
      });
    } finally {
      p.child.kill('SIGKILL');
    }
    const shown = run(['config'], env, cwd);
    expect(shown.status).toBe(0);
    expect(shown.stdout).toContain(path.join(cwd, '.env'));
    expect(shown.stdout).toMatch(/^PRICE_BASE=5$/m);
    expect(shown.stdout).toMatch(/^PRICE_PER_BYTE=3$/m);
    expect(shown.stdout).toMatch(/^DASHBOARD_PASSWORD=\*{8}$/m);
    expect(shown.stdout).toMatch(/^#PORT=8080$/m);
    expect(shown.stdout).not.toContain('hunter2');
    expect(shown.stdout).not.toContain(token);
  });

  it('LOG_FORMAT=pretty prints readable lines, with no node_modules', async () => {
    const child = spawn(process.execPath, [path.join(app, 'peer.js')], {
      cwd: dir,
      env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', DATA_DIR: path.join(dir, 'data-pretty'), LOG_FORMAT: 'pretty' },
    });
    let out = '';
    child.stderr.on('data', (d) => (out += d));
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        const m = /^.*peer listening.*$/m.exec(out);
        if (m) resolve(m[0]);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    child.kill('SIGKILL');
    expect(line).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} [+-]\d{4}\] INFO: peer listening \{"version":"[^"]+","url":"ws:\/\/127\.0\.0\.1:\d+"/);
    expect(out).not.toMatch(/^\{"level"/m);
  });

  it('exits 0 on SIGTERM after a clean shutdown', async () => {
    const code = await new Promise<number | null>((resolve) => {
      peer.child.once('exit', (c) => resolve(c));
      peer.child.kill('SIGTERM');
    });
    expect(code).toBe(0);
    expect(peer.output()).toMatch(/"msg":"peer stopped"/);
  });
});
