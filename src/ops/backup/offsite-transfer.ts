import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, rmSync, statSync } from 'node:fs';
import { PassThrough, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { privateFile } from '../../storage/private-files';
import { decryptStream, encryptStream } from './backup-cipher';
import { OBJECTS, publishManifest, type Manifest } from './offsite-manifest';
import type { S3Target } from './s3-target';

export type BackupKey = Buffer | 'none';
type Progress = (done: number, total: number) => void;

/** Counts and hashes what passes. */
function meter(onBytes?: (n: number) => void) {
  const hash = createHash('sha256');
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      onBytes?.(bytes);
      done(null, chunk);
    },
  });
  return { stream, bytes: () => bytes, sha256: () => hash.digest('hex') };
}

/**
 * Uploads the SQLite file `file` as `objects/<name>` (read from disk, encrypted and sent as a stream: memory stays
 * at a few multipart parts whatever the size), then publishes its manifest: until that small PUT succeeds, the
 * backup is not listed, so a cut upload is never taken for a backup.
 */
export async function shipFile(
  target: S3Target,
  file: string,
  key: BackupKey,
  meta: Omit<Manifest, 'format' | 'encryption' | 'bytes' | 'storedBytes' | 'sha256'>,
  signal?: AbortSignal,
  onProgress?: Progress,
): Promise<Manifest> {
  const bytes = statSync(file).size;
  let read = 0;
  const source = createReadStream(file);
  source.on('data', (c) => onProgress?.((read += c.length), bytes));
  const m = meter();
  const body = new PassThrough();
  const piping = key === 'none' ? pipeline(source, m.stream, body) : pipeline(source, encryptStream(key), m.stream, body);
  const uploading = target.upload(`${OBJECTS}${meta.name}`, body, signal);
  // An error on either side ends both: a failed read must not leave the upload waiting for bytes, nor the reverse.
  await Promise.all([
    piping.catch((err: Error) => {
      body.destroy(err);
      throw err;
    }),
    uploading.catch((err: Error) => {
      source.destroy(err);
      throw err;
    }),
  ]);
  const manifest: Manifest = {
    format: 1,
    ...meta,
    encryption: key === 'none' ? 'none' : 'aes-256-gcm-chunked-v1',
    bytes,
    storedBytes: m.bytes(),
    sha256: m.sha256(),
  };
  await publishManifest(target, manifest);
  return manifest;
}

export class FetchError extends Error {
  override name = 'FetchError';
}

/**
 * Downloads the backup of `manifest` into `dest` (0600), decrypting as it streams, and checks it against its
 * manifest (SHA-256 and sizes). Any failure (wrong key, altered or cut object) deletes `dest` and throws.
 */
export async function fetchFile(
  target: S3Target,
  manifest: Manifest,
  key: BackupKey,
  dest: string,
  signal?: AbortSignal,
  onProgress?: Progress,
): Promise<void> {
  if (manifest.encryption !== 'none' && key === 'none') {
    throw new FetchError(`${manifest.name} is encrypted: set BACKUP_ENCRYPTION_KEY to the key it was made with`);
  }
  rmSync(dest, { force: true });
  privateFile(dest);
  try {
    const { body } = await target.download(`${OBJECTS}${manifest.name}`, signal);
    const m = meter((n) => onProgress?.(n, manifest.storedBytes));
    const out = createWriteStream(dest, { flags: 'r+' });
    if (manifest.encryption === 'none') await pipeline(body, m.stream, out, { signal });
    else await pipeline(body, m.stream, decryptStream(key as Buffer), out, { signal });
    if (m.bytes() !== manifest.storedBytes || m.sha256() !== manifest.sha256) {
      throw new FetchError(`${manifest.name} does not match its manifest (${m.bytes()} bytes, sha256 ${m.sha256().slice(0, 12)}…)`);
    }
    const size = statSync(dest).size;
    if (size !== manifest.bytes) throw new FetchError(`${manifest.name} decrypts to ${size} bytes, its manifest says ${manifest.bytes}`);
  } catch (err) {
    rmSync(dest, { force: true });
    // Name the backup that failed, keeping the error's class (the boot restore tells lasting failures by it).
    if (err instanceof Error && !err.message.startsWith(manifest.name)) err.message = `${manifest.name}: ${err.message}`;
    throw err;
  }
}
