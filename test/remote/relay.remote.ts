/**
 * Smoke and integration suite against any deployed peer:
 *   RELAY_URL=wss://relay.example.com npm run test:remote
 *   RELAY_URL=… BTP_TOKEN=<a token from the peer's ILP_PEERS> npm run test:remote   # also pays, if the relay charges
 * Optional: BTP_URL (default btp+wss://host/btp from RELAY_URL), REMOTE_TIMEOUT_MS (default 10000).
 * It publishes a few kind-1 notes from a throwaway key; each carries a NIP-40 expiration 10 minutes ahead, so a
 * relay that honours NIP-40 drops them soon after. Without RELAY_URL every test is skipped.
 */
import { createRequire } from 'node:module';
import type { NostrEvent } from '../../src/nostr/event';
import WebSocket from 'ws';
import { finalizeEvent, generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const RELAY_URL = process.env.RELAY_URL ?? '';
const BTP_TOKEN = process.env.BTP_TOKEN ?? '';
const TIMEOUT = Number(process.env.REMOTE_TIMEOUT_MS ?? 10_000);
if (!RELAY_URL) console.warn('test:remote: RELAY_URL is not set (e.g. RELAY_URL=wss://relay.example.com); skipping every test');

const wsUrl = RELAY_URL.replace(/\/$/, '');
const httpUrl = wsUrl.replace(/^ws(s?):/, 'http$1:');
const btpUrl = () => {
  if (process.env.BTP_URL) return process.env.BTP_URL;
  const u = new URL(wsUrl);
  return `btp+${u.protocol}//remote-test:${encodeURIComponent(BTP_TOKEN)}@${u.host}/btp`;
};

type Message = unknown[];
type Event = NostrEvent;

/** A WebSocket client that keeps every relay message and waits for the next one that matches. */
class Client {
  private messages: Message[] = [];
  private waiters: { test: (m: Message) => boolean; resolve: (m: Message) => void }[] = [];
  private constructor(private ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as Message;
      const w = this.waiters.find((x) => x.test(m));
      if (w) {
        this.waiters = this.waiters.filter((x) => x !== w);
        w.resolve(m);
      } else this.messages.push(m);
    });
  }
  static async connect(url: string): Promise<Client> {
    const ws = new WebSocket(url, { handshakeTimeout: TIMEOUT });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new Client(ws);
  }
  send(msg: unknown[]): void {
    this.ws.send(JSON.stringify(msg));
  }
  next(test: (m: Message) => boolean, what: string): Promise<Message> {
    const i = this.messages.findIndex(test);
    if (i >= 0) return Promise.resolve(this.messages.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${TIMEOUT} ms`)), TIMEOUT);
      this.waiters.push({ test, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  }
  async publish(e: Event): Promise<[string, string, boolean, string]> {
    this.send(['EVENT', e]);
    return (await this.next((m) => m[0] === 'OK' && m[1] === e.id, `OK for ${e.id}`)) as [string, string, boolean, string];
  }
  /** REQ, then the stored events up to EOSE (or the CLOSED that refuses it). */
  async req(sub: string, ...filters: object[]): Promise<{ events: Event[]; closed?: string }> {
    this.send(['REQ', sub, ...filters]);
    const events: Event[] = [];
    for (;;) {
      const m = await this.next((x) => x[1] === sub && ['EVENT', 'EOSE', 'CLOSED'].includes(x[0] as string), `EOSE for ${sub}`);
      if (m[0] === 'EVENT') events.push(m[2] as Event);
      else return m[0] === 'CLOSED' ? { events, closed: m[2] as string } : { events };
    }
  }
  close(): void {
    this.ws.close();
  }
}

const sk = generateSecretKey();
const pubkey = getPublicKey(sk);
const expiration = () => String(Math.floor(Date.now() / 1000) + 600);
// A plain object, as it comes back from the relay (nostr-tools marks its own events with a symbol).
const note = (content: string): Event =>
  JSON.parse(
    JSON.stringify(
      finalizeEvent(
        { kind: 1, created_at: Math.floor(Date.now() / 1000), tags: [['expiration', expiration()], ['t', 'ilp-nostr-peer-remote-test']], content },
        sk,
      ),
    ),
  ) as Event;

let client: Client;
/** Set when the relay refuses the first publish with `restricted: payment required: price P …` (the balance of this
 * fresh key is 0; the relay names it only after NIP-42 AUTH). */
let payment: { price: bigint; balance: bigint; message: string } | undefined;

describe.skipIf(!RELAY_URL)(`deployed peer at ${RELAY_URL || '(RELAY_URL unset)'}`, () => {
  beforeAll(async () => {
    client = await Client.connect(wsUrl);
  });
  afterAll(() => client?.close());

  it('serves NIP-11 with CORS', async () => {
    const res = await fetch(`${httpUrl}/`, { headers: { Accept: 'application/nostr+json' }, signal: AbortSignal.timeout(TIMEOUT) });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const info = (await res.json()) as { name?: string; supported_nips?: number[]; limitation?: { payment_required?: boolean } };
    expect(typeof info.name).toBe('string');
    expect(info.supported_nips).toEqual(expect.arrayContaining([1, 11]));
  });

  it('serves the HTML page to browsers', async () => {
    const res = await fetch(`${httpUrl}/`, { headers: { Accept: 'text/html' }, signal: AbortSignal.timeout(TIMEOUT) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
  });

  it('is healthy and ready', async () => {
    const res = await fetch(`${httpUrl}/health`, { signal: AbortSignal.timeout(TIMEOUT) });
    const body = (await res.json()) as { status: string; timestamp: string; uptime: number; version: string; services: Record<string, string> };
    expect({ http: res.status, status: body.status }).toEqual({ http: 200, status: 'ok' });
    expect(Number.isNaN(Date.parse(body.timestamp))).toBe(false);
    expect(body.uptime).toBeGreaterThanOrEqual(0);
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(body.services).toEqual({ database: 'ok', ledger: 'ok', websocket: 'ok' });
    expect((await fetch(`${httpUrl}/ready`, { signal: AbortSignal.timeout(TIMEOUT) })).status).toBe(200);
  });

  it('answers REQ with EOSE and keeps serving after CLOSE', async () => {
    const first = await client.req('remote-a', { kinds: [1], limit: 2 });
    expect(first.closed).toBeUndefined();
    expect(first.events.length).toBeLessThanOrEqual(2);
    client.send(['CLOSE', 'remote-a']);
    expect((await client.req('remote-b', { ids: ['0'.repeat(64)] })).events).toEqual([]);
    client.send(['CLOSE', 'remote-b']);
  });

  it('refuses an event with a bad signature', async () => {
    const e = note('bad signature');
    const [, , ok, message] = await client.publish({ ...e, sig: e.sig.replace(/.$/, (c) => (c === '0' ? '1' : '0')) });
    expect(ok).toBe(false);
    expect(message).toMatch(/^invalid: /);
  });

  it('accepts an EVENT (or says payment is required), then serves it to REQ and to a live subscription', async () => {
    const e = note(`ilp-nostr-peer remote test ${new Date().toISOString()}`);
    const [, id, ok, message] = await client.publish(e);
    expect(id).toBe(e.id);
    if (!ok) {
      const m = /^restricted: payment required: price (\d+)(?:, balance (\d+))?/.exec(message);
      expect(m, `refused: ${message}`).not.toBeNull();
      payment = { price: BigInt(m![1]), balance: BigInt(m![2] ?? 0), message };
      console.warn(`test:remote: the relay charges (${message}); ${BTP_TOKEN ? 'paying next' : 'set BTP_TOKEN to test paying'}`);
      return;
    }
    expect((await client.req('remote-c', { ids: [e.id] })).events).toEqual([e]);
    client.send(['CLOSE', 'remote-c']);

    // live: a second connection subscribed to this author sees the next note after its EOSE
    const watcher = await Client.connect(wsUrl);
    try {
      await watcher.req('remote-live', { authors: [pubkey], kinds: [1], since: e.created_at });
      const e2 = note('live fan-out');
      expect((await client.publish(e2))[2]).toBe(true);
      expect(await watcher.next((m) => m[0] === 'EVENT' && m[1] === 'remote-live' && (m[2] as Event).id === e2.id, 'live EVENT')).toEqual([
        'EVENT',
        'remote-live',
        e2,
      ]);
    } finally {
      watcher.close();
    }
  });

  it.skipIf(!BTP_TOKEN)('pays over Interledger (SPSP + STREAM over BTP) when payment is required, then publishes', async (ctx) => {
    if (!payment) return ctx.skip();
    const IlpStream = require('ilp-protocol-stream');
    const BtpPlugin = require('ilp-plugin-btp');
    const res = await fetch(`${httpUrl}/pay/${pubkey}`, { headers: { Accept: 'application/spsp4+json' }, signal: AbortSignal.timeout(TIMEOUT) });
    expect(res.status).toBe(200);
    const spsp = (await res.json()) as { destination_account: string; shared_secret: string };
    expect(spsp.destination_account).toMatch(/^[a-z0-9]+\./);

    const e = note(`ilp-nostr-peer paid remote test ${new Date().toISOString()}`);
    const [, , okBefore, refusal] = await client.publish(e);
    expect(okBefore).toBe(false);
    const m = /price (\d+)(?:, balance (\d+))?/.exec(refusal)!;
    const owed = BigInt(m[1]) - BigInt(m[2] ?? 0);

    const plugin = new BtpPlugin({ server: btpUrl(), responseTimeout: TIMEOUT });
    await plugin.connect();
    try {
      const conn = await IlpStream.createConnection({
        plugin,
        destinationAccount: spsp.destination_account,
        sharedSecret: Buffer.from(spsp.shared_secret, 'base64'),
      });
      await conn.createStream().sendTotal(owed.toString(), { timeout: TIMEOUT });
      await conn.end().catch(() => undefined);
    } finally {
      await plugin.disconnect();
    }
    expect(await client.publish(e)).toEqual(['OK', e.id, true, '']);
    expect((await client.req('remote-paid', { ids: [e.id] })).events).toEqual([e]);
  });
});
