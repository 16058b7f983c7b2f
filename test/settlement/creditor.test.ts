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

// The creditor's checks, driven as a peer drives them: vouchers over a raw BTP connection, against a channel
// opened on the (in-memory) chain. ASSET_SCALE 2 with a 6-decimal token: 10,000 token units make one ledger unit.
const USDC = '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913' as const;
const OTHER_TOKEN = '0x0000000000000000000000000000000000000abc' as const;
const TOKEN = 'a-logs-into-b-0123456789';
const chain = new MemoryChain();
const payer = privateKeyToAccount(generatePrivateKey());
const us = privateKeyToAccount(generatePrivateKey());
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

async function send(data: Uint8Array): Promise<{ accepted?: string; error?: string; code?: string }> {
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

async function openChannel(deposit: bigint, from = payer, payee = us.address, token: Hex = USDC) {
  const salt = `0x${randomBytes(32).toString('hex')}` as Hex;
  if (from !== payer) chain.mint(from.address, deposit);
  const { channelId } = await chain.client(from.address).open(payee, token, deposit, salt, zeroAddress);
  const voucher = async (cumulativeAmount: bigint, signer = from, scope = { chainId: chain.chainId, contract: chain.contract }): Promise<VoucherMessage> => ({
    type: 'voucher',
    chain: 'base',
    channelId,
    payer: from.address,
    token,
    salt,
    authorizedSigner: zeroAddress,
    cumulativeAmount,
    signature: await signVoucher(signer, { ...scope, channelId, cumulativeAmount }),
  });
  return { channelId, voucher };
}

const encode = (v: VoucherMessage) => encodeSettlementMessage(v);

describe('the creditor', () => {
  it('answers paymentDetails with its address on the chain', async () => {
    expect(await send(encodeSettlementMessage({ type: 'paymentDetails', chain: 'base' }))).toEqual({ address: us.address });
    expect(await send(encodeSettlementMessage({ type: 'paymentDetails', chain: 'cronos' }))).toMatchObject({ code: 'F01', error: 'no settlement on chain "cronos" here' });
  });

  it('credits each increase once, keeps token sub-units below a ledger unit as a leftover, and ignores replays', async () => {
    const { voucher } = await openChannel(1_000_000n);
    const before = credited();
    expect(await send(encode(await voucher(12_345n)))).toEqual({ accepted: '12345' });
    // 12,345 token units: 1 ledger unit, 2,345 kept
    expect(credited()).toEqual({ received: before.received + 1n, sum: 0n });
    expect(await send(encode(await voucher(12_345n)))).toEqual({ accepted: '12345' });
    expect(await send(encode(await voucher(10_000n)))).toEqual({ accepted: '12345' });
    expect(credited().received).toBe(before.received + 1n);
    // +7,655 with the 2,345 kept: exactly one more unit, nothing left over
    expect(await send(encode(await voucher(20_000n)))).toEqual({ accepted: '20000' });
    expect(credited()).toEqual({ received: before.received + 2n, sum: 0n });
    expect(await send(encode(await voucher(1_000_000n)))).toEqual({ accepted: '1000000' });
    expect(credited()).toEqual({ received: before.received + 100n, sum: 0n });
  });

  it.each([
    ['signed by someone else', async () => (await openChannel(1_000_000n)).voucher(50_000n, privateKeyToAccount(generatePrivateKey())), 'F01', /not signed by the channel payer/],
    ['for another chain id', async () => (await openChannel(1_000_000n)).voucher(50_000n, payer, { chainId: 1, contract: chain.contract }), 'F01', /not signed/],
    ['for another contract', async () => (await openChannel(1_000_000n)).voucher(50_000n, payer, { chainId: chain.chainId, contract: OTHER_TOKEN }), 'F01', /not signed/],
    ['above the deposit', async () => (await openChannel(40_000n)).voucher(50_000n), 'F01', /above the channel's deposit of 40000/],
    ['in another token', async () => (await openChannel(1_000_000n, payer, us.address, OTHER_TOKEN)).voucher(50_000n), 'F01', /token is not/],
    ['on a channel to someone else', async () => (await openChannel(1_000_000n, payer, privateKeyToAccount(generatePrivateKey()).address)).voucher(50_000n), 'F01', /does not match a channel from the payer to us/],
  ])('refuses a voucher %s, crediting nothing', async (_name, make, code, message) => {
    const before = credited();
    const v = await make();
    expect(await send(encode(v))).toMatchObject({ code, error: expect.stringMatching(message) });
    expect(credited()).toEqual(before);
  });

  it('refuses a voucher whose channel is not on chain, or when the chain cannot be read, as a temporary failure', async () => {
    const { voucher } = await openChannel(1_000_000n);
    const v = await voucher(30_000n);
    chain.down = true;
    try {
      expect(await send(encode(v))).toMatchObject({ code: 'T00', error: expect.stringMatching(/cannot read the channel/) });
    } finally {
      chain.down = false;
    }
    const ghost = { ...v, salt: `0x${'11'.repeat(32)}` as Hex };
    expect(await send(encode(ghost))).toMatchObject({ code: 'F01' });
    const before = credited();
    expect(await send(encode(v))).toEqual({ accepted: '30000' });
    expect(credited().received).toBe(before.received + 3n);
  });

  it('refuses vouchers on a channel whose close ends within the safety margin', async () => {
    const { channelId, voucher } = await openChannel(1_000_000n);
    await chain.client(payer.address).requestClose(channelId);
    // half the grace period is the margin
    chain.time += chain.closeGracePeriod / 2n + 1n;
    const before = credited();
    expect(await send(encode(await voucher(40_000n)))).toMatchObject({ code: 'F01', error: 'the channel is closing' });
    expect(credited()).toEqual(before);
  });

  it('takes a voucher on a closing channel inside the margin and closes the channel with it at once', async () => {
    const { channelId, voucher } = await openChannel(1_000_000n);
    expect(await send(encode(await voucher(20_000n)))).toEqual({ accepted: '20000' });
    const ch = chain.channels.get(channelId)!;
    expect(ch.settled).toBe(0n); // under the redeem threshold: held
    await chain.client(payer.address).requestClose(channelId);
    expect(await send(encode(await voucher(30_000n)))).toEqual({ accepted: '30000' });
    await new Promise((r) => setTimeout(r, 100));
    expect(ch.finalized).toBe(true);
    expect(ch.settled).toBe(30_000n);
    expect(await send(encode(await voucher(40_000n)))).toMatchObject({ code: 'F01', error: 'the channel is closed' });
  });

  it('answers malformed and oversized settlement messages F01 and keeps the connection', async () => {
    expect(await send(new TextEncoder().encode('{not json'))).toMatchObject({ code: 'F01', error: 'settlement message is not JSON' });
    expect(await send(new TextEncoder().encode(JSON.stringify({ type: 'voucher', chain: 'base', cumulativeAmount: '1' })))).toMatchObject({ code: 'F01' });
    expect(await send(new TextEncoder().encode(JSON.stringify({ type: 'voucher', chain: 'base', channelId: `0x${'1'.repeat(64)}`, payer: us.address, token: USDC, salt: `0x${'1'.repeat(64)}`, authorizedSigner: zeroAddress, cumulativeAmount: (2n ** 128n).toString(), signature: `0x${'1'.repeat(130)}` })))).toMatchObject({ code: 'F01', error: /uint128/ });
    expect(await send(new Uint8Array(3000).fill(32))).toMatchObject({ code: 'F01', error: 'settlement message larger than 2048 bytes' });
    expect(await send(encodeSettlementMessage({ type: 'paymentDetails', chain: 'base' }))).toEqual({ address: us.address });
  });
});
