import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPeer } from '../src/library';
import { spawnBundle, type BundledPeer } from './helpers/bundle';
import { signer, TestClient } from './helpers/client';

// Issue #14 item 1: a second peer on one port or one DATA_DIR used to start, and an acknowledged paid event was lost.
const dist = path.resolve(__dirname, '../dist');
const dir = mkdtempSync(path.join(tmpdir(), 'single-'));
const app = path.join(dir, 'app');
const peerJs = path.join(app, 'peer.js');
const running: BundledPeer[] = [];

const run = (args: string[], env: Record<string, string>) =>
  spawnSync(process.execPath, [peerJs, ...args], { cwd: dir, env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });

/** Starts the bundle on a fixed port (spawnBundle takes an ephemeral one); resolves with its exit or its listening. */
function serveOn(port: number, dataDir: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [peerJs], { cwd: dir, env: { PATH: process.env.PATH, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1' } });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  return new Promise((resolve) => {
    child.stdout.on('data', () => {
      if (output.includes('"msg":"peer listening"')) {
        child.kill('SIGKILL');
        resolve({ code: null, output });
      }
    });
    child.once('exit', (code) => resolve({ code, output }));
  });
}

beforeAll(() => {
  if (!existsSync(path.join(dist, 'peer.js'))) throw new Error('dist/peer.js is missing: run `npm run build` first (npm test does)');
  cpSync(dist, app, { recursive: true });
});
afterAll(() => {
  for (const p of running) p.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('one peer per DATA_DIR and per port (bundle)', () => {
  it('a second peer on the same DATA_DIR exits 1 naming the folder and the pid holding it', async () => {
    const dataDir = path.join(dir, 'data-a');
    const first = await spawnBundle(peerJs, { DATA_DIR: dataDir }, dir);
    running.push(first);
    const second = await serveOn(0, dataDir);
    expect(second.code).toBe(1);
    expect(second.output.trim()).toBe(
      `error: a peer (pid ${first.child.pid}) is serving from ${dataDir}; stop it first (one process per DATA_DIR)`,
    );
    // the first one still serves (and still holds the folder: next test)
    const c = await TestClient.connect(`ws://127.0.0.1:${first.port}`);
    const ev = signer().sign({ content: 'still the only one' });
    expect(await c.publish(ev)).toEqual(['OK', ev.id, true, '']);
    await c.close();
  });

  it('restore and migrate refuse while a peer serves from the folder', () => {
    const dataDir = path.join(dir, 'data-a');
    const pid = running[0].child.pid;
    for (const args of [['restore', path.join(dir, 'some-backup.sqlite')], ['migrate']]) {
      const r = run(args, { DATA_DIR: dataDir });
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toBe(`error: a peer (pid ${pid}) is serving from ${dataDir}; stop it first (one process per DATA_DIR)`);
    }
  });

  it('a peer killed with SIGKILL leaves no lock behind: the next one starts on the same folder', async () => {
    const first = running.shift()!;
    await new Promise((resolve) => {
      first.child.once('exit', resolve);
      first.child.kill('SIGKILL');
    });
    const next = await spawnBundle(peerJs, { DATA_DIR: path.join(dir, 'data-a') }, dir);
    running.push(next);
    const c = await TestClient.connect(`ws://127.0.0.1:${next.port}`);
    expect((await c.req('all', {})).events).toHaveLength(1);
    await c.close();
  });

  it('a second peer on the same port exits 1 naming the port and the pid listening on it', async () => {
    const first = running[0];
    const second = await serveOn(first.port, path.join(dir, 'data-b'));
    expect(second.code).toBe(1);
    expect(second.output.trim().split('\n').at(-1)).toBe(
      `error: cannot listen on 127.0.0.1:${first.port}: the port is in use by pid ${first.child.pid}`,
    );
  });
});

describe('one peer per DATA_DIR and per port (in-process)', () => {
  it('refuses a second startPeer on a folder this process serves from, and allows it after stop()', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'single-inproc-'));
    try {
      const a = await startPeer({ DATA_DIR: dataDir });
      await expect(startPeer({ DATA_DIR: dataDir })).rejects.toThrow(`a peer (pid ${process.pid}) is serving from ${dataDir}`);
      // a refused claim must not have dropped the holder's lock: a third try is refused too
      await expect(startPeer({ DATA_DIR: path.join(dataDir, '.') })).rejects.toThrow(/is serving from/);
      await a.stop();
      const b = await startPeer({ DATA_DIR: dataDir });
      await b.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses a second listener on a port in use, and releases its folder', async () => {
    const a = await startPeer();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'single-inproc-'));
    try {
      await expect(startPeer({ PORT: a.port, DATA_DIR: dataDir })).rejects.toThrow(`cannot listen on 127.0.0.1:${a.port}: the port is in use`);
      const b = await startPeer({ DATA_DIR: dataDir });
      await b.stop();
    } finally {
      await a.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
