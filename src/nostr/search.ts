import type { NostrEvent } from './event';

/** Kinds whose content is ciphertext (DMs, seals, gift wraps): never indexed, never matched by a search. */
export const UNSEARCHABLE_KINDS: ReadonlySet<number> = new Set([4, 13, 1059]);

/** NIP-23 long-form articles and drafts: their `d` tag is a human slug worth searching. */
const LONG_FORM_KINDS: ReadonlySet<number> = new Set([30023, 30024]);

/** NIP-50 extensions (`key:value` words) that this relay accepts and ignores. */
const EXTENSION = /^(include|domain|language|sentiment|nsfw):/i;

/** Most words of a search query that are used; the rest are ignored (bounds the FTS query). */
const MAX_TERMS = 16;

/** Lowercase words without diacritics: what the FTS5 tokenizer (unicode61, remove_diacritics) indexes. */
export function words(text: string): string[] {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** The words of a NIP-50 query (extensions dropped), deduplicated; empty when there is nothing to search for. */
export function searchTerms(query: string): string[] {
  const kept = query.split(/\s+/).filter((w) => w !== '' && !EXTENSION.test(w));
  return [...new Set(words(kept.join(' ')))].slice(0, MAX_TERMS);
}

/** An FTS5 MATCH expression requiring every term; each term is quoted, so no user input is FTS5 syntax. */
export const ftsQuery = (terms: string[]): string => terms.map((t) => `"${t}"`).join(' ');

/**
 * What the search index holds for an event: its content, and as a title its `title` tag and (long-form) `d` tag.
 * Undefined for ciphertext kinds and events with no text.
 */
export function searchableText(e: NostrEvent): { content: string; title: string } | undefined {
  if (UNSEARCHABLE_KINDS.has(e.kind)) return undefined;
  const titles: string[] = [];
  for (const t of e.tags) {
    if (t[1] !== undefined && (t[0] === 'title' || (t[0] === 'd' && LONG_FORM_KINDS.has(e.kind)))) titles.push(t[1]);
  }
  const title = titles.join(' ');
  if (e.content === '' && title === '') return undefined;
  return { content: e.content, title };
}

/**
 * Live matching of a search filter: every term is a word of the event's text. The stored query also stems (FTS5
 * porter), so a live event must match the words exactly where a stored one may match "running" for "run".
 */
export function matchSearch(terms: string[], e: NostrEvent): boolean {
  if (terms.length === 0) return false;
  const text = searchableText(e);
  if (!text) return false;
  const have = new Set(words(`${text.content} ${text.title}`));
  return terms.every((t) => have.has(t));
}
