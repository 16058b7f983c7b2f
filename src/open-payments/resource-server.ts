import { randomUUID } from 'node:crypto';
import { MAX_AMOUNT } from '../ledger/max-amount';
import type { StreamCredentials } from '../payments/stream-credentials';
import { allows } from './access';
import type { AuthServer, DurableWrite } from './auth-server';
import type { Grant } from './grants';
import { json, type OpAnswer, type OpRequest } from './http';
import { isCompleted, isOpen, type IncomingPaymentRow, type IncomingPayments } from './incoming-payments';
import type { OpenPaymentsUrls } from './urls';

export interface ResourceServerDeps {
  urls: OpenPaymentsUrls;
  auth: AuthServer;
  payments: IncomingPayments;
  credentials: StreamCredentials;
  assetCode: string;
  assetScale: number;
  /** Longest lifetime of an incoming payment, and the lifetime of one created without `expiresAt`. */
  maxExpiryMs: number;
  write: DurableWrite;
  /** Incoming payments one client may have open (neither completed nor expired). */
  maxLivePerClient: number;
}

const CREATE_FIELDS = new Set(['walletAddress', 'incomingAmount', 'expiresAt', 'metadata']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DEFAULT_PAGE = 10;
const MAX_PAGE = 100;
const MAX_METADATA_BYTES = 4096;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The resource server's error body (resource-server.yaml error-response). */
const rsError = (status: string, code: string, description: string, headers: [string, string][] = []): OpAnswer =>
  json(status, { error: { code, description } }, headers);
const badRequest = (description: string) => rsError('400 Bad Request', 'invalid_request', description);
const forbidden = () => rsError('403 Forbidden', 'forbidden', 'the grant does not allow this on this wallet address');
const notFound = () => rsError('404 Not Found', 'not_found', 'no such incoming payment');

/**
 * The Open Payments resource server for incoming payments (resource-server.yaml): create, get (full with a
 * token, public without), complete, list. Each payment's `ilp` method is a STREAM credential of this node that
 * credits the wallet address's pubkey; its `receivedAmount` moves with each credit (IncomingPayments.recordReceived).
 */
export class ResourceServer {
  constructor(private readonly deps: ResourceServerDeps) {}

  /** POST <resourceServer>/incoming-payments */
  readonly create = async (req: OpRequest): Promise<OpAnswer> => {
    const auth = await this.authorize(req);
    if ('denied' in auth) return auth.denied;
    let body: unknown;
    try {
      body = JSON.parse(req.body);
    } catch {
      return badRequest('the body must be JSON');
    }
    if (!isObject(body)) return badRequest('the body must be a JSON object');
    const extra = Object.keys(body).find((k) => !CREATE_FIELDS.has(k));
    if (extra !== undefined) return badRequest(`unexpected field ${JSON.stringify(extra.slice(0, 64))}`);
    const { urls } = this.deps;
    const pubkey = urls.pubkeyOf(body.walletAddress);
    if (pubkey === undefined) return badRequest('walletAddress is not a wallet address of this server');
    const walletAddress = urls.walletAddress(pubkey);
    if (!allows(auth.grant.access, 'create', walletAddress, true)) return forbidden();

    let incomingAmount: bigint | undefined;
    if (body.incomingAmount !== undefined) {
      const amount = this.amount(body.incomingAmount);
      if (typeof amount === 'string') return badRequest(amount);
      incomingAmount = amount;
    }
    const now = Date.now();
    let expiresAt = now + this.deps.maxExpiryMs;
    if (body.expiresAt !== undefined) {
      const t = typeof body.expiresAt === 'string' ? Date.parse(body.expiresAt) : NaN;
      if (!Number.isFinite(t)) return badRequest('expiresAt must be an RFC 3339 date-time');
      if (t <= now) return badRequest('expiresAt is in the past');
      if (t > expiresAt) return badRequest(`expiresAt is more than ${Math.round(this.deps.maxExpiryMs / 1000)} s ahead`);
      expiresAt = t;
    }
    if (body.metadata !== undefined && !isObject(body.metadata)) return badRequest('metadata must be an object');
    const metadata = body.metadata as Record<string, unknown> | undefined;
    if (metadata !== undefined && Buffer.byteLength(JSON.stringify(metadata)) > MAX_METADATA_BYTES) {
      return badRequest(`metadata is over ${MAX_METADATA_BYTES} bytes`);
    }

    const max = this.deps.maxLivePerClient;
    if (this.deps.payments.liveOf(auth.grant.client, max) >= max) {
      return rsError('403 Forbidden', 'forbidden', `this client has ${max} open incoming payments; complete some or let them expire first`);
    }
    const id = randomUUID();
    const { destinationAccount } = this.deps.credentials.issue(pubkey, id);
    const streamToken = destinationAccount.slice(this.deps.credentials.ilpAddress.length + 1);
    const payment = await this.deps.write(() =>
      this.deps.payments.create({ id, pubkey, client: auth.grant.client, incomingAmount, metadata, streamToken, createdAt: now, expiresAt }),
    );
    return json('201 Created', this.withMethods(payment));
  };

  /** GET <resourceServer>/incoming-payments/:id — full with a token, public without one. */
  readonly get = async (req: OpRequest): Promise<OpAnswer> => {
    const payment = UUID.test(req.param) ? this.deps.payments.get(req.param) : undefined;
    if (req.headers['authorization'] === undefined) {
      if (!payment) return notFound();
      return json('200 OK', { receivedAmount: this.money(payment.receivedAmount), authServer: this.deps.urls.authServer });
    }
    const auth = await this.authorize(req);
    if ('denied' in auth) return auth.denied;
    if (!payment) return notFound();
    if (!allows(auth.grant.access, 'read', this.deps.urls.walletAddress(payment.pubkey), payment.client === auth.grant.client)) {
      return forbidden();
    }
    return json('200 OK', this.withMethods(payment));
  };

  /** POST <resourceServer>/incoming-payments/:id/complete */
  readonly complete = async (req: OpRequest): Promise<OpAnswer> => {
    const auth = await this.authorize(req);
    if ('denied' in auth) return auth.denied;
    const payment = UUID.test(req.param) ? this.deps.payments.get(req.param) : undefined;
    if (!payment) return notFound();
    if (!allows(auth.grant.access, 'complete', this.deps.urls.walletAddress(payment.pubkey), payment.client === auth.grant.client)) {
      return forbidden();
    }
    const done = await this.deps.write(() => this.deps.payments.complete(payment.id)!);
    return json('200 OK', this.view(done));
  };

  /** GET <resourceServer>/incoming-payments?wallet-address=…&first=…&cursor=… (forward pages, oldest first). */
  readonly list = async (req: OpRequest): Promise<OpAnswer> => {
    const auth = await this.authorize(req);
    if ('denied' in auth) return auth.denied;
    const { urls, payments } = this.deps;
    const pubkey = urls.pubkeyOf(req.query.get('wallet-address'));
    if (pubkey === undefined) return badRequest('wallet-address must be a wallet address of this server');
    const walletAddress = urls.walletAddress(pubkey);
    const client = allows(auth.grant.access, 'list', walletAddress, false) ? undefined : auth.grant.client;
    if (client !== undefined && !allows(auth.grant.access, 'list', walletAddress, true)) return forbidden();
    if (req.query.has('last')) return badRequest('only forward pagination (first, cursor) is offered');
    const first = Number(req.query.get('first') ?? DEFAULT_PAGE);
    if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE) return badRequest(`first must be an integer from 1 to ${MAX_PAGE}`);
    const cursorId = req.query.get('cursor');
    let after: IncomingPaymentRow | undefined;
    if (cursorId !== null) {
      after = UUID.test(cursorId) ? payments.get(cursorId) : undefined;
      if (!after || after.pubkey !== pubkey) return badRequest('unknown cursor');
    }
    const rows = payments.page(pubkey, client, after, first + 1);
    const result = rows.slice(0, first);
    return json('200 OK', {
      pagination: {
        ...(result.length > 0 ? { startCursor: result[0].id, endCursor: result[result.length - 1].id } : {}),
        hasNextPage: rows.length > first,
        hasPreviousPage: after !== undefined,
      },
      result: result.map((p) => this.view(p)),
    });
  };

  private async authorize(req: OpRequest): Promise<{ grant: Grant } | { denied: OpAnswer }> {
    const r = await this.deps.auth.authorize(req);
    if ('grant' in r) return r;
    return { denied: rsError('401 Unauthorized', 'unauthorized', r.failed, [['WWW-Authenticate', `GNAP as_uri=${this.deps.urls.authServer}`]]) };
  }

  /** An amount in the wallet's asset: a positive integer string no larger than the ledger holds; else why not. */
  private amount(raw: unknown): bigint | string {
    if (!isObject(raw)) return 'incomingAmount must be {value, assetCode, assetScale}';
    const { value, assetCode, assetScale } = raw;
    if (assetCode !== this.deps.assetCode || assetScale !== this.deps.assetScale) {
      return `incomingAmount must be in the wallet's asset ${this.deps.assetCode} at scale ${this.deps.assetScale}`;
    }
    if (typeof value !== 'string' || !/^[0-9]{1,20}$/.test(value)) return 'incomingAmount.value must be a string of a non-negative integer';
    const n = BigInt(value);
    if (n === 0n) return 'incomingAmount.value must be above 0';
    if (n > MAX_AMOUNT) return `incomingAmount.value must be at most ${MAX_AMOUNT}`;
    return n;
  }

  private money(value: bigint) {
    return { value: value.toString(), assetCode: this.deps.assetCode, assetScale: this.deps.assetScale };
  }

  private view(p: IncomingPaymentRow) {
    return {
      id: this.deps.urls.incomingPayment(p.id),
      walletAddress: this.deps.urls.walletAddress(p.pubkey),
      ...(p.incomingAmount !== null ? { incomingAmount: this.money(p.incomingAmount) } : {}),
      receivedAmount: this.money(p.receivedAmount),
      completed: isCompleted(p),
      expiresAt: new Date(p.expiresAt).toISOString(),
      ...(p.metadata !== undefined ? { metadata: p.metadata } : {}),
      createdAt: new Date(p.createdAt).toISOString(),
    };
  }

  /** With its `ilp` method while it takes money; none once completed or expired. */
  private withMethods(p: IncomingPaymentRow) {
    const { credentials } = this.deps;
    const ticket = isOpen(p, Date.now()) ? credentials.open(p.streamToken) : undefined;
    const methods = ticket
      ? [{ type: 'ilp', ilpAddress: `${credentials.ilpAddress}.${p.streamToken}`, sharedSecret: Buffer.from(ticket.sharedSecret).toString('base64url') }]
      : [];
    return { ...this.view(p), methods };
  }
}
