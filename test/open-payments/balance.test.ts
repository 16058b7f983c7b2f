// GET /pay/<pubkey>/balance: private to its owner, proven with NIP-98 (kind 27235, exact URL, method, fresh, signed).
import { finalizeEvent, generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { npubEncode } from 'nostr-tools/nip19';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartedPeer } from '../../src/library';
import { pay } from '../helpers/payer';
import { startReceiver, WALLET_TOKEN } from './harness';

let peer: StartedPeer;
const sk = generateSecretKey();
const pubkey = getPublicKey(sk);
let origin: string;

beforeAll(async () => {
  peer = await startReceiver();
  origin = `http://127.0.0.1:${peer.port}`;
  await pay(peer.port, WALLET_TOKEN, pubkey, 4321);
});

afterAll(async () => {
  await peer?.stop();
});

function nip98(key: Uint8Array, url: string, method: string, createdAt = Math.floor(Date.now() / 1000)): string {
  const e = finalizeEvent({ kind: 27235, created_at: createdAt, tags: [['u', url], ['method', method]], content: '' }, key);
  return `Nostr ${Buffer.from(JSON.stringify(e)).toString('base64')}`;
}

const get = (path: string, authorization?: string) =>
  fetch(`${peer.httpUrl}${path}`, { headers: authorization ? { Authorization: authorization } : {} });

describe('the private balance', () => {
  it('answers its owner, with hex or npub in the URL the event names', async () => {
    for (const id of [pubkey, npubEncode(pubkey)]) {
      const path = `/pay/${id}/balance`;
      const res = await get(path, nip98(sk, `${origin}${path}`, 'GET'));
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ balance: '4321', assetCode: 'USD', assetScale: 2 });
    }
  });

  it.each([
    ['no header', () => undefined],
    ['another key', (url: string) => nip98(generateSecretKey(), url, 'GET')],
    ['a stale event', (url: string) => nip98(sk, url, 'GET', Math.floor(Date.now() / 1000) - 120)],
    ['an event from the future', (url: string) => nip98(sk, url, 'GET', Math.floor(Date.now() / 1000) + 120)],
    ['another URL', () => nip98(sk, `${origin}/pay/${getPublicKey(generateSecretKey())}/balance`, 'GET')],
    ['another method', (url: string) => nip98(sk, url, 'POST')],
    ['another kind', (url: string) => `Nostr ${Buffer.from(JSON.stringify(finalizeEvent({ kind: 1, created_at: Math.floor(Date.now() / 1000), tags: [['u', url], ['method', 'GET']], content: '' }, sk))).toString('base64')}`],
    ['a forged signature', (url: string) => {
      const e = JSON.parse(Buffer.from(nip98(sk, url, 'GET').slice(6), 'base64').toString());
      e.sig = e.sig.replace(/^./, (c: string) => (c === '0' ? '1' : '0'));
      return `Nostr ${Buffer.from(JSON.stringify(e)).toString('base64')}`;
    }],
    ['garbage', () => 'Nostr !!!'],
  ])('401 for %s', async (_, auth) => {
    const path = `/pay/${pubkey}/balance`;
    const res = await get(path, auth(`${origin}${path}`));
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: string; balance?: string };
    expect(typeof body.error).toBe('string');
    expect(body.balance).toBeUndefined();
  });
});
