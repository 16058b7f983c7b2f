import type { IlpErrorCode } from './ilp-error-code';
import type { IlpReject } from './ilp-packet';

/** A Reject emitted by this node; `message` is for humans and `data` depends on the code (F08: AmountTooLargeData). */
export function createReject(
  code: IlpErrorCode,
  triggeredBy: string,
  message = '',
  data: Uint8Array = new Uint8Array(0),
): IlpReject {
  return { code, triggeredBy, message, data };
}
