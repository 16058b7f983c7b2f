import { randomBytes } from 'node:crypto';
import type { Db } from '../storage/database';

/** The secret SPSP/STREAM credentials are derived from (migrations/0003_payments.sql). */
export const STREAM_SECRET_NAME = 'stream';

/**
 * The server secret named `name`, generated (32 random bytes) the first time and kept in the database, so
 * credentials handed out before a restart stay valid after it. INSERT OR IGNORE then SELECT: two processes
 * opening the same file at once still agree on one secret.
 */
export function loadServerSecret(db: Db, name = STREAM_SECRET_NAME): Uint8Array {
  db.prepare('INSERT OR IGNORE INTO server_secrets (name, value) VALUES (?, ?)').run(name, randomBytes(32));
  const value = db.prepare<[string], Buffer>('SELECT value FROM server_secrets WHERE name = ?').pluck().get(name);
  if (!value || value.length !== 32) throw new Error(`server secret ${name} is missing or not 32 bytes`);
  return new Uint8Array(value);
}
