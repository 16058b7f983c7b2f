import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [path.join(app, 'peer.js'), ...args], { cwd: dir, env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });

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

  it('logs JSON lines', () => {
    const first = JSON.parse(peer.output().split('\n')[0]);
    expect(first).toMatchObject({ level: 30, msg: 'peer listening', port });
  });

  it('says in its log which signature verifier it uses', () => {
    const line = peer.output().split('\n').find((l) => l.includes('"msg":"signature verifier"'));
    expect(line).toBeDefined();
    const entry = JSON.parse(line!);
    if (process.env.CI) expect(entry.verifier).toBe('native libsecp256k1');
    else expect(['native libsecp256k1', 'wasm (tiny-secp256k1)']).toContain(entry.verifier);
  });

  it('healthcheck exits 0 against the running peer, 1 when nothing answers', () => {
    expect(run(['healthcheck'], { PORT: String(port), HOST: '127.0.0.1' }).status).toBe(0);
    expect(run(['healthcheck'], { PORT: '1', HOST: '127.0.0.1' }).status).toBe(1);
  });

  it('prints its version and usage', () => {
    expect(run(['version']).stdout.trim()).toBe(pkg.version);
    expect(run(['--help']).stdout).toMatch(/usage: node dist\/peer.js/);
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

  it('exits 0 on SIGTERM after a clean shutdown', async () => {
    const code = await new Promise<number | null>((resolve) => {
      peer.child.once('exit', (c) => resolve(c));
      peer.child.kill('SIGTERM');
    });
    expect(code).toBe(0);
    expect(peer.output()).toMatch(/"msg":"peer stopped"/);
  });
});
