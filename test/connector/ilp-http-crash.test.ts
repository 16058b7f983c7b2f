import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { decodeIlpPacket, encodeIlpPacket, IlpPacketType } from '../../src/ilp';
import { startPeer } from '../../src/library';
import { spawnBundle } from '../helpers/bundle';
import { httpPeer, rafikiClient } from '../helpers/ilp-http';
import { readLedger } from '../helpers/ledger';

// A real process (the bundle) killed with SIGKILL while packets wait on an ILP-over-HTTP peer.
const dist = path.resolve(__dirname, '../../dist');
const dir = mkdtempSync(path.join(tmpdir(), 'ilp-http-crash-'));
const dataDir = path.join(dir, 'data');
const SENDER = 'sender-token-0123456789';

afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('voids at restart the transfers of packets in flight to an HTTP peer when the process was killed, and posts nothing', async () => {
  if (!existsSync(path.join(dist, 'peer.js'))) throw new Error('dist/peer.js is missing: run `npm run build` first (npm test does)');
  cpSync(dist, path.join(dir, 'app'), { recursive: true });
  const upstream = await httpPeer();
  upstream.handler = () => 'hang';
  const settings = {
    DATA_DIR: dataDir,
    ILP_PEERS: JSON.stringify([
      { id: 'sender', token: SENDER, creditLimit: '1000000' },
      { id: 'rafiki', token: 'rafiki-token-0123456789', creditLimit: '0', routes: ['test.rafiki'], http: { url: upstream.url, token: 'out-token' } },
    ]),
  };
  const { child, port } = await spawnBundle(path.join(dir, 'app/peer.js'), settings);
  const packet = (i: number) => {
    const fulfillment = randomBytes(32);
    return encodeIlpPacket({
      type: IlpPacketType.Prepare,
      amount: BigInt(1000 + i),
      expiresAt: new Date(Date.now() + 20_000),
      executionCondition: createHash('sha256').update(fulfillment).digest(),
      destination: `test.rafiki.bob${i}`,
      data: new Uint8Array(0),
    });
  };
  const packets = Array.from({ length: 5 }, (_, i) => packet(i));
  // the sender's pool has one socket; fresh agents for each packet so all five are in flight at once
  const clients = packets.map(() => rafikiClient(`http://127.0.0.1:${port}/ilp`, SENDER));
  const answers = packets.map((p, i) => clients[i].post(p).catch((err: Error) => err));
  for (let t = 0; t < 500 && upstream.received.length < packets.length; t++) await new Promise((r) => setTimeout(r, 10));
  expect(upstream.received).toHaveLength(packets.length);

  // every packet is forwarded, so its pending transfer is on disk
  const during = readLedger(dataDir);
  expect(during.account('assets/interledger/sender').debitsPending).toBe(5010n);
  during.close();

  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  for (const a of await Promise.all(answers)) expect(a).toBeInstanceOf(Error);
  clients.forEach((c) => c.close());

  const peer = await startPeer(settings);
  const l = readLedger(dataDir);
  const s = l.account('assets/interledger/sender');
  const r = l.account('assets/interledger/rafiki');
  expect(s).toEqual({ debitsPosted: 0n, creditsPosted: 0n, debitsPending: 0n, creditsPending: 0n });
  expect(r).toEqual({ debitsPosted: 0n, creditsPosted: 0n, debitsPending: 0n, creditsPending: 0n });
  expect(l.sum()).toBe(0n);
  l.close();

  // and the restarted peer forwards over HTTP again
  upstream.received.length = 0;
  upstream.handler = () => ({
    status: 200,
    body: encodeIlpPacket({ type: IlpPacketType.Reject, code: 'F99', triggeredBy: 'test.rafiki', message: '', data: new Uint8Array(0) }),
  });
  const again = rafikiClient(`${peer.httpUrl}/ilp`, SENDER);
  const reply = await again.post(packet(0));
  expect(decodeIlpPacket(new Uint8Array(reply.body))).toMatchObject({ code: 'F99' });
  again.close();
  await peer.stop();
  await upstream.close();
});
