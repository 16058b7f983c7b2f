/**
 * The settlement settings of one EVM chain (SETTLEMENT_<CHAIN>_*, src/config/schema.ts) turned into connected
 * clients, with the checks a misconfiguration must fail at start: the RPC serves the chain id configured, the
 * token and channel addresses hold contracts, the key file is 0600 and holds a key. Errors name the variable (ConfigError),
 * never the key.
 *
 *   SETTLEMENT_CHAINS                               ['base', 'cronos']
 *   settlementChainSettings(config, name): SettlementChainSettings
 *   configuredSettlementChains(config): SettlementChainSettings[]   those with an RPC URL
 *   readEvmKeyFile(file, envName): PrivateKeyAccount
 *   openSettlementChain(settings, {transport?, readOnly?}): Promise<OpenedChain>
 *                                                   OpenedChain {settings, clients, channels?: StreamChannelClient}
 *                                                   (channels when SETTLEMENT_<CHAIN>_CHANNEL_ADDRESS is set)
 */
import { statSync, readFileSync } from 'node:fs';
import { getAddress, http, type Address, type Hex, type Transport } from 'viem';
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import { ConfigError, type Config } from '../config/load';
import { ChainIdMismatchError, connectChain, StreamChannelClient, type ChainClients } from './chain';
import { NATIVE_TOKEN } from './contract';

export const SETTLEMENT_CHAINS = ['base', 'cronos'] as const;
export type SettlementChainName = (typeof SETTLEMENT_CHAINS)[number];

export interface SettlementChainSettings {
  name: SettlementChainName;
  /** e.g. SETTLEMENT_BASE: the variables' common prefix, for messages. */
  envPrefix: string;
  rpcUrl: string;
  chainId: number;
  channelAddress?: Address;
  /** NATIVE_TOKEN for the chain's coin. */
  token: Address;
  privateKeyFile: string;
  startBlock: bigint;
  confirmations: number;
}

export interface OpenedChain {
  settings: SettlementChainSettings;
  clients: ChainClients;
  channels?: StreamChannelClient;
}

export function settlementChainSettings(config: Config, name: SettlementChainName): SettlementChainSettings {
  const c =
    name === 'base'
      ? {
          rpcUrl: config.settlementBaseRpcUrl,
          chainId: config.settlementBaseChainId,
          channelAddress: config.settlementBaseChannelAddress,
          token: config.settlementBaseToken,
          privateKeyFile: config.settlementBasePrivateKeyFile,
          startBlock: config.settlementBaseStartBlock,
          confirmations: config.settlementBaseConfirmations,
        }
      : {
          rpcUrl: config.settlementCronosRpcUrl,
          chainId: config.settlementCronosChainId,
          channelAddress: config.settlementCronosChannelAddress,
          token: config.settlementCronosToken,
          privateKeyFile: config.settlementCronosPrivateKeyFile,
          startBlock: config.settlementCronosStartBlock,
          confirmations: config.settlementCronosConfirmations,
        };
  return {
    name,
    envPrefix: `SETTLEMENT_${name.toUpperCase()}`,
    rpcUrl: c.rpcUrl,
    chainId: c.chainId,
    channelAddress: c.channelAddress ? getAddress(c.channelAddress) : undefined,
    token: c.token === 'native' ? NATIVE_TOKEN : getAddress(c.token),
    privateKeyFile: c.privateKeyFile,
    startBlock: BigInt(c.startBlock),
    confirmations: c.confirmations,
  };
}

export const configuredSettlementChains = (config: Config): SettlementChainSettings[] =>
  SETTLEMENT_CHAINS.map((name) => settlementChainSettings(config, name)).filter((s) => s.rpcUrl !== '');

/** The EVM key in `file` (0x + 64 hex, optional trailing newline); the file must be readable by its owner only. */
export function readEvmKeyFile(file: string, envName: string): PrivateKeyAccount {
  if (file === '') throw new ConfigError(`${envName} is not set: this needs the relay's EVM key (a file of mode 0600)`);
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch (err) {
    throw new ConfigError(`${envName}=${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if ((mode & 0o077) !== 0) {
    throw new ConfigError(`${envName}=${file} is mode 0${(mode & 0o777).toString(8)}: a key file must be readable by its owner only (chmod 600)`);
  }
  const text = readFileSync(file, 'utf8').trim();
  const hex = text.startsWith('0x') ? text : `0x${text}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) throw new ConfigError(`${envName}=${file} does not hold a key (expected 0x and 64 hex characters)`);
  try {
    return privateKeyToAccount(hex as Hex);
  } catch {
    throw new ConfigError(`${envName}=${file} does not hold a valid secp256k1 key`);
  }
}

/**
 * Connects to the chain's RPC (or `transport`), checks its chain id and the contract, and loads the key unless
 * `readOnly`. An RPC that cannot be reached is an Error naming SETTLEMENT_<CHAIN>_RPC_URL, not a ConfigError.
 */
export async function openSettlementChain(s: SettlementChainSettings, opts: { transport?: Transport; readOnly?: boolean } = {}): Promise<OpenedChain> {
  if (s.rpcUrl === '' && !opts.transport) throw new ConfigError(`${s.envPrefix}_RPC_URL is not set`);
  const account = opts.readOnly ? undefined : readEvmKeyFile(s.privateKeyFile, `${s.envPrefix}_PRIVATE_KEY_FILE`);
  const transport = opts.transport ?? http(s.rpcUrl, { timeout: 15_000, retryCount: 2 });
  let clients: ChainClients;
  try {
    clients = await connectChain({ transport, chainId: s.chainId, account });
  } catch (err) {
    if (err instanceof ChainIdMismatchError) {
      throw new ConfigError(`${s.envPrefix}_CHAIN_ID=${s.chainId} does not match the RPC at ${s.envPrefix}_RPC_URL: ${err.message}`);
    }
    throw new Error(`${s.envPrefix}_RPC_URL: the RPC did not answer (${(err as Error).message.split('\n')[0]})`);
  }
  const hasCode = async (address: Address) => ((await clients.public.getCode({ address })) ?? '0x') !== '0x';
  if (s.token !== NATIVE_TOKEN && !(await hasCode(s.token))) {
    throw new ConfigError(`${s.envPrefix}_TOKEN=${s.token} holds no contract on chain ${s.chainId} (native: the chain's coin)`);
  }
  if (!s.channelAddress) return { settings: s, clients };
  if (!(await hasCode(s.channelAddress))) throw new ConfigError(`${s.envPrefix}_CHANNEL_ADDRESS=${s.channelAddress} holds no contract on chain ${s.chainId}`);
  return { settings: s, clients, channels: new StreamChannelClient(clients, s.channelAddress) };
}
