// Seeded generators for the cross-checks, so a failure reproduces with the same seed.

const ADDRESS_SCHEMES = ['g', 'private', 'example', 'peer', 'self', 'test', 'test1', 'test2', 'test3', 'local'];
const SEGMENT_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_~-';
const PRINTABLE_ASCII = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');
/** Code point ranges that cover 1-, 2-, 3- and 4-byte UTF-8, skipping surrogates. */
const CODE_POINT_RANGES: [number, number][] = [
  [0x20, 0x7e],
  [0xa0, 0x7ff],
  [0x4e00, 0x9fff],
  [0x1f300, 0x1faff],
];
const MIN_DATE = Date.UTC(1970, 0, 1);
const MAX_DATE = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** mulberry32 */
  uint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor((this.uint32() / 2 ** 32) * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.uint32() / 2 ** 32 < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)];
  }

  bytes(length: number): Uint8Array {
    return Uint8Array.from({ length }, () => this.int(0, 255));
  }

  /** Lengths that exercise short-form, one-byte and two-byte long-form length prefixes. */
  length(max = 3000): number {
    const roll = this.int(0, 9);
    if (roll < 6) return this.int(0, 40);
    if (roll < 9) return this.int(100, Math.min(300, max));
    return this.int(Math.min(256, max), max);
  }

  data(max = 3000): Uint8Array {
    return this.bytes(this.length(max));
  }

  /** A UInt64 of random byte width, with the boundaries mixed in. */
  uint64(): bigint {
    if (this.chance(0.1)) return this.pick([0n, 2n ** 53n - 1n, 2n ** 64n - 1n]);
    let value = 0n;
    for (let i = this.int(1, 8); i > 0; i--) value = (value << 8n) | BigInt(this.int(0, 255));
    return value;
  }

  address(): string {
    const segments = [this.pick(ADDRESS_SCHEMES)];
    for (let i = this.int(1, 5); i > 0; i--) segments.push(this.string(SEGMENT_CHARS, this.int(1, 12)));
    if (this.chance(0.1)) segments.push(this.string(SEGMENT_CHARS, this.int(120, 400)));
    return segments.join('.');
  }

  ascii(length: number): string {
    return this.string(PRINTABLE_ASCII, length);
  }

  utf8(maxCodePoints = 60): string {
    let text = '';
    for (let i = this.int(0, maxCodePoints); i > 0; i--) {
      const [low, high] = this.pick(CODE_POINT_RANGES);
      text += String.fromCodePoint(this.int(low, high));
    }
    return text;
  }

  date(): Date {
    return new Date(this.int(MIN_DATE / 1000, Math.floor(MAX_DATE / 1000)) * 1000 + this.int(0, 999));
  }

  private string(alphabet: string, length: number): string {
    let text = '';
    for (let i = 0; i < length; i++) text += alphabet[this.int(0, alphabet.length - 1)];
    return text;
  }
}

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
