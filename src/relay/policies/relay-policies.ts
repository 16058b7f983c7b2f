import type { Config } from '../../config/load';
import {
  allowedPubkeys,
  authRequired,
  blockedPubkeys,
  createdAtWithin,
  eventsPerIp,
  eventsPerPubkey,
  minPow,
  notAnAuthEvent,
  notExpired,
  protectedEvent,
} from './event-policies';
import { filtersPerIp, readAuthRequired } from './filter-policies';
import type { EventPolicy, FilterPolicy } from './policy';
import { dmsNeedAuth } from './protected-dms';
import { bucketsFor } from '../../http/token-buckets';
import { exceptRequestsToVanish } from './vanish';

/**
 * What the relay checks, as lists of small policies built once from the settings (khatru's rejectEvent /
 * rejectFilter). Each list runs in order and the first refusal answers; a setting that is off adds no entry, so
 * the hot path pays only for what is configured. Others may push entries (e.g. a kind allow-list).
 */
export interface RelayPolicies {
  /** Every EVENT with a valid shape, before its id and signature are checked: cheap refusals first. */
  event: EventPolicy[];
  /** An EVENT whose signature verified: policies that trust the pubkey. */
  verifiedEvent: EventPolicy[];
  /** An AUTH event with a valid shape, before its checks and signature. */
  auth: EventPolicy[];
  req: FilterPolicy[];
  count: FilterPolicy[];
}

const present = <T>(...xs: (T | false | undefined)[]): T[] => xs.filter((x): x is T => !!x);

export function relayPolicies(config: Config): RelayPolicies {
  const eventsIp = bucketsFor(config.rateEventsPerIp);
  const eventsPubkey = bucketsFor(config.rateEventsPerPubkey);
  const reqsIp = bucketsFor(config.rateReqsPerIp);
  const countsIp = bucketsFor(config.rateCountsPerIp);
  const rateEvents = eventsIp && eventsPerIp(eventsIp);
  const blocked = config.blockedPubkeys.size > 0 && exceptRequestsToVanish(blockedPubkeys(config.blockedPubkeys));
  return {
    event: present(
      rateEvents,
      config.authRequired && authRequired,
      blocked,
      config.allowedPubkeys.size > 0 && exceptRequestsToVanish(allowedPubkeys(config.allowedPubkeys)),
      notAnAuthEvent,
      createdAtWithin(config.createdAtPast, config.createdAtFuture),
      notExpired,
      config.minPowDifficulty > 0 && minPow(config.minPowDifficulty),
      protectedEvent,
    ),
    verifiedEvent: present(eventsPubkey && eventsPerPubkey(eventsPubkey)),
    auth: present(rateEvents, blocked),
    req: present(reqsIp && filtersPerIp(reqsIp, 'REQs'), config.authRequired && readAuthRequired, config.protectedDms && dmsNeedAuth),
    count: present(countsIp && filtersPerIp(countsIp, 'COUNTs'), config.authRequired && readAuthRequired, config.protectedDms && dmsNeedAuth),
  };
}
