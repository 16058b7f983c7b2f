/** How a protocolData entry's bytes are meant to be displayed (RFC 23); the codec never interprets them. */
export const BtpContentType = {
  ApplicationOctetStream: 0,
  TextPlainUtf8: 1,
  ApplicationJson: 2,
} as const;

/** One sub-protocol payload; the first entry of a request is the one that decides the response. */
export interface ProtocolDataEntry {
  protocolName: string;
  contentType: number;
  data: Uint8Array;
}

export function findProtocolData(protocolData: readonly ProtocolDataEntry[], protocolName: string): ProtocolDataEntry | undefined {
  return protocolData.find((entry) => entry.protocolName === protocolName);
}
