// Requests that must be refused with the spec's error and move no money: unsigned, wrongly signed, replayed and
// expired signatures; grants for another wallet address or for outgoing payments; bad amounts; client key URLs that
// time out or are huge; packets for a completed or expired incoming payment. Also rotation, revocation, list, complete.
import type { KeyObject } from 'node:crypto';
import { createHeaders, generateJwk } from '@interledger/http-signature-utils';
import { isFinalizedGrant, type AuthenticatedClient } from '@interledger/open-payments';
import { pay, setupPayment, startQuote } from '@interledger/pay';
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StartedPeer } from '../../src/library';
import { readLedger } from '../helpers/ledger';
import { ClientWallets, startReceiver, walletPlugin } from './harness';

let peer: StartedPeer;
let wallets: ClientWallets;
let alice: Awaited<ReturnType<ClientWallets['client']>>;
const pubkey = getPublicKey(generateSecretKey());
const other = getPublicKey(generateSecretKey());
const asset = { assetCode: 'USD', assetScale: 2 };
let origin: string;
const wa = (pk: string) => `${origin}/pay/${pk}`;

beforeAll(async () => {
  // these cases make more grants a minute than one address may (rate.test.ts tests that bound)
  peer = await startReceiver({ OPEN_PAYMENTS_MAX_LIVE_PER_CLIENT: 3, OPEN_PAYMENTS_RATE_PER_IP: '0' });
  origin = `http://127.0.0.1:${peer.port}`;
  wallets = await ClientWallets.start();
  alice = await wallets.client('alice');
});

afterAll(async () => {
  await peer?.stop();
  await wallets?.close();
});

let clients = 0;
/** A client of its own per grant: Ed25519 signatures are deterministic, so the same request by the same client in
 * the same second carries the same signature and is refused as a replay. */
const fresh = () => wallets.client(`c${++clients}`);

async function grantFor(client: AuthenticatedClient, identifier: string, actions = ['create', 'read', 'complete', 'list']) {
  const grant = await client.grant.request(
    { url: `${origin}/op/auth` },
    { access_token: { access: [{ type: 'incoming-payment', actions: actions as any, identifier }] } },
  );
  if (!isFinalizedGrant(grant) || !grant.access_token) throw new Error('expected a non-interactive grant');
  return { access_token: grant.access_token, continue: grant.continue };
}

/** A request signed as the official client signs it, sent with fetch (so that it can be sent twice, or altered). */
async function signed(url: string, method: string, key: { privateKey: KeyObject; keyId: string }, body?: unknown, token?: string) {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (token) headers.Authorization = `GNAP ${token}`;
  const text = body === undefined ? undefined : JSON.stringify(body);
  const sig = await createHeaders({ request: { method, url, headers, body: text }, ...key });
  delete sig['Content-Length'];
  return () => fetch(url, { method, headers: { ...headers, ...sig }, body: text });
}

function moneyUnchanged() {
  const ledger = readLedger(peer.config.dataDir);
  const before = [ledger.account(`liabilities/balances/${pubkey}`).creditsPosted, ledger.account('assets/interledger/wallet').debitsPosted];
  return () => {
    expect([ledger.account(`liabilities/balances/${pubkey}`).creditsPosted, ledger.account('assets/interledger/wallet').debitsPosted]).toEqual(before);
    expect(ledger.sum()).toBe(0n);
    ledger.close();
  };
}

