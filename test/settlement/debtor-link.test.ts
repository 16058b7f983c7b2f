import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { btpAuthMessage, BtpMessageType, decodeBtpPacket, encodeBtpPacket, type BtpPacket } from '../../src/ilp';
import { Ledger } from '../../src/ledger/ledger';
import { startPeer, type StartedPeer } from '../../src/library';
import { openDatabase } from '../../src/storage/database';
import { MemoryChain } from '../helpers/memory-chain';

// The debtor speaks first when a peer it owes connects: after the answer to the peer's auth, never before it.
const USDC = '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913' as const;
const TOKEN = 'b-logs-into-a-0123456789';
let peer: StartedPeer;

beforeAll(async () => {
  const chain = new MemoryChain();
  const key = privateKeyToAccount(generatePrivateKey());
  chain.mint(key.address, 10n ** 9n);
  const settlement = { chain: 'base', threshold: '1000000' };
  peer = await startPeer(
    { ILP_PEERS: JSON.stringify([{ id: 'b', token: TOKEN, creditLimit: '0', settlement }]) },
    { settlementChains: [chain.settlementChain(key, USDC)], settlementTickMs: 60_000 },
  );
  // we owe b 5,000,000 (as if it had forwarded packets for us)
  const side = openDatabase(path.join(peer.config.dataDir, 'peer.sqlite'));
  new Ledger(side).transfer({ debitAccount: 'equity/owner', creditAccount: 'assets/interledger/b', amount: 5_000_000n });
  side.close();
});
afterAll(() => peer.stop());

describe('the debtor on connect', () => {
  it('answers the auth first, then asks the peer where to pay', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${peer.port}/btp`);
    const frames: BtpPacket[] = [];
    ws.on('message', (d) => frames.push(decodeBtpPacket(new Uint8Array(d as Buffer))));
    await new Promise((r) => ws.once('open', r));
    ws.send(encodeBtpPacket(btpAuthMessage(1, { token: TOKEN, username: '' })));
    for (let i = 0; i < 100 && frames.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    ws.close();
    expect(frames[0]).toMatchObject({ type: BtpMessageType.Response, requestId: 1 });
    expect(frames[1]).toMatchObject({ type: BtpMessageType.Message });
    expect(frames[1].protocolData[0].protocolName).toBe('settlement');
    expect(JSON.parse(Buffer.from(frames[1].protocolData[0].data).toString())).toEqual({ type: 'paymentDetails', chain: 'base' });
  });
});
