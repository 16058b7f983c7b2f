// Top-ups through the operator's own Open Payments wallet (issue #17 B), with two peers: R is "the operator's
// wallet" (the relay as an Open Payments receiver, part A; USD at scale 2), C collects top-ups through it (USD at
// scale 1, so every 10 wallet units make one of C's and leftovers are kept). A third party, "the payer's wallet",
// reads each incoming payment with its own grant and pays it with @interledger/pay over BTP, as Rafiki would.
import { setupPayment, startQuote, pay } from '@interledger/pay';
import { isFinalizedGrant } from '@interledger/open-payments';
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { npubEncode } from 'nostr-tools/nip19';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startPeer, type ConfigInput, type StartedPeer } from '../../src/library';
import { readLedger } from '../helpers/ledger';
import { EXPIRY_GRACE_MS } from '../../src/open-payments/operator-wallet/watcher';
import { ClientWallets, startReceiver, walletPlugin } from './harness';

let wallet: StartedPeer; // R: the operator's wallet
let wallets: ClientWallets;
let operatorEnv: ConfigInput;
let payer: Awaited<ReturnType<ClientWallets['client']>>;
const operator = getPublicKey(generateSecretKey()); // the operator's account at R
const peers: StartedPeer[] = [];

beforeAll(async () => {
  wallet = await startReceiver();
  wallets = await ClientWallets.start();
  const relayClient = await wallets.client('relay-c');
  payer = await wallets.client('payer');
  operatorEnv = {
    ASSET_CODE: 'USD',
    ASSET_SCALE: 1,
    OPERATOR_WALLET_ADDRESS: `${wallet.httpUrl}/pay/${operator}`,
    OPERATOR_WALLET_KEY_ID: relayClient.keyId,
    // base64 of the PEM, as the Interledger wallets hand keys out
    OPERATOR_WALLET_PRIVATE_KEY: Buffer.from(relayClient.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string).toString('base64'),
    // R serves no jwks.json for its wallet addresses: the relay's key is published at a client wallet address of its own
    OPERATOR_WALLET_CLIENT: relayClient.walletAddressUrl,
    OPERATOR_WALLET_INSECURE: 'true',
    TOP_UP_POLL_INTERVAL: 100,
  };
});

afterAll(async () => {
  for (const p of peers) await p.stop();
  await wallet?.stop();
  await wallets?.close();
});

/**
 * A collecting relay with a client identity of its own: R takes a signed POST once, and two relays with one key
 * asking for the same grant within a second would sign the same request.
 */
async function collector(env: ConfigInput = {}): Promise<StartedPeer> {
  const own = await wallets.client(`relay-${peers.length}`);
  const p = await startPeer({
    ...operatorEnv,
    OPERATOR_WALLET_KEY_ID: own.keyId,
    OPERATOR_WALLET_PRIVATE_KEY: own.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
    OPERATOR_WALLET_CLIENT: own.walletAddressUrl,
    ...env,
  });
  peers.push(p);
  return p;
}

async function topUp(peer: StartedPeer, pubkey: string, amount: string) {
  const res = await fetch(`${peer.httpUrl}/pay/${pubkey}/top-ups`, { method: 'POST', body: JSON.stringify({ amount }) });
  return { status: res.status, body: (await res.json()) as any };
}

let payerToken: string | undefined;
/** The payer wallet's token to read the operator's incoming payments at R (one grant: R takes a signed POST once). */
async function readAllToken(): Promise<string> {
  if (payerToken) return payerToken;
  const grant = await payer.client.grant.request(
    { url: `${wallet.httpUrl}/op/auth` },
    { access_token: { access: [{ type: 'incoming-payment', actions: ['read-all'], identifier: `${wallet.httpUrl}/pay/${operator}` }] } },
  );
  if (!isFinalizedGrant(grant) || !grant.access_token) throw new Error('expected a non-interactive grant');
  return (payerToken = grant.access_token.value);
}

