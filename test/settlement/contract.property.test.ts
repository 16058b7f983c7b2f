// Random sequences of open/topUp/voucher/settle/requestClose/wait/withdraw/close on one StreamChannel (fast-check):
// every call does what a plain model predicts (or fails with the error it predicts), tokens are conserved to the
// unit across payer, payee and contract, and the payee never takes more than the best voucher signed.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Abi, Address, Hex } from 'viem';
import type { PrivateKeyAccount } from 'viem/accounts';
import { channelErrorName, type StreamChannelClient } from '../../src/settlement/chain';
import { channelIdOf, signVoucher, type ChannelKey } from '../../src/settlement/contract';
import { startChain, type TestChain } from './helpers/chain';

const GRACE = 3600;
const SUPPLY = 10n ** 12n;

type Action =
  | { kind: 'topUp'; amount: bigint }
  | { kind: 'voucher'; more: bigint }
  | { kind: 'settle'; pick: number }
  | { kind: 'requestClose' }
  | { kind: 'wait'; seconds: number }
  | { kind: 'withdraw' }
  | { kind: 'close'; pick: number | null };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant('topUp' as const), amount: fc.bigInt(0n, 500n) }),
  { arbitrary: fc.record({ kind: fc.constant('voucher' as const), more: fc.bigInt(1n, 400n) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('settle' as const), pick: fc.nat(50) }), weight: 3 },
  fc.record({ kind: fc.constant('requestClose' as const) }),
  // Multiples of 1000 s against a 3600 s grace period: never within real-time drift of the boundary.
  fc.record({ kind: fc.constant('wait' as const), seconds: fc.constantFrom(1000, 2000) }),
  fc.record({ kind: fc.constant('withdraw' as const) }),
  fc.record({ kind: fc.constant('close' as const), pick: fc.option(fc.nat(50), { nil: null }) }),
);

interface Model {
  deposit: bigint;
  settled: bigint;
  finalized: boolean;
  /** Seconds waited since the close request; null: none pending. */
  requestedFor: number | null;
  vouchers: { amount: bigint; sig: Hex }[];
}

let chain: TestChain;
let payer: PrivateKeyAccount, payee: PrivateKeyAccount;
let address: Address, token: Address;
let asPayer: StreamChannelClient, asPayee: StreamChannelClient;
let tokenAbi: Abi;
/** What every channel of this contract still holds, by the model: the contract's balance must equal the sum. */
const held = new Map<Hex, Model>();
let runs = 0;

const balance = async (who: Address) => (await chain.public.readContract({ address: token, abi: tokenAbi, functionName: 'balanceOf', args: [who] })) as bigint;

beforeAll(async () => {
  chain = await startChain();
  const [deployer, a, b] = await Promise.all([20, 21, 22].map((n) => chain.account(n)));
  [payer, payee] = [a, b];
  address = await chain.deployChannel(GRACE, deployer);
  token = await chain.deployFixture('TestToken', deployer);
  tokenAbi = chain.fixtureAbi('TestToken');
  const c = await chain.clients(deployer);
  const hash = await c.wallet!.writeContract({ address: token, abi: tokenAbi, functionName: 'mint', args: [payer.address, SUPPLY], account: deployer, chain: c.wallet!.chain });
  await chain.public.waitForTransactionReceipt({ hash, pollingInterval: 50 });
  asPayer = await chain.channelClient(payer, address);
  asPayee = await chain.channelClient(payee, address);
});

/** Runs `call`; returns the contract error name it failed with, or undefined when it succeeded. */
async function outcome(call: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await call();
    return undefined;
  } catch (err) {
    const name = channelErrorName(err);
    if (!name) throw err;
    return name;
  }
}

