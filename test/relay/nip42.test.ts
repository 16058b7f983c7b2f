import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPeer, type StartedPeer } from '../../src/library';
import { signer, TestClient } from '../helpers/client';
import { authenticate, authEvent, challenge, count, sendAuth } from '../helpers/nips';

const now = () => Math.floor(Date.now() / 1000);
// AUTH needs PUBLIC_URL: the relay tag is checked against it, never against the client's own Host header.
const RELAY = 'wss://relay.test';
const ids = (r: { events: { id: string }[] }) => r.events.map((e) => e.id);

describe('NIP-42 AUTH and NIP-70 protected events (default settings)', () => {
  let peer: StartedPeer;
  beforeAll(async () => {
    peer = await startPeer({ PUBLIC_URL: RELAY });
  });
  afterAll(() => peer.stop());

  it('sends no challenge until one is needed, then sends it with the auth-required answer', async () => {
    const c = await TestClient.connect(peer.url);
    const alice = signer();
    await c.req('first', { limit: 0 });
    expect(c.messages.some((m) => m[0] === 'AUTH')).toBe(false);
    const guarded = alice.sign({ content: 'only from alice', tags: [['-']] });
    const [, , ok, msg] = await c.publish(guarded);
    expect(ok).toBe(false);
    expect(msg).toMatch(/^auth-required: /);
    const at = c.messages.findIndex((m) => m[0] === 'AUTH');
    expect(at).toBeGreaterThanOrEqual(0);
    expect(at).toBeLessThan(c.messages.findIndex((m) => m[0] === 'OK'));
    expect(c.messages[at][1]).toMatch(/^[0-9a-f]{32}$/);

    await authenticate(c, alice, RELAY);
    expect(await c.publish(guarded)).toEqual(['OK', guarded.id, true, '']);
    // the same challenge is used for the whole connection: it is sent only once
    expect(c.messages.filter((m) => m[0] === 'AUTH')).toHaveLength(1);
    await c.close();
  });

  it('accepts a protected event only from its authenticated author', async () => {
    const c = await TestClient.connect(peer.url);
    const alice = signer();
    const bob = signer();
    await c.publish(alice.sign({ tags: [['-']] }));
    await authenticate(c, bob, RELAY);
    const [, , ok, msg] = await c.publish(alice.sign({ content: 'rebroadcast by bob', tags: [['-']] }));
    expect(ok).toBe(false);
    expect(msg).toMatch(/^restricted: /);
    // a client may authenticate several pubkeys on one connection
    await authenticate(c, alice, RELAY);
    expect((await c.publish(alice.sign({ content: 'now fine', tags: [['-']] })))[2]).toBe(true);
    expect((await c.publish(bob.sign({ content: 'bob too', tags: [['-']] })))[2]).toBe(true);
    await c.close();
  });

  it('refuses AUTH events that are wrong in any way', async () => {
    const c = await TestClient.connect(peer.url);
    const s = signer();
    await c.publish(s.sign({ tags: [['-']] })); // gets the challenge sent
    const ch = await challenge(c);
    const cases: [string, ReturnType<typeof authEvent>, RegExp][] = [
      ['wrong kind', authEvent(s, ch, RELAY, { kind: 1 }), /kind 22242/],
      ['wrong challenge', authEvent(s, 'f'.repeat(32), RELAY), /challenge/],
      ['another relay', authEvent(s, ch, 'wss://elsewhere.example'), /relay tag/],
      ['stale', authEvent(s, ch, RELAY, { created_at: now() - 3600 }), /created_at/],
      ['from the future', authEvent(s, ch, RELAY, { created_at: now() + 3600 }), /created_at/],
      ['no relay tag', authEvent(s, ch, RELAY, { tags: [['challenge', ch]] }), /relay tag/],
    ];
    for (const [name, e, reason] of cases) {
      const [, , ok, msg] = await sendAuth(c, e);
      expect(ok, name).toBe(false);
      expect(msg, name).toMatch(/^invalid: /);
      expect(msg, name).toMatch(reason);
    }
    const good = authEvent(s, ch, RELAY);
    const [, , ok, msg] = await sendAuth(c, { ...good, sig: authEvent(signer(), ch, RELAY).sig });
    expect([ok, msg]).toEqual([false, 'invalid: signature does not verify']);
    c.send(['AUTH', 'not an event']);
    expect((await c.next((m) => m[0] === 'NOTICE'))[1]).toMatch(/^invalid: event must be a JSON object/);
    // nothing above authenticated the session
    expect((await c.publish(s.sign({ tags: [['-']] })))[3]).toMatch(/^auth-required: /);
    await c.close();
  });

  it('refuses AUTH on a connection that was never sent a challenge', async () => {
    const c = await TestClient.connect(peer.url);
    const [, , ok, msg] = await sendAuth(c, authEvent(signer(), 'f'.repeat(32), RELAY));
    expect([ok, msg]).toEqual([false, expect.stringMatching(/^invalid: the challenge/)]);
    await c.close();
  });

  it('does not take AUTH events (kind 22242) as EVENT', async () => {
    const c = await TestClient.connect(peer.url);
    const [, , ok, msg] = await c.publish(authEvent(signer(), 'x', RELAY));
    expect([ok, msg]).toEqual([false, expect.stringMatching(/^invalid: AUTH events/)]);
    await c.close();
  });
});