describe('grant requests', () => {
  const access = { access_token: { access: [{ type: 'incoming-payment', actions: ['create'] }] } };

  it('refuses an unsigned request: 401 invalid_client', async () => {
    const res = await fetch(`${origin}/op/auth`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ...access, client: alice.walletAddressUrl }),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_client' } });
  });

  it('refuses a request signed by a key the client does not publish: 401 invalid_client', async () => {
    const mallory = await wallets.client('mallory', { publish: false });
    const send = await signed(`${origin}/op/auth`, 'POST', { privateKey: mallory.privateKey, keyId: alice.keyId }, { ...access, client: alice.walletAddressUrl });
    const res = await send();
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_client', description: 'the signature is not valid' } });
  });

  it('refuses a body altered after signing (content-digest): 401', async () => {
    const url = `${origin}/op/auth`;
    const headers = { 'Content-Type': 'application/json' };
    const body = JSON.stringify({ ...access, client: alice.walletAddressUrl });
    const sig = await createHeaders({ request: { method: 'POST', url, headers, body }, privateKey: alice.privateKey, keyId: alice.keyId });
    delete sig['Content-Length'];
    const altered = body.replace('"create"', '"read"');
    const res = await fetch(url, { method: 'POST', headers: { ...headers, ...sig }, body: altered });
    expect(res.status).toBe(401);
  });

  it('refuses a replayed request: the same signature twice', async () => {
    const send = await signed(`${origin}/op/auth`, 'POST', alice, { ...access, client: alice.walletAddressUrl });
    expect((await send()).status).toBe(200);
    const again = await send();
    expect(again.status).toBe(401);
    expect(await again.json()).toMatchObject({ error: { code: 'invalid_client', description: expect.stringContaining('replay') } });
  });

  it('refuses a replay whose Signature header is written differently (base64 decoding skips spaces): one grant only', async () => {
    const c = await fresh();
    const url = `${origin}/op/auth`;
    const body = JSON.stringify({ ...access, client: c.walletAddressUrl });
    const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' };
    const sig = await createHeaders({ request: { method: 'POST', url, headers, body }, privateKey: c.privateKey, keyId: c.keyId });
    delete sig['Content-Length'];
    expect((await fetch(url, { method: 'POST', headers: { ...headers, ...sig }, body })).status).toBe(200);
    const spaced = sig['Signature'].replace('sig1=:', 'sig1=: ');
    const again = await fetch(url, { method: 'POST', headers: { ...headers, ...sig, Signature: spaced }, body });
    expect(again.status).toBe(401);
  });

  it('refuses an expired signature (created long ago)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() - 3600_000);
    let send: () => Promise<Response>;
    try {
      send = await signed(`${origin}/op/auth`, 'POST', alice, { ...access, client: alice.walletAddressUrl });
    } finally {
      vi.useRealTimers();
    }
    const res = await send();
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_client', description: expect.stringContaining('expired') } });
  });

  it('refuses a body over 32 KiB with 413', async () => {
    const res = await fetch(`${origin}/op/auth`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ...access, client: alice.walletAddressUrl, pad: 'x'.repeat(40 * 1024) }),
    });
    expect(res.status).toBe(413);
  });

  it('answers outgoing-payment (interactive) access with 400 invalid_request', async () => {
    const send = await signed(`${origin}/op/auth`, 'POST', alice, {
      access_token: { access: [{ type: 'outgoing-payment', actions: ['create'], identifier: wa(pubkey) }] },
      client: alice.walletAddressUrl,
      interact: { start: ['redirect'] },
    });
    const res = await send();
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_request', description: expect.stringContaining('interactive') } });
  });

  it('refuses a grant for a wallet address that is not ours: 400 invalid_request', async () => {
    await expect(grantFor(alice.client, 'https://wallet.example/bob')).rejects.toMatchObject({ status: 400, code: 'invalid_request' });
  });

  it('grants to a client that sends its key (client: {jwk}, directed identity) and publishes none', async () => {
    const anon = await wallets.client('anonymous', { publish: false });
    const jwk = generateJwk({ privateKey: anon.privateKey, keyId: anon.keyId });
    const grant = await anon.client.grant.request(
      { url: `${origin}/op/auth` },
      { access_token: { access: [{ type: 'incoming-payment', actions: ['create'], identifier: wa(pubkey) }] } },
      { jwk } as any,
    );
    if (!isFinalizedGrant(grant) || !grant.access_token) throw new Error('expected a non-interactive grant');
    const created = await anon.client.incomingPayment.create({ url: `${origin}/op`, accessToken: grant.access_token.value }, { walletAddress: wa(pubkey) });
    expect(created.methods).toHaveLength(1);
  });

  it('refuses a client key URL that times out, or whose JWKS is huge: 400 invalid_client, promptly', async () => {
    for (const name of ['slow', 'huge']) {
      const started = Date.now();
      const send = await signed(`${origin}/op/auth`, 'POST', alice, { ...access, client: `${wallets.base}/${name}` });
      const res = await send();
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { code: string; description: string } };
      expect(body.error.code).toBe('invalid_client');
      expect(body.error.description).toMatch(name === 'slow' ? /too long/ : /too large/);
      expect(Date.now() - started).toBeLessThan(5000);
    }
  });
});

