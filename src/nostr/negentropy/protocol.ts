/**
 * Constants of Negentropy protocol v1 (hoytech/negentropy docs/negentropy-protocol-v1.md, appended to NIP-77).
 * A message is the version byte followed by ranges; each range is an upper bound, a mode and a payload.
 */

/** Version 1 is the byte 0x61; 0x60–0x6f are reserved for versions, anything else is not a negentropy message. */
export const PROTOCOL_VERSION = 0x61;
export const FIRST_VERSION_BYTE = 0x60;
export const LAST_VERSION_BYTE = 0x6f;

/** Every id is a full 32-byte event id. */
export const ID_SIZE = 32;

/** A fingerprint is the first 16 bytes of a sha256. */
export const FINGERPRINT_SIZE = 16;

export const Mode = { Skip: 0, Fingerprint: 1, IdList: 2 } as const;

/**
 * A range of fewer items than this is sent as its id list; a larger one is split into BUCKETS fingerprints.
 * Both numbers are the reference implementation's, so our messages are byte-identical to it.
 */
export const BUCKETS = 16;
export const ID_LIST_THRESHOLD = BUCKETS * 2;

/**
 * Room kept free under the frame size limit for the closing ranges (a pending Skip of at most 43 bytes and the
 * 19-byte fingerprint of everything left), the same margin as the reference implementation.
 */
export const FRAME_HEADROOM = 200;

/** The smallest frame size limit that always lets a message make progress (one 31-id list is ~1,010 bytes). */
export const MIN_FRAME_SIZE_LIMIT = 4096;
