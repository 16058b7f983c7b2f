import { OerReader } from '../oer/oer-reader';
import { isValidIlpAddress } from './ilp-address';
import {
  IlpPacketType,
  MAX_DATA_LENGTH,
  MAX_MESSAGE_LENGTH,
  type IlpFulfill,
  type IlpPacket,
  type IlpPrepare,
  type IlpReject,
} from './ilp-packet';

/** Invalid UTF-8 becomes U+FFFD, as with Buffer#toString in ilp-packet. */
const UTF8 = new TextDecoder();
const UTF8_ENCODER = new TextEncoder();
const MESSAGE_SCRATCH = new Uint8Array(MAX_MESSAGE_LENGTH);

/*
 * Each decoder reads `type · VarOctetString(contents)` and rejects bytes after the envelope.
 * Bytes left inside `contents` are ignored: RFC 30 reserves them for fields added later.
 * All failures throw OerError.
 */

export function decodePrepare(bytes: Uint8Array): IlpPrepare {
  return readPrepare(open(bytes, IlpPacketType.Prepare));
}

export function decodeFulfill(bytes: Uint8Array): IlpFulfill {
  return readFulfill(open(bytes, IlpPacketType.Fulfill));
}

export function decodeReject(bytes: Uint8Array): IlpReject {
  return readReject(open(bytes, IlpPacketType.Reject));
}

export function decodeIlpPacket(bytes: Uint8Array): IlpPacket {
  const reader = new OerReader(bytes);
  const type = reader.uint8();
  switch (type) {
    case IlpPacketType.Prepare:
      return { type, ...decodePrepare(bytes) };
    case IlpPacketType.Fulfill:
      return { type, ...decodeFulfill(bytes) };
    case IlpPacketType.Reject:
      return { type, ...decodeReject(bytes) };
    default:
      return reader.fail(`unknown ILP packet type ${type}`, 0);
  }
}

function open(bytes: Uint8Array, expectedType: number): OerReader {
  const envelope = new OerReader(bytes);
  const type = envelope.uint8();
  if (type !== expectedType) envelope.fail(`expected ILP packet type ${expectedType}, got ${type}`, 0);
  const contents = envelope.varContents();
  envelope.expectEnd('ILP packet');
  return contents;
}

function readPrepare(reader: OerReader): IlpPrepare {
  const amount = reader.uint64();
  const expiresAt = reader.ilpTimestamp();
  const executionCondition = reader.octets(32);
  const destinationAt = reader.offset;
  const destination = reader.varIa5();
  if (!isValidIlpAddress(destination)) reader.fail(`invalid destination "${destination}"`, destinationAt);
  return { amount, expiresAt, executionCondition, destination, data: readData(reader) };
}

function readFulfill(reader: OerReader): IlpFulfill {
  const fulfillment = reader.octets(32);
  return { fulfillment, data: readData(reader) };
}

function readReject(reader: OerReader): IlpReject {
  const code = reader.ia5(3);
  const triggeredByAt = reader.offset;
  const triggeredBy = reader.varIa5();
  if (triggeredBy !== '' && !isValidIlpAddress(triggeredBy)) {
    reader.fail(`invalid triggeredBy "${triggeredBy}"`, triggeredByAt);
  }
  const message = fitMessage(UTF8.decode(readLimited(reader, MAX_MESSAGE_LENGTH, 'message')));
  return { code, triggeredBy, message, data: readData(reader) };
}

/**
 * Each invalid byte of a message becomes U+FFFD, three bytes in UTF-8: cut the text where its UTF-8 would pass the
 * limit, so that a Reject we decode can always be encoded again (a connector forwards it). Whole characters only.
 */
function fitMessage(text: string): string {
  const { read } = UTF8_ENCODER.encodeInto(text, MESSAGE_SCRATCH);
  return read === text.length ? text : text.slice(0, read);
}

function readData(reader: OerReader): Uint8Array {
  return readLimited(reader, MAX_DATA_LENGTH, 'data');
}

function readLimited(reader: OerReader, limit: number, what: string): Uint8Array {
  const at = reader.offset;
  const bytes = reader.varOctets();
  if (bytes.length > limit) reader.fail(`${what} longer than ${limit} bytes`, at);
  return bytes;
}
