/** STREAM frame types, as ilp-protocol-stream numbers them (RFC 29; 0x07 and 0x17 postdate the ASN.1). */
export const StreamFrameType = {
  ConnectionClose: 0x01,
  ConnectionNewAddress: 0x02,
  ConnectionMaxData: 0x03,
  ConnectionDataBlocked: 0x04,
  ConnectionMaxStreamId: 0x05,
  ConnectionStreamIdBlocked: 0x06,
  ConnectionAssetDetails: 0x07,
  StreamClose: 0x10,
  StreamMoney: 0x11,
  StreamMaxMoney: 0x12,
  StreamMoneyBlocked: 0x13,
  StreamData: 0x14,
  StreamMaxData: 0x15,
  StreamDataBlocked: 0x16,
  /** RFC 39 receipts, deprecated but still sent by ilp-protocol-stream when asked for. */
  StreamReceipt: 0x17,
} as const;

/** Codes carried by ConnectionClose and StreamClose. */
export const StreamErrorCode = {
  NoError: 0x01,
  InternalError: 0x02,
  EndpointBusy: 0x03,
  FlowControlError: 0x04,
  StreamIdError: 0x05,
  StreamStateError: 0x06,
  FrameFormatError: 0x07,
  ProtocolViolation: 0x08,
  ApplicationError: 0x09,
} as const;

const T = StreamFrameType;

/** Field names follow ilp-protocol-stream so logs and tests read the same in both. */
interface FrameFields {
  [T.ConnectionClose]: { errorCode: number; errorMessage: string };
  [T.ConnectionNewAddress]: { sourceAccount: string };
  [T.ConnectionMaxData]: { maxOffset: bigint };
  [T.ConnectionDataBlocked]: { maxOffset: bigint };
  [T.ConnectionMaxStreamId]: { maxStreamId: bigint };
  [T.ConnectionStreamIdBlocked]: { maxStreamId: bigint };
  [T.ConnectionAssetDetails]: { sourceAssetCode: string; sourceAssetScale: number };
  [T.StreamClose]: { streamId: bigint; errorCode: number; errorMessage: string };
  /** Shares of the packet's amount, not an amount: money is split across streams pro rata. */
  [T.StreamMoney]: { streamId: bigint; shares: bigint };
  /** receiveMax saturates at 2^64-1 on decode: the official client sends "unlimited" as a wider VarUInt. */
  [T.StreamMaxMoney]: { streamId: bigint; receiveMax: bigint; totalReceived: bigint };
  [T.StreamMoneyBlocked]: { streamId: bigint; sendMax: bigint; totalSent: bigint };
  [T.StreamData]: { streamId: bigint; offset: bigint; data: Uint8Array };
  [T.StreamMaxData]: { streamId: bigint; maxOffset: bigint };
  [T.StreamDataBlocked]: { streamId: bigint; maxOffset: bigint };
  [T.StreamReceipt]: { streamId: bigint; receipt: Uint8Array };
}

export type StreamFrameTypeValue = keyof FrameFields;

export type StreamFrameOf<Type extends StreamFrameTypeValue> = { type: Type } & FrameFields[Type];

export type StreamFrame = { [Type in StreamFrameTypeValue]: StreamFrameOf<Type> }[StreamFrameTypeValue];
