import type { Jwk } from './client-keys';

/** A request as the signature checks see it: headers by lowercase name. */
export interface SignedRequest {
  method: string;
  /** The URL the client signed (`@target-uri`): our public origin plus the path and query. */
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface SignatureOptions {
  /** How far `created` may be from now, in seconds, either way; also how long signatures are remembered. */
  windowSeconds: number;
  /** Signatures remembered against replay (the oldest are forgotten beyond). */
  maxRemembered?: number;
}

const MAX_REMEMBERED = 100_000;
const CREATED = /;created=(\d{1,15})(?:;|$)/;
/**
 * The one form a signature may take: Ed25519's 64 bytes in canonical base64. Base64 decoding skips what it does not
 * know, so the replay check below must remember this canonical value, not the header's text.
 */
const SIGNATURE = /^sig1=:([A-Za-z0-9+/]{86}==):$/;

/**
 * HTTP Message Signatures as Open Payments uses them (RFC 9421, one signature `sig1`, Ed25519): the headers must
 * cover `@method`, `@target-uri`, `authorization` when present and `content-digest` (checked against the body)
 * when there is a body; the key is the client's by `keyid`; `created` must be within the window; and a POST's
 * signature is accepted once (a replay within the window is refused; outside it, `created` refuses it). The same
 * POST signed by the same key twice in one second has the same signature, so it counts as a replay.
 */
export class SignatureVerifier {
  readonly #seen = new Map<string, number>();
  readonly #max: number;

  constructor(private readonly options: SignatureOptions) {
    this.#max = options.maxRemembered ?? MAX_REMEMBERED;
  }

  /** undefined when `request` is signed by one of `keys`; else why not. */
  async verify(request: SignedRequest, keys: readonly Jwk[], now = Date.now()): Promise<string | undefined> {
    const sig = request.headers['signature'];
    const input = request.headers['signature-input'];
    if (!sig || !input) return 'the request is not signed (Signature and Signature-Input are required)';
    const signature = SIGNATURE.exec(sig)?.[1];
    if (!signature) return 'the Signature header must be sig1=:<base64 Ed25519 signature>:';
    // Loaded at the first signed request, not at start: a relay without Open Payments traffic never parses it.
    const { getKeyId, validateSignature, validateSignatureHeaders } = await import('@interledger/http-signature-utils');
    if (request.body.length > 0 && !/"content-digest"/.test(input)) return 'the signature must cover content-digest';
    if (!validateSignatureHeaders(request)) return 'the signature does not cover the required components, or content-digest does not match the body';
    const created = CREATED.exec(input);
    if (!created) return 'the signature has no created time';
    const age = now / 1000 - Number(created[1]);
    if (Math.abs(age) > this.options.windowSeconds) return 'the signature has expired (created too long ago or in the future)';
    const kid = getKeyId(input);
    const key = keys.find((k) => k.kid === kid);
    if (!key) return 'no key of the client has the signature keyid';
    let valid = false;
    try {
      valid = await validateSignature(key, request);
    } catch {
      valid = false;
    }
    if (!valid) return 'the signature is not valid';
    // GET and DELETE are idempotent: a replay gains nothing, and a wallet polling an incoming payment twice in one
    // second sends the same signature (Ed25519 is deterministic, `created` counts seconds).
    if (request.method !== 'POST') return undefined;
    this.#forgetOld(now);
    if (this.#seen.has(signature)) return 'the signature was already used (replay)';
    if (this.#seen.size >= this.#max) this.#seen.delete(this.#seen.keys().next().value!);
    this.#seen.set(signature, now);
    return undefined;
  }

  #forgetOld(now: number): void {
    const oldest = now - this.options.windowSeconds * 2000;
    for (const [sig, at] of this.#seen) {
      if (at >= oldest) break;
      this.#seen.delete(sig);
    }
  }
}
