import type { Statement } from 'better-sqlite3';
import { isPeerId, peerAccount, type AccountPath } from '../ledger/account-paths';
import type { Ledger, TransferId } from '../ledger/ledger';
import { MAX_AMOUNT } from '../ledger/max-amount';
import type { Db } from '../storage/database';

/** received: the peer paid us; paid: we paid the peer. */
export type SettlementDirection = 'received' | 'paid';

export interface SettlementRecord {
  peer: string;
  direction: SettlementDirection;
  /** > 0, in the smallest unit of ASSET_CODE/ASSET_SCALE. */
  amount: bigint;
  /** `out-of-band`, or the chain of a voucher. */
  method: string;
  reference: string;
}

export type RecordResult = { ok: true; transferId: TransferId; id: number } | { ok: false; reason: string };

/** A reference is the operator's text (a bank reference); bounded so a record stays a row, not a document. */
export const MAX_REFERENCE_LENGTH = 200;

const SETTLEMENT: AccountPath = 'assets/settlement';

/**
 * Records a settlement with a peer as one ledger transfer and one `settlement_records` row, in one transaction:
 * received (Dr assets/settlement Cr assets/interledger/<peer>: the peer owes us less) or paid (Dr
 * assets/interledger/<peer> Cr assets/settlement: we owe the peer less). Rafiki's model of out-of-band
 * settlement, and the ledger half of every voucher. Refusals are values; only a bug throws.
 */
export class SettlementRecorder {
  private readonly insert: Statement<[number, string, string, bigint, string, string, number]>;
  private readonly knownPeer: Statement<[string], number>;
  readonly record: (r: SettlementRecord) => RecordResult;

  constructor(
    db: Db,
    private readonly ledger: Ledger,
    private readonly now: () => number = Date.now,
  ) {
    this.insert = db.prepare(
      `INSERT INTO settlement_records (time, peer, direction, amount, method, reference, transfer_id)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.knownPeer = db.prepare<[string], number>('SELECT 1 FROM accounts WHERE path = ?').pluck();
    // A savepoint inside a caller's transaction (the committer's turn, a voucher's acceptance), else its own.
    this.record = db.transaction((r: SettlementRecord) => this.apply(r));
  }

  private apply(r: SettlementRecord): RecordResult {
    const invalid = checkRecord(r);
    if (invalid) return { ok: false, reason: invalid };
    const peer = peerAccount(r.peer);
    if (!this.knownPeer.get(peer)) return { ok: false, reason: `unknown peer "${r.peer}" (not in ILP_PEERS)` };
    const t =
      r.direction === 'received'
        ? this.ledger.transfer({ debitAccount: SETTLEMENT, creditAccount: peer, amount: r.amount })
        : this.ledger.transfer({ debitAccount: peer, creditAccount: SETTLEMENT, amount: r.amount });
    if (!t.ok) {
      const why =
        t.reason === 'insufficient_balance'
          ? `paying ${r.amount} would leave peer "${r.peer}" owing us more than its credit limit allows`
          : `the ledger refused the transfer (${t.reason})`;
      return { ok: false, reason: why };
    }
    const id = Number(this.insert.run(this.now(), r.peer, r.direction, r.amount, r.method, r.reference, t.id).lastInsertRowid);
    return { ok: true, transferId: t.id, id };
  }
}

/** Why a record is malformed, or undefined. */
export function checkRecord(r: SettlementRecord): string | undefined {
  if (typeof r.peer !== 'string' || !isPeerId(r.peer)) return 'peer must be the id of a peer in ILP_PEERS';
  if (r.direction !== 'received' && r.direction !== 'paid') return 'direction must be received or paid';
  if (typeof r.amount !== 'bigint' || r.amount <= 0n || r.amount > MAX_AMOUNT) return `amount must be an integer from 1 to ${MAX_AMOUNT}`;
  if (typeof r.reference !== 'string' || r.reference.trim() === '') return 'a reference is required (e.g. the bank transfer id)';
  if ([...r.reference].length > MAX_REFERENCE_LENGTH) return `reference is longer than ${MAX_REFERENCE_LENGTH} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(r.reference)) return 'reference must not contain control characters';
  return undefined;
}

/** An amount typed by an operator: an integer in the smallest unit, like every amount of the peer. */
export function parseAmount(text: string): bigint | undefined {
  return /^\d{1,19}$/.test(text.trim()) ? BigInt(text.trim()) : undefined;
}
