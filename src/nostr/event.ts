import { createHash } from 'node:crypto';

export interface NostrEvent {
  id: string;
  pubkey: string;
  created_at: number;
  kind: number;
  tags: string[][];
  content: string;
  sig: string;
}

const HEX64 = /^[0-9a-f]{64}$/;
const HEX128 = /^[0-9a-f]{128}$/;

export const isHex64 = (v: unknown): v is string => typeof v === 'string' && HEX64.test(v);

export interface ShapeLimits {
  maxEventTags: number;
  maxContentLength: number;
}

/** Checks the NIP-01 shape; returns the reason (without prefix) or undefined when the event is well formed. */
export function checkShape(e: unknown, limits: ShapeLimits): string | undefined {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return 'event must be a JSON object';
  const ev = e as Record<string, unknown>;
  if (!isHex64(ev.id)) return 'id must be 64 lowercase hex characters';
  if (!isHex64(ev.pubkey)) return 'pubkey must be 64 lowercase hex characters';
  if (typeof ev.sig !== 'string' || !HEX128.test(ev.sig)) return 'sig must be 128 lowercase hex characters';
  if (!Number.isSafeInteger(ev.created_at) || (ev.created_at as number) < 0) return 'created_at must be a non-negative integer';
  if (!Number.isInteger(ev.kind) || (ev.kind as number) < 0 || (ev.kind as number) > 65535) {
    return 'kind must be an integer from 0 to 65535';
  }
  if (typeof ev.content !== 'string') return 'content must be a string';
  if (ev.content.length > limits.maxContentLength) return `content longer than ${limits.maxContentLength} characters`;
  if (!Array.isArray(ev.tags)) return 'tags must be an array';
  if (ev.tags.length > limits.maxEventTags) return `more than ${limits.maxEventTags} tags`;
  for (const tag of ev.tags) {
    if (!Array.isArray(tag) || tag.length === 0) return 'each tag must be a non-empty array of strings';
    for (const item of tag) if (typeof item !== 'string') return 'each tag must be a non-empty array of strings';
  }
  return undefined;
}

/** The NIP-01 serialization whose sha256 is the id; its UTF-8 length is what pricing counts. */
export const serializeForId = (e: NostrEvent): string =>
  JSON.stringify([0, e.pubkey, e.created_at, e.kind, e.tags, e.content]);

export const computeId = (serialized: string): string => createHash('sha256').update(serialized).digest('hex');

/** The JSON we store and serve: the seven NIP-01 fields only, in a fixed order. */
export const canonicalJson = (e: NostrEvent): string =>
  JSON.stringify({
    id: e.id,
    pubkey: e.pubkey,
    created_at: e.created_at,
    kind: e.kind,
    tags: e.tags,
    content: e.content,
    sig: e.sig,
  });

export type KindClass = 'regular' | 'replaceable' | 'ephemeral' | 'addressable';

export function kindClass(kind: number): KindClass {
  if (kind === 0 || kind === 3 || (kind >= 10000 && kind < 20000)) return 'replaceable';
  if (kind >= 20000 && kind < 30000) return 'ephemeral';
  if (kind >= 30000 && kind < 40000) return 'addressable';
  return 'regular';
}

/** NIP-40: the unix time in the first well-formed `expiration` tag, or null. */
export function expirationOf(e: NostrEvent): number | null {
  for (const t of e.tags) {
    if (t[0] === 'expiration' && t[1] !== undefined && /^\d{1,15}$/.test(t[1])) return Number(t[1]);
  }
  return null;
}

/** The first `d` tag's value, which names an addressable event ("" when absent). */
export function dTag(e: NostrEvent): string {
  for (const t of e.tags) if (t[0] === 'd') return t[1] ?? '';
  return '';
}
