import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeIlpPacket, IlpPacketType } from '../../src/ilp';
import { balanceAccount } from '../../src/ledger/account-paths';
import { Ledger } from '../../src/ledger/ledger';
import { openDatabase } from '../../src/storage/database';
import { signer, TestClient, type Signer } from '../helpers/client';
import { spawnBundle, type BundledPeer } from '../helpers/bundle';
import { pay } from '../helpers/payer';

/**
 * The operator dashboard in a real browser: dist/ copied alone and started as the operator would, some traffic
 * and money, then headless Chromium signs in, waits for the charts, saves a screenshot, and fails on any error
 * the page shows or logs.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = path.resolve(__dirname, '../../test-results');
const USER = 'operator';
const PASSWORD = 'browser-test-password';
const require = createRequire(import.meta.url);
const BtpPlugin = require('ilp-plugin-btp');

const dir = mkdtempSync(path.join(tmpdir(), 'dashboard-browser-'));
const dataDir = path.join(dir, 'data');
let peer: BundledPeer | undefined;
let base = '';
let browser: Browser;
let link: { disconnect(): Promise<void> } | undefined;
type Plugin = { connect(): Promise<void>; disconnect(): Promise<void>; sendData(data: Buffer): Promise<Buffer> };
const clients: TestClient[] = [];
let trickle: NodeJS.Timeout | undefined;

const waitForLog = (pattern: RegExp) =>
  new Promise<void>((resolve) => {
    const check = () => (pattern.test(peer?.output() ?? '') ? resolve() : setTimeout(check, 100));
    check();
  });
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}: install it with \`apt-get install -y --no-install-recommends chromium\` (or set CHROMIUM_PATH)`);
  }
  const dist = path.resolve(__dirname, '../../dist');
  if (!existsSync(path.join(dist, 'dashboard', 'index.html'))) throw new Error('dist/ has no dashboard: run `npm run build` first (npm run test:browser does)');
  cpSync(dist, path.join(dir, 'app'), { recursive: true });
  peer = await spawnBundle(
    path.join(dir, 'app', 'peer.js'),
    {
      DATA_DIR: dataDir,
      RELAY_NAME: 'relay.example',
      DASHBOARD_USER: USER,
      DASHBOARD_PASSWORD: PASSWORD,
      // Realistic micro-prices: about 2.5 µUSD an event (scale 9), where revenue once read 0.00 on every axis line.
      PRICE_BASE: '1560',
      PRICE_PER_BYTE: '3',
      ILP_ADDRESS: 'g.relay-example',
      ILP_PEERS: JSON.stringify([
        { id: 'alice', token: 'alice-token-0123456789', creditLimit: '25000000000' },
        { id: 'bob', token: 'bob-token-0123456789ab', creditLimit: '10000000000' },
      ]),
      BACKUP_INTERVAL: '6s',
      RATE_EVENTS_PER_IP: '0',
      RATE_EVENTS_PER_PUBKEY: '0',
    },
    dir,
  );
  base = `http://127.0.0.1:${peer.port}`;
  const ws = base.replace('http', 'ws');

  // Money: prepaid balances arrive from peer alice (and one from bob), as fulfilled ILP payments put them.
  const payers: Signer[] = Array.from({ length: 7 }, () => signer());
  const side = openDatabase(path.join(dataDir, 'peer.sqlite'));
  const ledger = new Ledger(side);
  payers.forEach((p, i) =>
    ledger.transfer({ debitAccount: `assets/interledger/${i === 6 ? 'bob' : 'alice'}`, creditAccount: balanceAccount(p.pubkey), amount: BigInt(2_000_000_000 + i * 350_000_000) }),
  );
  side.close();

  // An ILP peer online, one packet to nowhere (F02), and a client with a wrong token (a warning in the log).
  const alice: Plugin = new BtpPlugin({ server: `btp+ws://alice:alice-token-0123456789@${base.slice(7)}/btp` });
  await alice.connect();
  link = alice;
  const prepare = encodeIlpPacket({
    type: IlpPacketType.Prepare,
    amount: 100n,
    expiresAt: new Date(Date.now() + 10_000),
    executionCondition: createHash('sha256').update(randomBytes(32)).digest(),
    destination: 'g.nowhere.wallet',
    data: new Uint8Array(0),
  });
  await alice.sendData(Buffer.from(prepare));
  // A STREAM payment with the official client: its rate probes are answered F99, normal traffic.
  await pay(peer.port, 'alice-token-0123456789', payers[0].pubkey, 1000);
  const intruder: Plugin = new BtpPlugin({ server: `btp+ws://x:not-the-token-0000000@${base.slice(7)}/btp` });
  await intruder.connect().catch(() => undefined);

  // Readers with live subscriptions, then traffic in waves so the charts have a shape.
  for (let i = 0; i < 3; i++) {
    const c = await TestClient.connect(ws);
    c.send(['REQ', `feed-${i}`, { kinds: [1], limit: 10 }]);
    clients.push(c);
  }
  const writer = await TestClient.connect(ws);
  clients.push(writer);
  const stranger = signer();
  for (let wave = 0; wave < 6; wave++) {
    const n = [4, 12, 25, 9, 18, 6][wave];
    for (let k = 0; k < n; k++) {
      const p = payers[(k * (wave + 1)) % payers.length];
      const ok = await writer.publish(p.sign({ content: `wave ${wave} note ${k}: ${'lorem ipsum '.repeat((k % 5) + 1)}`, created_at: Math.floor(Date.now() / 1000) }));
      expect(ok[2]).toBe(true);
    }
    await writer.publish(stranger.sign({ content: 'I have not paid', created_at: Math.floor(Date.now() / 1000) }));
    await pause(3000);
  }
  // A trickle that keeps going while the browser looks, so the numbers are live.
  let n = 0;
  trickle = setInterval(() => writer.send(['EVENT', payers[n++ % payers.length].sign({ content: `live ${n}`, created_at: Math.floor(Date.now() / 1000) })]), 200);
  await waitForLog(/"msg":"backup written"/);
  await pause(5200); // one more dashboard sample after the last wave
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // Playwright gives each launch a fresh temporary profile (it refuses --user-data-dir in args).
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  clearInterval(trickle);
  await browser?.close();
  for (const c of clients) await c.close();
  await link?.disconnect().catch(() => undefined);
  peer?.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('the dashboard in headless Chromium', () => {
  it('asks for credentials, then renders live data and charts without errors', async () => {
    // One wrong password: the page lists it as a failed login.
    expect((await fetch(`${base}/dashboard`, { headers: { authorization: `Basic ${Buffer.from(`${USER}:wrong-guess`).toString('base64')}` } })).status).toBe(401);
    const anonymous = await browser.newContext();
    // Without credentials the browser gets the challenge (headless Chromium then cancels the sign-in prompt).
    const refused = await anonymous.request.get(`${base}/dashboard`);
    expect(refused.status()).toBe(401);
    expect(refused.headers()['www-authenticate']).toMatch(/^Basic /);
    const page0 = await anonymous.newPage();
    await expect(page0.goto(`${base}/dashboard`)).rejects.toThrow(/ERR_INVALID_AUTH_CREDENTIALS/);
    await anonymous.close();

    mkdirSync(SCREENSHOTS, { recursive: true });
    for (const colorScheme of ['dark', 'light'] as const) {
      const context = await browser.newContext({
        httpCredentials: { username: USER, password: PASSWORD },
        viewport: { width: 1440, height: 1000 },
        colorScheme,
        permissions: ['clipboard-read', 'clipboard-write'],
      });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && problems.push(`console ${m.type()}: ${m.text()}`));
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
      page.on('response', (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()} for ${r.url()}`));

      const res = await page.goto(`${base}/dashboard`);
      expect(res?.status()).toBe(200);
      await page.waitForSelector('body[data-state="ok"]');
      await page.waitForSelector('#c-throughput svg path.line');

      expect(await page.locator('#banner').isHidden()).toBe(true);
      expect(await page.textContent('#name')).toBe('relay.example');
      await expectMoneyShown(page);
      expect(await page.textContent('#k-money-in')).toMatch(/^\d{2}\.\d\dUSD$/); // 7 prepaid balances, ~16 USD
      // the store is counted on a read worker, asked at the first poll: a later poll shows it
      await expect.poll(() => page.textContent('#k-events'), { timeout: 15_000 }).not.toBe('…');
      expect(await page.textContent('#k-events')).toMatch(/^\d{3}$/);
      expect(await page.textContent('#k-pubkeys')).toMatch(/^7 pubkeys · counted \d/);
      expect(await page.textContent('#k-disk')).toMatch(/^[\d.]+ [KMGT]iB$/);
      expect(await page.textContent('#k-backup-needs')).toMatch(/^a backup needs [\d.]+ [KM]iB$/);
      expect(await page.textContent('#k-cpu')).toMatch(/^[\d.]+%$/);
      expect(await page.textContent('#k-rss')).toMatch(/^RSS [\d.]+ MiB$/);
      expect(await page.textContent('#k-lag')).toMatch(/^[\d.]+ms$/);
      expect(await page.textContent('#updated')).toMatch(/^updated /);
      expect(await page.textContent('#k-connections')).toBe('4');
      expect(await page.locator('#t-payers tbody tr').count()).toBe(7);
      expect(await page.locator('#t-peers tbody tr').count()).toBe(2);
      expect(await page.textContent('#t-peers tbody tr:first-child')).toMatch(/alice.*1 open/);
      // one Links row per peer and link kind (these two peers have BTP only)
      expect(await page.locator('#t-links tbody tr').count()).toBe(2);
      expect(await page.textContent('#t-links tbody tr:first-child')).toMatch(/^alice\s*BTP\s*connected/);
      // F02 is a failure (red); F99 is normal STREAM traffic, shown apart and not red.
      expect(await page.textContent('#ilp-results .chip.bad')).toMatch(/F02/);
      expect(await page.getAttribute('#ilp-f99', 'class')).toBe('chip');
      expect(Number(await page.textContent('#ilp-f99 b'))).toBeGreaterThan(0);
      expect(await page.textContent('#ilp-results .chip.bad')).not.toMatch(/F99/);
      expect(await page.locator('#ilp-results .chip.bad').count()).toBe(1);
      expect(await page.textContent('#ilp-results + .note')).toMatch(/F99.*not a failure/);
      expect(await page.textContent('#logins-total')).toBe('1 since start');
      expect(await page.textContent('#logins')).toMatch(/127\.0\.0\.1/);
      // Full npubs, each with a copy button that puts it on the clipboard.
      const npub = (await page.textContent('#t-payers tbody tr:first-child td.npub code'))!;
      expect(npub).toMatch(/^npub1[02-9ac-hj-np-z]{58}$/);
      await page.click('#t-payers tbody tr:first-child button.copy');
      expect(await page.evaluate(() => (globalThis as unknown as Dom).navigator.clipboard.readText())).toBe(npub);
      expect(await page.textContent('#t-payers tbody tr:first-child button.copy')).toBe('copied');
      expect(await page.textContent('#refusals')).toMatch(/payment-required/);
      expect(await page.textContent('#t-errors')).toMatch(/btp refused — reason=unknown token/);
      expect(await page.textContent('#backups')).not.toMatch(/none yet/);
      for (const chart of ['#c-throughput', '#c-revenue', '#c-connections', '#c-database', '#c-process']) {
        expect(await page.locator(`${chart} svg path.line`).count(), chart).toBeGreaterThan(0);
        expect(await page.locator(`${chart} .empty`).count(), chart).toBe(0);
      }
      // Hovering a chart shows its values.
      await page.locator('#c-throughput svg').scrollIntoViewIfNeeded();
      const box = (await page.locator('#c-throughput svg').boundingBox())!;
      await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
      expect(await page.locator('#c-throughput .tip').isVisible()).toBe(true);
      await page.mouse.move(0, 0);

      await page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));
      const file = path.join(SCREENSHOTS, colorScheme === 'dark' ? 'dashboard.png' : 'dashboard-light.png');
      await page.screenshot({ path: file, fullPage: true });
      console.log(`screenshot: ${file}`);
      expect(problems).toEqual([]);
      await context.close();
    }
  });

  it('works with the credentials in the URL (http://user:pass@host/dashboard), then shows one status when contact is lost', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && problems.push(`console ${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('response', (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()} for ${r.url()}`));

    const res = await page.goto(`http://${USER}:${PASSWORD}@127.0.0.1:${peer!.port}/dashboard`);
    expect(res?.status()).toBe(200);
    await page.waitForSelector('body[data-state="ok"]', { timeout: 15_000 });
    expect(await page.locator('#banner').isHidden()).toBe(true);
    expect(await page.textContent('#name')).toBe('relay.example');
    await expectMoneyShown(page);
    // The next polls keep working (the browser keeps sending the credentials it signed in with).
    const first = await page.textContent('#updated');
    await page.waitForFunction((before) => (globalThis as unknown as Dom).document.getElementById('updated').textContent !== before, first, { timeout: 15_000 });
    expect(await page.getAttribute('body', 'data-state')).toBe('ok');
    expect(problems).toEqual([]);

    // Contact lost: the header says so once, in one colour (no green mark beside a red "no contact").
    await page.route('**/dashboard/api/summary**', (route) => route.abort());
    await page.click('.range button[data-range="900"]');
    await page.waitForSelector('body[data-state="error"]');
    expect(await page.textContent('#updated')).toMatch(/^no contact since \d/);
    expect(await page.locator('#banner').isVisible()).toBe(true);
    const colours = await page.evaluate(() => {
      const { document, getComputedStyle } = globalThis as unknown as Dom;
      const css = getComputedStyle(document.documentElement);
      const paint = (v: string) => {
        const probe = document.createElement('i');
        probe.style.color = css.getPropertyValue(v);
        document.body.append(probe);
        const c: string = getComputedStyle(probe).color;
        probe.remove();
        return c;
      };
      const header = [...document.querySelectorAll('header *')].flatMap((el: unknown) => {
        const s = getComputedStyle(el);
        return [s.color, s.backgroundColor, s.fill, s.stroke] as string[];
      });
      return { dot: getComputedStyle(document.querySelector('.live i')).backgroundColor as string, rose: paint('--rose'), green: paint('--green'), header };
    });
    expect(colours.dot).toBe(colours.rose);
    expect(colours.header).not.toContain(colours.green);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'dashboard-no-contact.png') });
    await context.close();
  });
});

