import { OerReader } from '../oer/oer-reader';
import { OerWriter } from '../oer/oer-writer';

/** The `data` of an F08 Reject (asn1/InterledgerErrorData.asn), so senders can scale their packets down. */
export interface AmountTooLargeData {
  receivedAmount: bigint;
  maximumAmount: bigint;
}

export function encodeAmountTooLargeData(data: AmountTooLargeData): Uint8Array {
  return new OerWriter().uint64(data.receivedAmount).uint64(data.maximumAmount).toBytes();
}

export function decodeAmountTooLargeData(bytes: Uint8Array): AmountTooLargeData {
  const reader = new OerReader(bytes);
  return { receivedAmount: reader.uint64(), maximumAmount: reader.uint64() };
}
