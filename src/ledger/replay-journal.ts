import type { Db } from '../storage/database';
import type { Balances } from './ledger';

interface Entry {
  id: bigint;
  transfer_id: bigint;
  op: 'create' | 'post' | 'void' | 'transfer';
  debit: string;
  credit: string;
  amount: bigint;
}

/**
 * Rebuilds every account's four totals from the journal alone (an audit: they must equal the `accounts` rows).
 * Throws when the journal posts or voids a transfer that is not pending, or disagrees with its own creation.
 */
export function replayJournal(db: Db): Map<string, Balances> {
  const balances = new Map<string, Balances>();
  const open = new Map<bigint, Entry>();
  const account = (path: string): Balances => {
    let b = balances.get(path);
    if (!b) balances.set(path, (b = { debitsPosted: 0n, creditsPosted: 0n, debitsPending: 0n, creditsPending: 0n }));
    return b;
  };
  const entries = db
    .prepare<[], Entry>('SELECT id, transfer_id, op, debit, credit, amount FROM journal ORDER BY id')
    .safeIntegers(true);
  for (const e of entries.iterate()) {
    const d = account(e.debit);
    const c = account(e.credit);
    if (e.op === 'transfer') {
      d.debitsPosted += e.amount;
      c.creditsPosted += e.amount;
      continue;
    }
    if (e.op === 'create') {
      open.set(e.transfer_id, e);
      d.debitsPending += e.amount;
      c.creditsPending += e.amount;
      continue;
    }
    const created = open.get(e.transfer_id);
    if (!created || created.debit !== e.debit || created.credit !== e.credit || created.amount !== e.amount) {
      throw new Error(`journal entry ${e.id}: ${e.op} of transfer ${e.transfer_id}, which is not pending as such`);
    }
    open.delete(e.transfer_id);
    d.debitsPending -= e.amount;
    c.creditsPending -= e.amount;
    if (e.op === 'post') {
      d.debitsPosted += e.amount;
      c.creditsPosted += e.amount;
    }
  }
  return balances;
}
