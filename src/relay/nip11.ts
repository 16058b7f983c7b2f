import type { Config } from '../config/load';
import type { Prices } from '../payments/pricing';
import { REPOSITORY, VERSION } from '../version';

/** NIPs that this build implements end to end (each has tests); NIP-11 lists exactly these. */
export const SUPPORTED_NIPS = [
  1, // basic protocol
  9, // deletion requests (src/storage/deletions.ts)
  11, // this document
  13, // proof of work (MIN_POW_DIFFICULTY)
  22, // created_at limits (CREATED_AT_LOWER_LIMIT, CREATED_AT_UPPER_LIMIT); NIP-22 comments are plain events
  40, // expiration
  42, // AUTH
  45, // COUNT
  50, // search (FTS5)
  62, // request to vanish (src/storage/vanish.ts)
  70, // protected events
  77, // negentropy syncing (src/relay/negentropy.ts, src/nostr/negentropy/)
];

/** The http(s) URL of the relay's page, which explains how to pay: from PUBLIC_URL, else the Host asked for. */
export function pageUrl(config: Config, host: string): string {
  if (!config.publicUrl) return `http://${host}/`;
  const u = new URL(config.publicUrl);
  return `${u.protocol === 'wss:' ? 'https:' : 'http:'}//${u.host}/`;
}

/** The NIP-11 relay information document. */
export function relayInfo(config: Config, prices: Prices, host: string): Record<string, unknown> {
  const info: Record<string, unknown> = {
    name: config.relayName,
    description: config.relayDescription,
    supported_nips: SUPPORTED_NIPS,
    ...(REPOSITORY ? { software: REPOSITORY } : {}),
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
      min_pow_difficulty: config.minPowDifficulty,
      auth_required: config.authRequired,
      payment_required: !prices.isFree,
      restricted_writes: !prices.isFree || config.allowedPubkeys.size > 0,
      created_at_lower_limit: config.createdAtPast,
      created_at_upper_limit: config.createdAtFuture,
    },
  };
  if (!prices.isFree) {
    // NIP-11's entry has one amount; the per-byte part is one more field of the same entry, so that each entry is the
    // whole price of its kinds: amount + per_byte × bytes of the event's NIP-01 serialization.
    const perByte = prices.perByte > 0n ? { per_byte: Number(prices.perByte) } : {};
    const fee = (amount: bigint) => ({ amount: Number(amount), ...perByte, unit: config.assetCode, scale: config.assetScale });
    info.fees = {
      publication: [fee(prices.base), ...[...prices.kinds].map(([kind, amount]) => ({ kinds: [kind], ...fee(amount) }))],
    };
    info.payments_url = pageUrl(config, host);
  }
  if (config.relayPubkey) info.pubkey = config.relayPubkey;
  if (config.relayContact) info.contact = config.relayContact;
  return info;
}
