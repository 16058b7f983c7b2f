import { createHash, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { createRequire } from 'node:module';
import { setupPayment, startQuote, pay, closeConnection } from '@interledger/pay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ILP_PACKET_BYTES } from '../../src/connector/http-post';
import { decodeIlpPacket, encodeIlpPacket, IlpPacketType, type IlpPrepare } from '../../src/ilp';
import { ConfigError } from '../../src/config/schema';
import { loadConfig, startPeer, type StartedPeer } from '../../src/library';
import { signer } from '../helpers/client';
import { httpPeer, rafikiClient, type Received } from '../helpers/ilp-http';
import { readLedger } from '../helpers/ledger';
import { spsp } from '../helpers/payer';

const require = createRequire(import.meta.url);
const BtpPlugin = require('ilp-plugin-btp');
const ILDCP = require('ilp-protocol-ildcp');

// Rafiki's two tokens: the one it sends us (its http.outgoing.authToken, our `token`) and the one we send it.
const RAFIKI_IN = 'rafiki-incoming-token-0123';
const RAFIKI_OUT = 'rafiki-outgoing-token-4567';
const ALICE = 'alice-btp-token-0123456789';
const DOWN = 'down-peer-token-0123456789';

let peer: StartedPeer;
let rafiki: Awaited<ReturnType<typeof httpPeer>>;
let client: ReturnType<typeof rafikiClient>;
let alice: { connect(): Promise<void>; disconnect(): Promise<void>; sendData(d: Buffer): Promise<Buffer> };

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest();
const prepare = (over: Partial<IlpPrepare> & { fulfillment?: Uint8Array } = {}): Uint8Array => {
  const { fulfillment = randomBytes(32), ...rest } = over;
  return encodeIlpPacket({
    type: IlpPacketType.Prepare,
    amount: 100n,
    expiresAt: new Date(Date.now() + 10_000),
    executionCondition: sha256(fulfillment),
    destination: 'test.rafiki.bob',
    data: new Uint8Array(0),
    ...rest,
  });
};
const fulfill = (fulfillment: Uint8Array) => encodeIlpPacket({ type: IlpPacketType.Fulfill, fulfillment, data: new Uint8Array(0) });
const decode = (b: Uint8Array) => decodeIlpPacket(new Uint8Array(b));
const until = async (check: () => boolean, ms = 5000) => {
  for (const end = Date.now() + ms; !check(); ) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const positions = () => {
  const l = readLedger(peer.config.dataDir);
  const a = l.account('assets/interledger/alice');
  const r = l.account('assets/interledger/rafiki');
  const out = {
    alice: a.debitsPosted - a.creditsPosted,
    rafiki: r.debitsPosted - r.creditsPosted,
    pending: a.debitsPending + a.creditsPending + r.debitsPending + r.creditsPending,
    sum: l.sum(),
  };
  l.close();
  return out;
};

beforeAll(async () => {
  rafiki = await httpPeer();
  peer = await startPeer({
    ILP_ADDRESS: 'test.peer',
    TRUSTED_PROXIES: '127.0.0.1',
    DASHBOARD_USER: 'op',
    DASHBOARD_PASSWORD: 'dashboard-password-0123',
    ILP_PEERS: JSON.stringify([
      { id: 'rafiki', token: RAFIKI_IN, creditLimit: '1000000000', routes: ['test.rafiki'], http: { url: rafiki.url, token: RAFIKI_OUT } },
      { id: 'alice', token: ALICE, creditLimit: '100000' },
      // an endpoint nobody listens on
      { id: 'down', token: DOWN, creditLimit: '0', routes: ['test.down'], http: { url: 'http://127.0.0.1:9/ilp', token: 'x' } },
    ]),
  });
  client = rafikiClient(`${peer.httpUrl}/ilp`, RAFIKI_IN);
  alice = new BtpPlugin({ server: `btp+ws://:${ALICE}@127.0.0.1:${peer.port}/btp`, responseTimeout: 15_000 });
  await alice.connect();
});
afterAll(async () => {
  await alice?.disconnect();
  client?.close();
  await peer?.stop();
  await rafiki?.close();
});

describe('POST /ilp from a Rafiki-shaped peer', () => {
  it('carries a whole @interledger/pay payment (rate probes first) to /pay/<pubkey>: exact balance, exact peer position', async () => {
    const payee = signer().pubkey;
    const before = positions();
    const creds = await spsp(peer.httpUrl, `/pay/${payee}`);
    // as Rafiki's resolveIlpDestination: the STREAM credentials and the asset, then quote (probes) and pay
    const destination = await setupPayment({
      plugin: client.plugin,
      destinationAddress: creds.destination_account,
      sharedSecret: Buffer.from(creds.shared_secret, 'base64'),
      destinationAsset: { code: 'USD', scale: 9 },
    });
    const quote = await startQuote({ plugin: client.plugin, destination, amountToSend: 123_456n, sourceAsset: { code: 'USD', scale: 9 } });
    const receipt = await pay({ plugin: client.plugin, destination, quote });
    await closeConnection(client.plugin, destination).catch(() => undefined);
    expect(receipt.error).toBeUndefined();
    expect(receipt.amountSent).toBe(123_456n);
    expect(receipt.amountDelivered).toBe(123_456n);
    const l = readLedger(peer.config.dataDir);
    const bal = l.account(`liabilities/balances/${payee}`);
    expect(bal.creditsPosted - bal.debitsPosted).toBe(123_456n);
    l.close();
    const after = positions();
    expect(after.rafiki - before.rafiki).toBe(123_456n);
    expect(after.pending).toBe(0n);
    expect(after.sum).toBe(0n);
  });

  it('answers ILDCP peer.config with <ILP_ADDRESS>.<peer id> and the asset', async () => {
    expect(await ILDCP.fetch(client.plugin.sendData)).toEqual({ clientAddress: 'test.peer.rafiki', assetCode: 'USD', assetScale: 9 });
  });

  it('fulfills a peer.heartbeat with the preimage at the start of its data; refuses one with money', async () => {
    const preimage = randomBytes(32);
    const hb = (amount: bigint) => prepare({ destination: 'peer.heartbeat', amount, fulfillment: preimage, data: preimage });
    const ok = await client.post(hb(0n));
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toBe('application/octet-stream');
    expect(decode(ok.body)).toMatchObject({ type: IlpPacketType.Fulfill, fulfillment: new Uint8Array(preimage) });
    expect(decode((await client.post(hb(5n))).body)).toMatchObject({ type: IlpPacketType.Reject, code: 'F00' });
  });

  it('answers a packet outcome as 200 with a Reject body (F02 for no route), never as an HTTP error', async () => {
    const r = await client.post(prepare({ destination: 'g.nowhere' }));
    expect(r.status).toBe(200);
    expect(decode(r.body)).toMatchObject({ type: IlpPacketType.Reject, code: 'F02', triggeredBy: 'test.peer' });
  });
});

describe('POST /ilp refusals', () => {
  const raw = (headers: Record<string, string>, body: Uint8Array = prepare()) => rafikiClient(`${peer.httpUrl}/ilp`, '').post(body, headers);

  it('401 without a token or with an unknown one', async () => {
    const none = await raw({ Authorization: '', 'X-Forwarded-For': '198.51.100.1' });
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    expect(JSON.parse(String(none.body)).error).toMatch(/^unauthorized: /);
    const wrong = await raw({ Authorization: 'Bearer not-a-configured-token', 'X-Forwarded-For': '198.51.100.1' });
    expect(wrong.status).toBe(401);
    // the BTP token of a peer is its HTTP token too; our outgoing token to Rafiki is not an incoming one
    expect((await raw({ Authorization: `Bearer ${RAFIKI_OUT}`, 'X-Forwarded-For': '198.51.100.1' })).status).toBe(401);
    expect((await raw({ Authorization: `Bearer ${ALICE}` }, prepare({ destination: 'g.nowhere' }))).status).toBe(200);
  });

  it('429 with Retry-After past 10 wrong tokens from one address, without checking; other addresses unaffected', async () => {
    const from = (ip: string, token: string) => raw({ Authorization: `Bearer ${token}`, 'X-Forwarded-For': ip }, prepare({ destination: 'g.nowhere' }));
    for (let i = 0; i < 10; i++) expect((await from('203.0.113.7', `guess-${i}`)).status).toBe(401);
    const blocked = await from('203.0.113.7', 'guess-10');
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    // even the right token waits: guesses are not checked at all meanwhile
    expect((await from('203.0.113.7', RAFIKI_IN)).status).toBe(429);
    expect((await from('203.0.113.8', RAFIKI_IN)).status).toBe(200);
  });

  it('400 for another content type, a body that is not a Prepare, or no packet at all', async () => {
    const auth = { Authorization: `Bearer ${RAFIKI_IN}` };
    const text = await raw({ ...auth, 'Content-Type': 'text/plain' });
    expect(text.status).toBe(400);
    expect(JSON.parse(String(text.body)).error).toMatch(/Content-Type must be application\/octet-stream/);
    expect((await raw(auth, fulfill(randomBytes(32)))).status).toBe(400);
    expect((await raw(auth, randomBytes(40))).status).toBe(400);
    expect((await raw(auth, new Uint8Array(0))).status).toBe(400);
  });

  it('413 above the largest legal ILP packet, declared or streamed', async () => {
    const auth = { Authorization: `Bearer ${RAFIKI_IN}` };
    const big = new Uint8Array(MAX_ILP_PACKET_BYTES + 1);
    const declared = await raw(auth, big);
    expect(declared.status).toBe(413);
    expect(JSON.parse(String(declared.body)).error).toMatch(/at most 33857 bytes/);
    // chunked: no Content-Length, the bound holds on the bytes that arrive
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${peer.httpUrl}/ilp`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/octet-stream' } });
      req.on('response', (res) => resolve(res.statusCode ?? 0));
      req.on('error', reject);
      for (let i = 0; i < 5; i++) req.write(big.subarray(0, 10_000));
      req.end();
    });
    expect(chunked).toBe(413);
    // the largest legal packet itself is read
    const largest = prepare({ destination: `g.${'a'.repeat(1021)}`, data: new Uint8Array(32767) });
    expect(largest.byteLength).toBe(MAX_ILP_PACKET_BYTES);
    const ok = await raw(auth, largest);
    expect(ok.status).toBe(200);
    expect(decode(ok.body)).toMatchObject({ code: 'F02' });
  });
});

describe('POST /ilp time bound', () => {
  it('answers 408 when the body does not arrive within 5 s, even as a trickle, and keeps serving', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${peer.httpUrl}/ilp`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${RAFIKI_IN}`, 'Content-Type': 'application/octet-stream', 'Content-Length': '200' },
      });
      const body = prepare();
      let sent = 0;
      // a byte every second: never idle long enough for uWS's own 10 s idle timeout
      const trickle = setInterval(() => req.write(body.subarray(sent, ++sent)), 1000);
      req.on('response', (res) => {
        clearInterval(trickle);
        resolve(res.statusCode ?? 0);
      });
      req.on('error', (err) => {
        clearInterval(trickle);
        reject(err);
      });
    });
    expect(status).toBe(408);
    expect((await client.post(prepare({ destination: 'g.nowhere' }))).status).toBe(200);
  }, 20_000);
});

describe('forwarding to an ILP-over-HTTP peer', () => {
  it('POSTs the Prepare as Rafiki expects it on a keep-alive connection and posts the money on a valid Fulfill', async () => {
    const before = positions();
    const fulfillment = randomBytes(32);
    rafiki.received.length = 0;
    rafiki.handler = () => ({ status: 200, body: fulfill(fulfillment) });
    for (let i = 0; i < 3; i++) {
      const r = decode(await alice.sendData(Buffer.from(prepare({ amount: 250n, fulfillment }))));
      expect(r).toMatchObject({ type: IlpPacketType.Fulfill, fulfillment: new Uint8Array(fulfillment) });
    }
    const seen = rafiki.received;
    expect(seen).toHaveLength(3);
    expect(seen[0].path).toBe('/ilp');
    expect(seen[0].headers.authorization).toBe(`Bearer ${RAFIKI_OUT}`);
    expect(seen[0].headers['content-type']).toBe('application/octet-stream');
    expect(decode(seen[0].body)).toMatchObject({ type: IlpPacketType.Prepare, amount: 250n, destination: 'test.rafiki.bob' });
    // one connection carried all three
    expect(new Set(seen.map((s) => s.socket)).size).toBe(1);
    const after = positions();
    expect(after.alice - before.alice).toBe(750n);
    expect(after.rafiki - before.rafiki).toBe(-750n);
    expect(after.pending).toBe(0n);
    expect(after.sum).toBe(0n);
  });

  it("relays the peer's Reject, and moves nothing", async () => {
    const before = positions();
    rafiki.handler = () => ({
      status: 200,
      body: encodeIlpPacket({ type: IlpPacketType.Reject, code: 'F99', triggeredBy: 'test.rafiki', message: 'no', data: new Uint8Array([7]) }),
    });
    expect(decode(await alice.sendData(Buffer.from(prepare())))).toMatchObject({ code: 'F99', triggeredBy: 'test.rafiki', message: 'no' });
    expect(positions()).toEqual(before);
  });

  it('rejects F05 and moves nothing on a fulfillment that does not match', async () => {
    const before = positions();
    rafiki.handler = () => ({ status: 200, body: fulfill(randomBytes(32)) });
    expect(decode(await alice.sendData(Buffer.from(prepare())))).toMatchObject({ code: 'F05' });
    expect(positions()).toEqual(before);
  });

  it('rejects R00 and voids when the peer does not answer before the expiry', async () => {
    const before = positions();
    rafiki.handler = () => 'hang';
    const r = decode(await alice.sendData(Buffer.from(prepare({ expiresAt: new Date(Date.now() + 1_600) }))));
    expect(r).toMatchObject({ code: 'R00' });
    expect(positions()).toEqual(before);
  });

  it('rejects T01 and voids on an HTTP error, an unreadable answer, or an endpoint nobody serves', async () => {
    const before = positions();
    rafiki.handler = () => ({ status: 503 });
    expect(decode(await alice.sendData(Buffer.from(prepare())))).toMatchObject({ code: 'T01', triggeredBy: 'test.peer', message: 'peer rafiki answered HTTP 503' });
    rafiki.handler = () => ({ status: 200, body: randomBytes(20) });
    expect(decode(await alice.sendData(Buffer.from(prepare())))).toMatchObject({ code: 'T01', message: 'peer rafiki answered without an ILP reply' });
    expect(decode(await alice.sendData(Buffer.from(prepare({ destination: 'test.down.x', amount: 0n }))))).toMatchObject({ code: 'T01' });
    expect(positions()).toEqual(before);
  });

  it('reports each link in /metrics and on the dashboard', async () => {
    rafiki.handler = () => ({ status: 200, body: fulfill(randomBytes(32)) });
    const text = await (await fetch(`${peer.httpUrl}/metrics`)).text();
    expect(text).toMatch(/ilp_link_packets_total\{peer="rafiki",kind="http",direction="in",result="fulfilled"\} [1-9]/);
    expect(text).toMatch(/ilp_link_packets_total\{peer="rafiki",kind="http",direction="out",result="fulfilled"\} 3/);
    expect(text).toMatch(/ilp_link_packets_total\{peer="rafiki",kind="http",direction="out",result="F05"\} 1/);
    expect(text).toMatch(/ilp_link_packets_total\{peer="alice",kind="btp",direction="in",result="F05"\} 1/);
    expect(text).toMatch(/ilp_link_packets_total\{peer="down",kind="http",direction="out",result="error"\} 1/);
    expect(text).toContain('ilp_peer_link_up{peer="alice",kind="btp"} 1');
    expect(text).toContain('ilp_peer_link_up{peer="down",kind="http"} 0');
    expect(text).toMatch(/ilp_http_request_duration_seconds_count\{peer="rafiki"\} [1-9]/);
    const auth = `Basic ${Buffer.from('op:dashboard-password-0123').toString('base64')}`;
    const s = (await (await fetch(`${peer.httpUrl}/dashboard/api/summary`, { headers: { Authorization: auth } })).json()) as {
      ilp: { links: { peer: string; kind: string; state: string; error: string | null; packets: { out: { fulfilled: number } } }[] };
    };
    const row = (p: string, k: string) => s.ilp.links.find((l) => l.peer === p && l.kind === k);
    expect(row('alice', 'btp')).toMatchObject({ state: 'connected' });
    expect(row('rafiki', 'http')).toMatchObject({ state: 'down', packets: { out: { fulfilled: 3 } } });
    expect(row('down', 'http')).toMatchObject({ state: 'down', error: expect.stringMatching(/unreachable over HTTP/) });
    expect(row('alice', 'http')).toBeUndefined();
  });
});

describe('async mode (Prefer: respond-async)', () => {
  const asyncPost = (body: Uint8Array, requestId: string, callback = `${rafiki.origin}/callback`) =>
    client.post(body, { Prefer: 'respond-async', 'Request-Id': requestId, 'Callback-Url': callback });
  /** Packets from rafiki over HTTP that we fulfilled, from /metrics. */
  const fulfilledIn = async () => {
    const text = await (await fetch(`${peer.httpUrl}/metrics`)).text();
    return Number(/ilp_link_packets_total\{peer="rafiki",kind="http",direction="in",result="fulfilled"\} (\d+)/.exec(text)?.[1] ?? 0);
  };
  const callbacks = (id: string) => rafiki.received.filter((r) => r.path === '/callback' && r.headers['request-id'] === id);

  it('answers 202 at once and POSTs the reply once to the callback with the same Request-Id; a repeat is not processed again', async () => {
    rafiki.handler = () => ({ status: 200 });
    const id = randomUUID();
    const preimage = randomBytes(32);
    const hb = prepare({ destination: 'peer.heartbeat', amount: 0n, fulfillment: preimage, data: preimage });
    const before = await fulfilledIn();
    const r = await asyncPost(hb, id);
    expect(r.status).toBe(202);
    expect((await asyncPost(hb, id)).status).toBe(202);
    await until(() => callbacks(id).length > 0);
    await sleep(300);
    const got = callbacks(id);
    expect(got).toHaveLength(1);
    expect(got[0].headers.authorization).toBe(`Bearer ${RAFIKI_OUT}`);
    expect(got[0].headers['content-type']).toBe('application/octet-stream');
    expect(decode(got[0].body)).toMatchObject({ type: IlpPacketType.Fulfill, fulfillment: new Uint8Array(preimage) });
    expect((await fulfilledIn()) - before).toBe(1);
  });

  it('retries a callback answered 503 until it is taken', async () => {
    let calls = 0;
    rafiki.handler = (r: Received) => (r.path === '/callback' && ++calls === 1 ? { status: 503 } : { status: 200 });
    const id = randomUUID();
    expect((await asyncPost(prepare({ destination: 'g.nowhere' }), id)).status).toBe(202);
    await until(() => callbacks(id).length >= 2);
    await sleep(300);
    const got = callbacks(id);
    expect(got).toHaveLength(2);
    expect(decode(got[1].body)).toMatchObject({ type: IlpPacketType.Reject, code: 'F02' });
  });

  it('processes two copies of one Request-Id sent at once only once (the first still sending its body)', async () => {
    rafiki.handler = () => ({ status: 200 });
    const id = randomUUID();
    const body = prepare({ destination: 'g.nowhere' });
    const slow = http.request(`${peer.httpUrl}/ilp`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${RAFIKI_IN}`,
        'Content-Type': 'application/octet-stream',
        'Content-Length': String(body.byteLength),
        Prefer: 'respond-async',
        'Request-Id': id,
        'Callback-Url': `${rafiki.origin}/callback`,
      },
    });
    const first = new Promise<number>((resolve, reject) => {
      slow.on('response', (res) => resolve(res.statusCode ?? 0));
      slow.on('error', reject);
    });
    slow.write(body.subarray(0, 10));
    await sleep(200);
    expect((await asyncPost(body, id)).status).toBe(202);
    slow.end(body.subarray(10));
    expect(await first).toBe(202);
    await until(() => callbacks(id).length > 0);
    await sleep(300);
    expect(callbacks(id)).toHaveLength(1);
  });

  it('processes a corrected retry of an async request that was refused for its body, under the same Request-Id', async () => {
    rafiki.handler = () => ({ status: 200 });
    const id = randomUUID();
    expect((await asyncPost(randomBytes(30), id)).status).toBe(400);
    expect((await asyncPost(prepare({ destination: 'g.nowhere' }), id)).status).toBe(202);
    await until(() => callbacks(id).length > 0);
    expect(decode(callbacks(id)[0].body)).toMatchObject({ code: 'F02' });
  });

  it("refuses a callback outside the peer's configured origin, and an incomplete async request", async () => {
    const foreign = await asyncPost(prepare(), randomUUID(), 'http://localhost:1/callback');
    expect(foreign.status).toBe(400);
    expect(JSON.parse(String(foreign.body)).error).toMatch(/origin of the peer's configured http.url/);
    expect((await asyncPost(prepare(), 'not-a-uuid')).status).toBe(400);
    expect((await asyncPost(prepare(), randomUUID(), 'not a url')).status).toBe(400);
    // a peer without an http entry has no origin to call back
    const a = rafikiClient(`${peer.httpUrl}/ilp`, ALICE);
    expect((await a.post(prepare(), { Prefer: 'respond-async', 'Request-Id': randomUUID(), 'Callback-Url': `${rafiki.origin}/callback` })).status).toBe(400);
    a.close();
  });
});

