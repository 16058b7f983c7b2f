import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load';
import { BackupCipherError, decryptStream, encryptStream, HEADER_BYTES } from '../../src/ops/backup/backup-cipher';

const KEY = randomBytes(32);
const CHUNK = 1024;
const SEALED = CHUNK + 16;

async function collect(input: Buffer[], transform: NodeJS.ReadWriteStream): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(Readable.from(input), transform, async (source: AsyncIterable<string | Buffer>) => {
    for await (const c of source) out.push(Buffer.from(c));
  });
  return Buffer.concat(out);
}

const encrypt = (plain: Buffer, pieces = 7) => {
  const parts: Buffer[] = [];
  for (let i = 0; i < plain.length; i += Math.ceil(plain.length / pieces) || 1) parts.push(plain.subarray(i, i + Math.ceil(plain.length / pieces)));
  return collect(parts, encryptStream(KEY, CHUNK));
};
const decrypt = (sealed: Buffer, key = KEY) => collect([sealed.subarray(0, 100), sealed.subarray(100)].filter((b) => b.length > 0), decryptStream(key));

describe('the encrypted backup format (streamed AES-256-GCM in chunks, version 1)', () => {
  it('round-trips any length, fed in any pieces, including empty and exact multiples of the chunk', async () => {
    for (const n of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 17]) {
      const plain = randomBytes(n);
      const sealed = await encrypt(plain);
      // every chunk full but the last, which is never empty unless the whole input is
      expect(sealed.length).toBe(HEADER_BYTES + Math.max(1, Math.ceil(n / CHUNK)) * 16 + n);
      expect((await decrypt(sealed)).equals(plain)).toBe(true);
    }
  });

  it('never holds more than about a chunk: output flows while input is still coming', async () => {
    const enc = encryptStream(KEY, CHUNK);
    const got: number[] = [];
    enc.on('data', (c: Buffer) => got.push(c.length));
    enc.write(randomBytes(CHUNK * 5));
    await new Promise((r) => setImmediate(r));
    expect(got.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(HEADER_BYTES + 4 * SEALED);
    enc.end();
  });

  it('refuses a wrong key, an altered byte anywhere, a reordered, dropped or appended chunk, a cut, and a changed header', async () => {
    const plain = randomBytes(3 * CHUNK + 100);
    const sealed = await encrypt(plain);
    const refuse = async (bad: Buffer, key = KEY) => {
      const err = await decrypt(bad, key).then(() => undefined, (e: Error) => e);
      expect(err).toBeInstanceOf(BackupCipherError);
      return err!.message;
    };
    expect(await refuse(sealed, randomBytes(32))).toMatch(/cannot be decrypted with BACKUP_ENCRYPTION_KEY/);
    for (const at of [12, 40, HEADER_BYTES, HEADER_BYTES + SEALED + 5, sealed.length - 1]) {
      const bad = Buffer.from(sealed);
      bad[at] ^= 0x80;
      await refuse(bad);
    }
    const chunk = (i: number) => sealed.subarray(HEADER_BYTES + i * SEALED, HEADER_BYTES + (i + 1) * SEALED);
    const header = sealed.subarray(0, HEADER_BYTES);
    const last = sealed.subarray(HEADER_BYTES + 3 * SEALED);
    expect(await refuse(Buffer.concat([header, chunk(1), chunk(0), chunk(2), last]))).toMatch(/altered or cut/);
    expect(await refuse(Buffer.concat([header, chunk(0), chunk(2), last]))).toMatch(/altered or cut/);
    expect(await refuse(Buffer.concat([sealed, chunk(0)]))).toMatch(/altered or cut/);
    expect(await refuse(Buffer.concat([header, chunk(0), chunk(1), chunk(2)]))).toMatch(/altered or cut/);
    expect(await refuse(sealed.subarray(0, sealed.length - 1))).toMatch(/altered or cut/);
    expect(await refuse(sealed.subarray(0, 20))).toMatch(/shorter than its header/);
    const v2 = Buffer.from(sealed);
    v2[7] = 2;
    expect(await refuse(v2)).toMatch(/format version 2 is not known/);
    const huge = Buffer.from(sealed);
    huge.writeUInt32BE(1 << 30, 8);
    expect(await refuse(huge)).toMatch(/chunk size/);
    expect(await refuse(Buffer.from('SQLite format 3\0' + 'x'.repeat(100)))).toMatch(/not an encrypted backup/);
  });
});

describe('off-site settings', () => {
  const hex = randomBytes(32).toString('hex');
  const base = { BACKUP_URL: 's3://my-bucket/relay' };

  it('takes the key as 64 hex characters, base64 or base64url, or none', () => {
    expect(loadConfig({ ...base, BACKUP_ENCRYPTION_KEY: hex }).backupEncryptionKey).toEqual(Buffer.from(hex, 'hex'));
    const b64 = randomBytes(32);
    expect(loadConfig({ ...base, BACKUP_ENCRYPTION_KEY: b64.toString('base64') }).backupEncryptionKey).toEqual(b64);
    expect(loadConfig({ ...base, BACKUP_ENCRYPTION_KEY: b64.toString('base64url') }).backupEncryptionKey).toEqual(b64);
    expect(loadConfig({ ...base, BACKUP_ENCRYPTION_KEY: 'none' }).backupEncryptionKey).toBe('none');
    expect(loadConfig({}).backupUrl).toBe('');
  });

  it('stops the start with one line naming the variable', () => {
    expect(() => loadConfig(base)).toThrow(/^BACKUP_URL is set but BACKUP_ENCRYPTION_KEY is not/);
    expect(() => loadConfig({ ...base, BACKUP_ENCRYPTION_KEY: 'abc' })).toThrow(/^BACKUP_ENCRYPTION_KEY="abc" is invalid: expected 32 bytes/);
    expect(() => loadConfig({ ...base, BACKUP_ENCRYPTION_KEY: randomBytes(16).toString('hex') })).toThrow(/^BACKUP_ENCRYPTION_KEY=/);
    expect(() => loadConfig({ BACKUP_URL: 'https://bucket', BACKUP_ENCRYPTION_KEY: hex })).toThrow(/^BACKUP_URL="https:\/\/bucket" is invalid: expected s3:\/\/bucket/);
    expect(() => loadConfig({ ...base, BACKUP_ENCRYPTION_KEY: hex, BACKUP_S3_ENDPOINT: 'minio:9000' })).toThrow(/^BACKUP_S3_ENDPOINT="minio:9000" is invalid/);
    expect(() => loadConfig({ BACKUP_KEEP_DAILY: '0' })).toThrow(/^BACKUP_KEEP_DAILY="0" is invalid/);
    expect(() => loadConfig({ BACKUP_LEDGER_INTERVAL: 'soon' })).toThrow(/^BACKUP_LEDGER_INTERVAL="soon" is invalid/);
  });
});
