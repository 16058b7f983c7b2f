// An in-process EVM for the settlement tests: Hardhat 2's EDR provider (no network, no compile task), driven by
// viem through custom(provider) with retries off, and the test tokens compiled by solc at test time.
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  createPublicClient,
  custom,
  getAddress,
  numberToHex,
  parseEther,
  type Abi,
  type Address,
  type EIP1193Provider,
  type Hex,
  type PublicClient,
  type Transport,
} from 'viem';
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import { compileSolidity } from '../../../scripts/solidity.mjs';
import { connectChain, deployStreamChannel, StreamChannelClient, type ChainClients } from '../../../src/settlement/chain';

const require = createRequire(import.meta.url);
const fixtures = path.join(__dirname, '../fixtures');

export const CHAIN_ID = 31337;

export interface TestChain {
  provider: EIP1193Provider;
  transport: Transport;
  public: PublicClient;
  /** A funded local account (10,000 native coins), deterministic per `n`. */
  account(n: number): Promise<PrivateKeyAccount>;
  clients(account: PrivateKeyAccount): Promise<ChainClients>;
  deployChannel(graceSeconds: number, deployer: PrivateKeyAccount): Promise<Address>;
  channelClient(account: PrivateKeyAccount, address: Address): Promise<StreamChannelClient>;
  /** Deploys a contract of test/settlement/fixtures/TestTokens.sol. */
  deployFixture(name: 'TestToken' | 'NoBoolToken' | 'FeeOnTransferToken' | 'BreakableToken' | 'Reenterer', deployer: PrivateKeyAccount): Promise<Address>;
  fixtureAbi(name: string): Abi;
  /** Moves the next block's timestamp `seconds` ahead and mines it. */
  increaseTime(seconds: number): Promise<void>;
  latestTimestamp(): Promise<bigint>;
  rpc(method: string, params?: unknown[]): Promise<unknown>;
}

let hre: { network: { provider: EIP1193Provider } } | undefined;

export async function startChain(): Promise<TestChain> {
  if (!hre) {
    process.env.HARDHAT_CONFIG = path.join(fixtures, 'hardhat.config.cjs');
    hre = require('hardhat');
  }
  const provider = hre!.network.provider;
  const transport = custom(provider, { retryCount: 0 });
  const pub = createPublicClient({ transport, pollingInterval: 50, cacheTime: 0 }) as PublicClient;
  const compiled = compileSolidity([path.join(fixtures, 'TestTokens.sol')]);
  const rpc = (method: string, params: unknown[] = []) => provider.request({ method, params } as never) as Promise<unknown>;
  const funded = new Set<string>();
  const chain: TestChain = {
    provider,
    transport,
    public: pub,
    async account(n) {
      const account = privateKeyToAccount(numberToHex(0x5e771e00n + BigInt(n), { size: 32 }));
      if (!funded.has(account.address)) {
        await rpc('hardhat_setBalance', [account.address, numberToHex(parseEther('10000'))]);
        funded.add(account.address);
      }
      return account;
    },
    clients: (account) => connectChain({ transport, chainId: CHAIN_ID, account }),
    async deployChannel(graceSeconds, deployer) {
      return (await deployStreamChannel(await chain.clients(deployer), graceSeconds)).address;
    },
    async channelClient(account, address) {
      return new StreamChannelClient(await chain.clients(account), address);
    },
    async deployFixture(name, deployer) {
      const c = await chain.clients(deployer);
      const hash = await c.wallet!.deployContract({ abi: compiled[name].abi as Abi, bytecode: compiled[name].bytecode, account: deployer, chain: c.wallet!.chain });
      const receipt = await c.public.waitForTransactionReceipt({ hash, pollingInterval: 50 });
      return getAddress(receipt.contractAddress!);
    },
    fixtureAbi: (name) => compiled[name].abi as Abi,
    async increaseTime(seconds) {
      await rpc('evm_increaseTime', [seconds]);
      await rpc('evm_mine');
    },
    async latestTimestamp() {
      return (await pub.getBlock({ blockTag: 'latest' })).timestamp;
    },
    rpc,
  };
  return chain;
}

export type { Hex };
