import type { Statement } from 'better-sqlite3';
import type { Address, Hex } from 'viem';
import type { Db } from '../storage/database';
import type { OnChainChannel, Tx } from './channel-chain';

export type ChannelDirection = 'outgoing' | 'incoming';

/** A row of `settlement_channels` (migrations/0011_settlement.sql and 0012_settlement_gas.sql say what each field means). */
export interface ChannelRow {
  channelId: Hex;
  chain: string;
  peer: string;
  direction: ChannelDirection;
  payer: Address;
  payee: Address;
  token: Address;
  salt: Hex;
  authorizedSigner: Address;
  deposit: bigint;
  settled: bigint;
  closeRequestedAt: number;
  finalized: boolean;
  best: bigint;
  bestSignature: Hex | null;
  acked: bigint;
  lastTx: Hex | null;
  lastTxAt: number | null;
  /** Gas used by our own transactions on the channel, and their fees in wei (0 in a database before migration 12). */
  gasUsed: bigint;
  fees: bigint;
  refreshedAt: number;
  createdAt: number;
}

interface RawRow {
  channel_id: Hex;
  chain: string;
  peer: string;
  direction: ChannelDirection;
  payer: Address;
  payee: Address;
  token: Address;
  salt: Hex;
  authorized_signer: Address;
  deposit: string;
  settled: string;
  close_requested_at: number;
  finalized: number;
  best_cumulative: string;
  best_signature: Hex | null;
  acked_cumulative: string;
  last_tx: Hex | null;
  last_tx_at: number | null;
  gas_used?: string;
  fees?: string;
  refreshed_at: number;
  created_at: number;
}

const toRow = (r: RawRow): ChannelRow => ({
  channelId: r.channel_id,
  chain: r.chain,
  peer: r.peer,
  direction: r.direction,
  payer: r.payer,
  payee: r.payee,
  token: r.token,
  salt: r.salt,
  authorizedSigner: r.authorized_signer,
  deposit: BigInt(r.deposit),
  settled: BigInt(r.settled),
  closeRequestedAt: r.close_requested_at,
  finalized: r.finalized === 1,
  best: BigInt(r.best_cumulative),
  bestSignature: r.best_signature,
  acked: BigInt(r.acked_cumulative),
  lastTx: r.last_tx,
  lastTxAt: r.last_tx_at,
  gasUsed: BigInt(r.gas_used ?? '0'),
  fees: BigInt(r.fees ?? '0'),
  refreshedAt: r.refreshed_at,
  createdAt: r.created_at,
});

/** The only reader and writer of `settlement_channels` and `settlement_leftovers`. Token amounts are decimal TEXT (uint128). */
export class ChannelStore {
  private readonly byId: Statement<[string], RawRow>;
  private readonly currentOf: Statement<[string, string, string], RawRow>;
  private readonly open: Statement<[], RawRow>;
  private readonly insertRow: Statement<unknown[]>;
  private readonly onChain: Statement<[string, string, number, number, number, string]>;
  private readonly best: Statement<[string, string | null, string]>;
  private readonly acked: Statement<[string, string]>;
  private readonly tx: Statement<[string, number, string, string, string]>;
  private readonly leftoverOf: Statement<[string, string], string>;
  private readonly setLeftoverRow: Statement<[string, string, string]>;