async function step(key: ChannelKey, id: Hex, m: Model, a: Action): Promise<void> {
  const pick = (i: number) => m.vouchers[i % m.vouchers.length];
  switch (a.kind) {
    case 'topUp': {
      const expected = m.finalized ? 'ChannelFinalized' : undefined;
      expect(await outcome(() => asPayer.topUp(key, a.amount))).toBe(expected);
      if (!expected) {
        m.deposit += a.amount;
        m.requestedFor = null;
      }
      return;
    }
    case 'voucher': {
      const amount = (m.vouchers.at(-1)?.amount ?? 0n) + a.more;
      m.vouchers.push({ amount, sig: await signVoucher(payer, { ...asPayer.scope, channelId: id, cumulativeAmount: amount }) });
      return;
    }
    case 'settle': {
      if (m.vouchers.length === 0) return;
      const v = pick(a.pick);
      const expected = m.finalized ? 'ChannelFinalized' : v.amount > m.deposit ? 'AmountExceedsDeposit' : v.amount <= m.settled ? 'AmountNotIncreasing' : undefined;
      expect(await outcome(() => asPayee.settle(key, v.amount, v.sig))).toBe(expected);
      if (!expected) m.settled = v.amount;
      return;
    }
    case 'requestClose': {
      const expected = m.finalized ? 'ChannelFinalized' : undefined;
      expect(await outcome(() => asPayer.requestClose(id))).toBe(expected);
      if (!expected && m.requestedFor === null) m.requestedFor = 0;
      return;
    }
    case 'wait':
      await chain.increaseTime(a.seconds);
      if (m.requestedFor !== null) m.requestedFor += a.seconds;
      return;
    case 'withdraw': {
      const expected = m.finalized ? 'ChannelFinalized' : m.requestedFor === null || m.requestedFor < GRACE ? 'CloseNotReady' : undefined;
      expect(await outcome(() => asPayer.withdraw(key))).toBe(expected);
      if (!expected) m.finalized = true;
      return;
    }
    case 'close': {
      const v = a.pick === null || m.vouchers.length === 0 ? { amount: 0n, sig: '0x' as Hex } : pick(a.pick);
      const expected = m.finalized ? 'ChannelFinalized' : v.amount > m.settled && v.amount > m.deposit ? 'AmountExceedsDeposit' : undefined;
      expect(await outcome(() => asPayee.close(key, v.amount, v.sig))).toBe(expected);
      if (!expected) {
        if (v.amount > m.settled) m.settled = v.amount;
        m.finalized = true;
      }
      return;
    }
  }
}

describe('StreamChannel under random sequences', () => {
  it('conserves funds to the unit and never pays the payee more than the best voucher', { timeout: 300_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.bigInt(0n, 1000n), fc.array(action, { minLength: 1, maxLength: 14 }), async (deposit, actions) => {
        const start = { payer: await balance(payer.address), payee: await balance(payee.address) };
        const { key, channelId } = await asPayer.open({ payee: payee.address, token, deposit, salt: `0x${(++runs).toString(16).padStart(64, '0')}` });
        expect(channelId).toBe(channelIdOf(key, asPayer.scope));
        const m: Model = { deposit, settled: 0n, finalized: false, requestedFor: null, vouchers: [] };
        held.set(channelId, m);
        for (const a of actions) {
          await step(key, channelId, m, a);
          const on = (await asPayer.getChannel(channelId))!;
          expect({ deposit: on.deposit, settled: on.settled, finalized: on.finalized, requested: on.closeRequestedAt !== 0n }).toEqual({
            deposit: m.deposit,
            settled: m.settled,
            finalized: m.finalized,
            requested: m.requestedFor !== null,
          });
          const paid = (await balance(payee.address)) - start.payee;
          const spent = start.payer - (await balance(payer.address));
          const refunded = m.finalized ? m.deposit - m.settled : 0n;
          expect(paid).toBe(m.settled);
          expect(paid).toBeLessThanOrEqual(m.vouchers.reduce((best, v) => (v.amount > best ? v.amount : best), 0n));
          expect(spent).toBe(m.deposit - refunded);
          let total = 0n;
          for (const c of held.values()) if (!c.finalized) total += c.deposit - c.settled;
          expect(await balance(address)).toBe(total);
          expect((await balance(payer.address)) + (await balance(payee.address)) + (await balance(address))).toBe(SUPPLY);
        }
      }),
      { numRuns: 60 },
    );
  });
});
