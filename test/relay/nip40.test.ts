import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPeer, type StartedPeer } from '../../src/library';
import { signer, TestClient } from '../helpers/client';

const dir = mkdtempSync(path.join(tmpdir(), 'nip40-'));
let peer: StartedPeer;
let client: TestClient;

beforeAll(async () => {
  peer = await startPeer({ DATA_DIR: dir, EXPIRED_PURGE_INTERVAL: 1 });
  client = await TestClient.connect(peer.url);
});
afterAll(async () => {
  await client.close();
  await peer.stop();
  rmSync(dir, { recursive: true, force: true });
});

const now = () => Math.floor(Date.now() / 1000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `test` every 100 ms, at most `tries` times; bounded, and no assertion on how long it took. */
async function eventually(test: () => boolean | Promise<boolean>, tries = 100): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await test()) return true;
    await sleep(100);
  }
  return false;
}

describe('NIP-40 expiration', () => {
  it('refuses an event that has already expired, stored or ephemeral', async () => {
    const s = signer();
    for (const kind of [1, 20001]) {
      const [, , ok, msg] = await client.publish(s.sign({ kind, tags: [['expiration', String(now() - 1)]] }));
      expect(ok).toBe(false);
      expect(msg).toMatch(/^invalid: event has expired/);
    }
  });

  it('stores an event that expires later, never serves it once expired, and the periodic job purges it', async () => {
    const s = signer();
    const soon = s.sign({ content: 'short-lived', tags: [['expiration', String(now() + 3)]] });
    const lasting = s.sign({ content: 'stays', tags: [['expiration', String(now() + 3600)]] });
    expect(await client.publish(soon)).toEqual(['OK', soon.id, true, '']);
    expect(await client.publish(lasting)).toEqual(['OK', lasting.id, true, '']);

    const db = new Database(path.join(dir, 'peer.sqlite'), { readonly: true });
    const rows = db.prepare('SELECT count(*) FROM events WHERE id = ?').pluck();
    try {
      expect(rows.get(soon.id)).toBe(1);
      // hidden from REQ and COUNT as soon as it expires …
      const served = async () => {
        const r = await client.req('poll', { ids: [soon.id] }); // the same id replaces the previous subscription
        expect(r.closed).toBeUndefined();
        return r.events.length;
      };
      expect(await served()).toBe(1);
      expect(await eventually(async () => (await served()) === 0)).toBe(true);
      client.send(['COUNT', 'c', { authors: [s.pubkey] }]);
      expect((await client.next((m) => m[0] === 'COUNT'))[2]).toEqual({ count: 1 });
      // … and deleted from the database by the purge job
      expect(await eventually(() => rows.get(soon.id) === 0)).toBe(true);
      expect(rows.get(lasting.id)).toBe(1);
    } finally {
      db.close();
    }
    expect((await client.req('lasting', { authors: [s.pubkey] })).events.map((e) => e.id)).toEqual([lasting.id]);
  });

  it('ignores a malformed expiration tag', async () => {
    const e = signer().sign({ tags: [['expiration', 'soon']] });
    expect((await client.publish(e))[2]).toBe(true);
  });
});
