// Pure Interledger wire codecs: OER, ILPv4, ILDCP, BTP 2.0, STREAM. Imports nothing of ours.
export { OerError } from './oer/oer-error';
export { OerReader } from './oer/oer-reader';
export { OerWriter } from './oer/oer-writer';
export { formatIlpTimestamp, parseIlpTimestamp } from './oer/ilp-timestamp';
export { formatGeneralizedTime, parseGeneralizedTime } from './oer/generalized-time';

export { IlpPacketType, MAX_DATA_LENGTH, MAX_MESSAGE_LENGTH } from './packet/ilp-packet';
export type { IlpPacket, IlpPrepare, IlpFulfill, IlpReject } from './packet/ilp-packet';
export { encodePrepare, encodeFulfill, encodeReject, encodeIlpPacket } from './packet/encode-ilp-packet';
export { decodePrepare, decodeFulfill, decodeReject, decodeIlpPacket } from './packet/decode-ilp-packet';
export { IlpErrorCode, ilpErrorName } from './packet/ilp-error-code';
export { createReject } from './packet/create-reject';
export { encodeAmountTooLargeData, decodeAmountTooLargeData } from './packet/amount-too-large-data';
export type { AmountTooLargeData } from './packet/amount-too-large-data';
export { isValidIlpAddress, MAX_ILP_ADDRESS_LENGTH } from './packet/ilp-address';

export {
  ILDCP_DESTINATION,
  PEER_PROTOCOL_CONDITION,
  PEER_PROTOCOL_FULFILLMENT,
  ildcpRequest,
  isIldcpRequest,
  ildcpFulfill,
  ildcpInfoFromFulfill,
} from './ildcp/ildcp';
export type { IldcpInfo } from './ildcp/ildcp';

export { BtpMessageType, MAX_BTP_ERROR_DATA_LENGTH } from './btp/btp-packet';
export type {
  BtpPacket,
  BtpResponse,
  BtpError,
  BtpPrepare,
  BtpFulfill,
  BtpReject,
  BtpMessage,
  BtpTransfer,
} from './btp/btp-packet';
export { BtpContentType, findProtocolData } from './btp/protocol-data';
export type { ProtocolDataEntry } from './btp/protocol-data';
export { BtpErrorCode } from './btp/btp-error-code';
export { encodeBtpPacket } from './btp/encode-btp-packet';
export { decodeBtpPacket } from './btp/decode-btp-packet';
export { readBtpAuth, btpAuthMessage } from './btp/btp-auth';
export type { BtpAuth } from './btp/btp-auth';

export { StreamFrameType, StreamErrorCode } from './stream/stream-frame';
export type { StreamFrame, StreamFrameOf, StreamFrameTypeValue } from './stream/stream-frame';
export { STREAM_VERSION } from './stream/stream-packet';
export type { StreamPacket } from './stream/stream-packet';
export { encodeStreamPacket } from './stream/encode-stream-packet';
export { decodeStreamPacket } from './stream/decode-stream-packet';
export {
  ENCRYPTION_OVERHEAD,
  hmacSha256,
  generateSharedSecretFromToken,
  streamEncryptionKey,
  encrypt,
  decrypt,
  fulfillmentFromData,
  conditionFromFulfillment,
} from './stream/stream-crypto';