/** The payer's wallet pays `value` wallet units into the incoming payment at R. */
async function payIncoming(url: string, value: bigint): Promise<void> {
  const ip = await payer.client.incomingPayment.get({ url, accessToken: await readAllToken() });
  const method = ip.methods[0] as { ilpAddress: string; sharedSecret: string };
  const plugin = await walletPlugin(wallet.port);
  try {
    const destination = await setupPayment({
      plugin,
      destinationAddress: method.ilpAddress,
      sharedSecret: Buffer.from(method.sharedSecret, 'base64url'),
      destinationAsset: { code: 'USD', scale: 2 },
    });
    const quote = await startQuote({ plugin, destination, amountToDeliver: value, sourceAsset: { code: 'USD', scale: 2 } });
    expect((await pay({ plugin, destination, quote })).amountDelivered).toBe(value);
  } finally {
    await plugin.disconnect();
  }
}

const balanceOf = (peer: StartedPeer, pubkey: string): bigint => {
  const l = readLedger(peer.config.dataDir);
  try {
    const a = l.account(`liabilities/balances/${pubkey}`);
    expect(l.sum()).toBe(0n);
    return a.creditsPosted - a.debitsPosted;
  } finally {
    l.close();
  }
};

const row = (peer: StartedPeer, url: string) => {
  const db = new Database(path.join(peer.config.dataDir, 'peer.sqlite'), { readonly: true });
  db.defaultSafeIntegers(true);
  try {
    return db.prepare('SELECT amount, received, credited FROM top_ups WHERE incoming_payment = ?').get(url) as
      | { amount: bigint; received: bigint | null; credited: bigint | null }
      | undefined;
  } finally {
    db.close();
  }
};

const creditedAt = (peer: StartedPeer, url: string): number => {
  const db = new Database(path.join(peer.config.dataDir, 'peer.sqlite'), { readonly: true });
  try {
    return db.prepare('SELECT credited_at FROM top_ups WHERE incoming_payment = ?').pluck().get(url) as number;
  } finally {
    db.close();
  }
};

const waitCredited = (peer: StartedPeer, url: string) =>
  vi.waitFor(() => expect(row(peer, url)?.credited).not.toBeNull(), { timeout: 20_000, interval: 100 });

