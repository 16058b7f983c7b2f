import { parsePubkey } from '../payments/npub';

/**
 * Every Open Payments URL the relay hands out, built from PUBLIC_URL (wss:// gives https://, ws:// gives http:// for
 * tests), never from a request's Host header: a client signs these URLs and compares them.
 *
 * - wallet address of a pubkey: `<origin>/pay/<hex>` (the URL its payment pointer `$host/pay/<pubkey>` names)
 * - auth server: `<origin>/op/auth`, continuation `<origin>/op/auth/continue/<grant>`, token `<origin>/op/auth/token/<id>`
 * - resource server: `<origin>/op`, incoming payments `<origin>/op/incoming-payments/<uuid>`
 */
export class OpenPaymentsUrls {
  readonly origin: string;
  readonly authServer: string;
  readonly resourceServer: string;

  constructor(publicUrl: string) {
    const u = new URL(publicUrl);
    this.origin = `${u.protocol === 'wss:' ? 'https:' : 'http:'}//${u.host}`;
    this.authServer = `${this.origin}/op/auth`;
    this.resourceServer = `${this.origin}/op`;
  }

  walletAddress(pubkey: string): string {
    return `${this.origin}/pay/${pubkey}`;
  }

  /** The hex pubkey a wallet address URL of this relay names (hex in either case or npub), else undefined. */
  pubkeyOf(walletAddress: unknown): string | undefined {
    if (typeof walletAddress !== 'string') return undefined;
    const prefix = `${this.origin}/pay/`;
    if (!walletAddress.startsWith(prefix)) return undefined;
    return parsePubkey(walletAddress.slice(prefix.length));
  }

  incomingPayment(id: string): string {
    return `${this.resourceServer}/incoming-payments/${id}`;
  }

  continueUri(grantId: string): string {
    return `${this.authServer}/continue/${grantId}`;
  }

  manageUri(manageId: string): string {
    return `${this.authServer}/token/${manageId}`;
  }

  /** The URL a client signed for a request that reached us at `path` (with its query string). */
  target(path: string): string {
    return `${this.origin}${path}`;
  }
}
