import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { serializeForId, type NostrEvent } from '../../src/nostr/event';
import { startPeer } from '../../src/library';
import { spawnBundle } from '../helpers/bundle';
import { signer, TestClient, type Signer } from '../helpers/client';
import { readLedger } from '../helpers/ledger';
import { pay } from '../helpers/payer';

// A real process (the bundle) killed with SIGKILL while many connections write paid events.
const dist = path.resolve(__dirname, '../../dist');
const dir = mkdtempSync(path.join(tmpdir(), 'crash-'));
const dataDir = path.join(dir, 'data');
const TOKEN = 'crash-wallet-token-0123';
const settings = {
  PRICE_BASE: '1000',
  PRICE_PER_BYTE: '2',
  ILP_PEERS: JSON.stringify([{ id: 'wallet', token: TOKEN, creditLimit: '1000000000' }]),
};
const price = (e: NostrEvent) => 1000n + 2n * BigInt(Buffer.byteLength(serializeForId(e)));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const spawnPeer = () => spawnBundle(path.join(dir, 'app/peer.js'), { DATA_DIR: dataDir, ...settings });

it('never charges without storing nor stores without charging, across kill -9 while writing', async () => {
  if (!existsSync(path.join(dist, 'peer.js'))) throw new Error('dist/peer.js is missing: run `npm run build` first (npm test does)');
  cpSync(dist, path.join(dir, 'app'), { recursive: true });
  const { child, port } = await spawnPeer();

  const writers: Signer[] = Array.from({ length: 8 }, () => signer());
  const funding = 80n * 1300n;
  for (const w of writers) await pay(port, TOKEN, w.pubkey, funding);

  const clients = await Promise.all(writers.map(() => TestClient.connect(`ws://127.0.0.1:${port}`)));
  // Each writer has more events than its balance covers, so refusals for lack of money happen too.
  const sent = writers.map((w) => Array.from({ length: 100 }, (_, i) => w.sign({ content: `crash test ${i} `.repeat(1 + (i % 5)) })));
  sent.forEach((events, i) => events.forEach((e) => clients[i].send(['EVENT', e])));
  // Kill once some answers have come back, while the rest are still being written.
  for (let t = 0; t < 2000 && clients.every((c) => c.messages.length === 0); t++) await new Promise((r) => setTimeout(r, 1));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const acceptedBeforeCrash = new Set(clients.flatMap((c) => c.messages.filter((m) => m[0] === 'OK' && m[2] === true).map((m) => m[1] as string)));
  expect(acceptedBeforeCrash.size).toBeGreaterThan(0);
  // the kill came while writes were still under way
  expect(clients.reduce((n, c) => n + c.messages.filter((m) => m[0] === 'OK').length, 0)).toBeLessThan(800);

  const peer = await startPeer({ DATA_DIR: dataDir, ...settings });
  const reader = await TestClient.connect(peer.url);
  const stored = (await reader.req('all', { authors: writers.map((w) => w.pubkey), limit: 5000 })).events;
  const storedIds = new Set(stored.map((e) => e.id));
  // every OK true survived the crash
  for (const id of acceptedBeforeCrash) expect(storedIds.has(id)).toBe(true);
  const l = readLedger(dataDir);
  let revenue = 0n;
  for (const w of writers) {
    const spent = stored.filter((e) => e.pubkey === w.pubkey).reduce((sum, e) => sum + price(e), 0n);
    const acc = l.account(`liabilities/balances/${w.pubkey}`);
    expect(acc.creditsPosted).toBe(funding);
    expect(acc.debitsPosted).toBe(spent);
    revenue += spent;
  }
  const fees = l.account('revenue/relay-fees');
  expect(fees.creditsPosted - fees.debitsPosted).toBe(revenue);
  expect(l.sum()).toBe(0n);
  l.close();
  await reader.close();
  await Promise.all(clients.map((c) => c.close()));
  await peer.stop();
});
