// StreamChannel on an in-process EVM (Hardhat 2 / EDR), driven with viem through src/settlement/chain.ts: every
// function, every custom error, vouchers replayed, lower, for another channel, chain or contract, overdraw, the
// grace period with time travel, the native coin, and tokens that return no bool, charge a fee, revert or lie.
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeAbiParameters, encodeFunctionData, hashTypedData, keccak256, maxUint128, numberToHex, parseAbiParameters, parseEther, stringToHex, zeroAddress, type Abi, type Address, type Hex } from 'viem';
import type { PrivateKeyAccount } from 'viem/accounts';
import { channelErrorName, deployStreamChannel, MAX_BLOCKS_PER_POLL, StreamChannelClient, type ChannelEvent } from '../../src/settlement/chain';
import {
  channelIdOf,
  NATIVE_TOKEN,
  recoverVoucherSigner,
  signVoucher,
  streamChannelAbi,
  voucherDigest,
  voucherTypedData,
  type ChannelKey,
} from '../../src/settlement/contract';
import { CHAIN_ID, startChain, type TestChain } from './helpers/chain';

const GRACE = 3600;
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

let chain: TestChain;
let deployer: PrivateKeyAccount, payer: PrivateKeyAccount, payee: PrivateKeyAccount, stranger: PrivateKeyAccount;
let address: Address;
let token: Address;
let asPayer: StreamChannelClient, asPayee: StreamChannelClient, asStranger: StreamChannelClient;
let tokenAbi: Abi;
let salts = 0;

const salt = (): Hex => `0x${(++salts).toString(16).padStart(64, '0')}`;