describe('draining', () => {
  it('answers 503 on a kept-alive connection once the peer is stopping, while the packets in flight finish', async () => {
    const upstream = await httpPeer();
    const p = await startPeer({
      ILP_PEERS: JSON.stringify([
        { id: 'up', token: RAFIKI_IN, creditLimit: '1000', routes: ['test.up'], http: { url: upstream.url, token: RAFIKI_OUT } },
        { id: 'alice', token: ALICE, creditLimit: '1000' },
      ]),
    });
    const c = rafikiClient(`${p.httpUrl}/ilp`, ALICE);
    // a second client with a kept-alive connection: once the listen socket closes, only such a one still reaches it
    const late = rafikiClient(`${p.httpUrl}/ilp`, ALICE);
    expect((await late.post(prepare({ destination: 'g.nowhere' }))).status).toBe(200);
    let release: (() => void) | undefined;
    const fulfillment = randomBytes(32);
    upstream.handler = () => new Promise((resolve) => (release = () => resolve({ status: 200, body: fulfill(fulfillment) })));
    const inFlight = c.post(prepare({ destination: 'test.up.x', fulfillment }));
    await until(() => release !== undefined);
    const stopped = p.stop();
    await sleep(50);
    const refused = await late.post(prepare({ destination: 'g.nowhere' }));
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('5');
    release!();
    const r = await inFlight;
    expect(r.status).toBe(200);
    expect(decode(r.body)).toMatchObject({ type: IlpPacketType.Fulfill });
    await stopped;
    c.close();
    late.close();
    await upstream.close();
  });
});

