import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPeer, type StartedPeer } from '../../src/library';
import { signer, TestClient } from '../helpers/client';
import { readLedger } from '../helpers/ledger';
import { authenticate } from '../helpers/nips';

const free = signer();
let peer: StartedPeer;
let client: TestClient;

beforeAll(async () => {
  peer = await startPeer({
    PRICE_BASE: '100',
    PRICE_PER_BYTE: '1',
    PRICE_KINDS: '{"7":"5"}',
    FREE_PUBKEYS: free.pubkey,
    PUBLIC_URL: 'wss://relay.example',
  });
  client = await TestClient.connect(peer.url);
});
afterAll(async () => {
  await client.close();
  await peer.stop();
});

describe('a paid relay, before anyone has paid', () => {
  it('refuses an unpaid event with the price and where to pay (no balance before AUTH), and stores nothing', async () => {
    const s = signer();
    const ev = s.sign({ content: 'pay me' });
    const [, , ok, msg] = await client.publish(ev);
    expect(ok).toBe(false);
    const bytes = Buffer.byteLength(JSON.stringify([0, ev.pubkey, ev.created_at, ev.kind, ev.tags, ev.content]));
    expect(msg).toBe(
      `restricted: payment required: price ${100 + bytes} (USD, scale 9); pay to $relay.example/pay/${s.pubkey}`,
    );
    expect((await client.req('q', { ids: [ev.id] })).events).toEqual([]);
  });

  it('shows the balance on the WebSocket only once the connection has authenticated the author (NIP-42)', async () => {
    const s = signer();
    const c = await TestClient.connect(peer.url);
    try {
      const first = s.sign({ content: 'who am i' });
      expect((await c.publish(first))[3]).not.toMatch(/balance/);
      // the refusal came with a challenge
      await authenticate(c, s, 'wss://relay.example');
      const second = s.sign({ content: 'me' });
      expect((await c.publish(second))[3]).toMatch(/^restricted: payment required: price \d+, balance 0 \(USD, scale 9\); pay to \$relay.example\/pay\//);
      // an author this connection has not authenticated: no balance
      expect((await c.publish(signer().sign({ content: 'other' })))[3]).not.toMatch(/balance/);
    } finally {
      await c.close();
    }
  });

  it('refuses unpaid ephemeral events too', async () => {
    const ev = signer().sign({ kind: 20000, content: 'eph' });
    const [, , ok, msg] = await client.publish(ev);
    expect(ok).toBe(false);
    expect(msg).toMatch(/^restricted: payment required: price \d+ \(USD, scale 9\)/);
  });

  it('stores events of FREE_PUBKEYS without charging anyone', async () => {
    const ev = free.sign({ content: 'operator note' });
    expect(await client.publish(ev)).toEqual(['OK', ev.id, true, '']);
    const l = readLedger(peer.config.dataDir);
    expect(l.account('revenue/relay-fees').creditsPosted).toBe(0n);
    expect(l.sum()).toBe(0n);
    l.close();
  });

  it('still serves reads for free', async () => {
    expect((await client.req('all', { limit: 10 })).events.length).toBeGreaterThan(0);
  });

  it('publishes its prices in NIP-11', async () => {
    const info = (await (await fetch(peer.httpUrl, { headers: { Accept: 'application/nostr+json' } })).json()) as Record<string, any>;
    expect(info.limitation.payment_required).toBe(true);
    // each entry is the whole price of its kinds: amount + per_byte × bytes of the NIP-01 serialization
    expect(info.fees.publication).toEqual([
      { amount: 100, per_byte: 1, unit: 'USD', scale: 9 },
      { kinds: [7], amount: 5, per_byte: 1, unit: 'USD', scale: 9 },
    ]);
    expect(info.payments_url).toBe('https://relay.example/');
  });

  it('shows prices and the payment pointer form on its page', async () => {
    const html = await (await fetch(peer.httpUrl)).text();
    expect(html).toContain('<h2>Prices</h2>');
    expect(html).toContain('<td>kind 7</td><td>5</td>');
    expect(html).toContain('/pay/&lt;pubkey&gt;');
  });
});
