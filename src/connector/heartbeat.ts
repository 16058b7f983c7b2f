import { createHash, timingSafeEqual } from 'node:crypto';
import { createReject, IlpErrorCode, type IlpPrepare } from '../ilp';
import type { IlpReply } from './local-receiver';

export const HEARTBEAT_ADDRESS = 'peer.heartbeat';

export const isHeartbeat = (prepare: IlpPrepare): boolean => prepare.destination === HEARTBEAT_ADDRESS;

/**
 * Rafiki's liveness probe between peers: a Prepare to `peer.heartbeat` whose data starts with the 32-byte preimage
 * of its condition is fulfilled with that preimage. It carries no money: one with an amount is refused, as is one
 * whose data does not hold the preimage.
 */
export function heartbeatReply(prepare: IlpPrepare, ilpAddress: string): IlpReply {
  const preimage = prepare.data.subarray(0, 32);
  if (prepare.amount !== 0n) return createReject(IlpErrorCode.F00_BAD_REQUEST, ilpAddress, 'a heartbeat carries no money');
  const matches = preimage.length === 32 && timingSafeEqual(createHash('sha256').update(preimage).digest(), prepare.executionCondition);
  if (!matches) return createReject(IlpErrorCode.F05_WRONG_CONDITION, ilpAddress, 'a heartbeat starts its data with the preimage of its condition');
  return { fulfillment: new Uint8Array(preimage), data: new Uint8Array(0) };
}
