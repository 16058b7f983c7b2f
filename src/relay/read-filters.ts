import type { Config } from '../config/load';
import { parseFilter, type Filter } from '../nostr/filter';
import { noticeMessage } from './messages';

/** Largest number of values in one filter, all fields together: with MAX_FILTERS, bounds a REQ's SQL. */
const MAX_FILTER_VALUES = 2000;

/**
 * A REQ or COUNT read: its subscription id and valid filters; or the reason to refuse it with CLOSED; or, when
 * there is no usable subscription id to close, the NOTICE to send.
 */
export type ReadFilters = { subId: string; filters: Filter[] } | { subId: string; reason: string } | { notice: string };

/** Reads `[type, subId, ...filters]`. */
export function readFilters(msg: unknown[], config: Config): ReadFilters {
  const subId = msg[1];
  if (typeof subId !== 'string' || subId.length === 0 || subId.length > config.maxSubidLength) {
    return { notice: noticeMessage(`invalid: subscription id must be a string of 1 to ${config.maxSubidLength} characters`) };
  }
  const rawFilters = msg.slice(2);
  if (rawFilters.length === 0) return { subId, reason: `invalid: ${msg[0]} needs at least one filter` };
  if (rawFilters.length > config.maxFilters) return { subId, reason: `invalid: more than ${config.maxFilters} filters` };
  const filters: Filter[] = [];
  for (const raw of rawFilters) {
    const r = parseFilter(raw, { maxLimit: config.maxLimit, maxValues: MAX_FILTER_VALUES });
    if (!r.ok) return { subId, reason: `invalid: ${r.reason}` };
    filters.push(r.filter);
  }
  return { subId, filters };
}