  constructor(db: Db) {
    this.byId = db.prepare('SELECT * FROM settlement_channels WHERE channel_id = ?');
    this.currentOf = db.prepare(
      `SELECT * FROM settlement_channels WHERE peer = ? AND chain = ? AND direction = ? AND finalized = 0
       ORDER BY created_at DESC, rowid DESC LIMIT 1`,
    );
    this.open = db.prepare('SELECT * FROM settlement_channels WHERE finalized = 0 ORDER BY created_at');
    this.insertRow = db.prepare(
      `INSERT INTO settlement_channels (channel_id, chain, peer, direction, payer, payee, token, salt, authorized_signer,
         deposit, settled, close_requested_at, finalized, refreshed_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.onChain = db.prepare(
      `UPDATE settlement_channels SET deposit = ?, settled = ?, close_requested_at = ?, finalized = max(finalized, ?), refreshed_at = ?
       WHERE channel_id = ?`,
    );
    this.best = db.prepare('UPDATE settlement_channels SET best_cumulative = ?, best_signature = ? WHERE channel_id = ?');
    this.acked = db.prepare('UPDATE settlement_channels SET acked_cumulative = ? WHERE channel_id = ?');
    this.tx = db.prepare('UPDATE settlement_channels SET last_tx = ?, last_tx_at = ?, gas_used = ?, fees = ? WHERE channel_id = ?');
    this.leftoverOf = db.prepare<[string, string], string>('SELECT amount FROM settlement_leftovers WHERE peer = ? AND chain = ?').pluck();
    this.setLeftoverRow = db.prepare(
      `INSERT INTO settlement_leftovers (peer, chain, amount) VALUES (?, ?, ?)
       ON CONFLICT (peer, chain) DO UPDATE SET amount = excluded.amount`,
    );
  }

  get(channelId: Hex): ChannelRow | undefined {
    const r = this.byId.get(channelId.toLowerCase());
    return r && toRow(r);
  }

  /** The newest channel of that peer, chain and direction that is not finalized. */
  current(peer: string, chain: string, direction: ChannelDirection): ChannelRow | undefined {
    const r = this.currentOf.get(peer, chain, direction);
    return r && toRow(r);
  }

  /** Every channel not finalized, oldest first. */
  unfinalized(): ChannelRow[] {
    return this.open.all().map(toRow);
  }

  insert(c: Pick<ChannelRow, 'channelId' | 'chain' | 'peer' | 'direction' | 'payer' | 'payee' | 'token' | 'salt' | 'authorizedSigner'>, state: OnChainChannel, now: number): void {
    this.insertRow.run(
      c.channelId.toLowerCase(), c.chain, c.peer, c.direction, c.payer, c.payee, c.token, c.salt, c.authorizedSigner,
      String(state.deposit), String(state.settled), Number(state.closeRequestedAt), state.finalized ? 1 : 0, now, now,
    );
  }

  /**
   * Called, in the transaction of the write, when a channel is first seen finalized: what its best voucher had
   * above what was redeemed never became money (the settlement engine reverses it in the ledger).
   */
  onFinalized?: (row: ChannelRow, state: OnChainChannel) => void;

  setOnChain(channelId: Hex, s: OnChainChannel, now: number): void {
    const before = s.finalized ? this.get(channelId) : undefined;
    if (before && !before.finalized) this.onFinalized?.(before, s);
    this.onChain.run(String(s.deposit), String(s.settled), Number(s.closeRequestedAt), s.finalized ? 1 : 0, now, channelId.toLowerCase());
  }

  setBest(channelId: Hex, cumulative: bigint, signature: Hex): void {
    this.best.run(String(cumulative), signature, channelId.toLowerCase());
  }

  setAcked(channelId: Hex, cumulative: bigint): void {
    this.acked.run(String(cumulative), channelId.toLowerCase());
  }

  /** Our transaction on the channel: the last one, and its gas added to the channel's sums. In the caller's transaction. */
  setTx(channelId: Hex, tx: Tx, now: number): void {
    const row = this.get(channelId);
    if (!row) return;
    this.tx.run(tx.hash, now, String(row.gasUsed + (tx.gasUsed ?? 0n)), String(row.fees + (tx.fee ?? 0n)), channelId.toLowerCase());
  }

  leftover(peer: string, chain: string): bigint {
    return BigInt(this.leftoverOf.get(peer, chain) ?? '0');
  }

  setLeftover(peer: string, chain: string, amount: bigint): void {
    this.setLeftoverRow.run(peer, chain, String(amount));
  }
}

/**
 * Every channel of the database, oldest first, for `settlement status` (which opens the file read-only, so this
 * prepares no write; a database before migration 12 reads with no gas).
 */
export function readChannels(db: Db, chain?: string): ChannelRow[] {
  const rows = db.prepare<[], RawRow>('SELECT * FROM settlement_channels ORDER BY created_at, rowid').all();
  return rows.map(toRow).filter((r) => chain === undefined || r.chain === chain);
}
