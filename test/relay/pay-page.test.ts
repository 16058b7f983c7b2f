import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPeer, type StartedPeer } from '../../src/library';

// Issue #14 item 7: the page hard-coded https:// even when served over plain http, and NIP-11 `fees` left out the
// per-byte price that a kind-1 event really pays.
const info = async (p: StartedPeer) =>
  (await (await fetch(p.httpUrl, { headers: { Accept: 'application/nostr+json' } })).json()) as Record<string, any>;

describe('the pay page and NIP-11 fees', () => {
  let plain: StartedPeer;
  let behindTls: StartedPeer;
  beforeAll(async () => {
    plain = await startPeer({ PRICE_BASE: '100', PRICE_PER_BYTE: '2' });
    behindTls = await startPeer({ PRICE_BASE: '100', PRICE_KINDS: '{"1":"40"}', PUBLIC_URL: 'wss://relay.example' });
  });
  afterAll(async () => {
    await plain.stop();
    await behindTls.stop();
  });

  it('served over plain http without PUBLIC_URL, links use http:// and ws:// to the host asked for', async () => {
    const html = await (await fetch(plain.httpUrl)).text();
    const host = `127.0.0.1:${plain.port}`;
    expect(html).toContain(`<code>http://${host}/pay/&lt;pubkey&gt;</code>`);
    expect(html).toContain(`<code>btp+ws://:&lt;token&gt;@${host}/btp</code>`);
    expect(html).not.toContain('https://');
    expect((await info(plain)).payments_url).toBe(`http://${host}/`);
  });

  it('with PUBLIC_URL wss://, links use https:// and btp+wss:// to the public host', async () => {
    const html = await (await fetch(behindTls.httpUrl)).text();
    expect(html).toContain('<code>https://relay.example/pay/&lt;pubkey&gt;</code>');
    expect(html).toContain('<code>btp+wss://:&lt;token&gt;@relay.example/btp</code>');
  });

  it('publishes the per-byte price in every fees.publication entry and explains it on the page', async () => {
    expect((await info(plain)).fees.publication).toEqual([{ amount: 100, per_byte: 2, unit: 'USD', scale: 9 }]);
    expect((await info(behindTls)).fees.publication).toEqual([
      { amount: 100, unit: 'USD', scale: 9 },
      { kinds: [1], amount: 40, unit: 'USD', scale: 9 },
    ]);
    expect(await (await fetch(plain.httpUrl)).text()).toContain('a 300-byte kind-1 event costs 100 + 300 × 2 = 700.');
    expect(await (await fetch(behindTls.httpUrl)).text()).toContain('a 300-byte kind-1 event costs 40 + 300 × 0 = 40.');
  });

  it('names no package page that does not exist as its software', async () => {
    expect(JSON.stringify(await info(plain))).not.toContain('npmjs.com');
  });
});
