// OER primitives against the examples in RFC 30 (Notes on OER Encoding).
import { describe, expect, it } from 'vitest';
import { OerReader, OerWriter, formatGeneralizedTime, parseGeneralizedTime, parseIlpTimestamp, formatIlpTimestamp } from '../../src/ilp';
import { hex } from './random';
import { fromHex, oerErrorOf } from './vectors';

const reader = (bytesHex: string) => new OerReader(fromHex(bytesHex));

describe('length determinant', () => {
  const examples: [string, number][] = [
    ['07', 7],
    ['8182', 130],
    ['821234', 4660],
    ['83abcdef', 11259375],
  ];
  for (const [encoding, length] of examples) {
    it(`reads ${encoding} as ${length} and writes it back`, () => {
      const bytes = fromHex(encoding.padEnd(encoding.length + length * 2, '00'));
      expect(new OerReader(bytes).lengthPrefix()).toBe(length);
      expect(hex(new OerWriter().lengthPrefix(length).toBytes())).toBe(encoding);
    });
  }

  it('rejects long forms that are not minimal', () => {
    for (const [encoding, at] of [['8105', 0], ['820080', 0], ['80', 0], ['8900000000000000000100', 0]] as const) {
      const error = oerErrorOf(() => reader(encoding.padEnd(600, '00')).lengthPrefix());
      expect(error.offset).toBe(at);
      expect(error.message).toMatch(/at byte 0$/);
    }
  });

  it('rejects a length beyond the input', () => {
    expect(oerErrorOf(() => reader('05aabb').varOctets()).reason).toMatch(/truncated/);
    expect(oerErrorOf(() => reader('82ffff00').varOctets()).reason).toMatch(/truncated/);
  });
});

describe('unsigned integers', () => {
  it('reads and writes the RFC 30 fixed-width examples', () => {
    expect(reader('00').uint8()).toBe(0);
    expect(reader('1234').uint16()).toBe(4660);
    expect(reader('abababab').uint32()).toBe(2880154539);
    expect(reader('ac01055a1debac1e').uint64()).toBe(12394193534107495454n);
    expect(hex(new OerWriter().uint8(0).uint16(4660).uint32(2880154539).uint64(12394193534107495454n).toBytes())).toBe(
      '001234ababababac01055a1debac1e',
    );
  });

  it('writes VarUInts minimally and reads them back', () => {
    for (const value of [0n, 1n, 255n, 256n, 2n ** 53n - 1n, 2n ** 64n - 1n]) {
      const bytes = new OerWriter().varUint(value).toBytes();
      const width = value === 0n ? 1 : Math.ceil(value.toString(16).length / 2);
      expect(bytes[0]).toBe(width);
      expect(new OerReader(bytes).varUint()).toBe(value);
    }
  });

  it('rejects VarUInts of zero or more than eight bytes, unless saturating', () => {
    expect(oerErrorOf(() => reader('00').varUint()).reason).toMatch(/0 bytes/);
    expect(oerErrorOf(() => reader('09010000000000000000').varUint()).reason).toMatch(/9 bytes/);
    expect(reader('09010000000000000000').varUintSaturating()).toBe(2n ** 64n - 1n);
    expect(reader('0108').varUintSaturating()).toBe(8n);
  });

  it('refuses to write values out of range', () => {
    expect(() => new OerWriter().uint8(256)).toThrow(RangeError);
    expect(() => new OerWriter().uint32(-1)).toThrow(RangeError);
    expect(() => new OerWriter().uint64(2n ** 64n)).toThrow(RangeError);
    expect(() => new OerWriter().varUint(-1n)).toThrow(RangeError);
  });
});

