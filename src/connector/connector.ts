import { createHash, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { PeerLink as PeerConfig } from '../config/schema';
import {
  createReject,
  encodeAmountTooLargeData,
  IlpErrorCode,
  ildcpFulfill,
  isIldcpRequest,
  type IlpPrepare,
  type IlpReject,
} from '../ilp';
import { peerAccount, type AccountPath } from '../ledger/account-paths';
import type { Ledger } from '../ledger/ledger';
import { PAYMENT_CLOSED, type IncomingPayments } from '../open-payments/incoming-payments';
import type { Committer } from '../storage/committer';
import { MIN_MESSAGE_WINDOW, outgoingExpiry } from './expiry';
import { isFulfill, type Credit, type CreditResult, type IlpReply, type LocalReceiver } from './local-receiver';
import { PeerLinks } from './peer-links';
import { RoutingTable } from './routing-table';

export interface ConnectorOptions {
  ilpAddress: string;
  assetCode: string;
  assetScale: number;
  maxPacketAmount: bigint;
  peers: readonly PeerConfig[];
}

const OK = Object.freeze({ ok: true as const });

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest();

/**
 * Processes ILP Prepares from BTP peers and from this node: ILDCP, expiry and amount checks, routing, and the
 * money. A packet from peer P moves Dr assets/interledger/P: to a local account at once when the local receiver
 * fulfills, or as a pending transfer to the next peer's account, posted on a valid Fulfill and voided otherwise.
 */
export class Connector {
  readonly links = new PeerLinks();
  readonly routes: RoutingTable;
  /** Replies sent to peers, by ILP result (`fulfilled` or the reject code); read by metrics. */
  readonly results = new Map<string, number>();
  private local?: LocalReceiver;
  private incomingPayments?: IncomingPayments;
  private draining = false;
  private inflight = 0;
  private whenIdle?: () => void;

  constructor(
    private readonly options: ConnectorOptions,
    private readonly ledger: Ledger,
    private readonly committer: Committer,
    private readonly log: Logger,
  ) {
    this.routes = new RoutingTable(options.ilpAddress, options.peers);
    for (const p of options.peers) ledger.openAccount(peerAccount(p.id), p.creditLimit);
  }

  /** Where Prepares for our own address go (the STREAM receiver). */
  setLocalReceiver(local: LocalReceiver): void {
    this.local = local;
  }

  async handlePrepare(from: string, prepare: IlpPrepare): Promise<IlpReply> {
    if (this.draining) return this.count(this.reject(IlpErrorCode.T03_CONNECTOR_BUSY, 'the peer is shutting down'));
    this.inflight++;
    try {
      return this.count(await this.process(from, prepare));
    } finally {
      if (--this.inflight === 0) this.whenIdle?.();
    }
  }

  /** Refuses new packets (T03) and resolves once those in flight are answered, or after `timeoutMs`. */
  drain(timeoutMs: number): Promise<void> {
    this.draining = true;
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.whenIdle = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Open Payments: the incoming payments whose receivedAmount moves with their STREAM credits. */
  setIncomingPayments(payments: IncomingPayments): void {
    this.incomingPayments = payments;
  }

  /** Sends a Prepare this node originates (amount debited from equity/owner when above 0). */
  originate(prepare: IlpPrepare): Promise<IlpReply> {
    const route = this.routes.lookup(prepare.destination);
    if (route?.type !== 'peer') return Promise.resolve(this.reject(IlpErrorCode.F02_UNREACHABLE, `no route to ${prepare.destination}`));
    return this.forward('equity/owner', route.peerId, prepare);
  }

  private count(reply: IlpReply): IlpReply {
    const key = isFulfill(reply) ? 'fulfilled' : reply.code;
    this.results.set(key, (this.results.get(key) ?? 0) + 1);
    return reply;
  }

  private async process(from: string, prepare: IlpPrepare): Promise<IlpReply> {
    if (isIldcpRequest(prepare)) {
      const { assetCode, assetScale } = this.options;
      return ildcpFulfill({ clientAddress: this.routes.childAddress(from), assetCode, assetScale });
    }
    if (prepare.expiresAt.getTime() - Date.now() < MIN_MESSAGE_WINDOW) {
      return this.reject(IlpErrorCode.R02_INSUFFICIENT_TIMEOUT, 'the packet expires too soon to be processed');
    }
    if (prepare.amount > this.options.maxPacketAmount) {
      const data = encodeAmountTooLargeData({ receivedAmount: prepare.amount, maximumAmount: this.options.maxPacketAmount });
      return this.reject(IlpErrorCode.F08_AMOUNT_TOO_LARGE, `amount above the maximum of ${this.options.maxPacketAmount}`, data);
    }
    const route = this.routes.lookup(prepare.destination);
    if (!route) return this.reject(IlpErrorCode.F02_UNREACHABLE, `no route to ${prepare.destination}`);
    if (route.type === 'local') {
      if (!this.local) return this.reject(IlpErrorCode.F02_UNREACHABLE, 'no local receiver');
      return this.local.handle(prepare, this.creditFrom(from, prepare), from);
    }
    if (route.peerId === from) return this.reject(IlpErrorCode.F02_UNREACHABLE, 'the route leads back to the sender');
    return this.forward(peerAccount(from), route.peerId, prepare);
  }

  /**
   * Credits in this turn's transaction, then waits for the disk: a Fulfill promises the payment was recorded. The
   * upstream gives up on a packet at its expiry and would not pay a later Fulfill, so a credit that became durable
   * too late is undone and the packet rejected R00.
   */
  private creditFrom(from: string, prepare: IlpPrepare): Credit {
    const debitAccount = peerAccount(from);
    return async (account: AccountPath, amount: bigint, incomingPayment?: string) => {
      if (amount === 0n) return OK;
      let r;
      try {
        const transfer = () => this.ledger.transfer({ debitAccount, creditAccount: account, amount });
        // Open Payments: the incoming payment's receivedAmount moves in the credit's own transaction.
        r = this.committer.run(() =>
          incomingPayment === undefined ? transfer() : (this.incomingPayments?.recordReceived(incomingPayment, amount, transfer) ?? PAYMENT_CLOSED),
        );
      } catch (err) {
        this.log.error({ err, from }, 'credit failed');
        return { ok: false, reject: this.reject(IlpErrorCode.T00_INTERNAL_ERROR, 'could not record the payment') };
      }
      if (!r.value.ok) {
        if (r.value.reason === 'incoming_payment_closed') {
          return { ok: false, reject: this.reject(IlpErrorCode.F99_APPLICATION_ERROR, 'the incoming payment is completed or expired') };
        }
        return { ok: false, reject: this.refusal(r.value.reason) };
      }
      if (!(await r.durable)) {
        this.log.error({ from, destination: prepare.destination }, 'a credit did not reach the disk; rejecting the packet');
        return { ok: false, reject: this.reject(IlpErrorCode.T00_INTERNAL_ERROR, 'could not record the payment') };
      }
      if (Date.now() < prepare.expiresAt.getTime()) return OK;
      return this.undoLateCredit(from, account, amount, incomingPayment);
    };
  }

  /** R00 once the late credit is undone on disk; if it cannot be (already spent), the packet is fulfilled late. */
  private async undoLateCredit(from: string, account: AccountPath, amount: bigint, incomingPayment?: string): Promise<CreditResult> {
    try {
      const r = this.committer.run(() => {
        const t = this.ledger.transfer({ debitAccount: account, creditAccount: peerAccount(from), amount });
        if (t.ok && incomingPayment !== undefined) this.incomingPayments?.undoReceived(incomingPayment, amount);
        return t;
      });
      if (r.value.ok && (await r.durable)) {
        return { ok: false, reject: this.reject(IlpErrorCode.R00_TRANSFER_TIMED_OUT, 'the packet expired while its payment was recorded') };
      }
    } catch (err) {
      this.log.error({ err, from }, 'could not undo a late credit');
    }
    this.log.warn({ from, account, amount: amount.toString() }, 'a credit recorded after its packet expired stays; fulfilling late');
    return OK;
  }

  private async forward(debitAccount: AccountPath, to: string, prepare: IlpPrepare): Promise<IlpReply> {
    const now = Date.now();
    const expiresAt = outgoingExpiry(prepare.expiresAt, now);
    if (!expiresAt) return this.reject(IlpErrorCode.R02_INSUFFICIENT_TIMEOUT, 'too little time left to forward the packet');
    const link = this.links.get(to);
    if (!link) return this.reject(IlpErrorCode.T01_PEER_UNREACHABLE, `peer ${to} is not connected`);
    let pending: number | undefined;
    if (prepare.amount > 0n) {
      let created;
      try {
        created = this.committer.run(() => this.ledger.createPending({ debitAccount, creditAccount: peerAccount(to), amount: prepare.amount }));
      } catch (err) {
        this.log.error({ err, to }, 'could not create the pending transfer');
        return this.reject(IlpErrorCode.T00_INTERNAL_ERROR, 'could not record the transfer');
      }
      if (!created.value.ok) return this.reject(...this.refusalOf(created.value.reason));
      // Forward only a transfer that is on disk: a rolled-back one would leave the packet unaccounted for.
      if (!(await created.durable)) return this.reject(IlpErrorCode.T00_INTERNAL_ERROR, 'could not record the transfer');
      pending = created.value.id;
    }
    /** Posts or voids the pending transfer, once more if its turn was lost; what still fails is voided at restart. */
    const settle = async (post: boolean) => {
      const id = pending;
      if (id === undefined) return;
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          const r = this.committer.run(() => (post ? this.ledger.post(id) : this.ledger.void(id)));
          if (!r.value.ok) return this.log.error({ id, post, to }, 'forwarded transfer was not pending');
          if (await r.durable) return;
        } catch (err) {
          this.log.error({ err, id, post, to }, 'could not settle a forwarded transfer');
        }
      }
      this.log.error({ id, post, to }, 'a forwarded transfer stays pending until the next start voids it');
    };
    let reply: Awaited<ReturnType<typeof link.sendPrepare>>;
    try {
      reply = await link.sendPrepare({ ...prepare, expiresAt }, expiresAt.getTime() - now);
    } catch (err) {
      await settle(false);
      this.log.error({ err, to }, 'forwarding failed');
      return this.reject(IlpErrorCode.T00_INTERNAL_ERROR, 'forwarding failed');
    }
    if (reply === 'timeout') {
      await settle(false);
      return this.reject(IlpErrorCode.R00_TRANSFER_TIMED_OUT, `peer ${to} did not answer before the packet expired`);
    }
    if (reply === 'closed') {
      await settle(false);
      return this.reject(IlpErrorCode.T01_PEER_UNREACHABLE, `the connection to peer ${to} closed`);
    }
    if (!isFulfill(reply)) {
      await settle(false);
      return reply;
    }
    if (!timingSafeEqual(sha256(reply.fulfillment), prepare.executionCondition)) {
      await settle(false);
      return this.reject(IlpErrorCode.F05_WRONG_CONDITION, `peer ${to} sent a fulfillment that does not match the condition`);
    }
    await settle(true);
    return reply;
  }

  private refusalOf(reason: string): [IlpErrorCode, string] {
    return reason === 'exceeds_limit' || reason === 'insufficient_balance'
      ? [IlpErrorCode.T04_INSUFFICIENT_LIQUIDITY, 'the amount exceeds the credit available to the sender']
      : [IlpErrorCode.T00_INTERNAL_ERROR, `ledger refused the transfer (${reason})`];
  }

  private refusal(reason: string): IlpReject {
    return this.reject(...this.refusalOf(reason));
  }

  private reject(code: IlpErrorCode, message: string, data?: Uint8Array): IlpReject {
    return createReject(code, this.options.ilpAddress, message, data);
  }
}

/** Finds the peer a BTP auth token belongs to, comparing against every token in constant time. */
export function peerForToken(peers: readonly PeerConfig[]): (token: string) => string | undefined {
  const digests = peers.map((p) => [p.id, sha256(Buffer.from(p.token))] as const);
  return (token) => {
    const d = sha256(Buffer.from(token));
    let found: string | undefined;
    for (const [id, digest] of digests) if (timingSafeEqual(d, digest)) found = id;
    return found;
  };
}