/** The page's globals inside page.evaluate (the tests' TypeScript has no DOM library). */
type Dom = { document: any; navigator: any; getComputedStyle(el: unknown): any };

/** Micro-price revenue reads with an SI prefix and 4 digits that agree with its exact title, and so does its axis. */
async function expectMoneyShown(page: Page): Promise<void> {
  const tile = await page.evaluate(() => {
    const el = (globalThis as unknown as Dom).document.getElementById('k-revenue');
    return { text: el.textContent as string, exact: el.title as string };
  });
  expect(tile.exact).toMatch(/^0\.00\d+ USD$/);
  const m = /^(\d{1,3}(?:\.\d+)?)([mµ])USD$/.exec(tile.text);
  expect(m, tile.text).not.toBeNull();
  const perUnit = m![2] === 'm' ? 1e3 : 1e6;
  expect(Math.abs(Number(m![1]) - Number(tile.exact.split(' ')[0]) * perUnit)).toBeLessThan(0.051);
  expect(m![1].replace('.', '').replace(/^0+/, '').length).toBeLessThanOrEqual(4);
  // y-axis labels of the revenue chart: 5 different values with one unit, none "0.00"
  const labels = await page.$$eval('#c-revenue .axis text', (els) => els.slice(0, 5).map((e) => e.textContent!));
  expect(new Set(labels).size).toBe(5);
  const unit = labels[4].split(' ')[1];
  expect(unit).toMatch(/^[mµ]USD$/);
  for (const l of labels) expect(l).toMatch(new RegExp(`^\\d+(\\.\\d+)? ${unit}$`));
  expect(labels[0]).toBe(`0 ${unit}`);
}
