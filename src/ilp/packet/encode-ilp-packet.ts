import { OerWriter } from '../oer/oer-writer';
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

export function encodePrepare(prepare: IlpPrepare): Uint8Array {
  if (!isValidIlpAddress(prepare.destination)) throw new RangeError(`invalid destination "${prepare.destination}"`);
  const contents = new OerWriter()
    .uint64(prepare.amount)
    .ilpTimestamp(prepare.expiresAt)
    .octets(prepare.executionCondition, 32)
    .varIa5(prepare.destination)
    .varOctets(checkData(prepare.data));
  return envelope(IlpPacketType.Prepare, contents);
}

export function encodeFulfill(fulfill: IlpFulfill): Uint8Array {
  const contents = new OerWriter().octets(fulfill.fulfillment, 32).varOctets(checkData(fulfill.data));
  return envelope(IlpPacketType.Fulfill, contents);
}

export function encodeReject(reject: IlpReject): Uint8Array {
  if (reject.triggeredBy !== '' && !isValidIlpAddress(reject.triggeredBy)) {
    throw new RangeError(`invalid triggeredBy "${reject.triggeredBy}"`);
  }
  const message = new TextEncoder().encode(reject.message);
  if (message.length > MAX_MESSAGE_LENGTH) throw new RangeError(`message is ${message.length} bytes, limit ${MAX_MESSAGE_LENGTH}`);
  const contents = new OerWriter()
    .ia5(reject.code, 3)
    .varIa5(reject.triggeredBy)
    .varOctets(message)
    .varOctets(checkData(reject.data));
  return envelope(IlpPacketType.Reject, contents);
}

export function encodeIlpPacket(packet: IlpPacket): Uint8Array {
  switch (packet.type) {
    case IlpPacketType.Prepare:
      return encodePrepare(packet);
    case IlpPacketType.Fulfill:
      return encodeFulfill(packet);
    case IlpPacketType.Reject:
      return encodeReject(packet);
  }
}

function envelope(type: number, contents: OerWriter): Uint8Array {
  return new OerWriter().uint8(type).varOctets(contents.toBytes()).toBytes();
}

function checkData(data: Uint8Array): Uint8Array {
  if (data.length > MAX_DATA_LENGTH) throw new RangeError(`data is ${data.length} bytes, limit ${MAX_DATA_LENGTH}`);
  return data;
}
