import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SimplePool } from 'nostr-tools/pool';
import { useWebSocketImplementation } from 'nostr-tools/pool';
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { startPeer } from '../../src/library';
import { signer, TestClient } from '../helpers/client';

useWebSocketImplementation(WebSocket);
const dir = mkdtempSync(path.join(tmpdir(), 'lifecycle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('peer lifecycle', () => {
  it('keeps every event across a restart on the same data dir', async () => {
    const s = signer();
    const sent = Array.from({ length: 40 }, (_, i) => s.sign({ content: `persist ${i}`, tags: [['t', 'keep']] }));
    const p1 = await startPeer({ DATA_DIR: dir });
    const c1 = await TestClient.connect(p1.url);
    // fire all without waiting, so they land in group-committed batches
    for (const e of sent) c1.send(['EVENT', e]);
    for (const e of sent) expect((await c1.next((m) => m[0] === 'OK' && m[1] === e.id))[2]).toBe(true);
    await c1.close();
    await p1.stop();

    const p2 = await startPeer({ DATA_DIR: dir });
    const c2 = await TestClient.connect(p2.url);
    const { events } = await c2.req('all', { authors: [s.pubkey], limit: 100 });
    expect(events.map((e) => e.id).sort()).toEqual(sent.map((e) => e.id).sort());
    expect((await c2.req('tag', { '#t': ['keep'], limit: 100 })).events).toHaveLength(40);
    await c2.close();
    await p2.stop();
  });

  it('on stop answers what it received, closes sockets with a NOTICE, and every OK true survives', async () => {
    const stopDir = mkdtempSync(path.join(tmpdir(), 'stop-'));
    const p = await startPeer({ DATA_DIR: stopDir });
    const c = await TestClient.connect(p.url);
    const s = signer();
    const burst = Array.from({ length: 300 }, (_, i) => s.sign({ content: `burst ${i}` }));
    for (const e of burst) c.send(['EVENT', e]);
    await c.next((m) => m[0] === 'OK');
    await p.stop();
    await new Promise((r) => (c.closed ? r(null) : c.ws.once('close', r)));
    const notice = c.messages.findIndex((m) => m[0] === 'NOTICE');
    expect(c.messages[notice][1]).toMatch(/^restarting:/);
    // nothing is answered after the NOTICE, and every answer before it is a success
    expect(c.messages.slice(notice + 1)).toEqual([]);
    const accepted = c.messages.filter((m) => m[0] === 'OK' && m[2] === true).map((m) => m[1] as string);
    expect(accepted.length).toBe(notice);
    await expect(fetch(`${p.httpUrl}/ready`)).rejects.toThrow();

    const again = await startPeer({ DATA_DIR: stopDir });
    const c2 = await TestClient.connect(again.url);
    const stored = (await c2.req('all', { authors: [s.pubkey], limit: 1000 })).events.map((e) => e.id);
    expect(new Set(stored)).toEqual(new Set(accepted));
    await c2.close();
    await again.stop();
    rmSync(stopDir, { recursive: true, force: true });
  });

  it('works with a standard client: nostr-tools SimplePool publishes and queries', async () => {
    const p = await startPeer();
    const pool = new SimplePool();
    const s = signer();
    const ev = s.sign({ content: 'via SimplePool' });
    await Promise.all(pool.publish([p.url], ev));
    const got = await pool.querySync([p.url], { authors: [s.pubkey] });
    expect(got.map((e) => e.id)).toEqual([ev.id]);
    pool.close([p.url]);
    await p.stop();
  });

  it('runs two peers side by side in one process', async () => {
    const [a, b] = await Promise.all([startPeer(), startPeer()]);
    expect(a.port).not.toBe(b.port);
    const ca = await TestClient.connect(a.url);
    const cb = await TestClient.connect(b.url);
    const ev = signer().sign({ content: 'only on a' });
    await ca.publish(ev);
    expect((await cb.req('x', { ids: [ev.id] })).events).toEqual([]);
    expect((await ca.req('x', { ids: [ev.id] })).events).toHaveLength(1);
    await Promise.all([ca.close(), cb.close()]);
    await Promise.all([a.stop(), b.stop()]);
  });

  it('refuses to start with bad configuration', async () => {
    await expect(startPeer({ PORT: 'x' })).rejects.toThrow(/^PORT="x" is invalid/);
  });
});
