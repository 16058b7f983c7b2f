import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { zeroAddress, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { btpAuthMessage, BtpMessageType, decodeBtpPacket, encodeBtpPacket, type BtpPacket } from '../../src/ilp';
import { encodeSettlementMessage, type VoucherMessage } from '../../src/settlement/settlement-messages';
import { signVoucher } from '../../src/settlement/contract';
import { startPeer, type StartedPeer } from '../../src/library';
import { readLedger } from '../helpers/ledger';
import { MemoryChain } from '../helpers/memory-chain';

// The creditor against a chain that reorgs: a deposit (open or topUp) counts only once CONFIRMATIONS blocks are on
// top of it, so one that a reorg drops was never credited. The in-memory chain mines a block per transaction,
// reads "confirmed" state that many blocks back, and snapshots/reverts as evm_snapshot/evm_revert do.
// ASSET_SCALE 2 with a 6-decimal token: 10,000 token units make one ledger unit.
const USDC = '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913' as const;
const TOKEN = 'a-logs-into-b-0123456789';
const CONFIRMATIONS = 3;
const chain = new MemoryChain();
chain.confirmations = CONFIRMATIONS;
const payer = privateKeyToAccount(generatePrivateKey());
const us = privateKeyToAccount(generatePrivateKey());
const asPayer = chain.client(payer.address);
let peer: StartedPeer;
let ws: WebSocket;
let requestId = 10;

beforeAll(async () => {
  chain.mint(payer.address, 10n ** 12n);
  peer = await startPeer(
    {
      ASSET_SCALE: 2,
      ILP_PEERS: JSON.stringify([{ id: 'a', token: TOKEN, creditLimit: '0', settlement: { chain: 'base', threshold: '100', redeemThreshold: '1000000' } }]),
    },
    { settlementChains: [chain.settlementChain(us, USDC)], settlementTickMs: 60_000 },
  );
  ws = new WebSocket(`ws://127.0.0.1:${peer.port}/btp`);
  await new Promise((r) => ws.once('open', r));
  await call(encodeBtpPacket(btpAuthMessage(1, { token: TOKEN, username: '' })));
});
afterAll(async () => {
  ws.close();
  await peer.stop();
});

function call(frame: Uint8Array): Promise<BtpPacket> {
  const answer = new Promise<BtpPacket>((resolve) => ws.once('message', (d) => resolve(decodeBtpPacket(new Uint8Array(d as Buffer)))));
  ws.send(frame);
  return answer;
}

async function send(v: VoucherMessage): Promise<{ accepted?: string; error?: string; code?: string }> {
  const data = encodeSettlementMessage(v);
  const p = await call(encodeBtpPacket({ type: BtpMessageType.Message, requestId: ++requestId, protocolData: [{ protocolName: 'settlement', contentType: 2, data }] }));
  if (p.type === BtpMessageType.Error) return { code: p.code, error: Buffer.from(p.data).toString() };
  expect(p.type).toBe(BtpMessageType.Response);
  return JSON.parse(Buffer.from(p.protocolData[0].data).toString()) as { accepted: string };
}

const credited = () => {
  const l = readLedger(peer.config.dataDir);
  const a = l.account('assets/interledger/a');
  const sum = l.sum();
  l.close();
  return { received: a.creditsPosted - a.debitsPosted, sum };
};

async function openChannel(deposit: bigint) {
  const salt = `0x${randomBytes(32).toString('hex')}` as Hex;
  const { channelId } = await asPayer.open(us.address, USDC, deposit, salt, zeroAddress);
  const voucher = async (cumulativeAmount: bigint): Promise<VoucherMessage> => ({
    type: 'voucher',
    chain: 'base',
    channelId,
    payer: payer.address,
    token: USDC,
    salt,
    authorizedSigner: zeroAddress,
    cumulativeAmount,
    signature: await signVoucher(payer, { chainId: chain.chainId, contract: chain.contract, channelId, cumulativeAmount }),
  });
  return { channelId, salt, voucher };
}

const later = (message: RegExp) => ({ code: 'T00', error: expect.stringMatching(message) });

describe(`the creditor on a chain that reorgs (${CONFIRMATIONS} confirmations)`, () => {
  it('answers a voucher on a channel opened below the confirmation depth T00, and credits it once the open is confirmed', async () => {
    const { voucher } = await openChannel(1_000_000n);
    const before = credited();
    expect(await send(await voucher(50_000n))).toMatchObject(later(/not yet confirmed/));
    chain.mine(CONFIRMATIONS - 1);
    expect(await send(await voucher(50_000n))).toMatchObject(later(/not yet confirmed/));
    expect(credited()).toEqual(before);
    chain.mine(1);
    expect(await send(await voucher(50_000n))).toEqual({ accepted: '50000' });
    expect(credited()).toEqual({ received: before.received + 5n, sum: 0n });
  });

  it('never credits a channel whose open a reorg dropped after it was seen', async () => {
    const before = credited();
    const revert = chain.snapshot();
    const { channelId, voucher } = await openChannel(1_000_000n);
    chain.mine(CONFIRMATIONS - 1);
    expect(await send(await voucher(70_000n))).toMatchObject(later(/not yet confirmed/));
    revert();
    expect(chain.channels.has(channelId)).toBe(false);
    chain.mine(CONFIRMATIONS + 2);
    expect(await send(await voucher(70_000n))).toMatchObject(later(/not on chain/));
    expect(credited()).toEqual(before);
  });

  it('answers a voucher above the confirmed deposit T00 while a topUp is below the depth, and credits nothing of a topUp a reorg dropped', async () => {
    const { channelId, voucher } = await openChannel(100_000n);
    chain.mine(CONFIRMATIONS);
    const before = credited();
    expect(await send(await voucher(50_000n))).toEqual({ accepted: '50000' });
    const revert = chain.snapshot();
    await asPayer.topUp(channelId, 100_000n, USDC, zeroAddress, '0x');
    expect(await send(await voucher(150_000n))).toMatchObject(later(/deposit.*not yet confirmed/));
    chain.mine(CONFIRMATIONS - 1);
    expect(await send(await voucher(150_000n))).toMatchObject(later(/deposit.*not yet confirmed/));
    revert();
    chain.mine(CONFIRMATIONS + 2);
    // the topUp is gone: the voucher is above what the channel holds, now final
    expect(await send(await voucher(150_000n))).toMatchObject({ code: 'F01', error: expect.stringMatching(/above the channel's deposit of 100000/) });
    expect(credited()).toEqual({ received: before.received + 5n, sum: 0n });
    // paid again, and confirmed: credited
    await asPayer.topUp(channelId, 100_000n, USDC, zeroAddress, '0x');
    chain.mine(CONFIRMATIONS);
    expect(await send(await voucher(150_000n))).toEqual({ accepted: '150000' });
    expect(credited()).toEqual({ received: before.received + 15n, sum: 0n });
  });

  // Regression: the creditor trusted the channel row's deposit for 30 s, and that row is also written from the
  // latest (unconfirmed) state when a redeem check or the engine's tick reads the channel: a voucher against an
  // unconfirmed topUp was credited from the cache, and a reorg then left the credit backed by nothing.
  it('does not credit a voucher against an unconfirmed topUp from its cached read of the channel', async () => {
    const { channelId, voucher } = await openChannel(100_000n);
    chain.mine(CONFIRMATIONS);
    const before = credited();
    expect(await send(await voucher(20_000n))).toEqual({ accepted: '20000' });
    const revert = chain.snapshot();
    await asPayer.topUp(channelId, 100_000n, USDC, zeroAddress, '0x');
    // within the confirmed deposit: accepted (and the redeem check after it reads the latest state)
    expect(await send(await voucher(30_000n))).toEqual({ accepted: '30000' });
    await new Promise((r) => setTimeout(r, 50));
    expect(await send(await voucher(150_000n))).toMatchObject(later(/deposit.*not yet confirmed/));
    revert();
    chain.mine(CONFIRMATIONS + 2);
    expect(await send(await voucher(150_000n))).toMatchObject({ code: 'F01' });
    expect(credited()).toEqual({ received: before.received + 3n, sum: 0n });
  });
});
