import type { Db } from '../storage/database';
import type { Balances } from './ledger';
import { replayJournal } from './replay-journal';

const ZERO: Balances = { debitsPosted: 0n, creditsPosted: 0n, debitsPending: 0n, creditsPending: 0n };

const same = (a: Balances, b: Balances) =>
  a.debitsPosted === b.debitsPosted &&
  a.creditsPosted === b.creditsPosted &&
  a.debitsPending === b.debitsPending &&
  a.creditsPending === b.creditsPending;

const show = (b: Balances) => `${b.debitsPosted}/${b.creditsPosted}/${b.debitsPending}/${b.creditsPending}`;

/**
 * The deep check of a ledger that is not (yet) the peer's own, e.g. a backup before it is restored: Σ(credits −
 * debits) over all accounts is 0 posted and pending, the journal replays to exactly the stored balances of every
 * account, and the totals row (when the schema has one) agrees. Returns the first problem found, in one line.
 * O(accounts + journal).
 */
export function auditLedger(db: Db): string | undefined {
  let replayed: Map<string, Balances>;
  try {
    replayed = replayJournal(db);
  } catch (err) {
    return `the journal does not replay: ${(err as Error).message}`;
  }
  let posted = 0n;
  let pending = 0n;
  let mismatch: string | undefined;
  const rows = db
    .prepare<[], Balances & { path: string }>(
      `SELECT path, debits_posted AS debitsPosted, credits_posted AS creditsPosted, debits_pending AS debitsPending,
         credits_pending AS creditsPending FROM accounts`,
    )
    .safeIntegers(true);
  for (const { path, ...b } of rows.iterate()) {
    posted += b.creditsPosted - b.debitsPosted;
    pending += b.creditsPending - b.debitsPending;
    const r = replayed.get(path) ?? ZERO;
    replayed.delete(path);
    if (!mismatch && !same(b, r)) mismatch = `account ${path} holds ${show(b)} (debits/credits posted, pending) but its journal gives ${show(r)}`;
  }
  if (posted !== 0n || pending !== 0n) return `the ledger does not sum to zero (posted ${posted}, pending ${pending})`;
  if (mismatch) return mismatch;
  for (const [path, r] of replayed) {
    if (!same(r, ZERO)) return `the journal moves money of ${path}, which has no account`;
  }

  const hasTotals = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'ledger_totals'").get();
  if (hasTotals) {
    const t = db.prepare('SELECT posted, pending FROM ledger_totals WHERE id = 1').safeIntegers(true).get() as
      | { posted: bigint; pending: bigint }
      | undefined;
    if (!t || t.posted !== 0n || t.pending !== 0n) return `the ledger totals row says ${t ? `${t.posted}/${t.pending}` : 'nothing'}, not 0/0`;
  }
  return undefined;
}
