import { createAuthenticatedClient, isFinalizedGrant, OpenPaymentsClientError, type AuthenticatedClient } from '@interledger/open-payments';
import { ConfigError } from '../../config/load';
import type { OperatorWalletSettings } from './settings';

/** Every request to the operator's wallet gives up after this long (a POST /top-ups waits for two of them). */
const REQUEST_TIMEOUT_MS = 10_000;
/** A cached access token is dropped this long before the wallet said it expires. */
const TOKEN_MARGIN_MS = 30_000;
/** How long a token is kept when the wallet gives no expires_in. */
const DEFAULT_TOKEN_MS = 5 * 60_000;
const DIGITS = /^\d{1,19}$/;

export interface WalletAsset {
  assetCode: string;
  assetScale: number;
}

/** An incoming payment on the operator's wallet as the relay reads it. */
export interface IncomingPaymentState {
  received: bigint;
  completed: boolean;
}

export class WalletError extends Error {
  override name = 'WalletError';
}

const units = (value: unknown, what: string): bigint => {
  if (typeof value !== 'string' || !DIGITS.test(value) || BigInt(value) >= 2n ** 63n) throw new WalletError(`the wallet sent a bad ${what}`);
  return BigInt(value);
};

/**
 * The relay as an Open Payments client of the operator's own wallet, with the official client: one access token
 * for `incoming-payment` create, read and complete on the operator's wallet address, requested from its auth server when
 * needed and kept in memory only (after a restart, or when the wallet refuses it, a new grant is requested).
 */
export class OperatorWallet {
  #token: Promise<{ value: string; until: number }> | undefined;

  private constructor(
    private readonly client: AuthenticatedClient,
    readonly walletAddress: string,
    readonly authServer: string,
    readonly resourceServer: string,
    readonly asset: WalletAsset,
  ) {}

  /**
   * Reads the wallet address and checks its asset is `assetCode`; a ConfigError (naming OPERATOR_WALLET_ADDRESS)
   * when it cannot be read or holds another asset: the relay must not start taking top-ups it cannot credit.
   */
  static async connect(settings: OperatorWalletSettings, assetCode: string): Promise<OperatorWallet> {
    const client = await createAuthenticatedClient({
      walletAddressUrl: settings.client,
      privateKey: settings.privateKey,
      keyId: settings.keyId,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      // The client reads its OpenAPI files beside its own sources, which a bundle does not have; we check what we use.
      validateResponses: false,
    });
    let doc;
    try {
      doc = await client.walletAddress.get({ url: settings.walletAddress });
    } catch (err) {
      throw new ConfigError(`OPERATOR_WALLET_ADDRESS cannot be read: ${describe(err)}`);
    }
    const scale = doc.assetScale;
    if (typeof doc.assetCode !== 'string' || !Number.isInteger(scale) || scale < 0 || scale > 255) {
      throw new ConfigError('OPERATOR_WALLET_ADDRESS is not an Open Payments wallet address (no assetCode/assetScale)');
    }
    if (doc.assetCode !== assetCode) {
      throw new ConfigError(`OPERATOR_WALLET_ADDRESS holds ${doc.assetCode}, but ASSET_CODE is ${assetCode}: top-ups must be in the relay's asset`);
    }
    if (typeof doc.authServer !== 'string' || typeof doc.resourceServer !== 'string') {
      throw new ConfigError('OPERATOR_WALLET_ADDRESS names no authServer or resourceServer');
    }
    return new OperatorWallet(client, doc.id ?? settings.walletAddress, doc.authServer, doc.resourceServer, { assetCode: doc.assetCode, assetScale: scale });
  }

