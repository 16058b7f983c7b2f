// Valid values to encode and then mutate: every ILP, BTP and STREAM shape, with random fields.
import {
  BtpMessageType,
  IlpPacketType,
  MAX_MESSAGE_LENGTH,
  OerWriter,
  StreamFrameType as T,
  type BtpPacket,
  type IlpPacket,
  type ProtocolDataEntry,
  type StreamFrame,
  type StreamPacket,
} from '../../src/ilp';
import type { Rng } from '../ilp/random';

const ILP_CODES = ['F00', 'F02', 'F06', 'F08', 'F99', 'T00', 'T04', 'R00', 'R02'];

export function randomIlpPacket(rng: Rng): IlpPacket {
  switch (rng.pick([IlpPacketType.Prepare, IlpPacketType.Fulfill, IlpPacketType.Reject])) {
    case IlpPacketType.Prepare:
      return {
        type: IlpPacketType.Prepare,
        amount: rng.uint64(),
        expiresAt: rng.date(),
        executionCondition: rng.bytes(32),
        destination: rng.address(),
        data: rng.data(400),
      };
    case IlpPacketType.Fulfill:
      return { type: IlpPacketType.Fulfill, fulfillment: rng.bytes(32), data: rng.data(400) };
    default:
      return {
        type: IlpPacketType.Reject,
        code: rng.pick(ILP_CODES),
        triggeredBy: rng.chance(0.2) ? '' : rng.address(),
        message: rng.utf8(),
        data: rng.data(200),
      };
  }
}

function randomProtocolData(rng: Rng): ProtocolDataEntry[] {
  return Array.from({ length: rng.int(0, 4) }, () => ({
    protocolName: rng.pick(['ilp', 'auth', 'auth_token', 'auth_username', rng.ascii(rng.int(0, 12))]),
    contentType: rng.int(0, 2),
    data: rng.data(200),
  }));
}

export function randomBtpPacket(rng: Rng): BtpPacket {
  const requestId = rng.uint32();
  const protocolData = randomProtocolData(rng);
  const type = rng.pick(Object.values(BtpMessageType));
  switch (type) {
    case BtpMessageType.Response:
    case BtpMessageType.Message:
      return { type, requestId, protocolData };
    case BtpMessageType.Error:
      return { type, requestId, protocolData, code: rng.pick(['F00', 'F01', 'T00']), name: rng.ascii(rng.int(0, 20)), triggeredAt: rng.date(), data: rng.data(300) };
    case BtpMessageType.Prepare:
      return { type, requestId, protocolData, transferId: rng.bytes(16), amount: rng.uint64(), executionCondition: rng.bytes(32), expiresAt: rng.date() };
    case BtpMessageType.Fulfill:
      return { type, requestId, protocolData, transferId: rng.bytes(16), fulfillment: rng.bytes(32) };
    case BtpMessageType.Reject:
      return { type, requestId, protocolData, transferId: rng.bytes(16) };
    case BtpMessageType.Transfer:
      return { type, requestId, protocolData, amount: rng.uint64() };
  }
}

export function randomStreamFrame(rng: Rng): StreamFrame {
  const type = rng.pick(Object.values(T));
  const streamId = rng.chance(0.5) ? BigInt(rng.int(1, 9)) : rng.uint64();
  switch (type) {
    case T.ConnectionClose:
      return { type, errorCode: rng.int(0, 255), errorMessage: rng.utf8(20) };
    case T.ConnectionNewAddress:
      return { type, sourceAccount: rng.address() };
    case T.ConnectionMaxData:
    case T.ConnectionDataBlocked:
      return { type, maxOffset: rng.uint64() };
    case T.ConnectionMaxStreamId:
    case T.ConnectionStreamIdBlocked:
      return { type, maxStreamId: rng.uint64() };
    case T.ConnectionAssetDetails:
      return { type, sourceAssetCode: rng.utf8(6), sourceAssetScale: rng.int(0, 255) };
    case T.StreamClose:
      return { type, streamId, errorCode: rng.int(0, 255), errorMessage: rng.utf8(20) };
    case T.StreamMoney:
      return { type, streamId, shares: rng.uint64() };
    case T.StreamMaxMoney:
      return { type, streamId, receiveMax: rng.uint64(), totalReceived: rng.uint64() };
    case T.StreamMoneyBlocked:
      return { type, streamId, sendMax: rng.uint64(), totalSent: rng.uint64() };
    case T.StreamData:
      return { type, streamId, offset: rng.chance(0.5) ? 0n : rng.uint64(), data: new TextEncoder().encode(rng.chance(0.5) ? '["REQ","s",{}]\n' : rng.utf8(40)) };
    case T.StreamMaxData:
    case T.StreamDataBlocked:
      return { type, streamId, maxOffset: rng.uint64() };
    case T.StreamReceipt:
      return { type, streamId, receipt: rng.bytes(rng.pick([0, 58, rng.int(0, 100)])) };
  }
}

