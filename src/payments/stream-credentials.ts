import { randomBytes } from 'node:crypto';
import { decrypt, encrypt, generateSharedSecretFromToken, OerReader, OerWriter } from '../ilp';
import { balanceAccount, type AccountPath } from '../ledger/account-paths';

/** What SPSP hands out: `destination_account` and `shared_secret`. */
export interface StreamCredential {
  destinationAccount: string;
  sharedSecret: Uint8Array;
}

/** What a token says once decrypted: whom the connection pays, and its secret. */
export interface ConnectionTicket {
  /** The paying-in pubkey (64 lowercase hex), or undefined for the operator (`/.well-known/pay`). */
  pubkey: string | undefined;
  account: AccountPath;
  sharedSecret: Uint8Array;
  /** The Open Payments incoming payment (its UUID) this credential belongs to, if any. */
  incomingPayment?: string;
}

// ilp-protocol-stream's token layout (dist/src/server.js generateAddressAndSecret): a random nonce, then the
// connection tag, receipt nonce and receipt secret as VarOctetStrings. We never enable receipts (empty).
const TOKEN_NONCE_LENGTH = 18;
const NONE = new Uint8Array(0);
const PUBKEY_TAG = /^[0-9a-f]{64}$/;
/** An incoming payment's credential: `<pubkey>:<uuid>` (open-payments/); its money credits the pubkey too. */
const INCOMING_PAYMENT_TAG = /^([0-9a-f]{64}):([0-9a-f-]{36})$/;

/**
 * Stateless STREAM credentials, as ilp-protocol-stream's server makes them: token = AES-256-GCM(serverSecret,
 * nonce ‖ tag), address `<ILP_ADDRESS>.<base64url token>`, sharedSecret = HMAC(HMAC(serverSecret,
 * "ilp_stream_shared_secret"), token). The connection tag is the pubkey to credit (64 lowercase hex, ASCII) or
 * empty for the operator, or `<pubkey>:<incoming payment uuid>` for an Open Payments incoming payment, so an
 * ilp-protocol-stream Server holding the same secret reads our tokens as its own.
 */
export class StreamCredentials {
  readonly #secret: Uint8Array;

  constructor(
    serverSecret: Uint8Array,
    readonly ilpAddress: string,
  ) {
    if (serverSecret.length !== 32) throw new RangeError('server secret must be 32 bytes');
    this.#secret = serverSecret;
  }

  /**
   * A fresh credential (new nonce, so a new connection) paying `pubkey` (lowercase hex) or the operator; with
   * `incomingPayment` (a UUID), that incoming payment of `pubkey`.
   */
  issue(pubkey?: string, incomingPayment?: string): StreamCredential {
    if (pubkey !== undefined && !PUBKEY_TAG.test(pubkey)) throw new TypeError(`not a lowercase hex pubkey: ${pubkey}`);
    const tag = incomingPayment === undefined ? pubkey : `${pubkey}:${incomingPayment}`;
    if (incomingPayment !== undefined && !INCOMING_PAYMENT_TAG.test(tag!)) throw new TypeError(`not an incoming payment id: ${incomingPayment}`);
    const plain = new OerWriter()
      .octets(randomBytes(TOKEN_NONCE_LENGTH))
      .varOctets(tag === undefined ? NONE : Buffer.from(tag, 'ascii'))
      .varOctets(NONE)
      .varOctets(NONE)
      .toBytes();
    const token = encrypt(this.#secret, plain);
    return {
      destinationAccount: `${this.ilpAddress}.${Buffer.from(token).toString('base64url')}`,
      sharedSecret: generateSharedSecretFromToken(this.#secret, token),
    };
  }

  /** Reads a token (the address segment after ILP_ADDRESS); undefined when we did not issue it. */
  open(token: string): ConnectionTicket | undefined {
    const bytes = Buffer.from(token, 'base64url');
    const plain = decrypt(this.#secret, bytes);
    if (!plain) return undefined;
    let tag: string;
    try {
      const reader = new OerReader(plain);
      reader.octets(TOKEN_NONCE_LENGTH);
      tag = Buffer.from(reader.varOctets()).toString('ascii');
    } catch {
      return undefined;
    }
    let pubkey: string | undefined;
    let account: AccountPath;
    let incomingPayment: string | undefined;
    const paying = INCOMING_PAYMENT_TAG.exec(tag);
    if (tag === '') account = 'equity/owner';
    else if (PUBKEY_TAG.test(tag)) account = balanceAccount((pubkey = tag));
    else if (paying) [account, pubkey, incomingPayment] = [balanceAccount(paying[1]), paying[1], paying[2]];
    else return undefined;
    const sharedSecret = generateSharedSecretFromToken(this.#secret, new Uint8Array(bytes));
    return { pubkey, account, sharedSecret, ...(incomingPayment ? { incomingPayment } : {}) };
  }
}
