-- Ledger totals (src/ledger): Σ(credits − debits) over all accounts, posted and pending, in one row, so that /health
-- checks the ledger's zero sum in O(1) instead of scanning every account. The triggers below keep it in step with
-- every change to `accounts`, in the same transaction, whoever makes it: a sound ledger keeps both at 0, and a row
-- changed behind the ledger's back (a bad restore, a hand edit) shows as a non-zero total. Both are exact integers:
-- each trigger adds one account's change, which fits in 64 bits, and the CHECK refuses a float (an overflow).
CREATE TABLE ledger_totals (
  id      INTEGER PRIMARY KEY CHECK (id = 1),
  posted  INTEGER NOT NULL CHECK (typeof(posted) = 'integer'),
  pending INTEGER NOT NULL CHECK (typeof(pending) = 'integer')
);

INSERT INTO ledger_totals (id, posted, pending)
SELECT 1, coalesce(sum(credits_posted - debits_posted), 0), coalesce(sum(credits_pending - debits_pending), 0)
FROM accounts;

CREATE TRIGGER ledger_totals_insert AFTER INSERT ON accounts
BEGIN
  UPDATE ledger_totals SET posted = posted + (NEW.credits_posted - NEW.debits_posted),
                           pending = pending + (NEW.credits_pending - NEW.debits_pending);
END;

CREATE TRIGGER ledger_totals_update AFTER UPDATE ON accounts
BEGIN
  UPDATE ledger_totals SET posted = posted + ((NEW.credits_posted - OLD.credits_posted) - (NEW.debits_posted - OLD.debits_posted)),
                           pending = pending + ((NEW.credits_pending - OLD.credits_pending) - (NEW.debits_pending - OLD.debits_pending));
END;

CREATE TRIGGER ledger_totals_delete AFTER DELETE ON accounts
BEGIN
  UPDATE ledger_totals SET posted = posted - (OLD.credits_posted - OLD.debits_posted),
                           pending = pending - (OLD.credits_pending - OLD.debits_pending);
END;
