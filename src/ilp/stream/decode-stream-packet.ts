import { OerReader } from '../oer/oer-reader';
import { IlpPacketType } from '../packet/ilp-packet';
import { StreamFrameType as T, type StreamFrame } from './stream-frame';
import { STREAM_VERSION, type StreamPacket } from './stream-packet';

/**
 * Decodes a decrypted STREAM packet; throws OerError if it is malformed.
 * Like ilp-protocol-stream: frames of unknown type are skipped, bytes after a frame's known fields
 * are ignored, and bytes after the last frame are padding.
 */
export function decodeStreamPacket(bytes: Uint8Array): StreamPacket {
  const reader = new OerReader(bytes);
  const version = reader.uint8();
  if (version !== STREAM_VERSION) reader.fail(`unsupported STREAM version ${version}`, 0);
  const ilpPacketType = reader.uint8();
  if (!isIlpPacketType(ilpPacketType)) return reader.fail(`invalid ILP packet type ${ilpPacketType}`, 1);
  const sequence = reader.varUint();
  const prepareAmount = reader.varUint();
  const countAt = reader.offset;
  const count = reader.varUint();
  // Each frame takes at least 2 bytes; checking first keeps a forged count from spinning the loop.
  if (count * 2n > BigInt(reader.remaining)) reader.fail(`frame count ${count} exceeds the bytes left`, countAt);
  const frames: StreamFrame[] = [];
  for (let i = 0n; i < count; i++) {
    const type = reader.uint8();
    const frame = readFrame(type, reader.varContents());
    if (frame) frames.push(frame);
  }
  return { ilpPacketType, sequence, prepareAmount, frames };
}

function isIlpPacketType(type: number): type is StreamPacket['ilpPacketType'] {
  return type === IlpPacketType.Prepare || type === IlpPacketType.Fulfill || type === IlpPacketType.Reject;
}

function readFrame(type: number, r: OerReader): StreamFrame | undefined {
  switch (type) {
    case T.ConnectionClose:
      return { type, errorCode: r.uint8(), errorMessage: r.varUtf8() };
    case T.ConnectionNewAddress:
      return { type, sourceAccount: r.varUtf8() };
    case T.ConnectionMaxData:
    case T.ConnectionDataBlocked:
      return { type, maxOffset: r.varUint() };
    case T.ConnectionMaxStreamId:
    case T.ConnectionStreamIdBlocked:
      return { type, maxStreamId: r.varUint() };
    case T.ConnectionAssetDetails:
      return { type, sourceAssetCode: r.varUtf8(), sourceAssetScale: r.uint8() };
    case T.StreamClose:
      return { type, streamId: r.varUint(), errorCode: r.uint8(), errorMessage: r.varUtf8() };
    case T.StreamMoney:
      return { type, streamId: r.varUint(), shares: r.varUint() };
    case T.StreamMaxMoney:
      return { type, streamId: r.varUint(), receiveMax: r.varUintSaturating(), totalReceived: r.varUint() };
    case T.StreamMoneyBlocked:
      return { type, streamId: r.varUint(), sendMax: r.varUintSaturating(), totalSent: r.varUint() };
    case T.StreamData:
      return { type, streamId: r.varUint(), offset: r.varUint(), data: r.varOctets() };
    case T.StreamMaxData:
    case T.StreamDataBlocked:
      return { type, streamId: r.varUint(), maxOffset: r.varUint() };
    case T.StreamReceipt:
      return { type, streamId: r.varUint(), receipt: r.varOctets() };
    default:
      return undefined;
  }
}
