import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { serializeForId } from '../../src/nostr/event';
import { startPeer } from '../../src/library';
import { signer, TestClient } from '../helpers/client';
import { readLedger } from '../helpers/ledger';
import { pay } from '../helpers/payer';

const dir = mkdtempSync(path.join(tmpdir(), 'economics-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const TOKEN = 'economics-token-012345';
const settings = {
  DATA_DIR: dir,
  PRICE_BASE: '500',
  PRICE_PER_BYTE: '1',
  ECONOMIC_SNAPSHOT_INTERVAL: '1',
  ILP_PEERS: JSON.stringify([{ id: 'wallet', token: TOKEN, creditLimit: '10000000' }]),
};

it('snapshots revenue, balances, payers, peer positions and events; all agree with the ledger across a restart', async () => {
  const peer = await startPeer(settings);
  const s = signer();
  const events = [0, 1, 2].map((i) => s.sign({ content: `economy ${i}` }));
  const spent = events.reduce((sum, e) => sum + 500n + BigInt(Buffer.byteLength(serializeForId(e))), 0n);
  await pay(peer.port, TOKEN, s.pubkey, 100_000);
  const c = await TestClient.connect(peer.url);
  for (const e of events) expect((await c.publish(e))[2]).toBe(true);
  await c.close();
  // a periodic snapshot is taken while serving
  const deadline = Date.now() + 5000;
  const db = new Database(path.join(dir, 'peer.sqlite'), { readonly: true });
  db.defaultSafeIntegers(true);
  const latest = () => db.prepare('SELECT * FROM economic_snapshots ORDER BY rowid DESC LIMIT 1').get() as Record<string, bigint | string> | undefined;
  while (((latest()?.events_stored as bigint | undefined) ?? 0n) < 3n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await peer.stop(); // takes a last snapshot

  const snap = latest()!;
  db.close();
  expect(snap).toMatchObject({ events_stored: 3n, revenue: spent, balances_outstanding: 100_000n - spent, payers: 1n });
  expect(JSON.parse(snap.peer_positions as string)).toEqual({ wallet: '100000' });

  const again = await startPeer(settings);
  const l = readLedger(dir);
  const balance = l.account(`liabilities/balances/${s.pubkey}`);
  const fees = l.account('revenue/relay-fees');
  expect(balance.creditsPosted - balance.debitsPosted).toBe(100_000n - spent);
  expect(fees.creditsPosted - fees.debitsPosted).toBe(spent);
  expect(l.sum()).toBe(0n);
  l.close();
  const reader = await TestClient.connect(again.url);
  expect((await reader.req('all', { authors: [s.pubkey] })).events).toHaveLength(3);
  await reader.close();
  await again.stop();
});
