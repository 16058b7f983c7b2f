import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { Db } from '../storage/database';
import type { AccessItem } from './access';
import type { Jwk } from './client-keys';

/** A grant as stored, without its token hashes. */
export interface Grant {
  id: string;
  client: string;
  clientKey: Jwk;
  access: AccessItem[];
  manageId: string;
  tokenExpiresAt: number;
  expiresAt: number;
}

/** What a new grant or a rotation hands out once; only hashes are kept. */
export interface IssuedToken {
  grant: Grant;
  accessToken: string;
  continueToken?: string;
}

interface RawGrant {
  id: string;
  client: string;
  client_key: string;
  access: string;
  manage_id: string;
  token_expires_at: number;
  expires_at: number;
}

const hash = (token: string): Buffer => createHash('sha256').update(token).digest();
const newToken = (): string => randomBytes(32).toString('base64url');

const fromRaw = (r: RawGrant): Grant => ({
  id: r.id,
  client: r.client,
  clientKey: JSON.parse(r.client_key) as Jwk,
  access: JSON.parse(r.access) as AccessItem[],
  manageId: r.manage_id,
  tokenExpiresAt: r.token_expires_at,
  expiresAt: r.expires_at,
});

/**
 * GNAP grants (migration 0009). Tokens are random 256-bit strings, stored as SHA-256 hashes: a lookup by hash does
 * not reveal a stored token through timing, and the continuation token is compared in constant time. A grant
 * lives as long as its access token; rotation extends both, revocation ends the token (the grant stays, so the
 * client can still cancel it), cancellation deletes the grant.
 */
export class Grants {
  readonly #insert: Statement;
  readonly #byToken: Statement<[Buffer, number], RawGrant>;
  readonly #byId: Statement<[string, number], RawGrant & { continue_hash: Buffer }>;
  readonly #byManage: Statement<[string, number], RawGrant & { token_hash: Buffer | null }>;
  readonly #rotate: Statement<[Buffer, string, number, number, string]>;
  readonly #revoke: Statement<[string]>;
  readonly #delete: Statement<[string]>;
  readonly #purge: Statement<[number, number]>;
  readonly #live: Statement<[string, number, number], number>;

  constructor(
    db: Db,
    private readonly tokenLifetimeMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.#insert = db.prepare(
      `INSERT INTO op_grants (id, client, client_key, access, continue_hash, token_hash, manage_id, token_expires_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const cols = 'id, client, client_key, access, manage_id, token_expires_at, expires_at';
    this.#byToken = db.prepare(`SELECT ${cols} FROM op_grants WHERE token_hash = ? AND token_expires_at > ?`);
    this.#byId = db.prepare(`SELECT ${cols}, continue_hash FROM op_grants WHERE id = ? AND expires_at > ?`);
    this.#byManage = db.prepare(`SELECT ${cols}, token_hash FROM op_grants WHERE manage_id = ? AND expires_at > ?`);
    this.#rotate = db.prepare(
      'UPDATE op_grants SET token_hash = ?, manage_id = ?, token_expires_at = ?, expires_at = ? WHERE id = ?',
    );
    this.#revoke = db.prepare('UPDATE op_grants SET token_hash = NULL WHERE manage_id = ?');
    this.#delete = db.prepare('DELETE FROM op_grants WHERE id = ?');
    this.#live = db
      .prepare<[string, number, number], number>('SELECT count(*) FROM (SELECT 1 FROM op_grants WHERE client = ? AND expires_at > ? LIMIT ?)')
      .pluck();
    this.#purge = db.prepare('DELETE FROM op_grants WHERE id IN (SELECT id FROM op_grants WHERE expires_at < ? LIMIT ?)');
  }

  create(client: string, clientKey: Jwk, access: AccessItem[]): IssuedToken {
    const accessToken = newToken();
    const continueToken = newToken();
    const expires = this.now() + this.tokenLifetimeMs;
    const id = randomUUID();
    const manageId = randomUUID();
    this.#insert.run(id, client, JSON.stringify(clientKey), JSON.stringify(access), hash(continueToken), hash(accessToken), manageId, expires, expires);
    return {
      grant: { id, client, clientKey, access, manageId, tokenExpiresAt: expires, expiresAt: expires },
      accessToken,
      continueToken,
    };
  }

  /** The grant an unexpired access token belongs to. */
  byAccessToken(token: string): Grant | undefined {
    const r = this.#byToken.get(hash(token), this.now());
    return r && fromRaw(r);
  }

  /** The live grant `id` if `continueToken` is its continuation token. */
  byContinuation(id: string, continueToken: string): Grant | undefined {
    const r = this.#byId.get(id, this.now());
    if (!r || !timingSafeEqual(r.continue_hash, hash(continueToken))) return undefined;
    return fromRaw(r);
  }

  /** The live grant whose current access token is `token` and is managed at `manageId`. */
  byManagedToken(manageId: string, token: string): Grant | undefined {
    const r = this.#byManage.get(manageId, this.now());
    if (!r || r.token_hash === null || !timingSafeEqual(r.token_hash, hash(token))) return undefined;
    return fromRaw(r);
  }

  /** A new access token and management URI for `grant`; the old token stops working. */
  rotate(grant: Grant): IssuedToken {
    const accessToken = newToken();
    const manageId = randomUUID();
    const expires = this.now() + this.tokenLifetimeMs;
    this.#rotate.run(hash(accessToken), manageId, expires, expires, grant.id);
    return { grant: { ...grant, manageId, tokenExpiresAt: expires, expiresAt: expires }, accessToken };
  }

  revoke(manageId: string): void {
    this.#revoke.run(manageId);
  }

  cancel(id: string): void {
    this.#delete.run(id);
  }

  /** How many grants of `client` are alive, counting at most `max`. */
  liveOf(client: string, max: number): number {
    return this.#live.get(client, this.now(), max)!;
  }

  purgeExpired(before: number, max: number): number {
    return this.#purge.run(before, max).changes;
  }
}
