import { OerWriter } from '../oer/oer-writer';
import { BtpMessageType, MAX_BTP_ERROR_DATA_LENGTH, type BtpPacket } from './btp-packet';
import type { ProtocolDataEntry } from './protocol-data';

/** `type · requestId · VarOctetString(contents)`, one per WebSocket binary message. */
export function encodeBtpPacket(packet: BtpPacket): Uint8Array {
  const contents = new OerWriter();
  switch (packet.type) {
    case BtpMessageType.Error:
      if (packet.data.length > MAX_BTP_ERROR_DATA_LENGTH) {
        throw new RangeError(`BTP error data is ${packet.data.length} bytes, limit ${MAX_BTP_ERROR_DATA_LENGTH}`);
      }
      contents.ia5(packet.code, 3).varIa5(packet.name).generalizedTime(packet.triggeredAt).varOctets(packet.data);
      break;
    case BtpMessageType.Prepare:
      contents
        .octets(packet.transferId, 16)
        .uint64(packet.amount)
        .octets(packet.executionCondition, 32)
        .generalizedTime(packet.expiresAt);
      break;
    case BtpMessageType.Fulfill:
      contents.octets(packet.transferId, 16).octets(packet.fulfillment, 32);
      break;
    case BtpMessageType.Reject:
      contents.octets(packet.transferId, 16);
      break;
    case BtpMessageType.Transfer:
      contents.uint64(packet.amount);
      break;
  }
  writeProtocolData(contents, packet.protocolData);
  return new OerWriter().uint8(packet.type).uint32(packet.requestId).varOctets(contents.toBytes()).toBytes();
}

/** SEQUENCE OF: the entry count as a VarUInt, then each entry. */
function writeProtocolData(writer: OerWriter, protocolData: readonly ProtocolDataEntry[]): void {
  writer.varUint(BigInt(protocolData.length));
  for (const entry of protocolData) {
    writer.varIa5(entry.protocolName).uint8(entry.contentType).varOctets(entry.data);
  }
}
