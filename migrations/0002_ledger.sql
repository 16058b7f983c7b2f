-- Ledger (src/ledger): double-entry accounts after Dassie's, two-phase transfers, and an append-only journal.
-- Only src/ledger writes these tables. Amounts are integers in the smallest unit of ASSET_CODE/ASSET_SCALE and
-- fit SQLite's signed 64-bit INTEGER; the ledger refuses a transfer that would pass 2^63 − 1, and the CHECKs below
-- refuse anything that is not a non-negative integer (SQLite would store an overflowing sum as a float).

-- One row per account (chart of accounts: src/ledger/account-paths.ts).
CREATE TABLE accounts (
  path            TEXT PRIMARY KEY,
  -- debits_must_not_exceed_credits: debits_posted + debits_pending ≤ credits_posted + limit_amount
  -- credits_must_not_exceed_debits: credits_posted + credits_pending ≤ debits_posted + limit_amount
  rule            TEXT NOT NULL
                  CHECK (rule IN ('debits_must_not_exceed_credits', 'credits_must_not_exceed_debits', 'none')),
  -- how far the bounded side may pass the other, e.g. a peer's creditLimit on assets/interledger/<peer>
  limit_amount    INTEGER NOT NULL DEFAULT 0 CHECK (typeof(limit_amount) = 'integer' AND limit_amount >= 0),
  debits_posted   INTEGER NOT NULL DEFAULT 0 CHECK (typeof(debits_posted) = 'integer' AND debits_posted >= 0),
  credits_posted  INTEGER NOT NULL DEFAULT 0 CHECK (typeof(credits_posted) = 'integer' AND credits_posted >= 0),
  debits_pending  INTEGER NOT NULL DEFAULT 0 CHECK (typeof(debits_pending) = 'integer' AND debits_pending >= 0),
  credits_pending INTEGER NOT NULL DEFAULT 0 CHECK (typeof(credits_pending) = 'integer' AND credits_pending >= 0)
) WITHOUT ROWID;

-- Transfers created pending and not yet posted or voided. The id is the journal id of the transfer's `create`
-- entry. Pending transfers do not outlive the process: the peer voids them all when it starts.
CREATE TABLE pending_transfers (
  id         INTEGER PRIMARY KEY,
  debit      TEXT NOT NULL,
  credit     TEXT NOT NULL,
  amount     INTEGER NOT NULL CHECK (typeof(amount) = 'integer' AND amount > 0),
  created_at INTEGER NOT NULL -- unix ms
);

-- Every change to a balance, in order; replaying it gives every account's four totals.
--   create    a pending transfer is created: debits_pending/credits_pending += amount (transfer_id = id)
--   post      it is posted: pending -= amount, posted += amount
--   void      it is voided: pending -= amount
--   transfer  a transfer created and posted at once: posted += amount (transfer_id = id)
CREATE TABLE journal (
  id          INTEGER PRIMARY KEY,
  time        INTEGER NOT NULL, -- unix ms
  transfer_id INTEGER NOT NULL,
  op          TEXT NOT NULL CHECK (op IN ('create', 'post', 'void', 'transfer')),
  debit       TEXT NOT NULL,
  credit      TEXT NOT NULL,
  amount      INTEGER NOT NULL CHECK (typeof(amount) = 'integer' AND amount > 0)
);

CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
BEGIN
  SELECT RAISE(ABORT, 'journal is append-only');
END;

CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
BEGIN
  SELECT RAISE(ABORT, 'journal is append-only');
END;
