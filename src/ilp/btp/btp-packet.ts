import type { ProtocolDataEntry } from './protocol-data';

/** BTP 2.0 (RFC 23) call types. 3, 4 and 5 are in the ASN.1 but unused by ILPv4 peers and by btp-packet. */
export const BtpMessageType = {
  Response: 1,
  Error: 2,
  Prepare: 3,
  Fulfill: 4,
  Reject: 5,
  Message: 6,
  Transfer: 7,
} as const;

/** BTP Error `data` is OCTET STRING (SIZE (0..8192)). */
export const MAX_BTP_ERROR_DATA_LENGTH = 8192;

interface BtpCall<Type extends number> {
  type: Type;
  /** UInt32 chosen by the requester; a Response or Error echoes it. */
  requestId: number;
  protocolData: ProtocolDataEntry[];
}

export type BtpResponse = BtpCall<typeof BtpMessageType.Response>;

export interface BtpError extends BtpCall<typeof BtpMessageType.Error> {
  /** Three characters, see BtpErrorCode. */
  code: string;
  name: string;
  triggeredAt: Date;
  data: Uint8Array;
}

export interface BtpPrepare extends BtpCall<typeof BtpMessageType.Prepare> {
  /** 16 bytes. */
  transferId: Uint8Array;
  amount: bigint;
  /** 32 bytes. */
  executionCondition: Uint8Array;
  expiresAt: Date;
}

export interface BtpFulfill extends BtpCall<typeof BtpMessageType.Fulfill> {
  transferId: Uint8Array;
  fulfillment: Uint8Array;
}

export interface BtpReject extends BtpCall<typeof BtpMessageType.Reject> {
  transferId: Uint8Array;
}

export type BtpMessage = BtpCall<typeof BtpMessageType.Message>;

export interface BtpTransfer extends BtpCall<typeof BtpMessageType.Transfer> {
  /** Settlement increment in a unit the peers agreed out of band. */
  amount: bigint;
}

export type BtpPacket = BtpResponse | BtpError | BtpPrepare | BtpFulfill | BtpReject | BtpMessage | BtpTransfer;
