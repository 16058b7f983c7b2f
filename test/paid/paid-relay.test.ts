import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serializeForId } from '../../src/nostr/event';
import { startPeer, type StartedPeer } from '../../src/library';
import { signer, TestClient } from '../helpers/client';
import { readLedger } from '../helpers/ledger';
import { openStream, pay } from '../helpers/payer';

const TOKEN = 'wallet-token-0123456789';
const BASE = 1000n;
const PER_BYTE = 3n;
const LONGFORM = 50_000n;
let peer: StartedPeer;
let client: TestClient;

const price = (e: Parameters<typeof serializeForId>[0], base = BASE) => base + PER_BYTE * BigInt(Buffer.byteLength(serializeForId(e)));

const ledger = () => {
  const l = readLedger(peer.config.dataDir);
  const read = (p: string) => {
    const a = l.account(p);
    return a.creditsPosted - a.debitsPosted;
  };
  return { balance: (pk: string) => read(`liabilities/balances/${pk}`), revenue: () => read('revenue/relay-fees'), owed: () => -read('assets/interledger/wallet'), sum: l.sum, close: l.close };
};

beforeAll(async () => {
  peer = await startPeer({
    PRICE_BASE: BASE.toString(),
    PRICE_PER_BYTE: PER_BYTE.toString(),
    PRICE_KINDS: JSON.stringify({ 30023: LONGFORM.toString() }),
    ILP_PEERS: JSON.stringify([{ id: 'wallet', token: TOKEN, creditLimit: '100000000' }]),
  });
  client = await TestClient.connect(peer.url);
});
afterAll(async () => {
  await client.close();
  await peer.stop();
});

describe('paid relay, end to end with the official ILP client over BTP', () => {
  it('an exact payment credits the pubkey and the peer account by exactly that, and the ledger sums to zero', async () => {
    const s = signer();
    await pay(peer.port, TOKEN, s.pubkey, 12_345);
    const l = ledger();
    expect(l.balance(s.pubkey)).toBe(12_345n);
    expect(l.owed()).toBe(12_345n);
    expect(l.sum()).toBe(0n);
    l.close();
  });

  it('unpaid is refused; paid 5× the price stores exactly 5 events and refuses the 6th', async () => {
    const s = signer();
    const events = Array.from({ length: 6 }, (_, i) => s.sign({ content: `paid note ${i}`.padEnd(40, '.') }));
    // same length content, so one price for all
    const p = price(events[0]);
    expect(events.every((e) => price(e) === p)).toBe(true);

    expect((await client.publish(events[0]))[3]).toMatch(/^restricted: payment required: price \d+ \(USD, scale 9\); pay to /);
    await pay(peer.port, TOKEN, s.pubkey, 5n * p);
    const revenueBefore = ledger().revenue();
    const answers = [];
    for (const e of events) answers.push(await client.publish(e));
    expect(answers.slice(0, 5).map((a) => a[2])).toEqual([true, true, true, true, true]);
    expect(answers[5][2]).toBe(false);
    expect(answers[5][3]).toBe(`restricted: payment required: price ${p} (USD, scale 9); pay to $127.0.0.1:${peer.port}/pay/${s.pubkey}`);
    const l = ledger();
    expect(l.balance(s.pubkey)).toBe(0n);
    expect(l.revenue() - revenueBefore).toBe(5n * p);
    expect(l.sum()).toBe(0n);
    l.close();
    expect((await client.req('mine', { authors: [s.pubkey] })).events).toHaveLength(5);
  });

  it('applies per-kind and per-byte prices to the unit, and charges nothing for duplicates or refusals', async () => {
    const s = signer();
    const article = s.sign({ kind: 30023, tags: [['d', 'a']], content: 'long form ✓ '.repeat(30) });
    const note = s.sign({ content: 'ünïcödé bytes' });
    const total = price(article, LONGFORM) + price(note);
    await pay(peer.port, TOKEN, s.pubkey, total + 7n);
    const before = ledger();
    const [b0, r0] = [before.balance(s.pubkey), before.revenue()];
    before.close();

    expect((await client.publish(article))[2]).toBe(true);
    expect((await client.publish(note))[2]).toBe(true);
    expect((await client.publish(note))[3]).toMatch(/^duplicate:/);
    const older = s.sign({ kind: 30023, tags: [['d', 'a']], content: 'older', created_at: article.created_at - 10 });
    expect((await client.publish(older))[3]).toMatch(/^duplicate:/);
    expect((await client.publish({ ...note, content: 'tampered' }))[2]).toBe(false);

    const after = ledger();
    expect(b0 - after.balance(s.pubkey)).toBe(total);
    expect(after.balance(s.pubkey)).toBe(7n);
    expect(after.revenue() - r0).toBe(total);
    expect(after.sum()).toBe(0n);
    after.close();
  });

  it('a paid session over STREAM publishes and subscribes, charged to the author', async () => {
    const payer = signer();
    const author = signer();
    const ev = author.sign({ content: 'sent over STREAM' });
    const p = price(ev);
    const s = await openStream(peer.port, TOKEN, `/pay/${payer.pubkey}`);
    const stream = s.conn.createStream();
    const lines: unknown[][] = [];
    let buf = '';
    stream.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      for (let i; (i = buf.indexOf('\n')) >= 0; buf = buf.slice(i + 1)) lines.push(JSON.parse(buf.slice(0, i)));
    });
    const next = async (test: (m: unknown[]) => boolean) => {
      for (let t = 0; t < 200; t++) {
        const m = lines.find(test);
        if (m) return m;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`no matching line in ${JSON.stringify(lines)}`);
    };
    // money on the session credits its pubkey; the event is paid by its author
    await stream.sendTotal(p.toString());
    await pay(peer.port, TOKEN, author.pubkey, p);
    stream.write(`${JSON.stringify(['REQ', 'sub', { authors: [author.pubkey] }])}\n`);
    expect(await next((m) => m[0] === 'EOSE')).toEqual(['EOSE', 'sub']);
    stream.write(`${JSON.stringify(['EVENT', ev])}\n`);
    expect(await next((m) => m[0] === 'OK')).toEqual(['OK', ev.id, true, '']);
    expect(await next((m) => m[0] === 'EVENT')).toEqual(['EVENT', 'sub', ev]);
    // a live event from a WebSocket client reaches the STREAM session
    const author2 = author.sign({ content: 'from the websocket' });
    const funded = ledger();
    expect(funded.balance(payer.pubkey)).toBe(p);
    expect(funded.balance(author.pubkey)).toBe(0n);
    funded.close();
    await pay(peer.port, TOKEN, author.pubkey, price(author2));
    expect((await client.publish(author2))[2]).toBe(true);
    expect(await next((m) => m[0] === 'EVENT' && (m[2] as { id: string }).id === author2.id)).toBeDefined();
    await s.close();
    const l = ledger();
    expect(l.sum()).toBe(0n);
    l.close();
  });

  it('health reports the ledger ok', async () => {
    const h = (await (await fetch(`${peer.httpUrl}/health`)).json()) as { services: { ledger: string } };
    expect(h.services.ledger).toBe('ok');
  });
});
