// The receiver behind the real Connector: its credit posts the money, and it routes our pushes to the client's
// ILDCP address <ILP_ADDRESS>.<peer>, as in the running peer.
import { finalizeEvent, generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { afterEach, expect, it } from 'vitest';
import { isFulfill } from '../../src/connector/local-receiver';
import { balanceAccount, peerAccount } from '../../src/ledger/account-paths';
import { spspResponse } from '../../src/payments/spsp';
import { connectClient, Harness, LineReader } from './harness';

let h: Harness;
afterEach(() => h.close());

it('pays, and runs a paid session whose pushes the connector routes to the client', async () => {
  h = new Harness({ viaConnector: ['alice'], creditLimit: 1_000_000n });
  const pubkey = getPublicKey(generateSecretKey());
  const json = JSON.parse(spspResponse(`/pay/${pubkey}`, h.credentials).body);
  const conn = await connectClient(h.plugin('alice'), { destinationAccount: json.destination_account, sharedSecret: Buffer.from(json.shared_secret, 'base64') });
  const stream = conn.createStream();
  const reader = new LineReader(stream);
  await stream.sendTotal(777);
  expect(h.balance(balanceAccount(pubkey))).toBe(777n);
  expect(h.ledger.balance(peerAccount('alice'))!.debitsPosted).toBe(777n);

  stream.write(`${JSON.stringify(['REQ', 'live', { kinds: [1] }])}\n`);
  expect(await reader.next()).toEqual(['EOSE', 'live']);
  const ev = JSON.parse(JSON.stringify(finalizeEvent({ kind: 1, created_at: Math.floor(Date.now() / 1000), tags: [], content: 'routed' }, generateSecretKey())));
  h.relay.handle(h.session(), JSON.stringify(['EVENT', ev]));
  expect(await reader.next()).toEqual(['EVENT', 'live', ev]);
  await new Promise((r) => setTimeout(r, 10));
  expect(h.pushes.length).toBeGreaterThan(0);
  expect(h.pushes.every((p) => p.prepare.destination === 'test.peer.alice' && isFulfill(p.reply))).toBe(true);
  expect(h.ledger.invariant().balanced).toBe(true);
  await conn.end();
});