describe('PUBLIC_URL in the relay tag', () => {
  it('refuses AUTH, and settings that need it, without PUBLIC_URL', async () => {
    await expect(startPeer({ AUTH_REQUIRED: 'true' })).rejects.toThrow(/PUBLIC_URL/);
    await expect(startPeer({ PROTECTED_DMS: 'true' })).rejects.toThrow(/PUBLIC_URL/);
    const p = await startPeer();
    const c = await TestClient.connect(p.url);
    const s = signer();
    expect((await c.publish(s.sign({ tags: [['-']] })))[3]).toMatch(/^auth-required: /);
    const ch = await challenge(c);
    // a client's own Host header proves nothing: a relay tag naming it is refused
    expect((await sendAuth(c, authEvent(s, ch, p.url)))[3]).toMatch(/^restricted: .*PUBLIC_URL/);
    await c.close();
    await p.stop();
  });

  it('checks scheme, host and path against PUBLIC_URL, ignoring case and a trailing slash', async () => {
    const p = await startPeer({ PUBLIC_URL: 'wss://Relay.Example/nostr' });
    const c = await TestClient.connect(p.url);
    const s = signer();
    await c.publish(s.sign({ tags: [['-']] }));
    const ch = await challenge(c);
    for (const wrong of [p.url, 'ws://relay.example/nostr', 'wss://relay.example', 'wss://relay.example.evil/nostr']) {
      expect((await sendAuth(c, authEvent(s, ch, wrong)))[3], wrong).toMatch(/^invalid: the relay tag/);
    }
    expect((await sendAuth(c, authEvent(s, ch, 'wss://relay.example/nostr/')))[2]).toBe(true);
    await c.close();
    await p.stop();
  });
});

describe('AUTH_REQUIRED', () => {
  let peer: StartedPeer;
  beforeAll(async () => {
    peer = await startPeer({ AUTH_REQUIRED: 'true', PUBLIC_URL: RELAY });
  });
  afterAll(() => peer.stop());

  it('sends the challenge at connect and refuses EVENT, REQ and COUNT until AUTH', async () => {
    const c = await TestClient.connect(peer.url);
    const s = signer();
    const ch = await challenge(c);
    const e = s.sign({ content: 'hello' });
    expect((await c.publish(e))[3]).toMatch(/^auth-required: /);
    expect((await c.req('r', { limit: 1 })).closed).toMatch(/^auth-required: /);
    expect(await count(c, 'n', {})).toEqual(['CLOSED', 'n', expect.stringMatching(/^auth-required: /)]);
    await authenticate(c, s, RELAY, ch);
    expect((await c.publish(e))[2]).toBe(true);
    // anyone authenticated may publish anyone's signed event (AUTH_REQUIRED is about the client, not the author)
    const other = signer().sign({ content: 'relayed' });
    expect((await c.publish(other))[2]).toBe(true);
    expect(ids(await c.req('r2', { ids: [e.id, other.id] })).sort()).toEqual([e.id, other.id].sort());
    expect(await count(c, 'n2', { ids: [e.id] })).toEqual(['COUNT', 'n2', { count: 1 }]);
    expect(c.messages.filter((m) => m[0] === 'AUTH')).toHaveLength(1);
    await c.close();
  });

  it('publishes auth_required in NIP-11', async () => {
    const info = (await (await fetch(peer.httpUrl, { headers: { Accept: 'application/nostr+json' } })).json()) as {
      limitation: { auth_required: boolean };
    };
    expect(info.limitation.auth_required).toBe(true);
  });
});

