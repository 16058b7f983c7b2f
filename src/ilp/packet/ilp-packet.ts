/** ILPv4 packet types (RFC 27), the first byte of every packet. */
export const IlpPacketType = {
  Prepare: 12,
  Fulfill: 13,
  Reject: 14,
} as const;

/** Size limits from asn1/InterledgerProtocol.asn. */
export const MAX_DATA_LENGTH = 32767;
export const MAX_MESSAGE_LENGTH = 8191;

export interface IlpPrepare {
  amount: bigint;
  expiresAt: Date;
  /** 32 bytes: SHA-256 of the fulfillment. */
  executionCondition: Uint8Array;
  destination: string;
  data: Uint8Array;
}

export interface IlpFulfill {
  /** 32 bytes. */
  fulfillment: Uint8Array;
  data: Uint8Array;
}

export interface IlpReject {
  /** Three characters, see IlpErrorCode. */
  code: string;
  /** An ILP address, or '' when the emitter does not know its own. */
  triggeredBy: string;
  message: string;
  data: Uint8Array;
}

export type IlpPacket =
  | ({ type: typeof IlpPacketType.Prepare } & IlpPrepare)
  | ({ type: typeof IlpPacketType.Fulfill } & IlpFulfill)
  | ({ type: typeof IlpPacketType.Reject } & IlpReject);