  /** Creates an incoming payment of `walletUnits` on the operator's wallet, open until `expiresAt`, naming `pubkey`. */
  async createIncomingPayment(pubkey: string, walletUnits: bigint, expiresAt: Date): Promise<{ url: string; expiresAt: Date }> {
    const created = await this.withToken((accessToken) =>
      this.client.incomingPayment.create(
        { url: this.resourceServer, accessToken },
        {
          walletAddress: this.walletAddress,
          incomingAmount: { value: walletUnits.toString(), ...this.asset },
          expiresAt: expiresAt.toISOString(),
          metadata: { description: 'Nostr relay top-up', nostrPubkey: pubkey },
        },
      ),
    );
    if (typeof created.id !== 'string' || !/^https?:\/\//.test(created.id)) throw new WalletError('the wallet sent no incoming payment URL');
    if (units(created.incomingAmount?.value, 'incomingAmount') !== walletUnits) throw new WalletError('the wallet changed the amount');
    const until = created.expiresAt ? new Date(created.expiresAt) : expiresAt;
    return { url: created.id, expiresAt: Number.isNaN(until.getTime()) ? expiresAt : until };
  }

  /** What an incoming payment created by `createIncomingPayment` has received, and whether it is completed. */
  async read(url: string): Promise<IncomingPaymentState> {
    return this.state(await this.withToken((accessToken) => this.client.incomingPayment.get({ url, accessToken })));
  }

  /**
   * Completes an incoming payment (the wallet then takes no more packets for it, whatever its clock says) and
   * returns its final state; when the wallet refuses (some do for an expired one), its state as read.
   */
  async finish(url: string): Promise<IncomingPaymentState> {
    try {
      const p = await this.withToken((accessToken) => this.client.incomingPayment.complete({ url, accessToken }));
      return this.state(p);
    } catch (err) {
      if (!(err instanceof OpenPaymentsClientError) || !err.status || err.status >= 500) throw err;
      return this.read(url);
    }
  }

  private state(p: { receivedAmount?: { value?: unknown; assetCode?: unknown; assetScale?: unknown }; completed?: unknown }): IncomingPaymentState {
    const r = p.receivedAmount;
    if (r?.assetCode !== this.asset.assetCode || r.assetScale !== this.asset.assetScale) throw new WalletError('the wallet sent another asset');
    return { received: units(r.value, 'receivedAmount'), completed: p.completed === true };
  }

  /** Runs `fn` with an access token; once more with a new one when the wallet refuses it (expired, revoked). */
  private async withToken<T>(fn: (token: string) => Promise<T>): Promise<T> {
    const token = await this.token();
    try {
      return await fn(token);
    } catch (err) {
      if (!(err instanceof OpenPaymentsClientError) || (err.status !== 401 && err.status !== 403)) throw err;
      this.#token = undefined;
      return fn(await this.token());
    }
  }

  private async token(): Promise<string> {
    const cached = this.#token;
    if (cached) {
      const t = await cached.catch(() => undefined);
      if (t && t.until > Date.now()) return t.value;
      if (this.#token === cached) this.#token = undefined;
    }
    this.#token ??= this.requestGrant();
    return (await this.#token).value;
  }

  private async requestGrant(): Promise<{ value: string; until: number }> {
    const grant = await this.client.grant.request(
      { url: this.authServer },
      { access_token: { access: [{ type: 'incoming-payment', actions: ['create', 'read', 'complete'], identifier: this.walletAddress }] } },
    );
    if (!isFinalizedGrant(grant) || !grant.access_token?.value) throw new WalletError('the wallet asked for interaction to grant incoming payments');
    const lifetime = grant.access_token.expires_in ? grant.access_token.expires_in * 1000 - TOKEN_MARGIN_MS : DEFAULT_TOKEN_MS;
    return { value: grant.access_token.value, until: Date.now() + Math.max(lifetime, 1000) };
  }
}

/** An error of a wallet request in a few words, never with a token or key. */
export function describe(err: unknown): string {
  if (err instanceof OpenPaymentsClientError) {
    const what = err.description || err.message;
    return (err.status ? `${err.status} ${err.code ?? ''} ${what}` : what).replace(/\s+/g, ' ').trim();
  }
  return err instanceof Error ? err.message : String(err);
}
