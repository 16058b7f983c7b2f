// Structure-aware mutations of NIP-01 messages: wrong types, junk nodes, huge numbers, unicode, deep nesting.
import type { Rng } from '../ilp/random';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Message types the mutations may swap in; NEG-* are left out (NIP-77 answers in its own messages). */
const TYPES = ['EVENT', 'REQ', 'COUNT', 'CLOSE', 'AUTH', '', 'event', 'REQ ', 'NOTICE', 'OK', 'EOSE', '\u0000', 'E'.repeat(100)];

function nested(depth: number, leaf: Json): Json {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { a: value };
  return value;
}

/** A value of the wrong type, at a boundary, or of awkward text; `maxString` keeps messages under the size limit. */
export function junk(rng: Rng, maxString: number): Json {
  switch (rng.int(0, 9)) {
    case 0:
      return rng.pick([null, true, false]);
    case 1:
      return rng.pick([0, -1, 1.5, -0, 1e308, -1e308, 2 ** 53, 2 ** 53 + 2, 2 ** 64, 65535, 65536, -65536, 4294967296]);
    case 2:
      return rng.pick(['', 'a', '\u0000', '\ud800', '\udfff\ud800', '😀', '\u202e', '\ufeff', '0', 'null', '[]']);
    case 3:
      return rng.pick(['f'.repeat(64), 'F'.repeat(64), 'f'.repeat(63), 'f'.repeat(65), 'g'.repeat(64), 'f'.repeat(128)]);
    case 4:
      return rng.pick(['x', 'é', '日本', '😀', '\ud800']).repeat(rng.int(1, Math.max(1, maxString / 4)));
    case 5:
      return nested(rng.int(1, 300), rng.pick([null, 'x', 1]));
    case 6:
      return rng.pick<Json>([[], {}, [''], [[]], [null], { id: 'f'.repeat(64) }, JSON.parse('{"__proto__":{"x":1}}') as Json, { constructor: 1 }]);
    case 7:
      return Array.from({ length: rng.int(0, 50) }, () => rng.pick<Json>(['e', 'f'.repeat(64), 1, null]));
    case 8:
      return rng.pick(TYPES);
    default:
      return rng.utf8(30);
  }
}

interface Slot {
  parent: Json[] | { [key: string]: Json };
  key: number | string;
}

function slots(value: Json, out: Slot[] = []): Slot[] {
  if (Array.isArray(value)) {
    value.forEach((child, i) => {
      out.push({ parent: value, key: i });
      slots(child, out);
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      out.push({ parent: value, key });
      slots(child, out);
    }
  }
  return out;
}

function get(slot: Slot): Json {
  return (slot.parent as Record<string | number, Json>)[slot.key];
}

function set(slot: Slot, value: Json): void {
  (slot.parent as Record<string | number, Json>)[slot.key] = value;
}

function retype(value: Json): Json {
  if (typeof value === 'string') return Number(value) || value.length;
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return Object.fromEntries(value.map((v, i) => [String(i), v]));
  if (value !== null && typeof value === 'object') return Object.values(value);
  return value === null ? 'null' : Number(value);
}

/** A deep copy of `message` with one to three of its nodes replaced, removed, added to, or given another type. */
export function mutateJson(rng: Rng, message: Json, maxString: number): Json {
  const copy = structuredClone(message);
  for (let n = rng.int(1, 3); n > 0; n--) {
    const all = slots(copy);
    if (all.length === 0) break;
    const slot = rng.pick(all);
    switch (rng.int(0, 4)) {
      case 0:
        set(slot, junk(rng, maxString));
        break;
      case 1:
        set(slot, retype(get(slot)));
        break;
      case 2:
        if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 1);
        else delete slot.parent[slot.key];
        break;
      case 3:
        if (Array.isArray(slot.parent)) slot.parent.splice(rng.int(0, slot.parent.length), 0, junk(rng, maxString));
        else {
          // defineProperty: assigning `__proto__` would set the prototype instead of adding a key
          const key = rng.pick(['ids', 'kinds', 'limit', '#e', '#', '#ee', 'search', 'extra', 'tags', 'id', '__proto__']);
          Object.defineProperty(slot.parent, key, { value: junk(rng, maxString), enumerable: true, writable: true, configurable: true });
        }
        break;
      default:
        set(slot, nested(rng.int(1, 20), get(slot)));
    }
  }
  return copy;
}

/** Text-level damage for the parser: cuts, stray characters, numbers JSON.stringify never writes, deep nesting. */
export function mutateText(rng: Rng, text: string): string {
  const at = rng.int(0, text.length);
  switch (rng.int(0, 4)) {
    case 0:
      return text.slice(0, at);
    case 1:
      return text.slice(0, at) + rng.pick([',', ']', '}', '"', '\\', '\u0000', ' ', 'NaN', '1e400', '-0', '00', '123456789012345678901234567890', '\\ud800']) + text.slice(at);
    case 2:
      return text.replace(/\d+/, rng.pick(['1e400', '-1e400', '1.0e2', '123456789012345678901234567890', '0.0000001', '-0']));
    case 3: {
      const depth = rng.int(100, 3000);
      return `${'['.repeat(depth)}${text}${']'.repeat(depth)}`;
    }
    default:
      return ` \n\t${text}\r\n `;
  }
}