describe('PROTECTED_DMS: kinds 4 and 1059 only for their parties', () => {
  let peer: StartedPeer;
  let writer: TestClient;
  const alice = signer();
  const bob = signer();
  const carol = signer();
  const dm = alice.sign({ kind: 4, content: 'ciphertext?iv=x', tags: [['p', bob.pubkey]] });
  const wrap = signer().sign({ kind: 1059, content: 'sealed', tags: [['p', bob.pubkey]] });
  const note = alice.sign({ content: 'public' });

  beforeAll(async () => {
    peer = await startPeer({ PROTECTED_DMS: 'true', PUBLIC_URL: RELAY });
    writer = await TestClient.connect(peer.url);
    for (const e of [dm, wrap, note]) expect((await writer.publish(e))[2]).toBe(true);
  });
  afterAll(async () => {
    await writer.close();
    await peer.stop();
  });

  it('asks for AUTH when a REQ or COUNT names a DM kind', async () => {
    const c = await TestClient.connect(peer.url);
    await challenge(c); // sent at connect when DMs are protected
    expect((await c.req('dms', { kinds: [4], '#p': [bob.pubkey] })).closed).toMatch(/^auth-required: /);
    expect((await count(c, 'n', { kinds: [1059] }))[0]).toBe('CLOSED');
    await c.close();
  });

  it('leaves DMs out of other answers to an unauthenticated client', async () => {
    const c = await TestClient.connect(peer.url);
    expect(ids(await c.req('alice', { authors: [alice.pubkey] }))).toEqual([note.id]);
    expect(ids(await c.req('bob', { '#p': [bob.pubkey] }))).toEqual([]);
    expect(await count(c, 'n', { '#p': [bob.pubkey] })).toEqual(['COUNT', 'n', { count: 0 }]);
    await c.close();
  });

  it('serves a DM to its author and its recipient, and a gift wrap to its recipient', async () => {
    const forBob = await TestClient.connect(peer.url);
    await authenticate(forBob, bob, RELAY);
    expect(ids(await forBob.req('in', { kinds: [4, 1059], '#p': [bob.pubkey] })).sort()).toEqual([dm.id, wrap.id].sort());
    expect(await count(forBob, 'n', { kinds: [4, 1059] })).toEqual(['COUNT', 'n', { count: 2 }]);
    const forAlice = await TestClient.connect(peer.url);
    await authenticate(forAlice, alice, RELAY);
    expect(ids(await forAlice.req('out', { kinds: [4, 1059] }))).toEqual([dm.id]);
    const forCarol = await TestClient.connect(peer.url);
    await authenticate(forCarol, carol, RELAY);
    expect(ids(await forCarol.req('none', { kinds: [4, 1059] }))).toEqual([]);
    expect(ids(await forCarol.req('ids', { ids: [dm.id, wrap.id, note.id] }))).toEqual([note.id]);
    await Promise.all([forBob.close(), forAlice.close(), forCarol.close()]);
  });

  it('delivers live DMs only to subscribers who are parties', async () => {
    const stranger = await TestClient.connect(peer.url);
    await stranger.req('to-bob', { '#p': [bob.pubkey] });
    const open = await TestClient.connect(peer.url);
    await open.req('from-alice', { authors: [alice.pubkey] });
    const forBob = await TestClient.connect(peer.url);
    await authenticate(forBob, bob, RELAY);
    await forBob.req('inbox', { '#p': [bob.pubkey] });

    const live = alice.sign({ kind: 4, content: 'live?iv=y', tags: [['p', bob.pubkey]] });
    const liveNote = alice.sign({ content: 'live note' });
    await writer.publish(live);
    await writer.publish(liveNote);
    expect((await forBob.next((m) => m[0] === 'EVENT' && m[1] === 'inbox'))[2]).toEqual(live);
    expect((await open.next((m) => m[0] === 'EVENT' && m[1] === 'from-alice'))[2]).toEqual(liveNote);
    await open.req('marker', { ids: ['0'.repeat(64)] });
    await stranger.req('marker', { ids: ['0'.repeat(64)] });
    for (const c of [open, stranger]) expect(c.messages.filter((m) => m[0] === 'EVENT' && (m[2] as { id: string }).id === live.id)).toEqual([]);
    await Promise.all([stranger.close(), open.close(), forBob.close()]);
  });

  it('without PROTECTED_DMS, DMs are served like any event', async () => {
    const p = await startPeer();
    const c = await TestClient.connect(p.url);
    await c.publish(dm);
    expect(ids(await c.req('dm', { kinds: [4] }))).toEqual([dm.id]);
    expect(c.messages.some((m) => m[0] === 'AUTH')).toBe(false);
    await c.close();
    await p.stop();
  });
});