describe('ILP_PEERS http entry', () => {
  const peers = (http: unknown) => JSON.stringify([{ id: 'r', token: 'x'.repeat(20), http }]);
  it.each([
    [{ url: 'ftp://rafiki.example/ilp', token: 't' }, /entry 0: "http.url" must be an http:\/\/ or https:\/\/ URL/],
    [{ url: 'not a url', token: 't' }, /entry 0: "http.url"/],
    [{ url: 'https://rafiki.example/ilp' }, /entry 0: "http.token" must be a non-empty string/],
    [{ url: 'https://rafiki.example/ilp', token: 'two words' }, /entry 0: "http.token"/],
    ['https://rafiki.example/ilp', /entry 0: "http" must be an object/],
  ])('refuses %j with one line naming ILP_PEERS', (http, message) => {
    expect(() => loadConfig({ ILP_PEERS: peers(http) })).toThrow(ConfigError);
    expect(() => loadConfig({ ILP_PEERS: peers(http) })).toThrow(message);
  });

  it('keeps a valid one', () => {
    expect(loadConfig({ ILP_PEERS: peers({ url: 'https://rafiki.example:3002/ilp', token: 't' }) }).ilpPeers[0].http).toEqual({
      url: 'https://rafiki.example:3002/ilp',
      token: 't',
    });
  });
});
