/**
 * The StreamChannel contract on a chain, over JSON-RPC with viem: deploy, read, the six transactions, and its
 * events with a confirmation depth. Pure voucher and id helpers: ./contract.ts; settings → clients: ./chain-config.ts.
 *
 *   connectChain({transport, chainId, account?}): Promise<ChainClients>
 *                         checks the RPC's chain id (ChainIdMismatchError otherwise)
 *   deployStreamChannel(clients, closeGracePeriodSeconds): Promise<{address, tx}>
 *   new StreamChannelClient(clients, address)
 *     .scope                                  {chainId, contract}: what vouchers are bound to
 *     .closeGracePeriod(): Promise<bigint>    seconds, fixed at deployment
 *     .getChannel(id) / .getChannels(ids)     OnChainChannel, or undefined when never opened
 *     .open({payee, token, deposit, salt?, authorizedSigner?}): Promise<{key, channelId, tx}>
 *                                             approves the ERC-20 first when the allowance is short
 *     .topUp(key, amount) .settle(key, cumulative, sig) .close(key, cumulative, sig)
 *     .requestClose(channelId) .withdraw(key): Promise<TxResult>
 *     .events(fromBlock, toBlock): Promise<ChannelEvent[]>   in chain order, ≤ MAX_LOG_RANGE blocks per request
 *     .watch({fromBlock, confirmations, pollMs, onEvents, onError}): () => void
 *                                             polls; hands over each block's events once `confirmations` blocks
 *                                             are on top of it (an L2 reorg shallower than that is never seen);
 *                                             at most MAX_BLOCKS_PER_POLL blocks a poll; when onEvents throws,
 *                                             the same blocks come again on the next poll (at least once)
 *   channelErrorName(err): string | undefined the contract's custom error in a failed call (e.g. 'NotPayee')
 *
 * A transaction is simulated first, so a contract error arrives as a thrown error naming it before any gas is
 * spent; a sent one is awaited until mined and a reverted receipt throws. Amounts are bigint in the token's unit.
 */
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  decodeErrorResult,
  erc20Abi,
  getAddress,
  zeroAddress,
  type Address,
  type Hex,
  type LocalAccount,
  type PublicClient,
  type Transport,
  type WalletClient,
} from 'viem';
import { channelIdOf, NATIVE_TOKEN, streamChannelAbi, streamChannelBytecode, type ChannelKey, type ChannelScope } from './contract';

export interface ChainClients {
  chainId: number;
  public: PublicClient;
  /** Absent when connected read-only (no key). */
  wallet?: WalletClient;
  account?: LocalAccount;
}

export interface TxResult {
  hash: Hex;
  blockNumber: bigint;
  gasUsed: bigint;
  /** gasUsed × effective gas price, in the native coin's smallest unit (wei). */
  fee: bigint;
}

export interface OnChainChannel {
  payer: Address;
  payee: Address;
  deposit: bigint;
  settled: bigint;
  /** Unix seconds; 0n: no close requested. */
  closeRequestedAt: bigint;
  finalized: boolean;
}

export interface ChannelEvent {
  name: 'ChannelOpened' | 'Settled' | 'TopUp' | 'CloseRequested' | 'CloseRequestCancelled' | 'ChannelClosed' | 'ChannelExpired';
  channelId: Hex;
  /** The event's fields as the ABI names them (amounts bigint). */
  args: Record<string, unknown>;
  blockNumber: bigint;
  logIndex: number;
  txHash: Hex;
}

export class ChainIdMismatchError extends Error {
  override name = 'ChainIdMismatchError';
}

/** Many public RPCs refuse eth_getLogs over more blocks than this in one request. */
export const MAX_LOG_RANGE = 2000n;
/** Blocks one watch poll reads (10 requests); the rest waits for the next poll, which comes at once. */
export const MAX_BLOCKS_PER_POLL = 10n * MAX_LOG_RANGE;

export async function connectChain(opts: { transport: Transport; chainId: number; account?: LocalAccount }): Promise<ChainClients> {
  const pub = createPublicClient({ transport: opts.transport }) as PublicClient;
  const actual = await pub.getChainId();
  if (actual !== opts.chainId) throw new ChainIdMismatchError(`the RPC serves chain id ${actual}, expected ${opts.chainId}`);
  const chain = { id: actual, name: `chain ${actual}`, nativeCurrency: { name: 'native', symbol: 'NATIVE', decimals: 18 }, rpcUrls: { default: { http: [] } } };
  const wallet = opts.account ? createWalletClient({ account: opts.account, chain, transport: opts.transport }) : undefined;
  // cacheTime 0: viem would otherwise reuse a block number for 4 s, and a receipt wait would sleep through it.
  const pubForChain = createPublicClient({ chain, transport: opts.transport, pollingInterval: 1000, cacheTime: 0 }) as PublicClient;
  return { chainId: actual, public: pubForChain, wallet, account: opts.account };
}

