import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';

/*
 * STREAM's key schedule and envelope, byte-compatible with ilp-protocol-stream
 * (dist/src/crypto.js, dist/src/util/crypto-node.js). Every key is an HMAC-SHA256 of the
 * shared secret with a fixed label.
 */

const SHARED_SECRET_LABEL = 'ilp_stream_shared_secret';
const ENCRYPTION_LABEL = 'ilp_stream_encryption';
const FULFILLMENT_LABEL = 'ilp_stream_fulfillment';

const IV_LENGTH = 12;
const TAG_LENGTH = 16;
/** `data = iv(12) · tag(16) · ciphertext`, with no length prefix. */
export const ENCRYPTION_OVERHEAD = IV_LENGTH + TAG_LENGTH;

export function hmacSha256(key: Uint8Array, message: Uint8Array | string): Uint8Array {
  return new Uint8Array(createHmac('sha256', key).update(message).digest());
}

/** The secret a server hands out with `<address>.<token>`: it can rederive it from the token alone. */
export function generateSharedSecretFromToken(serverSecret: Uint8Array, token: Uint8Array): Uint8Array {
  return hmacSha256(hmacSha256(serverSecret, SHARED_SECRET_LABEL), token);
}

/** AES-256-GCM key for the packets of one connection; worth caching per connection. */
export function streamEncryptionKey(sharedSecret: Uint8Array): Uint8Array {
  return hmacSha256(sharedSecret, ENCRYPTION_LABEL);
}

export function encrypt(key: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const iv = randomBytes(IV_LENGTH);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_LENGTH });
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return new Uint8Array(Buffer.concat([iv, cipher.getAuthTag(), ciphertext]));
}

/** Undefined when the data was not encrypted with this key (a receiver answers F06). */
export function decrypt(key: Uint8Array, data: Uint8Array): Uint8Array | undefined {
  if (data.length < ENCRYPTION_OVERHEAD) return undefined;
  const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_LENGTH), { authTagLength: TAG_LENGTH });
  decipher.setAuthTag(data.subarray(IV_LENGTH, ENCRYPTION_OVERHEAD));
  try {
    return new Uint8Array(Buffer.concat([decipher.update(data.subarray(ENCRYPTION_OVERHEAD)), decipher.final()]));
  } catch {
    return undefined;
  }
}

/** Only holders of the shared secret can fulfil a Prepare whose condition was made from its data. */
export function fulfillmentFromData(sharedSecret: Uint8Array, data: Uint8Array): Uint8Array {
  return hmacSha256(hmacSha256(sharedSecret, FULFILLMENT_LABEL), data);
}

export function conditionFromFulfillment(fulfillment: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(fulfillment).digest());
}
