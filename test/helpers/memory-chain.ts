import { getAddress, isAddressEqual, recoverTypedDataAddress, zeroAddress, type Address, type Hex, type LocalAccount } from 'viem';
import type { ChannelChain, OnChainChannel, SettlementChain, Tx } from '../../src/settlement/channel-chain';
import { channelIdOf, voucherTypedData } from '../../src/settlement/contract';

const copy = (m: Map<string, Channel>): Map<string, Channel> => new Map([...m].map(([id, c]) => [id, { ...c }]));

function view(c: Channel | undefined): OnChainChannel {
  if (!c) return { payer: zeroAddress, payee: zeroAddress, deposit: 0n, settled: 0n, closeRequestedAt: 0n, finalized: false };
  const { payer, payee, deposit, settled, closeRequestedAt, finalized } = c;
  return { payer, payee, deposit, settled, closeRequestedAt, finalized };
}

/** A contract error, named as the contract's custom errors are. */
export class ContractError extends Error {}

interface Channel extends OnChainChannel {
  token: Address;
  authorizedSigner: Address;
}

const HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

/**
 * An in-memory stand-in for the channel contract on one chain, enforcing its rules (the 2026 stream-channel
 * interface; see docs/settlement.md): deposits pulled from the payer, payee-only settle/close, payer-only
 * topUp/requestClose/withdraw, cumulative vouchers signed by the payer (EIP-712, low s), never above the deposit,
 * withdraw only after the grace period. Token balances are kept, so tests can check that money is conserved.
 */
export class MemoryChain {
  readonly channels = new Map<string, Channel>();
  readonly balances = new Map<string, bigint>();
  /** Block time, unix s. */
  time = 1_800_000_000n;
  /** When true, every call fails as an unreachable RPC would. */
  down = false;
  txs = 0;
  /** Each transaction is mined in a block of its own; `mine(n)` adds empty ones. */
  block = 0n;
  /**
   * Blocks on top of a block before getConfirmedChannel shows its state (SETTLEMENT_<CHAIN>_CONFIRMATIONS). 0: the
   * latest state, and no getConfirmedChannel at all (the creditor then reads getChannel, as before).
   */
  confirmations = 0;
  /** Each transaction's gas and fee (wei) in its receipt. */
  gasPerTx = 50_000n;
  gasPrice = 1_000_000n;
  /** The channels after each block that changed them, oldest first (for the confirmed reads). */
  private history: { block: bigint; channels: Map<string, Channel> }[] = [];
  readonly contract: Address;

  constructor(
    readonly chainId = 8453,
    readonly closeGracePeriod = 6n * 3600n,
    contract: Address = '0x00000000000000000000000000000000c4a77e15',
  ) {
    this.contract = getAddress(contract);
  }

  balanceOf(who: Address): bigint {
    return this.balances.get(who.toLowerCase()) ?? 0n;
  }

  mint(who: Address, amount: bigint): void {
    this.balances.set(who.toLowerCase(), this.balanceOf(who) + amount);
  }

  private move(from: Address, to: Address, amount: bigint): void {
    if (this.balanceOf(from) < amount) throw new ContractError('TransferFailed');
    this.balances.set(from.toLowerCase(), this.balanceOf(from) - amount);
    this.mint(to, amount);
  }

  private tx(): Tx {
    this.txs++;
    this.block++;
    this.history.push({ block: this.block, channels: copy(this.channels) });
    return { hash: `0x${this.txs.toString(16).padStart(64, '0')}`, gasUsed: this.gasPerTx, fee: this.gasPerTx * this.gasPrice };
  }

  /** Mines `n` empty blocks: what was mined before gets deeper. */
  mine(n = 1): void {
    this.block += BigInt(n);
  }

  /** The whole chain's state, to go back to with revert() (as evm_snapshot / evm_revert: a reorg that drops blocks). */
  snapshot(): () => void {
    const saved = { channels: copy(this.channels), balances: new Map(this.balances), block: this.block, history: [...this.history], time: this.time };
    return () => {
      this.channels.clear();
      for (const [id, c] of copy(saved.channels)) this.channels.set(id, c);
      this.balances.clear();
      for (const [k, v] of saved.balances) this.balances.set(k, v);
      this.block = saved.block;
      this.history = [...saved.history];
      this.time = saved.time;
    };
  }

  /** The channel as of `confirmations` blocks below the head (all zero when it did not exist then). */
  private confirmedChannel(id: Hex): OnChainChannel {
    const depth = this.block - BigInt(this.confirmations);
    const at = this.history.findLast((h) => h.block <= depth);
    return view(at?.channels.get(id.toLowerCase()));
  }

  private live(id: Hex): Channel {
    const c = this.channels.get(id.toLowerCase());
    if (!c) throw new ContractError('ChannelNotFound');
    if (c.finalized) throw new ContractError('ChannelFinalized');
    return c;
  }