/**
 * The tail of each account's transactions on each chain. viem picks a nonce per transaction from the chain, so two
 * sent at once from one account would get the same one and one would fail: they go one after another instead.
 */
const sending = new Map<string, Promise<unknown>>();

function oneAtATime<T>(clients: ChainClients, send: () => Promise<T>): Promise<T> {
  const key = `${clients.chainId}:${clients.account?.address}`;
  const run = (sending.get(key) ?? Promise.resolve()).then(send, send);
  const tail = run.catch(() => undefined);
  sending.set(key, tail);
  void tail.then(() => sending.get(key) === tail && sending.delete(key));
  return run;
}

function signer(clients: ChainClients): { wallet: WalletClient; account: LocalAccount } {
  if (!clients.wallet || !clients.account) throw new Error('this needs a private key (connected read-only)');
  return { wallet: clients.wallet, account: clients.account };
}

async function mined(clients: ChainClients, hash: Hex): Promise<TxResult> {
  // Often mined already (an L2 sequencer, a test chain): ask once before polling for it.
  const r = (await clients.public.getTransactionReceipt({ hash }).catch(() => undefined)) ?? (await clients.public.waitForTransactionReceipt({ hash, pollingInterval: 250 }));
  if (r.status !== 'success') throw new Error(`transaction ${hash} reverted`);
  return { hash, blockNumber: r.blockNumber, gasUsed: r.gasUsed, fee: r.gasUsed * r.effectiveGasPrice };
}

export async function deployStreamChannel(clients: ChainClients, closeGracePeriodSeconds: number | bigint): Promise<{ address: Address; tx: TxResult }> {
  const { wallet, account } = signer(clients);
  const { hash, tx } = await oneAtATime(clients, async () => {
    const hash = await wallet.deployContract({
      abi: streamChannelAbi,
      bytecode: streamChannelBytecode,
      args: [BigInt(closeGracePeriodSeconds)],
      account,
      chain: wallet.chain,
    });
    return { hash, tx: await mined(clients, hash) };
  });
  const receipt = await clients.public.getTransactionReceipt({ hash });
  return { address: getAddress(receipt.contractAddress!), tx };
}

type WriteName = 'open' | 'topUp' | 'settle' | 'close' | 'requestClose' | 'withdraw';

export class StreamChannelClient {
  readonly scope: ChannelScope;

  constructor(
    readonly clients: ChainClients,
    readonly address: Address,
  ) {
    this.scope = { chainId: clients.chainId, contract: address };
  }

  async closeGracePeriod(): Promise<bigint> {
    return this.clients.public.readContract({ address: this.address, abi: streamChannelAbi, functionName: 'CLOSE_GRACE_PERIOD' });
  }

  async getChannel(channelId: Hex): Promise<OnChainChannel | undefined> {
    const c = await this.clients.public.readContract({ address: this.address, abi: streamChannelAbi, functionName: 'getChannel', args: [channelId] });
    return toChannel(c);
  }

  async getChannels(channelIds: Hex[]): Promise<(OnChainChannel | undefined)[]> {
    const cs = await this.clients.public.readContract({ address: this.address, abi: streamChannelAbi, functionName: 'getChannelsBatch', args: [channelIds] });
    return cs.map(toChannel);
  }

  async open(p: { payee: Address; token: Address; deposit: bigint; salt?: Hex; authorizedSigner?: Address }): Promise<{ key: ChannelKey; channelId: Hex; tx: TxResult }> {
    const { account } = signer(this.clients);
    const key: ChannelKey = {
      payer: account.address,
      payee: p.payee,
      token: p.token,
      salt: p.salt ?? randomSalt(),
      authorizedSigner: p.authorizedSigner ?? zeroAddress,
    };
    const tx = await this.write('open', [key.payee, key.token, p.deposit, key.salt, key.authorizedSigner], { token: p.token, amount: p.deposit });
    return { key, channelId: channelIdOf(key, this.scope), tx };
  }

  async topUp(key: ChannelKey, amount: bigint): Promise<TxResult> {
    return this.write('topUp', [this.idOf(key), amount, key.token, key.authorizedSigner, key.salt], { token: key.token, amount });
  }

  settle(key: ChannelKey, cumulativeAmount: bigint, signature: Hex): Promise<TxResult> {
    return this.write('settle', [this.idOf(key), cumulativeAmount, signature, key.token, key.authorizedSigner, key.salt]);
  }

  /** `signature` may be '0x' when `cumulativeAmount` is not above what is settled (nothing more is paid). */
  close(key: ChannelKey, cumulativeAmount: bigint, signature: Hex): Promise<TxResult> {
    return this.write('close', [this.idOf(key), cumulativeAmount, signature, key.token, key.authorizedSigner, key.salt]);
  }

  requestClose(channelId: Hex): Promise<TxResult> {
    return this.write('requestClose', [channelId]);
  }

  withdraw(key: ChannelKey): Promise<TxResult> {
    return this.write('withdraw', [this.idOf(key), key.token, key.authorizedSigner, key.salt]);
  }

