import { afterAll, beforeAll, expect, it } from 'vitest';
import { SimplePool, useWebSocketImplementation } from 'nostr-tools/pool';
import { finalizeEvent, generateSecretKey } from 'nostr-tools/pure';
import WebSocket from 'ws';
import { startPeer, type StartedPeer } from 'ilp-nostr-peer';

useWebSocketImplementation(WebSocket); // Node 20 has no global WebSocket (Node 22 does)

let peer: StartedPeer;
beforeAll(async () => { peer = await startPeer({ MAX_LIMIT: 100 }); });
afterAll(() => peer.stop());

it('publishes and reads back', async () => {
  const pool = new SimplePool();
  const ev = finalizeEvent({ kind: 1, created_at: Math.floor(Date.now() / 1000), tags: [], content: 'hi' }, generateSecretKey());
  await Promise.all(pool.publish([peer.url], ev));
  expect(await pool.querySync([peer.url], { ids: [ev.id] })).toHaveLength(1);
  pool.destroy();
});
