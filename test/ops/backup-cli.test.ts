import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnBundle, type BundledPeer } from '../helpers/bundle';
import { signer, TestClient } from '../helpers/client';

// The CLI of the bundle, as an operator runs it: dist/ copied alone, a serving peer in one process, and
// `backup` / `restore` in others.
const dist = path.resolve(__dirname, '../../dist');
const dir = mkdtempSync(path.join(tmpdir(), 'backup-cli-'));
const app = path.join(dir, 'app');
const dataDir = path.join(dir, 'data');
const env = { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, RATE_EVENTS_PER_IP: '0', RATE_EVENTS_PER_PUBKEY: '0' };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a subcommand without blocking this process (its clients keep writing meanwhile). */
const run = (args: string[], extra: Record<string, string> = {}) =>
  new Promise<Run>((resolve) => {
    const child = spawn(process.execPath, [path.join(app, 'peer.js'), ...args], { cwd: dir, env: { ...env, ...extra } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });

const serve = (extra: Record<string, string> = {}) => spawnBundle(path.join(app, 'peer.js'), { ...env, ...extra }, dir);

const stop = (s: BundledPeer) =>
  new Promise<number | null>((resolve) => {
    s.child.once('exit', (code) => resolve(code));
    s.child.kill('SIGTERM');
  });

const count = (file: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT count(*) FROM events').pluck().get() as number;
  } finally {
    db.close();
  }
};

let peer: BundledPeer;

beforeAll(async () => {
  if (!existsSync(path.join(dist, 'peer.js'))) throw new Error('dist/peer.js is missing: run `npm run build` first (npm test does)');
  cpSync(dist, app, { recursive: true });
  peer = await serve({ BACKUP_INTERVAL: '1s', BACKUP_KEEP: '2' });
  const c = await TestClient.connect(`ws://127.0.0.1:${peer.port}`);
  const s = signer();
  const now = Math.floor(Date.now() / 1000);
  for (let i = 0; i < 60; i++) c.send(['EVENT', s.sign({ content: `${i} ${'y'.repeat(60_000)}`, created_at: now - 60 })]);
  await c.next(() => c.messages.filter((m) => m[0] === 'OK' && m[2] === true).length === 60, 20_000);
  await c.close();
});
afterAll(() => {
  peer.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('backup and restore from the command line', () => {
  it('lists both in --help', async () => {
    const r = await run(['--help']);
    expect(r.stdout).toMatch(/backup \[path\]/);
    expect(r.stdout).toMatch(/restore <path>/);
    expect((await run(['backup', '--help'])).stdout).toMatch(/^usage:/);
  });

  it('backs up while the peer serves and writes, printing progress, and the copy is consistent', async () => {
    const c = await TestClient.connect(`ws://127.0.0.1:${peer.port}`);
    const s = signer();
    let writing = true;
    const writes = (async () => {
      while (writing) expect((await c.publish(s.sign({ content: 'meanwhile', created_at: Math.floor(Date.now() / 1000) })))[2]).toBe(true);
    })();
    const dest = path.join(dir, 'manual.sqlite');
    const r = await run(['backup', dest]);
    writing = false;
    await writes;
    await c.close();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe(`backup: copying ${path.join(dataDir, 'peer.sqlite')} to ${dest}`);
    expect(lines.filter((l) => /^backup: +\d+% \(\d+\/\d+ pages\)$/.test(l)).length).toBeGreaterThan(2);
    expect(lines).toContainEqual(expect.stringMatching(/^backup: integrity_check ok; schema version \d+, \d+ events/));
    const result = JSON.parse(lines.at(-1)!);
    expect(result).toMatchObject({ file: dest, bytes: statSync(dest).size });
    expect(count(dest)).toBe(result.events);
    expect(result.events).toBeGreaterThanOrEqual(60);
    // A backup into the default folder, by another name; and one that would overwrite is refused.
    const again = await run(['backup']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout.trim().split('\n').at(-1)!).file).toMatch(/data\/backups\/peer-\d{8}T\d{6}\.\d{3}Z\.sqlite$/);
    const clash = await run(['backup', dest]);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toMatch(/^error: .*manual\.sqlite already exists/);
  });

  it('takes scheduled backups in a child process and keeps BACKUP_KEEP of them', async () => {
    await new Promise<void>((resolve) => {
      const check = () => ((peer.output().match(/"msg":"backup written"/g) ?? []).length >= 3 ? resolve() : setTimeout(check, 100));
      check();
    });
    const files = readdirSync(path.join(dataDir, 'backups')).filter((f) => /^peer-.*\.sqlite$/.test(f));
    // Two kept (the manual backup in that folder counts too), plus one just renamed and not yet pruned.
    expect(files.length).toBeLessThanOrEqual(3);
    expect(count(path.join(dataDir, 'backups', files.sort().at(-1)!))).toBeGreaterThanOrEqual(60);
    expect(peer.output()).not.toMatch(/"msg":"backup failed"/);
  });

  it('refuses to restore under a running peer, refuses a truncated file, and restores a good one', async () => {
    const good = path.join(dir, 'manual.sqlite');
    const running = await run(['restore', good]);
    expect(running.code).toBe(1);
    expect(running.stderr).toMatch(/^error: a peer \(pid \d+\) is serving from .*; stop it first/);

    expect(await stop(peer)).toBe(0);
    // Stopped: nothing in flight, exactly BACKUP_KEEP backups left.
    expect(readdirSync(path.join(dataDir, 'backups')).filter((f) => /^peer-.*\.sqlite$/.test(f))).toHaveLength(2);
    const before = count(path.join(dataDir, 'peer.sqlite'));
    const truncated = path.join(dir, 'truncated.sqlite');
    copyFileSync(good, truncated);
    truncateSync(truncated, 50_000);
    const refused = await run(['restore', truncated]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: refused: .*truncated\.sqlite is truncated: .*; nothing was changed/);
    expect(count(path.join(dataDir, 'peer.sqlite'))).toBe(before);

    const ok = await run(['restore', good]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/restore: 100% \(\d+\/\d+ pages\)\nrestore: checking the copy \(integrity_check\)/);
    expect(ok.stdout).toMatch(/the previous database is kept as .*peer\.sqlite\.before-restore-/);
    expect(count(path.join(dataDir, 'peer.sqlite'))).toBe(count(good));
    expect(readdirSync(dataDir).filter((f) => f.includes('before-restore'))).toHaveLength(1);

    peer = await serve();
    const c = await TestClient.connect(`ws://127.0.0.1:${peer.port}`);
    expect((await c.req('all', { limit: 5000 })).events).toHaveLength(count(good));
    await c.close();
  });
});
