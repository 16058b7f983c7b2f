import { BtpMessageType, type BtpMessage, type BtpPacket } from './btp-packet';
import { BtpContentType, findProtocolData, type ProtocolDataEntry } from './protocol-data';

const UTF8_DECODER = new TextDecoder();
const UTF8_ENCODER = new TextEncoder();

export interface BtpAuth {
  /** May be empty, but the `auth_token` entry must be present. */
  token: string;
  /** Sent by ilp-plugin-btp (`btp+ws://user:token@host`); not part of RFC 23. */
  username?: string;
}

/**
 * The credentials of an RFC 23 auth handshake: a Message whose first entry is `auth` and that
 * carries `auth_token`. Undefined for any other packet, which the server answers with an Error.
 */
export function readBtpAuth(packet: BtpPacket): BtpAuth | undefined {
  if (packet.type !== BtpMessageType.Message || packet.protocolData[0]?.protocolName !== 'auth') return undefined;
  const token = findProtocolData(packet.protocolData, 'auth_token');
  if (!token) return undefined;
  const username = findProtocolData(packet.protocolData, 'auth_username');
  const auth: BtpAuth = { token: UTF8_DECODER.decode(token.data) };
  if (username) auth.username = UTF8_DECODER.decode(username.data);
  return auth;
}

/** The handshake a client sends first, laid out as ilp-plugin-btp does. */
export function btpAuthMessage(requestId: number, auth: BtpAuth): BtpMessage {
  const text = (protocolName: string, value: string): ProtocolDataEntry => ({
    protocolName,
    contentType: BtpContentType.TextPlainUtf8,
    data: UTF8_ENCODER.encode(value),
  });
  const protocolData: ProtocolDataEntry[] = [{ protocolName: 'auth', contentType: BtpContentType.ApplicationOctetStream, data: new Uint8Array(0) }];
  if (auth.username !== undefined) protocolData.push(text('auth_username', auth.username));
  protocolData.push(text('auth_token', auth.token));
  return { type: BtpMessageType.Message, requestId, protocolData };
}