export function randomStreamPacket(rng: Rng, ilpPacketType?: StreamPacket['ilpPacketType']): StreamPacket {
  return {
    ilpPacketType: ilpPacketType ?? rng.pick([IlpPacketType.Prepare, IlpPacketType.Fulfill, IlpPacketType.Reject]),
    sequence: rng.chance(0.5) ? BigInt(rng.int(0, 100)) : rng.uint64(),
    prepareAmount: rng.chance(0.5) ? 0n : rng.uint64(),
    frames: Array.from({ length: rng.int(0, 6) }, () => randomStreamFrame(rng)),
  };
}

/** Calendar edges: the last representable second (and a leap second after it), year 0, Feb 29 in and out of leap years. */
const TIME_EDGES = ['99991231235959', '99991231235960', '00000101000000', '20161231235960', '20000229120000', '19000229120000', '20240230000000'];

/** A GeneralizedTime text near a calendar edge, in the forms parsers accept and a few they must refuse. */
export function edgyGeneralizedTime(rng: Rng): string {
  return rng.pick(TIME_EDGES) + rng.pick(['', '.', '.5', '.12', '.999', '.1234']) + rng.pick(['Z', 'Z', '', '+0000']);
}

/** An ILP timestamp text (17 digits) near a calendar edge. */
export function edgyIlpTimestamp(rng: Rng): string {
  return rng.pick(TIME_EDGES) + rng.pick(['000', '999', '123']);
}

/**
 * Encodings the encoders would not write but a peer may send: times at calendar edges, and Reject messages of raw
 * bytes (often invalid UTF-8, up to the size limit) where the encoder only takes text.
 */
export function rawIlpPacket(rng: Rng): Uint8Array {
  if (rng.chance(0.5)) {
    const contents = new OerWriter()
      .uint64(rng.uint64())
      .ia5(edgyIlpTimestamp(rng), 17)
      .octets(rng.bytes(32))
      .varIa5(rng.address())
      .varOctets(rng.data(100));
    return new OerWriter().uint8(IlpPacketType.Prepare).varOctets(contents.toBytes()).toBytes();
  }
  const message = rng.chance(0.2) ? rng.bytes(rng.int(0, MAX_MESSAGE_LENGTH)) : rng.bytes(rng.int(0, 40));
  if (rng.chance(0.5)) message.fill(rng.pick([0xff, 0xc3, 0xe2, 0xf0]));
  const contents = new OerWriter().ia5(rng.pick(ILP_CODES), 3).varIa5(rng.chance(0.3) ? '' : rng.address()).varOctets(message).varOctets(rng.data(100));
  return new OerWriter().uint8(IlpPacketType.Reject).varOctets(contents.toBytes()).toBytes();
}

/** A BTP Error or Prepare whose GeneralizedTime sits at a calendar edge. */
export function rawBtpPacket(rng: Rng): Uint8Array {
  const contents = new OerWriter();
  const type = rng.pick([BtpMessageType.Error, BtpMessageType.Prepare]);
  if (type === BtpMessageType.Error) {
    contents.ia5('F00', 3).varIa5(rng.ascii(rng.int(0, 20))).varIa5(edgyGeneralizedTime(rng)).varOctets(rng.data(100));
  } else {
    contents.octets(rng.bytes(16)).uint64(rng.uint64()).octets(rng.bytes(32)).varIa5(edgyGeneralizedTime(rng));
  }
  contents.varUint(0n);
  return new OerWriter().uint8(type).uint32(rng.uint32()).varOctets(contents.toBytes()).toBytes();
}
