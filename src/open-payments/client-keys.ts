import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** An Ed25519 public key as a JWK (the only kind Open Payments clients use). */
export interface Jwk {
  kid: string;
  alg: 'EdDSA';
  use?: 'sig';
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
}

export interface ClientKeyOptions {
  /** Allows http:// and private, loopback and link-local addresses (tests only). */
  insecure: boolean;
  timeoutMs: number;
  /** Largest JWKS document read. */
  maxBytes?: number;
  /** How long fetched keys are reused. */
  cacheMs?: number;
  /** Clients whose keys are remembered at once. */
  cacheEntries?: number;
}

export class ClientKeyError extends Error {
  override name = 'ClientKeyError';
}

const MAX_BYTES = 64 * 1024;
const CACHE_MS = 5 * 60_000;
const CACHE_ENTRIES = 1000;
const MAX_KEYS = 20;
/** Fetches under way at once, over all clients: a flood of grant requests naming new URLs cannot open more. */
const MAX_IN_FLIGHT = 64;

/** Addresses a server must not be made to call on a stranger's say-so. */
const PRIVATE = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 3],
] as const) PRIVATE.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [['::', 127], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) PRIVATE.addSubnet(net, bits, 'ipv6');

export function isPrivateAddress(ip: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return PRIVATE.check(mapped[1], 'ipv4');
  return PRIVATE.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4');
}

const isJwk = (k: unknown): k is Jwk => {
  const o = k as Record<string, unknown>;
  return (
    typeof o === 'object' && o !== null && typeof o.kid === 'string' && o.kty === 'OKP' && o.crv === 'Ed25519' &&
    (o.alg === undefined || o.alg === 'EdDSA') && typeof o.x === 'string' && /^[A-Za-z0-9_-]{43}$/.test(o.x)
  );
};

/** A client's key given in a grant request (`client: {jwk}`), checked like a fetched one. */
export const asJwk = (k: unknown): Jwk | undefined => (isJwk(k) ? { ...k, alg: 'EdDSA' } : undefined);

/**
 * Fetches the public keys of a client wallet address from `<client>/jwks.json`, bounded: https only (unless
 * insecure), no private or loopback addresses (unless insecure), no redirects, a timeout for the whole exchange, a
 * size cap, a cache of recent answers (one fetch at a time per client) and at most MAX_IN_FLIGHT fetches at once.
 * Throws ClientKeyError saying why.
 */
export class ClientKeys {
  readonly #cache = new Map<string, { at: number; keys: Promise<Jwk[]> }>();
  readonly #maxBytes: number;
  readonly #cacheMs: number;
  readonly #cacheEntries: number;
  #inFlight = 0;

  constructor(private readonly options: ClientKeyOptions) {
    this.#maxBytes = options.maxBytes ?? MAX_BYTES;
    this.#cacheMs = options.cacheMs ?? CACHE_MS;
    this.#cacheEntries = options.cacheEntries ?? CACHE_ENTRIES;
  }

  keys(client: string): Promise<Jwk[]> {
    const now = Date.now();
    const hit = this.#cache.get(client);
    if (hit && now - hit.at < this.#cacheMs) return hit.keys;
    if (this.#inFlight >= MAX_IN_FLIGHT) return Promise.reject(new ClientKeyError('too many client keys are being fetched; try again shortly'));
    this.#inFlight++;
    const keys = this.#fetch(client).finally(() => this.#inFlight--);
    this.#cache.delete(client);
    if (this.#cache.size >= this.#cacheEntries) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(client, { at: now, keys });
    // A failure is not remembered: the next request tries again.
    keys.catch(() => {
      if (this.#cache.get(client)?.keys === keys) this.#cache.delete(client);
    });
    return keys;
  }

  async #fetch(client: string): Promise<Jwk[]> {
    let url: URL;
    try {
      url = new URL(client);
    } catch {
      throw new ClientKeyError('client is not a URL');
    }
    if (url.protocol !== 'https:' && !(this.options.insecure && url.protocol === 'http:')) {
      throw new ClientKeyError('client wallet address must be https');
    }
    if (url.username || url.password) throw new ClientKeyError('client wallet address must not carry credentials');
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    if (!this.options.insecure) {
      const host = url.hostname.replace(/^\[|\]$/g, '');
      const addresses = isIP(host) ? [{ address: host }] : await lookup(host, { all: true }).catch(() => []);
      if (addresses.length === 0) throw new ClientKeyError('client wallet address host does not resolve');
      if (addresses.some((a) => isPrivateAddress(a.address))) throw new ClientKeyError('client wallet address is on a private network');
    }
    let text: string;
    try {
      const res = await fetch(`${client.replace(/\/$/, '')}/jwks.json`, { signal, redirect: 'error', headers: { Accept: 'application/json' } });
      if (res.status !== 200) throw new ClientKeyError(`client keys answered ${res.status}`);
      text = await readCapped(res, this.#maxBytes);
    } catch (err) {
      if (err instanceof ClientKeyError) throw err;
      throw new ClientKeyError(signal.aborted ? 'client keys took too long to fetch' : 'client keys could not be fetched');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ClientKeyError('client keys are not JSON');
    }
    const keys = (parsed as { keys?: unknown }).keys;
    if (!Array.isArray(keys)) throw new ClientKeyError('client keys are not a JWKS document');
    return keys.slice(0, MAX_KEYS).filter(isJwk).map((k) => ({ ...k, alg: 'EdDSA' as const }));
  }
}

/** The body as text, refusing more than `max` bytes (whatever Content-Length claims). */
async function readCapped(res: Response, max: number): Promise<string> {
  if (Number(res.headers.get('content-length') ?? 0) > max) throw new ClientKeyError('client keys document is too large');
  const reader = res.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw new ClientKeyError('client keys document is too large');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
