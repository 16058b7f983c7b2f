import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { OerError } from '../../src/ilp';

/** A copy of the project's shared ILP vectors, committed so that a clone alone passes its tests. */
const VECTORS_PATH = fileURLToPath(new URL('../fixtures/ilp-vectors.json', import.meta.url));

interface IlpVector {
  name: string;
  type: 'prepare' | 'fulfill' | 'reject';
  fields: Record<string, string>;
  hex: string;
}

export interface IlpVectors {
  ilpv4: IlpVector[];
  ildcp: {
    request: { expiresAt: string; hex: string };
    response: { clientAddress: string; assetScale: number; assetCode: string; hex: string };
  };
  btp: {
    note: string;
    response_hex: string;
    message_hex: string;
    transfer_hex: string;
    transfer_amount: string;
    error_hex: string;
    error: { code: string; name: string; triggeredAt: string; data: string };
  };
  stream: {
    packet_examples: { name: string; base64: string }[];
    crypto: {
      hmac_foo_ilp_stream_encryption: string;
      hmac_foo_ilp_stream_fulfillment: string;
      hmac_key_32x00_msg_foo: string;
      sha256_32x00: string;
      decrypt: { key: string; ciphertext: string; plaintext: string; layout: string };
    };
  };
}

export const vectors: IlpVectors = JSON.parse(readFileSync(VECTORS_PATH, 'utf8'));

export const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));
export const fromBase64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));

/** The OerError `action` throws; fails the test if it throws something else or nothing. */
export function oerErrorOf(action: () => unknown): OerError {
  try {
    action();
  } catch (error) {
    if (error instanceof OerError) return error;
    throw error;
  }
  throw new Error('expected an OerError');
}
