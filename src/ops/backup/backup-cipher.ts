import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * The encrypted backup format, version 1 (streamed AES-256-GCM in chunks, after the STREAM construction of Hoang,
 * Reyhanitabar, Rogaway and Vizár):
 *
 *   header  = "ILPNPBK" (7 bytes) | version 0x01 | chunk size (u32 BE) | salt (32 random bytes)   — 44 bytes
 *   chunk i = AES-256-GCM(fileKey, nonce_i, plaintext_i, aad = header) | tag (16 bytes)
 *
 * fileKey = HKDF-SHA256(BACKUP_ENCRYPTION_KEY, salt, "ilp-nostr-peer backup v1"): a key per object, so nonces
 * never repeat under one key. nonce_i = i (u64 BE) | 0x000000 | last, where last is 1 only on the final chunk
 * (which may be empty). Every chunk but the last holds exactly `chunk size` bytes. So an altered byte, a chunk
 * moved, dropped or appended, a cut at any point (even between chunks) and a changed header all fail the tag.
 */
const MAGIC = Buffer.from('ILPNPBK', 'latin1');
const VERSION = 1;
export const HEADER_BYTES = 44;
const TAG_BYTES = 16;
export const DEFAULT_CHUNK_BYTES = 1024 * 1024;
/** A header may not make a reader buffer more than this per chunk (it comes from the bucket, not from us). */
const MAX_CHUNK_BYTES = 16 * 1024 * 1024;
const INFO = Buffer.from('ilp-nostr-peer backup v1');

export class BackupCipherError extends Error {
  override name = 'BackupCipherError';
}

function fileKey(key: Buffer, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', key, salt, INFO, 32));
}

function nonce(index: number, last: boolean): Buffer {
  const n = Buffer.alloc(12);
  n.writeBigUInt64BE(BigInt(index), 0);
  n[11] = last ? 1 : 0;
  return n;
}

/** Encrypts a byte stream into format version 1; memory stays at about one chunk whatever the input's size. */
export function encryptStream(key: Buffer, chunkBytes = DEFAULT_CHUNK_BYTES): Transform {
  const salt = randomBytes(32);
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header[7] = VERSION;
  header.writeUInt32BE(chunkBytes, 8);
  salt.copy(header, 12);
  const k = fileKey(key, salt);
  let index = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const seal = (plain: Buffer, last: boolean): Buffer => {
    const c = createCipheriv('aes-256-gcm', k, nonce(index++, last));
    c.setAAD(header);
    return Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
  };
  let started = false;
  return new Transform({
    transform(data: Buffer, _enc, done: TransformCallback) {
      if (!started) {
        started = true;
        this.push(header);
      }
      pending.push(data);
      pendingBytes += data.length;
      // A full chunk is sealed as not-last only once more input exists: the final chunk must carry the flag.
      while (pendingBytes > chunkBytes) {
        const all = Buffer.concat(pending);
        this.push(seal(all.subarray(0, chunkBytes), false));
        pending = [all.subarray(chunkBytes)];
        pendingBytes = all.length - chunkBytes;
      }
      done();
    },
    flush(done: TransformCallback) {
      if (!started) this.push(header);
      this.push(seal(Buffer.concat(pending), true));
      done();
    },
  });
}

/**
 * Decrypts format version 1, refusing (with a BackupCipherError) a wrong key, a foreign or newer format, and any
 * altered, reordered or cut object. Plaintext is passed on chunk by chunk, each only after its tag checked; the
 * caller learns that the whole object was sound only when the stream ends without an error.
 */
export function decryptStream(key: Buffer): Transform {
  let header: Buffer | undefined;
  let k: Buffer;
  let chunkBytes = 0;
  let index = 0;
  let buf: Buffer = Buffer.alloc(0);
  let pieces: Buffer[] = [];
  let piecesBytes = 0;
  const join = () => {
    buf = pieces.length === 1 ? pieces[0] : Buffer.concat(pieces);
    pieces = [buf];
  };
  const open = (sealed: Buffer, last: boolean): Buffer => {
    const d = createDecipheriv('aes-256-gcm', k, nonce(index, last));
    d.setAAD(header!);
    d.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    try {
      const plain = Buffer.concat([d.update(sealed.subarray(0, sealed.length - TAG_BYTES)), d.final()]);
      index++;
      return plain;
    } catch {
      throw new BackupCipherError(
        index === 0
          ? 'the backup cannot be decrypted with BACKUP_ENCRYPTION_KEY (a different key, or the object was altered or cut)'
          : `the backup was altered or cut: chunk ${index} fails its authentication`,
      );
    }
  };
  const readHeader = () => {
    const h = buf.subarray(0, HEADER_BYTES);
    if (!h.subarray(0, 7).equals(MAGIC)) throw new BackupCipherError('not an encrypted backup of this peer (no ILPNPBK header)');
    if (h[7] !== VERSION) throw new BackupCipherError(`encrypted backup format version ${h[7]} is not known to this peer (it reads ${VERSION}); use a newer peer`);
    chunkBytes = h.readUInt32BE(8);
    if (chunkBytes < 1 || chunkBytes > MAX_CHUNK_BYTES) throw new BackupCipherError(`the backup header names a chunk size of ${chunkBytes} bytes`);
    header = Buffer.from(h);
    k = fileKey(key, header.subarray(12, 44));
    buf = buf.subarray(HEADER_BYTES);
    pieces = [buf];
    piecesBytes = buf.length;
  };
  return new Transform({
    transform(data: Buffer, _enc, done: TransformCallback) {
      try {
        // Pieces are joined only once a whole chunk may be there: no copying of a megabyte per network packet.
        pieces.push(data);
        piecesBytes += data.length;
        if (!header) {
          if (piecesBytes < HEADER_BYTES) return done();
          join();
          readHeader();
        }
        const sealedBytes = chunkBytes + TAG_BYTES;
        if (piecesBytes <= sealedBytes) return done();
        join();
        // Strictly more than one sealed chunk: the one at the front is then known not to be the last.
        while (buf.length > sealedBytes) {
          this.push(open(buf.subarray(0, sealedBytes), false));
          buf = buf.subarray(sealedBytes);
        }
        pieces = [buf];
        piecesBytes = buf.length;
        done();
      } catch (err) {
        done(err as Error);
      }
    },
    flush(done: TransformCallback) {
      try {
        join();
        if (!header) throw new BackupCipherError(`the backup is cut: ${buf.length} bytes, shorter than its header`);
        if (buf.length < TAG_BYTES) throw new BackupCipherError('the backup is cut: its last chunk is missing');
        this.push(open(buf, true));
        done();
      } catch (err) {
        done(err as Error);
      }
    },
  });
}
