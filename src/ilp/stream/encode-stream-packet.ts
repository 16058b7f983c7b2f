import { OerWriter } from '../oer/oer-writer';
import { StreamFrameType as T, type StreamFrame } from './stream-frame';
import { STREAM_VERSION, type StreamPacket } from './stream-packet';

/** Unpadded and unencrypted; see `encrypt`. */
export function encodeStreamPacket(packet: StreamPacket): Uint8Array {
  const writer = new OerWriter()
    .uint8(STREAM_VERSION)
    .uint8(packet.ilpPacketType)
    .varUint(packet.sequence)
    .varUint(packet.prepareAmount)
    .varUint(BigInt(packet.frames.length));
  for (const frame of packet.frames) writer.uint8(frame.type).varOctets(frameContents(frame));
  return writer.toBytes();
}

function frameContents(frame: StreamFrame): Uint8Array {
  const w = new OerWriter();
  switch (frame.type) {
    case T.ConnectionClose:
      w.uint8(frame.errorCode).varUtf8(frame.errorMessage);
      break;
    case T.ConnectionNewAddress:
      w.varUtf8(frame.sourceAccount);
      break;
    case T.ConnectionMaxData:
    case T.ConnectionDataBlocked:
      w.varUint(frame.maxOffset);
      break;
    case T.ConnectionMaxStreamId:
    case T.ConnectionStreamIdBlocked:
      w.varUint(frame.maxStreamId);
      break;
    case T.ConnectionAssetDetails:
      w.varUtf8(frame.sourceAssetCode).uint8(frame.sourceAssetScale);
      break;
    case T.StreamClose:
      w.varUint(frame.streamId).uint8(frame.errorCode).varUtf8(frame.errorMessage);
      break;
    case T.StreamMoney:
      w.varUint(frame.streamId).varUint(frame.shares);
      break;
    case T.StreamMaxMoney:
      w.varUint(frame.streamId).varUint(frame.receiveMax).varUint(frame.totalReceived);
      break;
    case T.StreamMoneyBlocked:
      w.varUint(frame.streamId).varUint(frame.sendMax).varUint(frame.totalSent);
      break;
    case T.StreamData:
      w.varUint(frame.streamId).varUint(frame.offset).varOctets(frame.data);
      break;
    case T.StreamMaxData:
    case T.StreamDataBlocked:
      w.varUint(frame.streamId).varUint(frame.maxOffset);
      break;
    case T.StreamReceipt:
      w.varUint(frame.streamId).varOctets(frame.receipt);
      break;
  }
  return w.toBytes();
}
