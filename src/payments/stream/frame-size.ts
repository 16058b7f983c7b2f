import { ENCRYPTION_OVERHEAD, MAX_DATA_LENGTH, StreamFrameType as T, type StreamFrame } from '../../ilp';

// A STREAM packet travels encrypted in ILP data (≤ 32767 bytes). Our header is at most 1+1+9+9+3 bytes, and a
// StreamData frame adds at most 1 (type) + 3 (length) + 9 (stream id) + 9 (offset) + 3 (data length) to its data.
export const PLAINTEXT_MAX = MAX_DATA_LENGTH - ENCRYPTION_OVERHEAD;
export const HEADER_MAX = 24;
export const DATA_FRAME_OVERHEAD = 25;

/** An upper bound of a non-data frame's encoded size. */
export function frameBound(f: StreamFrame): number {
  switch (f.type) {
    case T.ConnectionClose:
    case T.StreamClose:
      return 32 + 3 * f.errorMessage.length;
    case T.ConnectionAssetDetails:
      return 32 + 3 * f.sourceAssetCode.length;
    case T.ConnectionNewAddress:
      return 32 + 3 * f.sourceAccount.length;
    case T.StreamData:
      return DATA_FRAME_OVERHEAD + f.data.length;
    case T.StreamReceipt:
      return 32 + f.receipt.length;
    default:
      return 40;
  }
}
