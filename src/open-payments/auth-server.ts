import { createHash } from 'node:crypto';
import { parseAccess } from './access';
import { asJwk, ClientKeyError, type ClientKeys, type Jwk } from './client-keys';
import type { Grant, Grants, IssuedToken } from './grants';
import { json, type OpAnswer, type OpRequest } from './http';
import type { SignatureVerifier } from './signatures';
import type { OpenPaymentsUrls } from './urls';

/** Runs a write in the committer's turn and resolves with its value once it is on disk (throws otherwise). */
export type DurableWrite = <T>(fn: () => T) => Promise<T>;

export interface AuthServerDeps {
  urls: OpenPaymentsUrls;
  grants: Grants;
  clientKeys: ClientKeys;
  signatures: SignatureVerifier;
  write: DurableWrite;
  /** Live grants one client may hold. */
  maxLivePerClient: number;
}

type AuthErrorCode = 'invalid_request' | 'invalid_client' | 'invalid_continuation' | 'invalid_rotation' | 'request_denied';

/** The auth server's error body (auth-server.yaml error-*): `{error: {code, description}}`. */
export const authError = (status: string, code: AuthErrorCode, description: string): OpAnswer =>
  json(status, { error: { code, description } });

/** The GNAP token of `Authorization: GNAP <token>`, if that is the header. */
export function gnapToken(req: OpRequest): string | undefined {
  const m = /^GNAP ([A-Za-z0-9._~+/=-]{1,512})$/.exec(req.headers['authorization'] ?? '');
  return m?.[1];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The GNAP authorization server (auth-server.yaml), non-interactive only: grants of `incoming-payment` access on
 * this relay's wallet addresses to any client that signs its request with a key it publishes (or sends, `jwk`).
 * Continuation (POST issues a fresh access token, DELETE cancels the grant) and token management (POST rotates,
 * DELETE revokes) are signed by the key that obtained the grant.
 */
export class AuthServer {
  constructor(private readonly deps: AuthServerDeps) {}

  /** POST <authServer>: a grant request. */
  readonly grant = async (req: OpRequest): Promise<OpAnswer> => {
    let body: unknown;
    try {
      body = JSON.parse(req.body);
    } catch {
      return authError('400 Bad Request', 'invalid_request', 'the body must be JSON');
    }
    if (!isObject(body)) return authError('400 Bad Request', 'invalid_request', 'the body must be a JSON object');
    if (body.subject !== undefined) return authError('400 Bad Request', 'invalid_request', 'subject information is not offered');
    if (!isObject(body.access_token)) return authError('400 Bad Request', 'invalid_request', 'access_token.access is required');
    const access = parseAccess(body.access_token.access, this.deps.urls);
    if (!access.ok) return authError('400 Bad Request', 'invalid_request', access.message);

    const who = await this.client(body.client);
    if ('error' in who) return who.error;
    const failed = await this.deps.signatures.verify(this.signed(req), who.keys);
    if (failed) return authError('401 Unauthorized', 'invalid_client', failed);
    const key = who.keys.find((k) => k.kid === keyIdOf(req))!;
    if (this.deps.grants.liveOf(who.client, this.deps.maxLivePerClient) >= this.deps.maxLivePerClient) {
      return authError('400 Bad Request', 'invalid_request', `this client holds ${this.deps.maxLivePerClient} live grants; cancel some first`);
    }
    const issued = await this.deps.write(() => this.deps.grants.create(who.client, key, access.access));
    return json('200 OK', {
      access_token: this.accessToken(issued),
      continue: { access_token: { value: issued.continueToken }, uri: this.deps.urls.continueUri(issued.grant.id) },
    });
  };

  /** POST or DELETE <authServer>/continue/:id with the continuation token. */
  readonly continueGrant = async (req: OpRequest): Promise<OpAnswer> => {
    const token = gnapToken(req);
    const grant = token === undefined ? undefined : this.deps.grants.byContinuation(req.param, token);
    if (!grant) return authError('401 Unauthorized', 'invalid_continuation', 'unknown grant or wrong continuation token');
    const failed = await this.deps.signatures.verify(this.signed(req), [grant.clientKey]);
    if (failed) return authError('401 Unauthorized', 'invalid_client', failed);
    if (req.method === 'DELETE') {
      await this.deps.write(() => this.deps.grants.cancel(grant.id));
      return { status: '204 No Content' };
    }
    const issued = await this.deps.write(() => this.deps.grants.rotate(grant));
    return json('200 OK', {
      access_token: this.accessToken(issued),
      continue: { access_token: { value: token }, uri: this.deps.urls.continueUri(grant.id) },
    });
  };

  /** POST (rotate) or DELETE (revoke) <authServer>/token/:manageId with the access token. */
  readonly manageToken = async (req: OpRequest): Promise<OpAnswer> => {
    const token = gnapToken(req);
    const grant = token === undefined ? undefined : this.deps.grants.byManagedToken(req.param, token);
    if (!grant) {
      return req.method === 'POST'
        ? authError('404 Not Found', 'invalid_rotation', 'unknown token management URI or wrong access token')
        : authError('401 Unauthorized', 'invalid_client', 'unknown token management URI or wrong access token');
    }
    const failed = await this.deps.signatures.verify(this.signed(req), [grant.clientKey]);
    if (failed) return authError('401 Unauthorized', 'invalid_client', failed);
    if (req.method === 'DELETE') {
      await this.deps.write(() => this.deps.grants.revoke(grant.manageId));
      return { status: '204 No Content' };
    }
    const issued = await this.deps.write(() => this.deps.grants.rotate(grant));
    return json('200 OK', { access_token: this.accessToken(issued) });
  };

  /** The grant an RS request's `Authorization: GNAP <token>` names, once its signature is checked by the grant's key. */
  async authorize(req: OpRequest): Promise<{ grant: Grant } | { failed: string }> {
    const token = gnapToken(req);
    if (token === undefined) return { failed: 'an access token is required (Authorization: GNAP <token>)' };
    const grant = this.deps.grants.byAccessToken(token);
    if (!grant) return { failed: 'the access token is unknown, expired or revoked' };
    const failed = await this.deps.signatures.verify(this.signed(req), [grant.clientKey]);
    return failed ? { failed } : { grant };
  }

  private accessToken(issued: IssuedToken) {
    const { grant } = issued;
    return {
      value: issued.accessToken,
      manage: this.deps.urls.manageUri(grant.manageId),
      expires_in: Math.max(0, Math.round((grant.tokenExpiresAt - Date.now()) / 1000)),
      access: grant.access,
    };
  }

  private signed(req: OpRequest) {
    return { method: req.method, url: this.deps.urls.target(req.path), headers: req.headers, body: req.body };
  }

  /** Who the client is and its keys: a wallet address (string or `{walletAddress}`), or `{jwk}`. */
  private async client(raw: unknown): Promise<{ client: string; keys: Jwk[] } | { error: OpAnswer }> {
    const walletAddress = typeof raw === 'string' ? raw : isObject(raw) && typeof raw.walletAddress === 'string' ? raw.walletAddress : undefined;
    if (walletAddress !== undefined) {
      try {
        return { client: walletAddress, keys: await this.deps.clientKeys.keys(walletAddress) };
      } catch (err) {
        if (err instanceof ClientKeyError) return { error: authError('400 Bad Request', 'invalid_client', err.message) };
        throw err;
      }
    }
    const jwk = isObject(raw) ? asJwk(raw.jwk) : undefined;
    if (!jwk) return { error: authError('400 Bad Request', 'invalid_client', 'client must be a wallet address URL, {walletAddress} or {jwk}') };
    return { client: `jwk:${createHash('sha256').update(jwk.x).digest('base64url')}`, keys: [jwk] };
  }
}

const keyIdOf = (req: OpRequest): string | undefined => /keyid="([^"]*)"/.exec(req.headers['signature-input'] ?? '')?.[1];
