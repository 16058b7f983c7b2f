/**
 * `settlement deploy|status|close`: the operator's on-chain commands (docs/settlement.md). Each prints lines
 * prefixed `settlement:` and ends with one JSON line of its result; amounts are integers in the token's unit.
 *
 *   settlement deploy [--chain base]            deploys StreamChannel with SETTLEMENT_CLOSE_GRACE_PERIOD
 *   settlement status [--chain base]            our address, gas and token balances, and the channels we pay
 *                                               or are paid on (from the contract's events since START_BLOCK);
 *                                               then, from this peer's database (DATA_DIR, opened read-only),
 *                                               each channel's peer, direction, best voucher held or sent,
 *                                               redeemed, unredeemed, and the gas our own transactions spent
 *   settlement close <channelId> [--chain base] [--amount N --signature 0x… | --settled-only]
 *                                               as payer: request the close, or withdraw once the grace period
 *                                               is over; as payee: close with the best voucher given
 */
import { existsSync } from 'node:fs';
import { erc20Abi, formatUnits, type Address, type Hex, type Transport } from 'viem';
import { ConfigError, loadConfig } from '../config/load';
import { openFile } from '../ops/backup/sqlite-file';
import { deployStreamChannel, type StreamChannelClient } from './chain';
import { configuredSettlementChains, openSettlementChain, SETTLEMENT_CHAINS, settlementChainSettings, type OpenedChain, type SettlementChainName } from './chain-config';
import { readChannels, type ChannelRow } from './channel-store';
import { NATIVE_TOKEN, streamChannelAbi, type ChannelKey } from './contract';

export class SettlementUsageError extends Error {}

interface Args {
  sub: string;
  chain?: string;
  positional: string[];
  flags: Map<string, string | true>;
}

function parseArgs(argv: string[]): Args {
  const [sub = '', ...rest] = argv;
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (!a.startsWith('--')) positional.push(a);
    else if (a === '--settled-only') flags.set(a, true);
    else if (rest[i + 1] === undefined) throw new SettlementUsageError(`${a} needs a value`);
    else flags.set(a, rest[++i]);
  }
  const chain = flags.get('--chain');
  return { sub, chain: typeof chain === 'string' ? chain : undefined, positional, flags };
}

/**
 * `transport` replaces the RPC URL's (tests point it at an in-process chain); `databaseFile` is this peer's
 * database (DATA_DIR's), read by `status` only.
 */
export async function settlementCommand(argv: string[], env: NodeJS.ProcessEnv, print: (line: string) => void, transport?: Transport, databaseFile?: string): Promise<void> {
  const args = parseArgs(argv);
  if (!['deploy', 'status', 'close'].includes(args.sub)) throw new SettlementUsageError(`unknown settlement command "${args.sub}"; expected deploy, status or close`);
  const config = loadConfig(env);
  const configured = configuredSettlementChains(config);
  let names: SettlementChainName[];
  if (args.chain) {
    if (!(SETTLEMENT_CHAINS as readonly string[]).includes(args.chain)) throw new SettlementUsageError(`unknown chain "${args.chain}"; expected ${SETTLEMENT_CHAINS.join(' or ')}`);
    names = [args.chain as SettlementChainName];
  } else if (args.sub === 'status' && configured.length > 0) {
    names = configured.map((c) => c.name);
  } else if (configured.length === 1) {
    names = [configured[0].name];
  } else {
    throw new SettlementUsageError(configured.length === 0 ? 'no chain is configured: set SETTLEMENT_BASE_RPC_URL (or _CRONOS_)' : 'name the chain with --chain');
  }
  const results = [];
  for (const name of names) {
    const opened = await openSettlementChain(settlementChainSettings(config, name), { transport });
    if (args.sub === 'deploy') results.push(await deploy(opened, config.settlementCloseGracePeriod, print));
    else if (args.sub === 'status') results.push(await status(opened, print, databaseFile));
    else results.push(await close(opened, args, print));
  }
  print(JSON.stringify(results.length === 1 ? results[0] : results, (_, v) => (typeof v === 'bigint' ? v.toString() : v)));
}

