import { erc20Abi } from 'viem';
import { ConfigError, type Config } from '../config/load';
import { configuredSettlementChains, openSettlementChain } from './chain-config';
import type { SettlementChain } from './channel-chain';
import { NATIVE_TOKEN } from './contract';
import { streamChannelChain } from './stream-channel-chain';

/** The chains peers settle on, from SETTLEMENT_<CHAIN>_*: connected and checked, with token decimals and the grace period. */
export async function openSettlementChains(config: Config): Promise<SettlementChain[]> {
  const out: SettlementChain[] = [];
  for (const s of configuredSettlementChains(config)) {
    if (!config.ilpPeers.some((p) => p.settlement?.chain === s.name)) continue;
    const opened = await openSettlementChain(s);
    if (!opened.channels || !opened.clients.account) {
      throw new ConfigError(`${s.envPrefix}_CHANNEL_ADDRESS is not set: deploy the contract first (settlement deploy --chain ${s.name})`);
    }
    const tokenScale =
      s.token === NATIVE_TOKEN ? 18 : await opened.clients.public.readContract({ address: s.token, abi: erc20Abi, functionName: 'decimals' });
    out.push({
      name: s.name,
      chain: streamChannelChain(opened.channels, await opened.channels.closeGracePeriod(), s.confirmations),
      account: opened.clients.account,
      token: s.token,
      tokenScale,
    });
  }
  return out;
}
