import type { Config } from '../config/load';
import { VERSION } from '../version';

/** NIPs that this build implements end to end (each has tests); NIP-11 lists exactly these. */
export const SUPPORTED_NIPS = [1, 11];

/** The NIP-11 relay information document. */
export function relayInfo(config: Config): Record<string, unknown> {
  const info: Record<string, unknown> = {
    name: config.relayName,
    description: config.relayDescription,
    supported_nips: SUPPORTED_NIPS,
    software: 'https://www.npmjs.com/package/ilp-nostr-peer',
    version: VERSION,
    limitation: {
      max_message_length: config.maxMessageBytes,
      max_subscriptions: config.maxSubscriptions,
      max_filters: config.maxFilters,
      max_limit: config.maxLimit,
      default_limit: config.defaultLimit,
      max_subid_length: config.maxSubidLength,
      max_event_tags: config.maxEventTags,
      max_content_length: config.maxContentLength,
      min_pow_difficulty: 0,
      auth_required: false,
      payment_required: false,
      restricted_writes: false,
      created_at_lower_limit: config.createdAtPast,
      created_at_upper_limit: config.createdAtFuture,
    },
  };
  if (config.relayPubkey) info.pubkey = config.relayPubkey;
  if (config.relayContact) info.contact = config.relayContact;
  return info;
}