async function deploy(o: OpenedChain, graceSeconds: number, print: (line: string) => void) {
  const { envPrefix, name } = o.settings;
  print(`settlement: deploying StreamChannel on ${name} (chain ${o.clients.chainId}) from ${o.clients.account!.address}, grace period ${graceSeconds} s`);
  const { address, tx } = await deployStreamChannel(o.clients, graceSeconds);
  print(`settlement: deployed at ${address} in block ${tx.blockNumber} (tx ${tx.hash}, gas ${tx.gasUsed})`);
  print(`settlement: now set ${envPrefix}_CHANNEL_ADDRESS=${address} and ${envPrefix}_START_BLOCK=${tx.blockNumber}`);
  return { chain: name, chainId: o.clients.chainId, address, block: tx.blockNumber, tx: tx.hash, gasUsed: tx.gasUsed, fee: tx.fee, closeGracePeriod: graceSeconds };
}

interface Listed {
  key: ChannelKey;
  channelId: Hex;
}

/** Channels we pay or are paid on, from ChannelOpened events since the start block (filtered by the indexed topics). */
async function ourChannels(o: OpenedChain, channels: StreamChannelClient, me: Address, onlyId?: Hex): Promise<Listed[]> {
  const head = await o.clients.public.getBlockNumber();
  const out: Listed[] = [];
  for (const role of ['payer', 'payee'] as const) {
    for (let from = o.settings.startBlock; from <= head; from += 2000n) {
      const logs = await o.clients.public.getContractEvents({
        address: channels.address,
        abi: streamChannelAbi,
        eventName: 'ChannelOpened',
        args: { [role]: me, ...(onlyId ? { channelId: onlyId } : {}) },
        fromBlock: from,
        toBlock: from + 1999n < head ? from + 1999n : head,
        strict: true,
      });
      for (const l of logs) {
        const a = l.args;
        if (out.some((x) => x.channelId === a.channelId)) continue;
        out.push({ channelId: a.channelId, key: { payer: a.payer, payee: a.payee, token: a.token, salt: a.salt, authorizedSigner: a.authorizedSigner } });
      }
    }
  }
  return out;
}

async function tokenBalance(o: OpenedChain, token: Address, who: Address): Promise<bigint> {
  if (token === NATIVE_TOKEN) return o.clients.public.getBalance({ address: who });
  return o.clients.public.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [who] });
}

async function status(o: OpenedChain, print: (line: string) => void, databaseFile?: string) {
  const me = o.clients.account!.address;
  const { name, token } = o.settings;
  const gas = await o.clients.public.getBalance({ address: me });
  const held = await tokenBalance(o, token, me);
  print(`settlement: ${name} (chain ${o.clients.chainId}) account ${me}: ${formatUnits(gas, 18)} native for gas, ${held} of token ${token === NATIVE_TOKEN ? 'native' : token}`);
  const result = {
    chain: name,
    chainId: o.clients.chainId,
    account: me,
    gasBalance: gas,
    tokenBalance: held,
    contract: o.settings.channelAddress ?? null,
    closeGracePeriod: null as bigint | null,
    channels: [] as unknown[],
    ...emptyStored(databaseFile),
  };
  if (!o.channels) {
    print(`settlement: no contract yet: run \`settlement deploy --chain ${name}\``);
    return { ...result, ...stored(name, databaseFile, new Map(), print) };
  }
  result.closeGracePeriod = await o.channels.closeGracePeriod();
  const listed = await ourChannels(o, o.channels, me);
  const states = listed.length ? await o.channels.getChannels(listed.map((l) => l.channelId)) : [];
  const now = (await o.clients.public.getBlock()).timestamp;
  for (const [i, l] of listed.entries()) {
    const c = states[i]!;
    const graceEnd = c.closeRequestedAt === 0n ? null : c.closeRequestedAt + result.closeGracePeriod;
    const state = c.finalized ? 'closed' : graceEnd === null ? 'open' : graceEnd > now ? `closing, ${graceEnd - now} s of grace left` : 'closing, grace period over';
    const role = l.key.payer === me ? 'payer' : 'payee';
    const peer = role === 'payer' ? l.key.payee : l.key.payer;
    print(`settlement: ${l.channelId} ${role} with ${peer}: deposit ${c.deposit}, settled ${c.settled}, ${state}`);
    result.channels.push({ channelId: l.channelId, role, peer, token: l.key.token, deposit: c.deposit, settled: c.settled, closeRequestedAt: c.closeRequestedAt, graceEndsAt: graceEnd, finalized: c.finalized });
  }
  if (listed.length === 0) print('settlement: no channels');
  const onChain = new Map(listed.map((l, i) => [l.channelId.toLowerCase(), states[i]!]));
  return { ...result, ...stored(name, databaseFile, onChain, print) };
}