/** A few more rounds of reads: nothing is credited twice. */
const quietFor = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a top-up paid in full', () => {
  it('creates an incoming payment on the operator wallet and credits exactly what arrived, once', async () => {
    const c = await collector();
    const user = getPublicKey(generateSecretKey());
    const operatorBefore = balanceOf(wallet, operator);
    const created = await topUp(c, npubEncode(user), '12');
    expect(created.status).toBe(201);
    expect(created.body.incomingPayment).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${wallet.port}/op/incoming-payments/[0-9a-f-]{36}$`));
    expect(created.body.amount).toEqual({ value: '120', assetCode: 'USD', assetScale: 2 });
    const expiresIn = Date.parse(created.body.expiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(500_000);
    expect(expiresIn).toBeLessThanOrEqual(600_000);

    // What R holds: the operator's wallet address, the amount, the metadata naming the pubkey
    expect(await payer.client.incomingPayment.get({ url: created.body.incomingPayment, accessToken: await readAllToken() })).toMatchObject({
      walletAddress: `${wallet.httpUrl}/pay/${operator}`,
      incomingAmount: { value: '120', assetCode: 'USD', assetScale: 2 },
      receivedAmount: { value: '0', assetCode: 'USD', assetScale: 2 },
      metadata: { nostrPubkey: user },
      completed: false,
    });
    await quietFor(500);
    expect(balanceOf(c, user)).toBe(0n);

    await payIncoming(created.body.incomingPayment, 120n);
    await waitCredited(c, created.body.incomingPayment);
    expect(balanceOf(c, user)).toBe(12n);
    expect(row(c, created.body.incomingPayment)).toEqual({ amount: 120n, received: 120n, credited: 12n });
    expect(balanceOf(wallet, operator) - operatorBefore).toBe(120n);
    await quietFor(1000);
    expect(balanceOf(c, user)).toBe(12n);
    const l = readLedger(c.config.dataDir);
    expect(l.account('assets/settlement').debitsPosted).toBe(12n);
    l.close();

    // The QR code of its own top-up only
    const qr = await fetch(`${c.httpUrl}/pay/${user}/top-ups/qr.svg?incomingPayment=${encodeURIComponent(created.body.incomingPayment)}`);
    expect(qr.status).toBe(200);
    expect(qr.headers.get('content-type')).toBe('image/svg+xml');
    expect(await qr.text()).toMatch(/^<svg/);
    const other = getPublicKey(generateSecretKey());
    expect((await fetch(`${c.httpUrl}/pay/${other}/top-ups/qr.svg?incomingPayment=${encodeURIComponent(created.body.incomingPayment)}`)).status).toBe(404);
    expect((await fetch(`${c.httpUrl}/pay/${user}/top-ups/qr.svg?incomingPayment=https%3A%2F%2Fevil.example%2Fx`)).status).toBe(404);

    // The pay page offers the form
    const page = await (await fetch(`${c.httpUrl}/pay/${user}`, { headers: { Accept: 'text/html' } })).text();
    expect(page).toContain('Top up through the operator');
    expect(page).toContain('/top-ups');
  });
});

describe('top-ups paid in part', () => {
  it('credit what arrived by expiry, once; the leftover below one unit is carried to the next', async () => {
    const c = await collector({ TOP_UP_EXPIRY: 8 });
    const user = getPublicKey(generateSecretKey());
    const first = await topUp(c, user, '10');
    expect(first.status).toBe(201);
    await payIncoming(first.body.incomingPayment, 55n);
    await waitCredited(c, first.body.incomingPayment);
    // neither completed nor expired before: credited only once it had expired
    expect(creditedAt(c, first.body.incomingPayment)).toBeGreaterThanOrEqual(Date.parse(first.body.expiresAt) + EXPIRY_GRACE_MS);
    expect(row(c, first.body.incomingPayment)).toEqual({ amount: 100n, received: 55n, credited: 5n });
    expect(balanceOf(c, user)).toBe(5n);
    // Completed at the wallet before it was credited: no packet can arrive after the credit
    expect(await payer.client.incomingPayment.get({ url: first.body.incomingPayment, accessToken: await readAllToken() })).toMatchObject({
      completed: true,
      receivedAmount: { value: '55', assetCode: 'USD', assetScale: 2 },
      methods: [],
    });

    // 5 wallet units left over + 35 received = 4 of ours, nothing left
    const second = await topUp(c, user, '10');
    const third = await topUp(c, user, '10'); // never paid
    await payIncoming(second.body.incomingPayment, 35n);
    await waitCredited(c, second.body.incomingPayment);
    expect(row(c, second.body.incomingPayment)).toEqual({ amount: 100n, received: 35n, credited: 4n });
    expect(balanceOf(c, user)).toBe(9n);

    // Expired unpaid: credited 0, once
    await waitCredited(c, third.body.incomingPayment);
    expect(row(c, third.body.incomingPayment)).toEqual({ amount: 100n, received: 0n, credited: 0n });
    await quietFor(1000);
    expect(balanceOf(c, user)).toBe(9n);
    const db = new Database(path.join(c.config.dataDir, 'peer.sqlite'), { readonly: true });
    expect(db.prepare('SELECT count(*) FROM top_up_leftovers').pluck().get()).toBe(0);
    db.close();
  });
});

describe('the collecting peer restarted while a top-up waits', () => {
  it('credits it once after the restart, and never again', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'top-up-restart-'));
    const user = getPublicKey(generateSecretKey());
    try {
      let c = await startPeer({ ...operatorEnv, DATA_DIR: dataDir });
      const created = await topUp(c, user, '20');
      expect(created.status).toBe(201);
      await c.stop();
      await payIncoming(created.body.incomingPayment, 200n); // paid while the relay is down

      c = await startPeer({ ...operatorEnv, DATA_DIR: dataDir });
      try {
        await waitCredited(c, created.body.incomingPayment);
        expect(balanceOf(c, user)).toBe(20n);
      } finally {
        await c.stop();
      }
      c = await startPeer({ ...operatorEnv, DATA_DIR: dataDir });
      try {
        await quietFor(1000);
        expect(balanceOf(c, user)).toBe(20n);
        expect(row(c, created.body.incomingPayment)).toEqual({ amount: 200n, received: 200n, credited: 20n });
      } finally {
        await c.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('bad input', () => {
  it('gets 4xx JSON and creates nothing', async () => {
    const c = await collector({ TOP_UP_MAX_AMOUNT: 1000 });
    const user = getPublicKey(generateSecretKey());
    for (const body of ['', 'nope', '[]', 'null', '{}', '{"amount":10}', '{"amount":"-1"}', '{"amount":"0"}', '{"amount":"01"}', '{"amount":"1.5"}',
      '{"amount":"1001"}', '{"amount":"99999999999999999999"}']) {
      const res = await fetch(`${c.httpUrl}/pay/${user}/top-ups`, { method: 'POST', body });
      expect(res.status, body).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(/^invalid: /);
    }
    const notKey = await fetch(`${c.httpUrl}/pay/alice/top-ups`, { method: 'POST', body: '{"amount":"1"}' });
    expect(notKey.status).toBe(404);
    const huge = await fetch(`${c.httpUrl}/pay/${user}/top-ups`, { method: 'POST', body: JSON.stringify({ amount: '1', pad: 'x'.repeat(64 * 1024) }) });
    expect(huge.status).toBe(413);

    // At most 5 waiting per pubkey
    for (let i = 0; i < 5; i++) expect((await topUp(c, user, '1')).status).toBe(201);
    const sixth = await topUp(c, user, '1');
    expect(sixth.status).toBe(429);
    expect(sixth.body.error).toMatch(/^rate-limited: /);
    const db = new Database(path.join(c.config.dataDir, 'peer.sqlite'), { readonly: true });
    expect(db.prepare('SELECT count(*) FROM top_ups').pluck().get()).toBe(5);
    db.close();
    expect(balanceOf(c, user)).toBe(0n);
  });

  it('bounds the top-ups waiting, all pubkeys together', async () => {
    const c = await collector({ TOP_UP_MAX_OPEN: 2 });
    expect((await topUp(c, getPublicKey(generateSecretKey()), '1')).status).toBe(201);
    expect((await topUp(c, getPublicKey(generateSecretKey()), '1')).status).toBe(201);
    expect((await topUp(c, getPublicKey(generateSecretKey()), '1')).status).toBe(429);
  });
});

describe('bad settings stop the start', () => {
  it('a key that is not an Ed25519 private key, never shown', async () => {
    for (const key of ['not a key', Buffer.from('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----').toString('base64')]) {
      const err = await startPeer({ ...operatorEnv, OPERATOR_WALLET_PRIVATE_KEY: key }).catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/^OPERATOR_WALLET_PRIVATE_KEY does not hold an Ed25519 private key/);
      expect((err as Error).message).not.toContain(key);
    }
    const { generateKeyPairSync } = await import('node:crypto');
    const rsa = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    await expect(startPeer({ ...operatorEnv, OPERATOR_WALLET_PRIVATE_KEY: rsa })).rejects.toThrow(/^OPERATOR_WALLET_PRIVATE_KEY does not hold/);
    await expect(startPeer({ ...operatorEnv, OPERATOR_WALLET_PRIVATE_KEY: '', OPERATOR_WALLET_PRIVATE_KEY_FILE: '/nonexistent/key.pem' })).rejects.toThrow(
      /^OPERATOR_WALLET_PRIVATE_KEY_FILE cannot be read: ENOENT/,
    );
    await expect(startPeer({ ...operatorEnv, OPERATOR_WALLET_KEY_ID: '' })).rejects.toThrow(/^OPERATOR_WALLET_ADDRESS needs OPERATOR_WALLET_KEY_ID/);
    await expect(startPeer({ ...operatorEnv, OPERATOR_WALLET_INSECURE: 'false' })).rejects.toThrow(/^OPERATOR_WALLET_ADDRESS must be an https:\/\/ URL/);
  });

  it("the wallet's asset is not ASSET_CODE, or its scale cannot be converted for TOP_UP_MAX_AMOUNT", async () => {
    await expect(startPeer({ ...operatorEnv, ASSET_CODE: 'EUR' })).rejects.toThrow(/^OPERATOR_WALLET_ADDRESS holds USD, but ASSET_CODE is EUR/);
    await expect(startPeer({ ...operatorEnv, ASSET_SCALE: 5, TOP_UP_MAX_AMOUNT: 999 })).rejects.toThrow(
      /^OPERATOR_WALLET_ADDRESS has scale 2, coarser than ASSET_SCALE 5: TOP_UP_MAX_AMOUNT must be at least 1000/,
    );
    await expect(startPeer({ ...operatorEnv, ASSET_SCALE: 0, TOP_UP_MAX_AMOUNT: 2n ** 62n })).rejects.toThrow(/finer than ASSET_SCALE 0/);
    await expect(startPeer({ ...operatorEnv, OPERATOR_WALLET_ADDRESS: `http://127.0.0.1:1/nobody` })).rejects.toThrow(/^OPERATOR_WALLET_ADDRESS cannot be read/);
  });
});
