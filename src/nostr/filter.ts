import { isHex64, type NostrEvent } from './event';
import { matchSearch, searchTerms } from './search';

/** A validated NIP-01 filter; sets are for live matching, arrays keep the order for SQL. */
export interface Filter {
  ids?: string[];
  authors?: string[];
  kinds?: number[];
  tags: [name: string, values: string[]][];
  since?: number;
  until?: number;
  limit?: number;
  /** NIP-50 query as given, and its words (empty when it has none: the filter then matches nothing). */
  search?: string;
  searchTerms?: string[];
  idSet?: Set<string>;
  authorSet?: Set<string>;
  kindSet?: Set<number>;
  tagSets: [name: string, values: Set<string>][];
}

export interface FilterLimits {
  maxLimit: number;
  /** Largest number of values in one filter, all fields together; bounds the query's size. */
  maxValues: number;
}

export type FilterResult = { ok: true; filter: Filter } | { ok: false; reason: string };

/** Longest NIP-50 query accepted. */
const MAX_SEARCH_LENGTH = 1000;

const bad = (reason: string): FilterResult => ({ ok: false, reason });

/** Validates one REQ/COUNT filter; `limit` is clamped to `maxLimit`, other problems are refused with a reason. */
export function parseFilter(raw: unknown, limits: FilterLimits): FilterResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad('filter must be a JSON object');
  const f: Filter = { tags: [], tagSets: [] };
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    switch (key) {
      case 'ids':
      case 'authors': {
        if (!Array.isArray(value) || !value.every(isHex64)) return bad(`"${key}" must be an array of 64-char lowercase hex strings`);
        if (value.length > limits.maxValues) return bad(`"${key}" has more than ${limits.maxValues} values`);
        if (key === 'ids') {
          f.ids = value;
          f.idSet = new Set(value);
        } else {
          f.authors = value;
          f.authorSet = new Set(value);
        }
        break;
      }
      case 'kinds': {
        if (!Array.isArray(value) || !value.every((k) => Number.isInteger(k) && k >= 0 && k <= 65535)) {
          return bad('"kinds" must be an array of integers from 0 to 65535');
        }
        if (value.length > limits.maxValues) return bad(`"kinds" has more than ${limits.maxValues} values`);
        f.kinds = value;
        f.kindSet = new Set(value);
        break;
      }
      case 'since':
      case 'until':
      case 'limit': {
        if (!Number.isSafeInteger(value) || (value as number) < 0) return bad(`"${key}" must be a non-negative integer`);
        f[key] = key === 'limit' ? Math.min(value as number, limits.maxLimit) : (value as number);
        break;
      }
      case 'search': {
        if (typeof value !== 'string') return bad('"search" must be a string');
        if (value.length > MAX_SEARCH_LENGTH) return bad(`"search" is longer than ${MAX_SEARCH_LENGTH} characters`);
        f.search = value;
        f.searchTerms = searchTerms(value);
        break;
      }
      default: {
        if (key.length === 2 && key[0] === '#' && /[a-zA-Z]/.test(key[1])) {
          if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) return bad(`"${key}" must be an array of strings`);
          if (value.length > limits.maxValues) return bad(`"${key}" has more than ${limits.maxValues} values`);
          f.tags.push([key[1], value]);
          f.tagSets.push([key[1], new Set(value)]);
          break;
        }
        return bad(`unsupported filter field "${key}"`);
      }
    }
  }
  const values = (f.ids?.length ?? 0) + (f.authors?.length ?? 0) + (f.kinds?.length ?? 0) + f.tags.reduce((n, [, v]) => n + v.length, 0);
  if (values > limits.maxValues) return bad(`the filter has more than ${limits.maxValues} values in all`);
  return { ok: true, filter: f };
}

/** True when a filter can match nothing: an empty list, or since after until. */
export function isEmptyFilter(f: Filter): boolean {
  return (
    f.ids?.length === 0 ||
    f.authors?.length === 0 ||
    f.kinds?.length === 0 ||
    f.tags.some(([, v]) => v.length === 0) ||
    f.searchTerms?.length === 0 ||
    (f.since !== undefined && f.until !== undefined && f.since > f.until)
  );
}

export function matchFilter(f: Filter, e: NostrEvent): boolean {
  if (f.idSet && !f.idSet.has(e.id)) return false;
  if (f.authorSet && !f.authorSet.has(e.pubkey)) return false;
  if (f.kindSet && !f.kindSet.has(e.kind)) return false;
  if (f.since !== undefined && e.created_at < f.since) return false;
  if (f.until !== undefined && e.created_at > f.until) return false;
  for (const [name, values] of f.tagSets) {
    if (!e.tags.some((t) => t[0] === name && t.length > 1 && values.has(t[1]))) return false;
  }
  if (f.searchTerms && !matchSearch(f.searchTerms, e)) return false;
  return true;
}
