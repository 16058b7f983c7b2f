import { encodeNpub } from '../payments/npub';
import type { OpenPaymentsUrls } from './urls';

/** The Open Payments wallet address document of `pubkey` (wallet-address-server.yaml). */
export function walletAddressDocument(urls: OpenPaymentsUrls, pubkey: string, assetCode: string, assetScale: number) {
  return {
    id: urls.walletAddress(pubkey),
    publicName: encodeNpub(pubkey),
    assetCode,
    assetScale,
    authServer: urls.authServer,
    resourceServer: urls.resourceServer,
  };
}

/** What `GET /pay/<pubkey>` answers, by its Accept header. */
export type PayView = 'spsp' | 'wallet-address' | 'page';

/**
 * SPSP when asked for (`application/spsp4+json`) or when nothing in particular is asked for (as before Open
 * Payments); the wallet address for `application/json`; the pay page for a browser (`text/html`).
 */
export function payView(accept: string): PayView {
  const a = accept.toLowerCase();
  if (a.includes('application/spsp4+json')) return 'spsp';
  if (a.includes('application/json')) return 'wallet-address';
  if (a.includes('text/html')) return 'page';
  return 'spsp';
}