async function fails(p: Promise<unknown>, name: string): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected ${name}`).toBeDefined();
  expect(channelErrorName(err)).toBe(name);
}

async function balanceOf(tok: Address, who: Address): Promise<bigint> {
  if (tok === NATIVE_TOKEN) return chain.public.getBalance({ address: who });
  return (await chain.public.readContract({ address: tok, abi: tokenAbi, functionName: 'balanceOf', args: [who] })) as bigint;
}

async function mint(tok: Address, to: Address, amount: bigint): Promise<void> {
  const c = await chain.clients(deployer);
  const hash = await c.wallet!.writeContract({ address: tok, abi: tokenAbi, functionName: 'mint', args: [to, amount], account: deployer, chain: c.wallet!.chain });
  await chain.public.waitForTransactionReceipt({ hash, pollingInterval: 50 });
}

const sign = (key: ChannelKey, cumulativeAmount: bigint, by: PrivateKeyAccount = payer, scope = asPayer.scope) =>
  signVoucher(by, { ...scope, channelId: channelIdOf(key, scope), cumulativeAmount });

/** open() with a msg.value of our choosing (the client always sends the right one). */
const simulateOpen = (tok: Address, deposit: bigint, value: bigint) =>
  chain.public.simulateContract({ address, abi: streamChannelAbi, functionName: 'open', args: [payee.address, tok, deposit, salt(), zeroAddress], account: payer, value });

const simulateAs = (who: PrivateKeyAccount, functionName: string, args: unknown[]) =>
  chain.public.simulateContract({ address, abi: streamChannelAbi, functionName, args, account: who } as never);

async function eventsOf(tx: { blockNumber: bigint }): Promise<ChannelEvent[]> {
  return asPayer.events(tx.blockNumber, tx.blockNumber);
}

beforeAll(async () => {
  chain = await startChain();
  [deployer, payer, payee, stranger] = await Promise.all([0, 1, 2, 3].map((n) => chain.account(n)));
  address = await chain.deployChannel(GRACE, deployer);
  token = await chain.deployFixture('TestToken', deployer);
  tokenAbi = chain.fixtureAbi('TestToken');
  await mint(token, payer.address, 1_000_000n);
  [asPayer, asPayee, asStranger] = await Promise.all([payer, payee, stranger].map((a) => chain.channelClient(a, address)));
});

describe('StreamChannel views', () => {
  it('computes the channel id, voucher digest and domain as the TypeScript side does', async () => {
    const key: ChannelKey = { payer: payer.address, payee: payee.address, token, salt: salt(), authorizedSigner: zeroAddress };
    const read = (functionName: string, args: unknown[] = []) => chain.public.readContract({ address, abi: streamChannelAbi, functionName, args } as never);
    const id = channelIdOf(key, asPayer.scope);
    expect(await read('computeChannelId', [key.payer, key.payee, key.token, key.salt, key.authorizedSigner])).toBe(id);
    const voucher = { ...asPayer.scope, channelId: id, cumulativeAmount: 123_456n };
    expect(await read('getVoucherDigest', [id, 123_456n])).toBe(voucherDigest(voucher));
    expect(voucherDigest(voucher)).toBe(hashTypedData(voucherTypedData(voucher)));
    expect(voucherTypedData(voucher).domain).toEqual({ name: 'EVM Payment Channel', version: '1', chainId: CHAIN_ID, verifyingContract: address });
    expect(await read('VOUCHER_TYPEHASH')).toBe(keccak256(stringToHex('Voucher(bytes32 channelId,uint128 cumulativeAmount)')));
    const k = (text: string) => keccak256(stringToHex(text));
    expect(await read('domainSeparator')).toBe(
      keccak256(
        encodeAbiParameters(parseAbiParameters('bytes32, bytes32, bytes32, uint256, address'), [
          k('EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)'),
          k('EVM Payment Channel'),
          k('1'),
          BigInt(CHAIN_ID),
          address,
        ]),
      ),
    );
    expect(await asPayer.closeGracePeriod()).toBe(BigInt(GRACE));
    expect(await asPayer.getChannel(id)).toBeUndefined();
    expect(await asPayer.getChannels([id, id])).toEqual([undefined, undefined]);
  });

  it('refuses a zero grace period at deployment', async () => {
    await fails(deployStreamChannel(await chain.clients(deployer), 0), 'InvalidChannelParams');
  });
});

describe('StreamChannel with an ERC-20', () => {
  it('opens, settles, tops up and closes, paying each side to the unit', async () => {
    const before = { payer: await balanceOf(token, payer.address), payee: await balanceOf(token, payee.address) };
    const { key, channelId, tx } = await asPayer.open({ payee: payee.address, token, deposit: 1000n, salt: salt() });
    const [opened] = await eventsOf(tx);
    expect(opened).toMatchObject({ name: 'ChannelOpened', channelId, args: { payer: payer.address, payee: payee.address, token, authorizedSigner: zeroAddress, salt: key.salt, deposit: 1000n } });
    expect(await asPayer.getChannel(channelId)).toEqual({ payer: payer.address, payee: payee.address, deposit: 1000n, settled: 0n, closeRequestedAt: 0n, finalized: false });
    expect(await balanceOf(token, address)).toBeGreaterThanOrEqual(1000n);

    const s1 = await asPayee.settle(key, 300n, await sign(key, 300n));
    expect((await eventsOf(s1))[0]).toMatchObject({ name: 'Settled', args: { cumulativeAmount: 300n, deltaPaid: 300n, newSettled: 300n } });
    const s2 = await asPayee.settle(key, 450n, await sign(key, 450n));
    expect((await eventsOf(s2))[0]).toMatchObject({ name: 'Settled', args: { cumulativeAmount: 450n, deltaPaid: 150n, newSettled: 450n } });

    const t = await asPayer.topUp(key, 500n);
    expect((await eventsOf(t))[0]).toMatchObject({ name: 'TopUp', args: { additionalDeposit: 500n, newDeposit: 1500n } });

    const c = await asPayee.close(key, 1200n, await sign(key, 1200n));
    expect((await eventsOf(c))[0]).toMatchObject({ name: 'ChannelClosed', args: { settledToPayee: 1200n, refundedToPayer: 300n } });
    expect(await asPayer.getChannel(channelId)).toMatchObject({ deposit: 1500n, settled: 1200n, finalized: true });
    expect(await balanceOf(token, payee.address)).toBe(before.payee + 1200n);
    expect(await balanceOf(token, payer.address)).toBe(before.payer - 1200n);
  });

  it('sends concurrent transactions from one account one after another (no nonce clash)', async () => {
    const [a, b] = await Promise.all([1, 2].map(() => asPayer.open({ payee: payee.address, token, deposit: 10n, salt: salt() })));
    const [sa, sb] = await Promise.all([sign(a.key, 4n), sign(b.key, 6n)]);
    await Promise.all([asPayee.settle(a.key, 4n, sa), asPayee.settle(b.key, 6n, sb), asPayer.topUp(a.key, 1n), asPayer.topUp(b.key, 2n)]);
    expect(await asPayer.getChannels([a.channelId, b.channelId])).toMatchObject([
      { deposit: 11n, settled: 4n },
      { deposit: 12n, settled: 6n },
    ]);
  });

  it('answers every misuse with its custom error', async () => {
    const { key, channelId } = await asPayer.open({ payee: payee.address, token, deposit: 1000n, salt: salt() });
    await fails(asPayer.open({ payee: payee.address, token, deposit: 1n, salt: key.salt }), 'ChannelAlreadyExists');
    await fails(asPayer.open({ payee: zeroAddress, token, deposit: 1n, salt: salt() }), 'InvalidPayee');
    const unknown = { ...key, salt: salt() };
    await fails(asPayee.settle(unknown, 1n, await sign(unknown, 1n)), 'ChannelNotFound');
    await fails(asPayer.requestClose(channelIdOf(unknown, asPayer.scope)), 'ChannelNotFound');
    // token, signer or salt other than the channel was opened with
    const v1 = await sign(key, 1n);
    for (const [tok, signer, sl] of [[NATIVE_TOKEN, zeroAddress, key.salt], [token, payer.address, key.salt], [token, zeroAddress, salt()]] as const) {
      await fails(simulateAs(payee, 'settle', [channelId, 1n, v1, tok, signer, sl]), 'InvalidChannelParams');
      await fails(simulateAs(payee, 'close', [channelId, 1n, v1, tok, signer, sl]), 'InvalidChannelParams');
      await fails(simulateAs(payer, 'topUp', [channelId, 0n, tok, signer, sl]), 'InvalidChannelParams');
      await fails(simulateAs(payer, 'withdraw', [channelId, tok, signer, sl]), 'InvalidChannelParams');
    }
    // roles
    await fails(asPayer.settle(key, 1n, await sign(key, 1n)), 'NotPayee');
    await fails(asStranger.close(key, 0n, '0x'), 'NotPayee');
    await fails(asPayee.topUp(key, 0n), 'NotPayer');
    await fails(asPayee.requestClose(channelId), 'NotPayer');
    await fails(asStranger.withdraw(key), 'NotPayer');
    // amounts
    await fails(asPayee.settle(key, 1001n, await sign(key, 1001n)), 'AmountExceedsDeposit');
    await fails(asPayee.close(key, 1001n, await sign(key, 1001n)), 'AmountExceedsDeposit');
    await fails(asPayee.settle(key, 0n, await sign(key, 0n)), 'AmountNotIncreasing');
    await asPayee.settle(key, 100n, await sign(key, 100n));
    await fails(asPayee.settle(key, 100n, await sign(key, 100n)), 'AmountNotIncreasing'); // replayed
    await fails(asPayee.settle(key, 60n, await sign(key, 60n)), 'AmountNotIncreasing'); // lower
    await fails(asPayer.topUp(key, maxUint128), 'DepositOverflow');
    // not yet closable
    await fails(asPayer.withdraw(key), 'CloseNotReady');
    await asPayer.requestClose(channelId);
    await fails(asPayer.withdraw(key), 'CloseNotReady');
    expect(await asPayer.getChannel(channelId)).toMatchObject({ deposit: 1000n, settled: 100n, finalized: false });
  });

  it('takes only a low-s voucher signed by the channel signer for this channel, chain and contract', async () => {
    const { key, channelId } = await asPayer.open({ payee: payee.address, token, deposit: 1000n, salt: salt() });
    const other = await asPayer.open({ payee: payee.address, token, deposit: 1000n, salt: salt() });
    const otherContract = await chain.deployChannel(GRACE, deployer);
    const good = await sign(key, 10n);
    const variants: [string, Hex][] = [
      ['signed by someone else', await sign(key, 10n, stranger)],
      ['for another channel', await sign(other.key, 10n)],
      ['for another chain', await signVoucher(payer, { chainId: 8453, contract: address, channelId, cumulativeAmount: 10n })],
      ['for another contract', await signVoucher(payer, { chainId: CHAIN_ID, contract: otherContract, channelId, cumulativeAmount: 10n })],
      ['for another amount', await sign(key, 11n)],
      ['with high s', highS(good)],
      ['with v 0/1', `${good.slice(0, 130)}${(parseInt(good.slice(130), 16) - 27).toString(16).padStart(2, '0')}` as Hex],
      ['64 bytes', good.slice(0, 130) as Hex],
      ['empty', '0x'],
    ];
    for (const [what, sig] of variants) {
      await fails(asPayee.settle(key, 10n, sig), 'InvalidSignature').catch((e) => {
        throw new Error(`${what}: ${(e as Error).message}`);
      });
      expect(recoverVoucherSigner({ ...asPayer.scope, channelId, cumulativeAmount: 10n }, sig), what).not.toBe(payer.address);
    }
    expect(recoverVoucherSigner({ ...asPayer.scope, channelId, cumulativeAmount: 10n }, good)).toBe(payer.address);
    await asPayee.settle(key, 10n, good);
    expect(await asPayer.getChannel(channelId)).toMatchObject({ settled: 10n });
  });

  it('takes vouchers from the authorized signer, not the payer, when one is named', async () => {
    const session = await chain.account(9);
    const { key } = await asPayer.open({ payee: payee.address, token, deposit: 100n, salt: salt(), authorizedSigner: session.address });
    await fails(asPayee.settle(key, 5n, await sign(key, 5n, payer)), 'InvalidSignature');
    await asPayee.settle(key, 5n, await sign(key, 5n, session));
    expect(recoverVoucherSigner({ ...asPayer.scope, channelId: channelIdOf(key, asPayer.scope), cumulativeAmount: 5n }, await sign(key, 5n, session))).toBe(session.address);
  });

  it('requestClose starts the grace period once; topUp cancels it; the payee settles and closes during it', async () => {
    const { key, channelId } = await asPayer.open({ payee: payee.address, token, deposit: 1000n, salt: salt() });
    const r1 = await asPayer.requestClose(channelId);
    const [requested] = await eventsOf(r1);
    const at = (await asPayer.getChannel(channelId))!.closeRequestedAt;
    expect(requested).toMatchObject({ name: 'CloseRequested', args: { closeGraceEnd: at + BigInt(GRACE) } });
    await chain.increaseTime(10);
    expect(await eventsOf(await asPayer.requestClose(channelId))).toEqual([]); // the second request changes nothing
    expect((await asPayer.getChannel(channelId))!.closeRequestedAt).toBe(at);

    const t = await asPayer.topUp(key, 0n);
    expect((await eventsOf(t)).map((e) => e.name)).toEqual(['CloseRequestCancelled', 'TopUp']);
    expect((await asPayer.getChannel(channelId))!.closeRequestedAt).toBe(0n);

    await asPayer.requestClose(channelId);
    await chain.increaseTime(GRACE - 100);
    await fails(asPayer.withdraw(key), 'CloseNotReady');
    await asPayee.settle(key, 200n, await sign(key, 200n));
    const payeeBefore = await balanceOf(token, payee.address);
    await asPayee.close(key, 700n, await sign(key, 700n));
    expect(await balanceOf(token, payee.address)).toBe(payeeBefore + 500n);
    await fails(asPayer.withdraw(key), 'ChannelFinalized');
  });

  it('after the grace period the payer withdraws what is unsettled, and the channel is final for everyone', async () => {
    const { key, channelId } = await asPayer.open({ payee: payee.address, token, deposit: 1000n, salt: salt() });
    await asPayee.settle(key, 250n, await sign(key, 250n));
    await asPayer.requestClose(channelId);
    await chain.increaseTime(GRACE);
    const payerBefore = await balanceOf(token, payer.address);
    const w = await asPayer.withdraw(key);
    expect((await eventsOf(w)).map((e) => [e.name, e.args.settledToPayee, e.args.refundedToPayer])).toEqual([
      ['ChannelExpired', undefined, undefined],
      ['ChannelClosed', 250n, 750n],
    ]);
    expect(await balanceOf(token, payer.address)).toBe(payerBefore + 750n);
    const v = await sign(key, 900n);
    await fails(asPayee.settle(key, 900n, v), 'ChannelFinalized');
    await fails(asPayee.close(key, 900n, v), 'ChannelFinalized');
    await fails(asPayer.topUp(key, 1n), 'ChannelFinalized');
    await fails(asPayer.requestClose(channelId), 'ChannelFinalized');
    await fails(asPayer.withdraw(key), 'ChannelFinalized');
  });

  it('the payee can still close after the grace period while the payer has not withdrawn', async () => {
    const { key, channelId } = await asPayer.open({ payee: payee.address, token, deposit: 1000n, salt: salt() });
    await asPayer.requestClose(channelId);
    await chain.increaseTime(GRACE * 2);
    const payeeBefore = await balanceOf(token, payee.address);
    await asPayee.close(key, 999n, await sign(key, 999n));
    expect(await balanceOf(token, payee.address)).toBe(payeeBefore + 999n);
    await fails(asPayer.withdraw(key), 'ChannelFinalized');
  });

  it('close at or below what is settled needs no signature and refunds the rest', async () => {
    const { key, channelId } = await asPayer.open({ payee: payee.address, token, deposit: 1000n, salt: salt() });
    await asPayee.settle(key, 400n, await sign(key, 400n));
    const payerBefore = await balanceOf(token, payer.address);
    const c = await asPayee.close(key, 0n, '0x');
    expect((await eventsOf(c))[0]).toMatchObject({ name: 'ChannelClosed', args: { settledToPayee: 400n, refundedToPayer: 600n } });
    expect(await balanceOf(token, payer.address)).toBe(payerBefore + 600n);
    expect(await asPayer.getChannel(channelId)).toMatchObject({ finalized: true, settled: 400n });
  });
});

describe('StreamChannel with the native coin (token address(0))', () => {
  it('opens with msg.value, settles, tops up and withdraws to the wei', async () => {
    const deposit = parseEther('1');
    await fails(simulateOpen(NATIVE_TOKEN, deposit, deposit - 1n), 'InvalidChannelParams');
    const { key, channelId } = await asPayer.open({ payee: payee.address, token: NATIVE_TOKEN, deposit, salt: salt() });
    expect(await balanceOf(NATIVE_TOKEN, address)).toBe(deposit);
    const payeeBefore = await balanceOf(NATIVE_TOKEN, payee.address);
    const s = await asPayee.settle(key, 1234n, await sign(key, 1234n));
    expect(await balanceOf(NATIVE_TOKEN, payee.address)).toBe(payeeBefore + 1234n - s.fee);
    await asPayer.topUp(key, 10n);
    await asPayer.requestClose(channelId);
    await chain.increaseTime(GRACE);
    const payerBefore = await balanceOf(NATIVE_TOKEN, payer.address);
    const w = await asPayer.withdraw(key);
    expect(await balanceOf(NATIVE_TOKEN, payer.address)).toBe(payerBefore + deposit + 10n - 1234n - w.fee);
    expect(await balanceOf(NATIVE_TOKEN, address)).toBe(0n);
  });

  it('refuses native coin sent with an ERC-20 deposit', async () => {
    await fails(simulateOpen(token, 0n, 1n), 'InvalidChannelParams');
  });

  it('a payee contract that calls back in while being paid gets nowhere (reentrancy lock), and is paid once', async () => {
    const reenterer = await chain.deployFixture('Reenterer', deployer);
    const { key, channelId } = await asPayer.open({ payee: reenterer, token: NATIVE_TOKEN, deposit: 1000n, salt: salt() });
    const abi = chain.fixtureAbi('Reenterer');
    const c = await chain.clients(deployer);
    const call = async (functionName: string, args: unknown[]) => {
      const hash = await c.wallet!.writeContract({ address: reenterer, abi, functionName, args, account: deployer, chain: c.wallet!.chain } as never);
      await chain.public.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    };
    const v300 = await sign(key, 300n);
    const closeData = encodeFunctionData({ abi: streamChannelAbi, functionName: 'close', args: [channelId, 300n, v300, NATIVE_TOKEN, zeroAddress, key.salt] });
    await call('arm', [address, closeData]);
    const settleData = encodeFunctionData({ abi: streamChannelAbi, functionName: 'settle', args: [channelId, 100n, await sign(key, 100n), NATIVE_TOKEN, zeroAddress, key.salt] });
    await call('forward', [address, settleData, 0n]);
    const read = (functionName: string) => chain.public.readContract({ address: reenterer, abi, functionName } as never);
    expect(await read('attempts')).toBe(1n);
    expect(await read('reentered')).toBe(false);
    expect(await balanceOf(NATIVE_TOKEN, reenterer)).toBe(100n);
    expect(await asPayer.getChannel(channelId)).toMatchObject({ settled: 100n, finalized: false });
  });
});

describe('StreamChannel with awkward ERC-20s', () => {
  it('works with a token that returns no bool', async () => {
    const nb = await chain.deployFixture('NoBoolToken', deployer);
    await mint(nb, payer.address, 1000n);
    const { key } = await asPayer.open({ payee: payee.address, token: nb, deposit: 1000n, salt: salt() });
    await asPayee.settle(key, 10n, await sign(key, 10n));
    await asPayee.close(key, 30n, await sign(key, 30n));
    expect([await balanceOf(nb, payee.address), await balanceOf(nb, payer.address), await balanceOf(nb, address)]).toEqual([30n, 970n, 0n]);
  });

  it('refuses a fee-on-transfer token, which would leave the channel holding less than its deposit', async () => {
    const fee = await chain.deployFixture('FeeOnTransferToken', deployer);
    await mint(fee, payer.address, 10_000n);
    await fails(asPayer.open({ payee: payee.address, token: fee, deposit: 1000n, salt: salt() }), 'TransferFailed');
    expect(await balanceOf(fee, address)).toBe(0n);
  });

  it('a token that reverts or returns false fails the whole call and changes no state', async () => {
    const br = await chain.deployFixture('BreakableToken', deployer);
    await mint(br, payer.address, 1000n);
    const { key, channelId } = await asPayer.open({ payee: payee.address, token: br, deposit: 1000n, salt: salt() });
    const c = await chain.clients(deployer);
    const breakIt = async (how: number) => {
      const hash = await c.wallet!.writeContract({ address: br, abi: chain.fixtureAbi('BreakableToken'), functionName: 'setBroken', args: [how], account: deployer, chain: c.wallet!.chain });
      await chain.public.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    };
    for (const how of [1, 2]) {
      await breakIt(how);
      await fails(asPayee.settle(key, 100n, await sign(key, 100n)), 'TransferFailed');
      await fails(asPayer.topUp(key, 1n), 'TransferFailed');
      await fails(asPayer.open({ payee: payee.address, token: br, deposit: 1n, salt: salt() }), 'TransferFailed');
      expect(await asPayer.getChannel(channelId)).toMatchObject({ deposit: 1000n, settled: 0n, finalized: false });
    }
    await breakIt(0);
    await asPayee.settle(key, 100n, await sign(key, 100n));
    expect(await balanceOf(br, payee.address)).toBe(100n);
  });

  it('refuses an address without code as a token', async () => {
    await fails(simulateOpen(stranger.address, 1n, 0n), 'TransferFailed');
  });
});

describe('StreamChannel events', () => {
  it('watch hands over each event once, in order, only after `confirmations` blocks are on top of it', async () => {
    const from = (await chain.public.getBlockNumber()) + 1n;
    const seen: ChannelEvent[] = [];
    const throughs: bigint[] = [];
    const stop = asPayee.watch({ fromBlock: from, confirmations: 2, pollMs: 20, onEvents: (evs, through) => void (seen.push(...evs), throughs.push(through)) });
    try {
      const { key, channelId, tx } = await asPayer.open({ payee: payee.address, token, deposit: 10n, salt: salt() });
      const settled = await asPayee.settle(key, 3n, await sign(key, 3n));
      await new Promise((r) => setTimeout(r, 200));
      expect(seen.filter((e) => e.blockNumber === tx.blockNumber)).toEqual([]); // the settle block is on top: 1 confirmation
      await chain.rpc('evm_mine');
      await expect.poll(() => seen.filter((e) => e.channelId === channelId).map((e) => e.name), { timeout: 5000 }).toEqual(['ChannelOpened']);
      await chain.rpc('evm_mine');
      await expect.poll(() => seen.filter((e) => e.channelId === channelId).map((e) => e.name), { timeout: 5000 }).toEqual(['ChannelOpened', 'Settled']);
      expect(seen.find((e) => e.name === 'Settled')).toMatchObject({ blockNumber: settled.blockNumber, txHash: settled.hash, args: { deltaPaid: 3n } });
      await new Promise((r) => setTimeout(r, 100));
      expect(seen.filter((e) => e.channelId === channelId)).toHaveLength(2); // polled again and again, delivered once
      expect(throughs).toEqual([...throughs].sort((a, b) => (a < b ? -1 : 1)));
      expect(Math.max(...throughs.map(Number))).toBeLessThanOrEqual(Number(await chain.public.getBlockNumber()) - 2);
    } finally {
      stop();
    }
  });

  it('watch catches up a long way behind in bounded spans, and hands blocks over again when onEvents throws', async () => {
    const from = (await chain.public.getBlockNumber()) + 1n;
    await chain.rpc('hardhat_mine', [numberToHex(MAX_BLOCKS_PER_POLL + 500n)]);
    const { channelId } = await asPayer.open({ payee: payee.address, token, deposit: 1n, salt: salt() });
    const head = await chain.public.getBlockNumber();
    const spans: [bigint, number][] = [];
    let failOnce = true;
    const stop = asPayee.watch({
      fromBlock: from,
      confirmations: 0,
      pollMs: 2000, // the catch-up polls come at once; the retry after the throw waits this long
      onEvents: (evs, through) => {
        spans.push([through, evs.filter((e) => e.channelId === channelId).length]);
        if (through === head && failOnce) {
          failOnce = false;
          throw new Error('not stored');
        }
      },
    });
    try {
      await expect.poll(() => spans.length, { timeout: 20_000 }).toBe(3);
      expect(spans).toEqual([
        [from + MAX_BLOCKS_PER_POLL - 1n, 0],
        [head, 1],
        [head, 1],
      ]);
    } finally {
      stop();
    }
  });

  it('watch reports a failing poll and goes on', async () => {
    const broken = new StreamChannelClient(
      { ...(await chain.clients(payer)), public: { getBlockNumber: () => Promise.reject(new Error('rpc down')) } as never },
      address,
    );
    const errors: string[] = [];
    const stop = broken.watch({ fromBlock: 0n, confirmations: 0, pollMs: 10, onEvents: () => undefined, onError: (e) => errors.push((e as Error).message) });
    await expect.poll(() => errors.length, { timeout: 5000 }).toBeGreaterThanOrEqual(3);
    stop();
    expect(new Set(errors)).toEqual(new Set(['rpc down']));
  });
});

/** The other valid-looking form of a signature: s' = n - s with the recovery bit flipped. */
function highS(sig: Hex): Hex {
  const s = BigInt(`0x${sig.slice(66, 130)}`);
  const v = parseInt(sig.slice(130), 16);
  return `${sig.slice(0, 66)}${(N - s).toString(16).padStart(64, '0')}${(v === 27 ? 28 : 27).toString(16)}` as Hex;
}