  async events(fromBlock: bigint, toBlock: bigint): Promise<ChannelEvent[]> {
    const out: ChannelEvent[] = [];
    for (let from = fromBlock; from <= toBlock; from += MAX_LOG_RANGE) {
      const to = from + MAX_LOG_RANGE - 1n < toBlock ? from + MAX_LOG_RANGE - 1n : toBlock;
      const logs = await this.clients.public.getContractEvents({ address: this.address, abi: streamChannelAbi, fromBlock: from, toBlock: to, strict: true });
      for (const log of logs) {
        const args = log.args as Record<string, unknown>;
        out.push({ name: log.eventName, channelId: args.channelId as Hex, args, blockNumber: log.blockNumber, logIndex: log.logIndex, txHash: log.transactionHash });
      }
    }
    return out;
  }

  /**
   * Polls for events, handing over those in blocks with at least `confirmations` blocks on top (0: as mined), in
   * order, each block once. A failed poll goes to `onError` and is tried again on the next one. Returns stop().
   */
  watch(opts: {
    fromBlock: bigint;
    confirmations: number;
    pollMs?: number;
    onEvents: (events: ChannelEvent[], throughBlock: bigint) => void | Promise<void>;
    onError?: (err: unknown) => void;
  }): () => void {
    let next = opts.fromBlock;
    let stopped = false;
    let behind = false;
    let timer: NodeJS.Timeout | undefined;
    const poll = async () => {
      try {
        const head = await this.clients.public.getBlockNumber({ cacheTime: 0 });
        const safe = head - BigInt(opts.confirmations);
        // A long way behind (first start, a week offline): catch up a bounded span per poll, and poll again at once.
        const through = safe - next >= MAX_BLOCKS_PER_POLL ? next + MAX_BLOCKS_PER_POLL - 1n : safe;
        if (through >= next) {
          const events = await this.events(next, through);
          if (stopped) return;
          await opts.onEvents(events, through);
          next = through + 1n;
          behind = through < safe;
        }
      } catch (err) {
        behind = false;
        opts.onError?.(err);
      }
      if (!stopped) timer = setTimeout(poll, behind ? 0 : (opts.pollMs ?? 2000));
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }

  private idOf(key: ChannelKey): Hex {
    return channelIdOf(key, this.scope);
  }

  /** Raises our ERC-20 allowance to the contract to `amount` when it is short. Only from within write(). */
  private async allow(token: Address, amount: bigint): Promise<void> {
    if (token === NATIVE_TOKEN || amount === 0n) return;
    const { wallet, account } = signer(this.clients);
    const allowance = await this.clients.public.readContract({ address: token, abi: erc20Abi, functionName: 'allowance', args: [account.address, this.address] });
    if (allowance >= amount) return;
    await mined(this.clients, await wallet.writeContract({ address: token, abi: erc20Abi, functionName: 'approve', args: [this.address, amount], account, chain: wallet.chain }));
  }

  /** `deposit`: what the call takes from us, approved first (ERC-20) or sent along (native), in the same turn. */
  private async write(functionName: WriteName, args: readonly unknown[], deposit?: { token: Address; amount: bigint }): Promise<TxResult> {
    const { wallet, account } = signer(this.clients);
    return oneAtATime(this.clients, async () => {
      if (deposit) await this.allow(deposit.token, deposit.amount);
      const { request } = await this.clients.public.simulateContract({
        address: this.address,
        abi: streamChannelAbi,
        functionName,
        args: args as never,
        account,
        value: deposit && deposit.token === NATIVE_TOKEN ? deposit.amount : undefined,
      } as never);
      return mined(this.clients, await wallet.writeContract({ ...(request as object), account, chain: wallet.chain } as never));
    });
  }
}

function randomSalt(): Hex {
  return `0x${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('hex')}`;
}

function toChannel(c: { payer: Address; payee: Address; deposit: bigint; settled: bigint; closeRequestedAt: bigint; finalized: boolean }): OnChainChannel | undefined {
  if (c.payer === zeroAddress) return undefined;
  return { payer: c.payer, payee: c.payee, deposit: c.deposit, settled: c.settled, closeRequestedAt: c.closeRequestedAt, finalized: c.finalized };
}

/** The contract's custom error behind a failed call, wherever the RPC and viem nested its revert data. */
export function channelErrorName(err: unknown): string | undefined {
  if (!(err instanceof BaseError)) return undefined;
  const reverted = err.walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
  if (reverted?.data?.errorName) return reverted.data.errorName;
  const raw = err.walk((e) => typeof (e as { data?: unknown }).data === 'string' && /^0x[0-9a-f]{8}/i.test((e as { data: string }).data)) as { data?: Hex } | null;
  if (!raw?.data) return undefined;
  try {
    return decodeErrorResult({ abi: streamChannelAbi, data: raw.data }).errorName;
  } catch {
    return undefined;
  }
}