interface Stored {
  /** The database read, or null when there was none to read. */
  database: string | null;
  /** Per channel in the database: the vouchers held (incoming) or sent (outgoing) and the gas of our transactions. */
  peerChannels: {
    channelId: Hex;
    peer: string;
    direction: ChannelRow['direction'];
    deposit: bigint;
    /** incoming: the best voucher we hold; outgoing: the best we signed (stored before it is sent) */
    bestVoucher: bigint;
    /** outgoing: the best the peer confirmed it holds */
    acknowledged: bigint | null;
    redeemed: bigint;
    /** best − redeemed while the channel is open (incoming: ours to redeem; outgoing: the peer's) */
    unredeemed: bigint;
    gasUsed: bigint;
    fees: bigint;
    lastTx: Hex | null;
    finalized: boolean;
  }[];
  /** Sums over the chain's channels in the database. */
  vouchersHeld: bigint;
  redeemed: bigint;
  unredeemed: bigint;
  gasUsed: bigint;
  fees: bigint;
}

const emptyStored = (databaseFile?: string): Stored => ({ database: databaseFile ?? null, peerChannels: [], vouchersHeld: 0n, redeemed: 0n, unredeemed: 0n, gasUsed: 0n, fees: 0n });

/**
 * What this peer's database says of the chain's channels, opened read-only (the serving peer may hold it; nothing
 * here writes). `onChain`: the states just read, newer than the database's last read where a channel is in both.
 */
function stored(chain: string, databaseFile: string | undefined, onChain: Map<string, { deposit: bigint; settled: bigint; finalized: boolean } | undefined>, print: (line: string) => void): Stored {
  const out = emptyStored(databaseFile);
  if (!databaseFile || !existsSync(databaseFile)) {
    out.database = null;
    if (databaseFile) print(`settlement: no peer database at ${databaseFile} (DATA_DIR): vouchers and gas not shown`);
    return out;
  }
  let rows: ChannelRow[];
  const db = openFile(databaseFile, { readonly: true });
  try {
    const hasTable = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'settlement_channels'").get();
    rows = hasTable ? readChannels(db, chain) : [];
  } finally {
    db.close();
  }
  for (const r of rows) {
    const state = onChain.get(r.channelId.toLowerCase());
    const deposit = state?.deposit ?? r.deposit;
    const redeemed = state?.settled ?? r.settled;
    const finalized = state?.finalized ?? r.finalized;
    const unredeemed = !finalized && r.best > redeemed ? r.best - redeemed : 0n;
    out.peerChannels.push({
      channelId: r.channelId,
      peer: r.peer,
      direction: r.direction,
      deposit,
      bestVoucher: r.best,
      acknowledged: r.direction === 'outgoing' ? r.acked : null,
      redeemed,
      unredeemed,
      gasUsed: r.gasUsed,
      fees: r.fees,
      lastTx: r.lastTx,
      finalized,
    });
    if (r.direction === 'incoming') {
      out.vouchersHeld += r.best;
      out.redeemed += redeemed;
      out.unredeemed += unredeemed;
    }
    out.gasUsed += r.gasUsed;
    out.fees += r.fees;
    const voucher = r.direction === 'incoming' ? `best voucher held ${r.best}` : `best voucher sent ${r.best} (peer confirmed ${r.acked})`;
    print(
      `settlement: peer ${r.peer} ${r.direction} ${r.channelId}: deposit ${deposit}, ${voucher}, redeemed ${redeemed}, unredeemed ${unredeemed}, gas ${r.gasUsed} (${formatUnits(r.fees, 18)} native)${finalized ? ', closed' : ''}`,
    );
  }
  if (rows.length === 0) print(`settlement: no ${chain} channels in the peer database ${databaseFile}`);
  else print(`settlement: peer database: ${out.vouchersHeld} held in vouchers, ${out.redeemed} redeemed, ${out.unredeemed} unredeemed; gas spent ${out.gasUsed} (${formatUnits(out.fees, 18)} native)`);
  return out;
}