describe('incoming payments', () => {
  it('refuses creation without a token (401 with WWW-Authenticate), or with a grant for another wallet address (403)', async () => {
    const check = moneyUnchanged();
    const res = await fetch(`${origin}/op/incoming-payments`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ walletAddress: wa(pubkey) }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(`GNAP as_uri=${origin}/op/auth`);
    const c = await fresh();
    const grant = await grantFor(c.client, wa(other));
    await expect(
      c.client.incomingPayment.create({ url: `${origin}/op`, accessToken: grant.access_token.value }, { walletAddress: wa(pubkey) }),
    ).rejects.toMatchObject({ status: 403 });
    check();
  });

  it('refuses a token presented with another client key: 401', async () => {
    const grant = await grantFor((await fresh()).client, wa(pubkey));
    const eve = await wallets.client('eve');
    await expect(
      eve.client.incomingPayment.create({ url: `${origin}/op`, accessToken: grant.access_token.value }, { walletAddress: wa(pubkey) }),
    ).rejects.toMatchObject({ status: 401 });
  });

  it.each([
    ['negative', { value: '-5', ...asset }],
    ['zero', { value: '0', ...asset }],
    ['huge', { value: '99999999999999999999', ...asset }],
    ['above 2^63', { value: '9223372036854775808', ...asset }],
    ['another asset', { value: '100', assetCode: 'EUR', assetScale: 2 }],
    ['another scale', { value: '100', assetCode: 'USD', assetScale: 9 }],
    ['a number, not a string', { value: 100, ...asset }],
  ])('refuses an incomingAmount that is %s: 400 invalid_request', async (_, incomingAmount) => {
    const check = moneyUnchanged();
    const c = await fresh();
    const grant = await grantFor(c.client, wa(pubkey));
    const send = await signed(`${origin}/op/incoming-payments`, 'POST', c, { walletAddress: wa(pubkey), incomingAmount }, grant.access_token.value);
    const res = await send();
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_request' } });
    check();
  });

  it('refuses an expiresAt in the past or beyond the maximum, and unknown fields', async () => {
    const c = await fresh();
    const grant = await grantFor(c.client, wa(pubkey));
    for (const body of [
      { walletAddress: wa(pubkey), expiresAt: new Date(Date.now() - 1000).toISOString() },
      { walletAddress: wa(pubkey), expiresAt: new Date(Date.now() + 400 * 86_400_000).toISOString() },
      { walletAddress: wa(pubkey), expiresAt: 'tomorrow' },
      { walletAddress: wa(pubkey), receivedAmount: { value: '5', ...asset } },
    ]) {
      const res = await (await signed(`${origin}/op/incoming-payments`, 'POST', c, body, grant.access_token.value))();
      expect(res.status).toBe(400);
    }
  });

  it('rejects packets once the payment is completed, and after it expired; no money moves', async () => {
    const alice = await fresh();
    const grant = await grantFor(alice.client, wa(pubkey));
    const rs = { url: `${origin}/op`, accessToken: grant.access_token.value };
    const done = await alice.client.incomingPayment.create(rs, { walletAddress: wa(pubkey), incomingAmount: { value: '50', ...asset } });
    const soon = await alice.client.incomingPayment.create(rs, {
      walletAddress: wa(pubkey),
      expiresAt: new Date(Date.now() + 1500).toISOString(),
    });
    const completed = await alice.client.incomingPayment.complete({ url: done.id, accessToken: grant.access_token.value });
    expect(completed).toMatchObject({ completed: true, receivedAmount: { value: '0', ...asset } });
    await new Promise((r) => setTimeout(r, 1600));

    const check = moneyUnchanged();
    const plugin = await walletPlugin(peer.port);
    try {
      for (const p of [done, soon]) {
        const m = p.methods[0] as { ilpAddress: string; sharedSecret: string };
        const destination = await setupPayment({
          plugin,
          destinationAddress: m.ilpAddress,
          sharedSecret: Buffer.from(m.sharedSecret, 'base64url'),
          destinationAsset: { code: 'USD', scale: 2 },
        });
        const attempt = startQuote({ plugin, destination, amountToSend: 10n, sourceAsset: { code: 'USD', scale: 2 } }).then((quote) =>
          pay({ plugin, destination, quote }),
        );
        // The receiver closes the connection: the quote's probes come back F99 with ConnectionClose.
        await expect(attempt).rejects.toBe('ClosedByReceiver');
      }
    } finally {
      await plugin.disconnect();
    }
    check();
    const read = await alice.client.incomingPayment.get({ url: soon.id, accessToken: grant.access_token.value });
    expect(read).toMatchObject({ completed: false, receivedAmount: { value: '0', ...asset }, methods: [] });
  });

  it('lists a wallet address page by page (list covers only the client’s own payments)', async () => {
    const pk = getPublicKey(generateSecretKey());
    const alice = await fresh();
    const grant = await grantFor(alice.client, wa(pk));
    const rs = { url: `${origin}/op`, accessToken: grant.access_token.value };
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await alice.client.incomingPayment.create(rs, { walletAddress: wa(pk), metadata: { i } })).id);
    const bob = await wallets.client('bob');
    const bobGrant = await grantFor(bob.client, wa(pk));
    await bob.client.incomingPayment.create({ url: `${origin}/op`, accessToken: bobGrant.access_token.value }, { walletAddress: wa(pk) });

    const first = await alice.client.incomingPayment.list({ url: `${origin}/op`, accessToken: grant.access_token.value, walletAddress: wa(pk) }, { first: 2, 'wallet-address': wa(pk) });
    expect(first.result.map((p) => p.id)).toEqual(ids.slice(0, 2));
    expect(first.pagination).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const second = await alice.client.incomingPayment.list(
      { url: `${origin}/op`, accessToken: grant.access_token.value, walletAddress: wa(pk) },
      { first: 2, cursor: first.pagination.endCursor!, 'wallet-address': wa(pk) },
    );
    expect(second.result.map((p) => p.id)).toEqual(ids.slice(2));
    expect(second.pagination).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
  });

  it('lets a wallet read an incoming payment twice in one second (identical signed GETs are not replays)', async () => {
    const c = await fresh();
    const grant = await grantFor(c.client, wa(pubkey));
    const created = await c.client.incomingPayment.create({ url: `${origin}/op`, accessToken: grant.access_token.value }, { walletAddress: wa(pubkey) });
    const read = () => c.client.incomingPayment.get({ url: created.id, accessToken: grant.access_token.value });
    const [a, b] = await Promise.all([read(), read()]);
    expect(a).toEqual(b);
  });

  it('bounds the live grants and open incoming payments of one client', async () => {
    const c = await fresh();
    const grants = [];
    for (const actions of [['create'], ['create', 'read'], ['create', 'complete']]) grants.push(await grantFor(c.client, wa(pubkey), actions));
    await expect(grantFor(c.client, wa(pubkey), ['read'])).rejects.toMatchObject({ status: 400, code: 'invalid_request' });
    const rs = { url: `${origin}/op`, accessToken: grants[2].access_token.value };
    const created = [];
    for (let i = 0; i < 3; i++) created.push(await c.client.incomingPayment.create(rs, { walletAddress: wa(pubkey), metadata: { i } }));
    await expect(c.client.incomingPayment.create(rs, { walletAddress: wa(pubkey), metadata: { i: 3 } })).rejects.toMatchObject({ status: 403 });
    // A completed payment no longer counts
    await c.client.incomingPayment.complete({ url: created[0].id, accessToken: grants[2].access_token.value });
    await c.client.incomingPayment.create(rs, { walletAddress: wa(pubkey), metadata: { i: 4 } });
    // Cancelling a grant frees its place (another request than the refused one: that signature was used)
    await c.client.grant.cancel({ url: grants[0].continue.uri, accessToken: grants[0].continue.access_token.value });
    await grantFor(c.client, wa(pubkey), ['read', 'complete']);
  });

  it('read covers the client’s own payments, read-all every payment of the wallet address (Rafiki reads as read-all)', async () => {
    const creator = await fresh();
    const g = await grantFor(creator.client, wa(pubkey), ['create']);
    const created = await creator.client.incomingPayment.create({ url: `${origin}/op`, accessToken: g.access_token.value }, { walletAddress: wa(pubkey) });
    const reader = await fresh();
    const own = await grantFor(reader.client, wa(pubkey), ['read']);
    await expect(reader.client.incomingPayment.get({ url: created.id, accessToken: own.access_token.value })).rejects.toMatchObject({ status: 403 });
    // no identifier: every wallet address of this server
    const all = await reader.client.grant.request({ url: `${origin}/op/auth` }, { access_token: { access: [{ type: 'incoming-payment', actions: ['read-all'] }] } });
    if (!isFinalizedGrant(all) || !all.access_token) throw new Error('expected a non-interactive grant');
    expect(await reader.client.incomingPayment.get({ url: created.id, accessToken: all.access_token.value })).toMatchObject({ id: created.id });
    await expect(
      reader.client.incomingPayment.get({ url: `${origin}/op/incoming-payments/00000000-0000-4000-8000-000000000000`, accessToken: all.access_token.value }),
    ).rejects.toMatchObject({ status: 404 });
  });

  it("completes only the client's own payments: a stranger's complete is refused and the payment stays open", async () => {
    const creator = await fresh();
    const g = await grantFor(creator.client, wa(pubkey), ['create', 'read']);
    const created = await creator.client.incomingPayment.create({ url: `${origin}/op`, accessToken: g.access_token.value }, { walletAddress: wa(pubkey) });
    const stranger = await fresh();
    const theirs = await stranger.client.grant.request({ url: `${origin}/op/auth` }, { access_token: { access: [{ type: 'incoming-payment', actions: ['complete', 'read-all'] }] } });
    if (!isFinalizedGrant(theirs) || !theirs.access_token) throw new Error('expected a non-interactive grant');
    await expect(stranger.client.incomingPayment.complete({ url: created.id, accessToken: theirs.access_token.value })).rejects.toMatchObject({ status: 403 });
    expect(await creator.client.incomingPayment.get({ url: created.id, accessToken: g.access_token.value })).toMatchObject({ completed: false });
  });

  it('rotates and revokes access tokens', async () => {
    const alice = await fresh();
    const grant = await grantFor(alice.client, wa(pubkey));
    const rotated = await alice.client.token.rotate({ url: grant.access_token.manage, accessToken: grant.access_token.value });
    expect(rotated.access_token.value).not.toBe(grant.access_token.value);
    expect(rotated.access_token.manage).not.toBe(grant.access_token.manage);
    const rs = (accessToken: string) => ({ url: `${origin}/op`, accessToken });
    await expect(alice.client.incomingPayment.create(rs(grant.access_token.value), { walletAddress: wa(pubkey) })).rejects.toMatchObject({ status: 401 });
    await alice.client.incomingPayment.create(rs(rotated.access_token.value), { walletAddress: wa(pubkey) });
    await alice.client.token.revoke({ url: rotated.access_token.manage, accessToken: rotated.access_token.value });
    await expect(alice.client.incomingPayment.create(rs(rotated.access_token.value), { walletAddress: wa(pubkey) })).rejects.toMatchObject({ status: 401 });
    // The grant itself can still be cancelled, once
    await alice.client.grant.cancel({ url: grant.continue.uri, accessToken: grant.continue.access_token.value });
    await expect(alice.client.grant.cancel({ url: grant.continue.uri, accessToken: grant.continue.access_token.value })).rejects.toMatchObject({ status: 401 });
  });
});
