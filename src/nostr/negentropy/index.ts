/** NIP-77 negentropy (protocol v1), pure: no I/O. The relay answers as a Responder; clients reconcile as an Initiator. */
export { compareBounds, INFINITY_BOUND, minimalBound, ZERO_BOUND, type Bound } from './bound';
export { Accumulator, fingerprintOf } from './fingerprint';
export { Initiator, type InitiatorStep } from './initiator';
export { ItemSet, ItemSetBuilder, itemSetOf } from './item-set';
export { MalformedMessage } from './malformed-message';
export { FINGERPRINT_SIZE, ID_SIZE, MIN_FRAME_SIZE_LIMIT, Mode, PROTOCOL_VERSION } from './protocol';
export { Responder, type ResponderReply } from './responder';
export { encodeVarint } from './varint';
