import { chromium, type Browser } from 'playwright-core';
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { npubEncode } from 'nostr-tools/nip19';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPeer, type StartedPeer } from '../../src/library';
import { ClientWallets, startReceiver } from '../open-payments/harness';

/**
 * The pay page's top-up form in headless Chromium: R is the operator's wallet (an Open Payments receiver), C the
 * relay taking top-ups through it (USD at scale 1). Entering 1.2 USD creates an incoming payment of 120 at R; the
 * page shows its URL and its QR code, with no error shown or logged.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let wallet: StartedPeer;
let relay: StartedPeer;
let wallets: ClientWallets;
let browser: Browser;

beforeAll(async () => {
  wallet = await startReceiver();
  wallets = await ClientWallets.start();
  const client = await wallets.client('browser-relay');
  relay = await startPeer({
    ASSET_CODE: 'USD',
    ASSET_SCALE: 1,
    OPERATOR_WALLET_ADDRESS: `${wallet.httpUrl}/pay/${getPublicKey(generateSecretKey())}`,
    OPERATOR_WALLET_KEY_ID: client.keyId,
    OPERATOR_WALLET_PRIVATE_KEY: client.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
    OPERATOR_WALLET_CLIENT: client.walletAddressUrl,
    OPERATOR_WALLET_INSECURE: 'true',
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

afterAll(async () => {
  await browser?.close();
  await relay?.stop();
  await wallet?.stop();
  await wallets?.close();
});

describe('the top-up form', () => {
  it('creates a payment request and shows its URL and QR code', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    // The relay serves no favicon; every other failed load is a problem (its console line names no URL, this does).
    page.on('console', (m) => (m.type() === 'warning') && problems.push(`console ${m.type()}: ${m.text()}`));
    page.on('response', (r) => r.status() >= 400 && !r.url().endsWith('/favicon.ico') && problems.push(`${r.status()} ${r.url()}`));
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    const pubkey = getPublicKey(generateSecretKey());
    await page.goto(`${relay.httpUrl}/pay/${npubEncode(pubkey)}`);
    await page.fill('#topup-amount', '1.25');
    await page.click('#topup button');
    await expect.poll(() => page.textContent('#topup-out')).toMatch(/at most 1 decimals/);
    await page.fill('#topup-amount', '1.2');
    await page.click('#topup button');
    const code = await page.waitForSelector('#topup-out code');
    expect(await code.textContent()).toMatch(new RegExp(`^${wallet.httpUrl}/op/incoming-payments/[0-9a-f-]{36}$`));
    const img = await page.waitForSelector('#topup-out img');
    await expect.poll(() => img.evaluate((e) => (e as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(0);
    expect(await page.textContent('#topup-out')).toContain('choose Send and paste (or scan)');
    const created = await fetch(`${wallet.httpUrl}/op/incoming-payments/${(await code.textContent())!.split('/').pop()}`);
    expect(created.status).toBe(200); // the public view: it exists at the operator's wallet
    expect(problems).toEqual([]);
  });
});