  private async checkVoucher(id: Hex, c: Channel, cumulativeAmount: bigint, signature: Hex): Promise<void> {
    if (BigInt(`0x${signature.slice(66, 130)}`) > HALF_N) throw new ContractError('InvalidSignature');
    const signer = await recoverTypedDataAddress({
      domain: { name: 'EVM Payment Channel', version: '1', chainId: this.chainId, verifyingContract: this.contract },
      types: voucherTypedData({ chainId: this.chainId, contract: this.contract, channelId: id, cumulativeAmount }).types,
      primaryType: 'Voucher',
      message: { channelId: id, cumulativeAmount },
      signature,
    });
    const expected = isAddressEqual(c.authorizedSigner, zeroAddress) ? c.payer : c.authorizedSigner;
    if (!isAddressEqual(signer, expected)) throw new ContractError('InvalidSignature');
    if (cumulativeAmount > c.deposit) throw new ContractError('AmountExceedsDeposit');
  }

  /** The contract as `sender` calls it. */
  client(sender: Address): ChannelChain {
    const chain = this;
    const up = () => {
      if (chain.down) throw new Error('fetch failed: RPC unreachable');
    };
    return {
      chainId: this.chainId,
      contract: this.contract,
      closeGracePeriod: this.closeGracePeriod,
      async getChannel(id) {
        up();
        return view(chain.channels.get(id.toLowerCase()));
      },
      ...(this.confirmations > 0
        ? {
            async getConfirmedChannel(id: Hex) {
              up();
              return chain.confirmedChannel(id);
            },
          }
        : {}),
      async now() {
        up();
        return chain.time;
      },
      async open(payee, token, deposit, salt, authorizedSigner) {
        up();
        if (isAddressEqual(payee, zeroAddress)) throw new ContractError('InvalidPayee');
        const channelId = channelIdOf({ payer: sender, payee, token, salt, authorizedSigner }, { chainId: chain.chainId, contract: chain.contract });
        if (chain.channels.has(channelId)) throw new ContractError('ChannelAlreadyExists');
        chain.move(sender, chain.contract, deposit);
        chain.channels.set(channelId, { payer: sender, payee, token, authorizedSigner, deposit, settled: 0n, closeRequestedAt: 0n, finalized: false });
        return { ...chain.tx(), channelId };
      },
      async topUp(id, additional) {
        up();
        const c = chain.live(id);
        if (!isAddressEqual(c.payer, sender)) throw new ContractError('NotPayer');
        chain.move(sender, chain.contract, additional);
        c.deposit += additional;
        c.closeRequestedAt = 0n;
        return chain.tx();
      },
      async settle(id, cumulativeAmount, signature) {
        up();
        const c = chain.live(id);
        if (!isAddressEqual(c.payee, sender)) throw new ContractError('NotPayee');
        await chain.checkVoucher(id, c, cumulativeAmount, signature);
        if (cumulativeAmount <= c.settled) throw new ContractError('AmountNotIncreasing');
        chain.move(chain.contract, c.payee, cumulativeAmount - c.settled);
        c.settled = cumulativeAmount;
        return chain.tx();
      },
      async close(id, cumulativeAmount, signature) {
        up();
        const c = chain.live(id);
        if (!isAddressEqual(c.payee, sender)) throw new ContractError('NotPayee');
        if (cumulativeAmount > c.settled) {
          await chain.checkVoucher(id, c, cumulativeAmount, signature);
          chain.move(chain.contract, c.payee, cumulativeAmount - c.settled);
          c.settled = cumulativeAmount;
        }
        chain.move(chain.contract, c.payer, c.deposit - c.settled);
        c.finalized = true;
        return chain.tx();
      },
      async requestClose(id) {
        up();
        const c = chain.live(id);
        if (!isAddressEqual(c.payer, sender)) throw new ContractError('NotPayer');
        if (c.closeRequestedAt === 0n) c.closeRequestedAt = chain.time;
        return chain.tx();
      },
      async withdraw(id) {
        up();
        const c = chain.live(id);
        if (!isAddressEqual(c.payer, sender)) throw new ContractError('NotPayer');
        if (c.closeRequestedAt === 0n || chain.time < c.closeRequestedAt + chain.closeGracePeriod) throw new ContractError('CloseNotReady');
        chain.move(chain.contract, c.payer, c.deposit - c.settled);
        c.finalized = true;
        return chain.tx();
      },
    };
  }

  /** The SettlementChain a peer with `account` uses. */
  settlementChain(account: LocalAccount, token: Address, tokenScale = 6, name = 'base'): SettlementChain {
    return { name, chain: this.client(account.address), account, token, tokenScale };
  }
}