describe('ILP timestamps', () => {
  it('parses the RFC 30 valid examples', () => {
    expect(parseIlpTimestamp('20171224161432279')?.toISOString()).toBe('2017-12-24T16:14:32.279Z');
    expect(parseIlpTimestamp('20171225000000000')?.toISOString()).toBe('2017-12-25T00:00:00.000Z');
    expect(parseIlpTimestamp('99991224161432279')?.toISOString()).toBe('9999-12-24T16:14:32.279Z');
  });

  it('rejects the RFC 30 invalid examples', () => {
    for (const text of [
      '20171224235312.431+0200',
      '201712242153124318',
      '20171324161432200',
      '20171224230000000.',
      '20171224240000000',
      '20171224215300',
      '2017122421531',
      '201712242153',
      '2017122421',
      '20161231235960852',
      '20170229000000000',
    ]) {
      expect(parseIlpTimestamp(text), text).toBeUndefined();
    }
  });

  it('formats years below 100 without the Date.UTC shift', () => {
    const date = parseIlpTimestamp('00450102030405006')!;
    expect(date.getUTCFullYear()).toBe(45);
    expect(formatIlpTimestamp(date)).toBe('00450102030405006');
  });

  it('reports a bad timestamp at its offset', () => {
    const bytes = new TextEncoder().encode('x20171324161432200');
    const r = new OerReader(bytes);
    r.uint8();
    expect(oerErrorOf(() => r.ilpTimestamp()).offset).toBe(1);
  });
});

describe('GeneralizedTime', () => {
  it('parses the RFC 30 valid examples', () => {
    const examples: [string, string][] = [
      ['20171224161432.279Z', '2017-12-24T16:14:32.279Z'],
      ['20171224161432.27Z', '2017-12-24T16:14:32.270Z'],
      ['20171224161432.2Z', '2017-12-24T16:14:32.200Z'],
      ['20171224161432Z', '2017-12-24T16:14:32.000Z'],
      ['20171225000000Z', '2017-12-25T00:00:00.000Z'],
      ['99991224161432.279Z', '9999-12-24T16:14:32.279Z'],
    ];
    for (const [text, iso] of examples) expect(parseGeneralizedTime(text)?.toISOString()).toBe(iso);
    // A leap second has no JS Date, so it lands in the next minute.
    expect(parseGeneralizedTime('20161231235960.852Z')?.toISOString()).toBe('2017-01-01T00:00:00.852Z');
  });

  it('rejects the RFC 30 invalid examples', () => {
    for (const text of [
      '20171224235312.431+0200',
      '20171224215312.4318Z',
      '20171224161432,279Z',
      '20171324161432.279Z',
      '20171224230000.Z',
      '20171224240000Z',
      '2017122421531Z',
      '201712242153Z',
      '2017122421Z',
    ]) {
      expect(parseGeneralizedTime(text), text).toBeUndefined();
    }
  });

  it('writes three millisecond digits, as btp-packet does', () => {
    expect(formatGeneralizedTime(new Date('2017-12-24T16:14:32.200Z'))).toBe('20171224161432.200Z');
  });
});

describe('strings and fixed octets', () => {
  it('rejects non-ASCII bytes in IA5 strings', () => {
    expect(oerErrorOf(() => reader('0261e9').varIa5()).offset).toBe(2);
    expect(() => new OerWriter().varIa5('é')).toThrow(RangeError);
  });

  it('checks fixed lengths when writing', () => {
    expect(() => new OerWriter().octets(new Uint8Array(31), 32)).toThrow(RangeError);
    expect(() => new OerWriter().ia5('F0', 3)).toThrow(RangeError);
  });

  it('returns copies, so the input buffer can be reused', () => {
    const bytes = fromHex('03aabbcc');
    const value = new OerReader(bytes).varOctets();
    bytes.fill(0);
    expect(hex(value)).toBe('aabbcc');
  });

  it('keeps nested readers inside their contents and reports outer offsets', () => {
    const outer = new OerReader(fromHex('ffff02aabbccdd'));
    outer.uint16();
    const inner = outer.varContents();
    inner.uint8();
    expect(oerErrorOf(() => inner.uint16()).offset).toBe(4);
  });
});
