-- Top-ups through the operator's own Open Payments wallet (src/open-payments/operator-wallet): each row is an
-- incoming payment the relay created on that wallet for a pubkey, watched until it completes or expires, then
-- credited once.
--   incoming_payment: its URL at the operator's wallet
--   amount: what it asks for, in the wallet's units
--   expires_at, created_at, next_read_at: ms since the epoch; reads counts the reads so far (the wait doubles)
--   received: wallet units it had received when credited; credited: our units credited (NULL while open)
CREATE TABLE top_ups (
  incoming_payment TEXT    PRIMARY KEY,
  pubkey           TEXT    NOT NULL,
  amount           INTEGER NOT NULL CHECK (amount > 0),
  created_at       INTEGER NOT NULL,
  expires_at       INTEGER NOT NULL,
  next_read_at     INTEGER NOT NULL,
  reads            INTEGER NOT NULL DEFAULT 0,
  received         INTEGER CHECK (received >= 0),
  credited         INTEGER CHECK (credited >= 0),
  credited_at      INTEGER
) WITHOUT ROWID;

CREATE INDEX top_ups_due ON top_ups (next_read_at) WHERE credited IS NULL;
CREATE INDEX top_ups_open ON top_ups (pubkey) WHERE credited IS NULL;
CREATE INDEX top_ups_done ON top_ups (credited_at) WHERE credited IS NOT NULL;

-- Wallet units received for a pubkey that make less than one unit of ours (the wallet's scale is finer): kept
-- here and added to its next top-up, so nothing received is lost to rounding.
CREATE TABLE top_up_leftovers (
  pubkey TEXT    PRIMARY KEY,
  units  INTEGER NOT NULL CHECK (units > 0)
) WITHOUT ROWID;
