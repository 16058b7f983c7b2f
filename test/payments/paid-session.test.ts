// Paid NIP-01 sessions over STREAM: the official client writes NIP-01 lines on its streams and reads the relay's
// answers as stream data, from our replies and from the Prepares we send it. Real relay, store and write queue.
import { finalizeEvent, generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { afterEach, describe, expect, it } from 'vitest';
import { isFulfill } from '../../src/connector/local-receiver';
import { balanceAccount } from '../../src/ledger/account-paths';
import { spspResponse } from '../../src/payments/spsp';
import { connectClient, Harness, LineReader } from './harness';

let h: Harness;
const conns: any[] = [];
afterEach(async () => {
  for (const c of conns.splice(0)) c.destroy();
  await new Promise((r) => setTimeout(r, 20));
  await h.close();
});

const payerKey = generateSecretKey();
const payer = getPublicKey(payerKey);

function sign(content: string, kind = 1, key = generateSecretKey(), tags: string[][] = []) {
  // plain JSON: nostr-tools marks its events with a symbol that a parsed line does not have
  return JSON.parse(JSON.stringify(finalizeEvent({ kind, created_at: Math.floor(Date.now() / 1000), tags, content }, key)));
}

async function open(path = `/pay/${payer}`, peer = 'alice') {
  const json = JSON.parse(spspResponse(path, h.credentials).body);
  const plugin = h.plugins.find((p) => p.peerId === peer) ?? h.plugin(peer);
  const conn = await connectClient(plugin, { destinationAccount: json.destination_account, sharedSecret: Buffer.from(json.shared_secret, 'base64') });
  conns.push(conn);
  return conn;
}

function session(conn: any) {
  const stream = conn.createStream();
  const reader = new LineReader(stream);
  return { stream, reader, write: (msg: unknown[]) => stream.write(`${JSON.stringify(msg)}\n`) };
}

describe('a paid session', () => {
  it('publishes an EVENT and reads it back with REQ: OK, EVENT and EOSE arrive as stream data', async () => {
    h = new Harness();
    const conn = await open();
    const { reader, write } = session(conn);
    const ev = sign('hello over STREAM ✓');
    write(['EVENT', ev]);
    expect(await reader.next((m) => m[0] === 'OK')).toEqual(['OK', ev.id, true, '']);
    write(['REQ', 'q', { ids: [ev.id] }]);
    expect(await reader.next((m) => m[1] === 'q')).toEqual(['EVENT', 'q', ev]);
    expect(await reader.next((m) => m[1] === 'q')).toEqual(['EOSE', 'q']);
    // the OK came after the group commit, so in a Prepare we sent; the REQ's answer in the reply to its packet
    expect(h.pushes.length).toBeGreaterThan(0);
    expect(h.pushes.every((p) => isFulfill(p.reply) && p.prepare.amount === 0n)).toBe(true);
    expect(h.pushes[0].prepare.destination).toBe('test.peer.alice');
  });

  it('EVENT and REQ in one write: OK, EVENT and EOSE all arrive', async () => {
    h = new Harness();
    const conn = await open();
    const { stream, reader } = session(conn);
    const ev = sign('both at once', 1, payerKey);
    stream.write(`${JSON.stringify(['EVENT', ev])}\n${JSON.stringify(['REQ', 'mine', { authors: [payer] }])}\n`);
    const got = [await reader.next(), await reader.next(), await reader.next()];
    expect(got).toContainEqual(['OK', ev.id, true, '']);
    expect(got).toContainEqual(['EVENT', 'mine', ev]);
    expect(got).toContainEqual(['EOSE', 'mine']);
  });

  it('a live event published by another session after EOSE reaches the client in a Prepare we send', async () => {
    h = new Harness();
    const conn = await open();
    const { reader, write } = session(conn);
    write(['REQ', 'live', { kinds: [1], '#t': ['stream'] }]);
    expect(await reader.next()).toEqual(['EOSE', 'live']);
    await new Promise((r) => setTimeout(r, 20)); // the client has nothing more to send: it goes quiet
    const pushesBefore = h.pushes.length;
    const other = h.session();
    const ev = sign('live!', 1, undefined, [['t', 'stream']]);
    h.relay.handle(other, JSON.stringify(['EVENT', ev]));
    expect(await reader.next()).toEqual(['EVENT', 'live', ev]);
    expect(other.messages).toEqual([['OK', ev.id, true, '']]);
    await new Promise((r) => setTimeout(r, 10)); // the push is recorded once the client's Fulfill is back
    expect(h.pushes.length).toBeGreaterThan(pushesBefore);
    // and an event that does not match is not sent
    h.relay.handle(other, JSON.stringify(['EVENT', sign('not tagged')]));
    await new Promise((r) => setTimeout(r, 50));
    expect(reader.messages).toHaveLength(2);
  });

  it('two streams are two sessions: their own subscriptions, answers on their own stream', async () => {
    h = new Harness();
    const conn = await open();
    const a = session(conn);
    const b = session(conn);
    a.write(['REQ', 'sub', { kinds: [7] }]);
    b.write(['REQ', 'sub', { kinds: [9] }]);
    expect(await a.reader.next()).toEqual(['EOSE', 'sub']);
    expect(await b.reader.next()).toEqual(['EOSE', 'sub']);
    expect(h.relay.subscriptions.size).toBe(2);
    const other = h.session();
    const seven = sign('seven', 7);
    const nine = sign('nine', 9);
    h.relay.handle(other, JSON.stringify(['EVENT', seven]));
    h.relay.handle(other, JSON.stringify(['EVENT', nine]));
    expect(await a.reader.next()).toEqual(['EVENT', 'sub', seven]);
    expect(await b.reader.next()).toEqual(['EVENT', 'sub', nine]);
    // CLOSE on one stream leaves the other's subscription of the same id alone
    a.write(['CLOSE', 'sub']);
    await new Promise((r) => setTimeout(r, 50));
    expect(h.relay.subscriptions.size).toBe(1);
    const nine2 = sign('nine again', 9);
    h.relay.handle(other, JSON.stringify(['EVENT', nine2]));
    expect(await b.reader.next()).toEqual(['EVENT', 'sub', nine2]);
    expect(a.reader.messages).toHaveLength(2);
    // ending one stream ends its session only
    b.stream.end();
    await new Promise((r) => setTimeout(r, 100));
    expect(h.relay.subscriptions.size).toBe(0);
    a.write(['REQ', 'again', { kinds: [7] }]);
    expect(await a.reader.next()).toEqual(['EVENT', 'again', seven]);
  });

  it('money and data in one connection: the money credits the pubkey, events are paid by their authors', async () => {
    h = new Harness({ env: { PRICE_BASE: '100' } });
    const conn = await open();
    const { stream, reader, write } = session(conn);
    const early = sign('too early', 1, payerKey);
    write(['EVENT', early]);
    const refused = await reader.next((m) => m[0] === 'OK');
    expect(refused.slice(0, 3)).toEqual(['OK', early.id, false]);
    expect(refused[3]).toMatch(/^restricted: payment required/);
    await stream.sendTotal(250);
    expect(h.balance(balanceAccount(payer))).toBe(250n);
    const ev = sign('paid for by its author', 1, payerKey);
    write(['EVENT', ev]);
    expect(await reader.next((m) => m[0] === 'OK')).toEqual(['OK', ev.id, true, '']);
    expect(h.balance(balanceAccount(payer))).toBe(150n);
    expect(h.balance('revenue/relay-fees')).toBe(100n);
    expect(h.ledger.invariant().balanced).toBe(true);
  });

  it('a large answer flows past the client windows and the packet size, in order and complete', async () => {
    h = new Harness({ env: { MAX_LIMIT: '500' } });
    const other = h.session();
    const stored = Array.from({ length: 150 }, (_, i) => sign(`${i} ${'x'.repeat(1000)}`, 30_001 + i));
    for (const ev of stored) h.relay.handle(other, JSON.stringify(['EVENT', ev]));
    await h.relay.verified();
    h.writer.flush();
    const conn = await open();
    const { reader, write } = session(conn);
    write(['REQ', 'big', { kinds: stored.map((e) => e.kind), limit: 500 }]);
    expect(await reader.next((m) => m[0] === 'EOSE', 10_000)).toEqual(['EOSE', 'big']);
    const events = reader.messages.filter((m) => m[0] === 'EVENT').map((m) => (m[2] as { id: string }).id);
    expect(events).toHaveLength(150);
    expect(new Set(events)).toEqual(new Set(stored.map((e) => e.id)));
    // ~160 KB went out in packets of at most 32 KB
    expect(h.pushes.length).toBeGreaterThanOrEqual(4);
    expect(h.pushes.every((p) => p.prepare.data.length <= 32767)).toBe(true);
    expect(h.receiver.bufferedBytes).toBe(0);
  });

  it('a client that never reads has its stream closed with an error once its buffer cap is passed', async () => {
    h = new Harness({ limits: { maxBufferedOutput: 8192 } });
    const other = h.session();
    for (let i = 0; i < 20; i++) h.relay.handle(other, JSON.stringify(['EVENT', sign(`${i} ${'y'.repeat(1000)}`, 1)]));
    await h.relay.verified();
    h.writer.flush();
    const conn = await open();
    const stream = conn.createStream();
    const closed = new Promise<Error | undefined>((resolve) => {
      stream.on('error', (e: Error) => resolve(e));
      stream.on('close', () => resolve(undefined));
    });
    stream.write(`${JSON.stringify(['REQ', 'flood', { kinds: [1] }])}\n`);
    const err = await closed;
    expect(err?.message).toMatch(/unread data/);
    await new Promise((r) => setTimeout(r, 20));
    expect(h.relay.subscriptions.size).toBe(0);
    expect(h.receiver.bufferedBytes).toBe(0);
    // the connection itself still works
    const s2 = session(conn);
    s2.write(['REQ', 'ok', { ids: ['0'.repeat(64)] }]);
    expect(await s2.reader.next()).toEqual(['EOSE', 'ok']);
  });

  it('bad lines get NOTICEs and the session goes on; an over-long line is skipped', async () => {
    h = new Harness({ limits: { maxLineBytes: 2048 } });
    const conn = await open();
    const { stream, reader, write } = session(conn);
    stream.write('not json\n');
    expect((await reader.next())[0]).toBe('NOTICE');
    stream.write(`["REQ","long",{"ids":["${'a'.repeat(3000)}"]}]\n`);
    expect(await reader.next()).toEqual(['NOTICE', expect.stringMatching(/^invalid: message .* over the limit of 2048/)]);
    stream.write('\r\n\n');
    write(['REQ', 'after', { ids: ['0'.repeat(64)] }]);
    expect(await reader.next()).toEqual(['EOSE', 'after']);
  });

  it('lines split across writes and packets are reassembled', async () => {
    h = new Harness();
    const conn = await open();
    const { stream, reader } = session(conn);
    const ev = sign('split ✓ across writes');
    const line = Buffer.from(`${JSON.stringify(['EVENT', ev])}\n`);
    for (let i = 0; i < line.length; i += 7) {
      stream.write(line.subarray(i, i + 7));
      if (i % 28 === 0) await new Promise((r) => setTimeout(r, 2));
    }
    expect(await reader.next()).toEqual(['OK', ev.id, true, '']);
  });

  it('the operator connection refuses NIP-01 with a NOTICE, once per stream, and still takes money', async () => {
    h = new Harness();
    const conn = await open('/.well-known/pay');
    const { stream, reader, write } = session(conn);
    write(['REQ', 'x', { kinds: [1] }]);
    write(['REQ', 'y', { kinds: [1] }]);
    expect(await reader.next()).toEqual(['NOTICE', expect.stringMatching(/^restricted: .*\/pay\/<pubkey>/)]);
    await stream.sendTotal(42);
    await new Promise((r) => setTimeout(r, 50));
    expect(reader.messages).toHaveLength(1);
    expect(h.relay.subscriptions.size).toBe(0);
    expect(h.balance('equity/owner')).toBe(42n);
  });

  it('a client that disappears is taken as gone after failed pushes: connection and sessions closed', async () => {
    h = new Harness({ limits: { maxPushFailures: 3 } });
    const conn = await open();
    const { reader, write } = session(conn);
    write(['REQ', 'live', { kinds: [1] }]);
    expect(await reader.next()).toEqual(['EOSE', 'live']);
    await h.plugins[0].disconnect();
    const other = h.session();
    h.relay.handle(other, JSON.stringify(['EVENT', sign('into the void')]));
    await new Promise((r) => setTimeout(r, 600));
    expect(h.pushes.filter((p) => !isFulfill(p.reply)).length).toBe(3);
    expect(h.receiver.connectionCount).toBe(0);
    expect(h.relay.subscriptions.size).toBe(0);
  });
});

// Issue #13 item 1: a `/pay/<victim>` credential is public; a session on it must not spend the victim's balance.
describe('who pays in a paid session', () => {
  const PRICE = 100n;
  const victimKey = generateSecretKey();
  const victim = getPublicKey(victimKey);

  it('the author, never the session pubkey: an attacker on the victim credential cannot spend the victim balance', async () => {
    h = new Harness({ env: { PRICE_BASE: PRICE.toString() } });
    const paying = await open(`/pay/${victim}`);
    await paying.createStream().sendTotal(100_000);
    expect(h.balance(balanceAccount(victim))).toBe(100_000n);

    const attackerKey = generateSecretKey();
    const attacker = getPublicKey(attackerKey);
    const conn = await open(`/pay/${victim}`, 'mallory');
    const { reader, write } = session(conn);
    const events = Array.from({ length: 20 }, (_, i) => sign(`attacker note ${i}`, 1, attackerKey));
    for (const e of events) write(['EVENT', e]);
    const oks = () => reader.messages.filter((m) => m[0] === 'OK');
    for (let t = 0; t < 200 && oks().length < events.length; t++) await new Promise((r) => setTimeout(r, 25));
    for (const e of events) {
      const ok = oks().find((m) => m[1] === e.id)!;
      expect(ok[2]).toBe(false);
      // price and where the author pays; no balance for a session that has not proven the key
      expect(ok[3]).toBe(`restricted: payment required: price ${PRICE} (USD, scale 9); pay to /pay/${attacker}`);
    }
    expect(h.balance(balanceAccount(victim))).toBe(100_000n);
    expect(h.balance('revenue/relay-fees')).toBe(0n);

    // funded, the attacker's own balance pays for its events, to the unit; the victim's stays untouched
    await (await open(`/pay/${attacker}`, 'wallet')).createStream().sendTotal(250);
    const paid = sign('attacker pays itself', 1, attackerKey);
    write(['EVENT', paid]);
    for (let t = 0; t < 200 && !oks().some((m) => m[1] === paid.id); t++) await new Promise((r) => setTimeout(r, 25));
    expect(oks().find((m) => m[1] === paid.id)).toEqual(['OK', paid.id, true, '']);
    expect(h.balance(balanceAccount(attacker))).toBe(150n);
    expect(h.balance(balanceAccount(victim))).toBe(100_000n);
    expect(h.balance('revenue/relay-fees')).toBe(PRICE);
    expect(h.ledger.invariant().balanced).toBe(true);
  });

  it('shows the balance in the refusal only after NIP-42 AUTH of the author in that session', async () => {
    const url = 'wss://relay.example';
    h = new Harness({ env: { PRICE_BASE: PRICE.toString(), PUBLIC_URL: url } });
    await (await open(`/pay/${victim}`)).createStream().sendTotal(42);
    const conn = await open(`/pay/${victim}`);
    const { reader, write } = session(conn);
    const costly = sign('x'.repeat(10), 1, victimKey);
    // a price above the balance: PRICE_BASE 100 > 42
    write(['EVENT', costly]);
    const challenge = (await reader.next((m) => m[0] === 'AUTH'))[1] as string;
    const before = await reader.next((m) => m[0] === 'OK' && m[1] === costly.id);
    expect(before[3]).toBe(`restricted: payment required: price ${PRICE} (USD, scale 9); pay to $relay.example/pay/${victim}`);

    const auth = sign('', 22242, victimKey, [
      ['relay', url],
      ['challenge', challenge],
    ]);
    write(['AUTH', auth]);
    expect(await reader.next((m) => m[0] === 'OK' && m[1] === auth.id)).toEqual(['OK', auth.id, true, '']);
    const again = sign('y'.repeat(10), 1, victimKey);
    write(['EVENT', again]);
    expect((await reader.next((m) => m[0] === 'OK' && m[1] === again.id))[3]).toBe(
      `restricted: payment required: price ${PRICE}, balance 42 (USD, scale 9); pay to $relay.example/pay/${victim}`,
    );
    // another author's refusal in the same session still hides that author's balance
    const other = sign('z', 1);
    write(['EVENT', other]);
    expect((await reader.next((m) => m[0] === 'OK' && m[1] === other.id))[3]).not.toMatch(/balance/);
  });
});

describe('NIP-42 in a paid session', () => {
  it('with AUTH_REQUIRED the challenge comes when the stream opens, and AUTH lets the session read', async () => {
    const url = 'wss://relay.example';
    h = new Harness({ env: { AUTH_REQUIRED: 'true', PUBLIC_URL: url } });
    const conn = await open();
    const { reader, write } = session(conn);
    write(['CLOSE', 'nothing']); // no answer of its own: what comes is the challenge of the stream's opening
    const challenge = (await reader.next())[1] as string;
    expect(reader.messages).toEqual([['AUTH', challenge]]);
    write(['REQ', 'before', { kinds: [1] }]);
    expect(await reader.next()).toEqual(['CLOSED', 'before', expect.stringMatching(/^auth-required:/)]);
    const auth = sign('', 22242, payerKey, [
      ['relay', url],
      ['challenge', challenge],
    ]);
    write(['AUTH', auth]);
    expect(await reader.next((m) => m[0] === 'OK')).toEqual(['OK', auth.id, true, '']);
    write(['REQ', 'after', { kinds: [1] }]);
    expect(await reader.next()).toEqual(['EOSE', 'after']);
  });
});
