// The Web Monetization extension's sequence against the relay, with the official Open Payments client (every answer
// validated against the OpenAPI spec) and @interledger/pay over a BTP link: wallet address, grant, incoming payment,
// payment (rate probes included), read back completed, grant cancelled; the ledger moves by exactly the amount.
import { setupPayment, startQuote, pay } from '@interledger/pay';
import { isFinalizedGrant } from '@interledger/open-payments';
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { npubEncode } from 'nostr-tools/nip19';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartedPeer } from '../../src/start';
import { readLedger } from '../helpers/ledger';
import { ClientWallets, startReceiver, walletPlugin } from './harness';

let peer: StartedPeer;
let wallets: ClientWallets;
const pubkey = getPublicKey(generateSecretKey());

beforeAll(async () => {
  peer = await startReceiver();
  wallets = await ClientWallets.start();
});

afterAll(async () => {
  await peer?.stop();
  await wallets?.close();
});

const asset = { assetCode: 'USD', assetScale: 2 };

describe('an Open Payments wallet pays a pubkey', () => {
  it('serves the wallet address for hex and npub, SPSP for spsp4+json, the page for a browser', async () => {
    for (const id of [pubkey, npubEncode(pubkey), pubkey.toUpperCase()]) {
      const res = await fetch(`${peer.httpUrl}/pay/${id}`, { headers: { Accept: 'application/json' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('cache-control')).toMatch(/max-age/);
      expect(await res.json()).toEqual({
        id: `http://127.0.0.1:${peer.port}/pay/${pubkey}`,
        publicName: npubEncode(pubkey),
        ...asset,
        authServer: `http://127.0.0.1:${peer.port}/op/auth`,
        resourceServer: `http://127.0.0.1:${peer.port}/op`,
      });
    }
    // The id comes from PUBLIC_URL, not from the Host header
    const spoofed = await fetch(`${peer.httpUrl}/pay/${pubkey}`, { headers: { Accept: 'application/json', Host: 'evil.example' } });
    expect(((await spoofed.json()) as { id: string }).id).toBe(`http://127.0.0.1:${peer.port}/pay/${pubkey}`);
    const spsp = await fetch(`${peer.httpUrl}/pay/${pubkey}`, { headers: { Accept: 'application/spsp4+json, application/json' } });
    expect(spsp.headers.get('content-type')).toBe('application/spsp4+json');
    const page = await fetch(`${peer.httpUrl}/pay/${npubEncode(pubkey)}`, { headers: { Accept: 'text/html,application/xhtml+xml' } });
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain(npubEncode(pubkey));
    expect(html).toContain(`http://127.0.0.1:${peer.port}/pay/${pubkey}`);
    expect(html).toContain(`$127.0.0.1:${peer.port}/pay/${pubkey}`);
    expect(html).toContain('Interledger Wallet');
    expect(html).toContain('GateHub');
    expect(html).toContain('Web Monetization');
    expect(html).toContain('TOP-UP FORM');
  });

  it('runs the Web Monetization sequence and credits exactly the amount', async () => {
    const { client } = await wallets.client('wm');
    const ledger = readLedger(peer.config.dataDir);
    const balanceBefore = ledger.account(`liabilities/balances/${pubkey}`).creditsPosted;

    const walletAddress = await client.walletAddress.get({ url: `${peer.httpUrl}/pay/${npubEncode(pubkey)}` });
    const grant = await client.grant.request(
      { url: walletAddress.authServer },
      { access_token: { access: [{ type: 'incoming-payment', actions: ['create', 'read', 'complete'], identifier: walletAddress.id }] } },
    );
    if (!isFinalizedGrant(grant) || !grant.access_token) throw new Error('expected a non-interactive grant');
    expect(grant.access_token.access).toEqual([{ type: 'incoming-payment', actions: ['create', 'read', 'complete'], identifier: walletAddress.id }]);

    const expiresAt = new Date(Date.now() + 10 * 60_000).toISOString();
    const created = await client.incomingPayment.create(
      { url: walletAddress.resourceServer, accessToken: grant.access_token.value },
      { walletAddress: walletAddress.id, incomingAmount: { value: '1234', ...asset }, expiresAt, metadata: { source: 'Web Monetization' } },
    );
    expect(created).toMatchObject({
      walletAddress: walletAddress.id,
      incomingAmount: { value: '1234', ...asset },
      receivedAmount: { value: '0', ...asset },
      completed: false,
      metadata: { source: 'Web Monetization' },
    });
    expect(created.id).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${peer.port}/op/incoming-payments/[0-9a-f-]{36}$`));
    const method = created.methods[0] as { type: string; ilpAddress: string; sharedSecret: string };
    expect(method.type).toBe('ilp');
    expect(method.ilpAddress).toMatch(/^test\.peer\.[A-Za-z0-9_-]+$/);
    expect(Buffer.from(method.sharedSecret, 'base64url')).toHaveLength(32);

    // The sender's side, as Rafiki does it: resolve, quote (unfulfillable rate probes answered F99), pay.
    const plugin = await walletPlugin(peer.port);
    try {
      const destination = await setupPayment({
        plugin,
        destinationAddress: method.ilpAddress,
        sharedSecret: Buffer.from(method.sharedSecret, 'base64url'),
        destinationAsset: { code: 'USD', scale: 2 },
      });
      const quote = await startQuote({ plugin, destination, amountToDeliver: 1234n, sourceAsset: { code: 'USD', scale: 2 } });
      expect(quote.minDeliveryAmount).toBe(1234n);
      const progress = await pay({ plugin, destination, quote });
      expect(progress.error).toBeUndefined();
      expect(progress.amountDelivered).toBe(1234n);
    } finally {
      await plugin.disconnect();
    }

    const read = await client.incomingPayment.get({ url: created.id, accessToken: grant.access_token.value });
    expect(read).toMatchObject({ completed: true, receivedAmount: { value: '1234', ...asset } });
    expect(read.methods).toEqual([]);
    const publicView = await fetch(created.id);
    expect(await publicView.json()).toEqual({ receivedAmount: { value: '1234', ...asset }, authServer: walletAddress.authServer });

    await client.grant.cancel({ url: grant.continue.uri, accessToken: grant.continue.access_token.value });
    // The cancelled grant's token no longer works
    await expect(client.incomingPayment.get({ url: created.id, accessToken: grant.access_token.value })).rejects.toMatchObject({ status: 401 });

    expect(ledger.account(`liabilities/balances/${pubkey}`).creditsPosted - balanceBefore).toBe(1234n);
    expect(ledger.account('assets/interledger/wallet').debitsPosted).toBe(1234n);
    expect(ledger.sum()).toBe(0n);
    ledger.close();
  });
});

describe('an open-ended incoming payment (as the Web Monetization extension creates)', () => {
  it('takes several payments, sums them in receivedAmount and stays open', async () => {
    const { client } = await wallets.client('wm-open');
    const walletAddress = await client.walletAddress.get({ url: `${peer.httpUrl}/pay/${pubkey}` });
    const grant = await client.grant.request(
      { url: walletAddress.authServer },
      { access_token: { access: [{ type: 'incoming-payment', actions: ['create', 'read'], identifier: walletAddress.id }] } },
    );
    if (!isFinalizedGrant(grant) || !grant.access_token) throw new Error('expected a non-interactive grant');
    const accessToken = grant.access_token.value;
    const created = await client.incomingPayment.create(
      { url: walletAddress.resourceServer, accessToken },
      { walletAddress: walletAddress.id, expiresAt: new Date(Date.now() + 10 * 60_000).toISOString(), metadata: { source: 'Web Monetization' } },
    );
    const method = created.methods[0] as { ilpAddress: string; sharedSecret: string };
    const ledger = readLedger(peer.config.dataDir);
    const before = ledger.account(`liabilities/balances/${pubkey}`).creditsPosted;
    const plugin = await walletPlugin(peer.port);
    try {
      for (const amount of [100n, 50n]) {
        const destination = await setupPayment({
          plugin,
          destinationAddress: method.ilpAddress,
          sharedSecret: Buffer.from(method.sharedSecret, 'base64url'),
          destinationAsset: { code: 'USD', scale: 2 },
        });
        const quote = await startQuote({ plugin, destination, amountToSend: amount, sourceAsset: { code: 'USD', scale: 2 } });
        expect((await pay({ plugin, destination, quote })).amountDelivered).toBe(amount);
      }
    } finally {
      await plugin.disconnect();
    }
    const read = await client.incomingPayment.get({ url: created.id, accessToken });
    expect(read).toMatchObject({ completed: false, receivedAmount: { value: '150', ...asset } });
    expect(read.methods).toEqual(created.methods);
    expect(ledger.account(`liabilities/balances/${pubkey}`).creditsPosted - before).toBe(150n);
    ledger.close();
  });
});

describe('across a restart', () => {
  it('keeps grants and incoming payments; the payment is then paid and completed', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'op-restart-'));
    let first: StartedPeer | undefined = await startReceiver({ DATA_DIR: dataDir });
    let second: StartedPeer | undefined;
    try {
      const { client } = await wallets.client('restart');
      const walletAddress = await client.walletAddress.get({ url: `${first.httpUrl}/pay/${pubkey}` });
      const grant = await client.grant.request(
        { url: walletAddress.authServer },
        { access_token: { access: [{ type: 'incoming-payment', actions: ['create', 'read'], identifier: walletAddress.id }] } },
      );
      if (!isFinalizedGrant(grant) || !grant.access_token) throw new Error('expected a non-interactive grant');
      const created = await client.incomingPayment.create(
        { url: walletAddress.resourceServer, accessToken: grant.access_token.value },
        { walletAddress: walletAddress.id, incomingAmount: { value: '500', ...asset } },
      );
      const port = first.port;
      await first.stop();
      first = undefined;
      second = await startReceiver({ DATA_DIR: dataDir }, port);

      // The client's pooled keep-alive socket to the stopped peer may be picked once more and fail (undici's
      // UND_ERR_SOCKET, no HTTP status): a wallet retries such a request, and so does this one, once.
      const accessToken = grant.access_token.value;
      const readIt = () => client.incomingPayment.get({ url: created.id, accessToken });
      const again = await readIt().catch((e: { status?: number }) => {
        if (e.status !== undefined) throw e;
        return readIt();
      });
      expect(again.methods).toEqual(created.methods);
      const method = again.methods[0] as { ilpAddress: string; sharedSecret: string };
      const plugin = await walletPlugin(second.port);
      try {
        const destination = await setupPayment({
          plugin,
          destinationAddress: method.ilpAddress,
          sharedSecret: Buffer.from(method.sharedSecret, 'base64url'),
          destinationAsset: { code: 'USD', scale: 2 },
        });
        const quote = await startQuote({ plugin, destination, amountToDeliver: 500n, sourceAsset: { code: 'USD', scale: 2 } });
        expect((await pay({ plugin, destination, quote })).amountDelivered).toBe(500n);
      } finally {
        await plugin.disconnect();
      }
      const read = await client.incomingPayment.get({ url: created.id, accessToken: grant.access_token.value });
      expect(read).toMatchObject({ completed: true, receivedAmount: { value: '500', ...asset } });
      const ledger = readLedger(dataDir);
      expect(ledger.account(`liabilities/balances/${pubkey}`).creditsPosted).toBe(500n);
      expect(ledger.sum()).toBe(0n);
      ledger.close();
    } finally {
      await first?.stop();
      await second?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
