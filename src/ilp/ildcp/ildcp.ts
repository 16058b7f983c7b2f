import { createHash } from 'node:crypto';
import { OerReader } from '../oer/oer-reader';
import { OerWriter } from '../oer/oer-writer';
import { isValidIlpAddress } from '../packet/ilp-address';
import type { IlpFulfill, IlpPrepare } from '../packet/ilp-packet';

/** RFC 31: a child asks its parent for its address by sending a Prepare to `peer.config`. */
export const ILDCP_DESTINATION = 'peer.config';

/** Peer protocols are unpaid, so the fulfillment is public: 32 zero bytes, and the condition is its SHA-256. */
export const PEER_PROTOCOL_FULFILLMENT = new Uint8Array(32);
export const PEER_PROTOCOL_CONDITION = new Uint8Array(createHash('sha256').update(PEER_PROTOCOL_FULFILLMENT).digest());

export interface IldcpInfo {
  clientAddress: string;
  assetScale: number;
  assetCode: string;
}

export function ildcpRequest(expiresAt: Date): IlpPrepare {
  return {
    amount: 0n,
    expiresAt,
    executionCondition: PEER_PROTOCOL_CONDITION,
    destination: ILDCP_DESTINATION,
    data: new Uint8Array(0),
  };
}

/** Expiry is the caller's check, as for any Prepare. */
export function isIldcpRequest(prepare: IlpPrepare): boolean {
  return prepare.destination === ILDCP_DESTINATION && equalBytes(prepare.executionCondition, PEER_PROTOCOL_CONDITION);
}

export function ildcpFulfill(info: IldcpInfo): IlpFulfill {
  if (!isValidIlpAddress(info.clientAddress)) throw new RangeError(`invalid client address "${info.clientAddress}"`);
  const data = new OerWriter()
    .varIa5(info.clientAddress)
    .uint8(info.assetScale)
    .varUtf8(info.assetCode)
    .toBytes();
  return { fulfillment: PEER_PROTOCOL_FULFILLMENT, data };
}

/** Throws OerError when the Fulfill is not an ILDCP response. Offsets are relative to `fulfill.data`. */
export function ildcpInfoFromFulfill(fulfill: IlpFulfill): IldcpInfo {
  const reader = new OerReader(fulfill.data);
  if (!equalBytes(fulfill.fulfillment, PEER_PROTOCOL_FULFILLMENT)) reader.fail('ILDCP fulfillment is not 32 zero bytes', 0);
  const clientAddress = reader.varIa5();
  if (!isValidIlpAddress(clientAddress)) reader.fail(`invalid client address "${clientAddress}"`, 0);
  return { clientAddress, assetScale: reader.uint8(), assetCode: reader.varUtf8() };
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