async function close(o: OpenedChain, args: Args, print: (line: string) => void) {
  const channelId = args.positional[0];
  if (!channelId || !/^0x[0-9a-fA-F]{64}$/.test(channelId)) throw new SettlementUsageError('settlement close needs a channel id (0x and 64 hex)');
  if (!o.channels) throw new ConfigError(`${o.settings.envPrefix}_CHANNEL_ADDRESS is not set`);
  const me = o.clients.account!.address;
  const [found] = await ourChannels(o, o.channels, me, channelId as Hex);
  if (!found) throw new SettlementUsageError(`channel ${channelId} is not one we pay or are paid on (since block ${o.settings.startBlock})`);
  const c = (await o.channels.getChannel(found.channelId))!;
  if (c.finalized) {
    print(`settlement: ${channelId} is already closed`);
    return { channelId, action: 'none', finalized: true };
  }
  if (found.key.payer === me) {
    if (c.closeRequestedAt === 0n) {
      const tx = await o.channels.requestClose(found.channelId);
      const end = (await o.channels.getChannel(found.channelId))!.closeRequestedAt + (await o.channels.closeGracePeriod());
      print(`settlement: close requested (tx ${tx.hash}); run this again after ${new Date(Number(end) * 1000).toISOString()} to withdraw`);
      return { channelId, action: 'requestClose', tx: tx.hash, gasUsed: tx.gasUsed, graceEndsAt: end };
    }
    const end = c.closeRequestedAt + (await o.channels.closeGracePeriod());
    const now = (await o.clients.public.getBlock()).timestamp;
    if (now < end) {
      print(`settlement: close already requested; ${end - now} s of grace left before the withdrawal`);
      return { channelId, action: 'wait', graceEndsAt: end };
    }
    const tx = await o.channels.withdraw(found.key);
    print(`settlement: withdrew ${c.deposit - c.settled} (tx ${tx.hash})`);
    return { channelId, action: 'withdraw', refunded: c.deposit - c.settled, tx: tx.hash, gasUsed: tx.gasUsed };
  }
  const amount = args.flags.get('--amount');
  const signature = args.flags.get('--signature');
  let cumulative = c.settled;
  let sig: Hex = '0x';
  if (typeof amount === 'string' && typeof signature === 'string') {
    if (!/^\d{1,39}$/.test(amount) || !/^0x[0-9a-fA-F]{130}$/.test(signature)) throw new SettlementUsageError('--amount is an integer and --signature 0x and 130 hex');
    cumulative = BigInt(amount);
    sig = signature as Hex;
  } else if (!args.flags.has('--settled-only')) {
    throw new SettlementUsageError('as the payee, give the best voucher with --amount and --signature, or --settled-only to close at the settled amount and give up the rest');
  }
  const tx = await o.channels.close(found.key, cumulative, sig);
  const paid = cumulative > c.settled ? cumulative - c.settled : 0n;
  print(`settlement: closed; ${paid} more paid to us, ${c.deposit - (c.settled + paid)} refunded to the payer (tx ${tx.hash})`);
  return { channelId, action: 'close', paid, refunded: c.deposit - c.settled - paid, tx: tx.hash, gasUsed: tx.gasUsed };
}
