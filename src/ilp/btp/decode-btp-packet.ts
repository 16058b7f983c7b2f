import { OerReader } from '../oer/oer-reader';
import { BtpMessageType, MAX_BTP_ERROR_DATA_LENGTH, type BtpPacket } from './btp-packet';
import type { ProtocolDataEntry } from './protocol-data';

/**
 * Throws OerError for malformed input, unknown types and bytes after the envelope.
 * Bytes left inside the contents are ignored (RFC 30 extensibility).
 */
export function decodeBtpPacket(bytes: Uint8Array): BtpPacket {
  const envelope = new OerReader(bytes);
  const type = envelope.uint8();
  const requestId = envelope.uint32();
  const reader = envelope.varContents();
  envelope.expectEnd('BTP packet');
  switch (type) {
    case BtpMessageType.Response:
    case BtpMessageType.Message:
      return { type, requestId, protocolData: readProtocolData(reader) };
    case BtpMessageType.Error: {
      const code = reader.ia5(3);
      const name = reader.varIa5();
      const triggeredAt = reader.generalizedTime();
      const dataAt = reader.offset;
      const data = reader.varOctets();
      if (data.length > MAX_BTP_ERROR_DATA_LENGTH) reader.fail(`BTP error data longer than ${MAX_BTP_ERROR_DATA_LENGTH} bytes`, dataAt);
      return { type, requestId, code, name, triggeredAt, data, protocolData: readProtocolData(reader) };
    }
    case BtpMessageType.Prepare: {
      const transferId = reader.octets(16);
      const amount = reader.uint64();
      const executionCondition = reader.octets(32);
      const expiresAt = reader.generalizedTime();
      return { type, requestId, transferId, amount, executionCondition, expiresAt, protocolData: readProtocolData(reader) };
    }
    case BtpMessageType.Fulfill: {
      const transferId = reader.octets(16);
      const fulfillment = reader.octets(32);
      return { type, requestId, transferId, fulfillment, protocolData: readProtocolData(reader) };
    }
    case BtpMessageType.Reject: {
      const transferId = reader.octets(16);
      return { type, requestId, transferId, protocolData: readProtocolData(reader) };
    }
    case BtpMessageType.Transfer: {
      const amount = reader.uint64();
      return { type, requestId, amount, protocolData: readProtocolData(reader) };
    }
    default:
      return envelope.fail(`unknown BTP packet type ${type}`, 0);
  }
}

function readProtocolData(reader: OerReader): ProtocolDataEntry[] {
  const countAt = reader.offset;
  const count = reader.varUint();
  // Each entry takes at least 3 bytes; checking first keeps a forged count from spinning the loop.
  if (count * 3n > BigInt(reader.remaining)) reader.fail(`protocolData count ${count} exceeds the bytes left`, countAt);
  const entries: ProtocolDataEntry[] = [];
  for (let i = 0n; i < count; i++) {
    entries.push({ protocolName: reader.varIa5(), contentType: reader.uint8(), data: reader.varOctets() });
  }
  return entries;
}
