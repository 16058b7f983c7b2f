-- Settlement (src/settlement): what peers owe becomes money, either on chain through payment channels (vouchers
-- sent over BTP) or outside the network (a bank transfer the operator records). The ledger moves the money
-- (assets/settlement against assets/interledger/<peer>); these tables keep what the ledger cannot: references,
-- channels and the vouchers that back them. Token amounts are uint128 on chain, so they are decimal TEXT here.

-- Every settlement the ledger recorded, with its reference (the journal has none).
--   direction  received: the peer paid us (Dr assets/settlement Cr assets/interledger/<peer>)
--              paid: we paid the peer (Dr assets/interledger/<peer> Cr assets/settlement)
--   method     out-of-band, or the chain whose voucher it was
--   reference  the operator's text (a bank reference) or the channel id and cumulative amount of the voucher
CREATE TABLE settlement_records (
  id          INTEGER PRIMARY KEY,
  time        INTEGER NOT NULL, -- unix ms
  peer        TEXT NOT NULL,
  direction   TEXT NOT NULL CHECK (direction IN ('received', 'paid')),
  amount      INTEGER NOT NULL CHECK (typeof(amount) = 'integer' AND amount > 0),
  method      TEXT NOT NULL,
  reference   TEXT NOT NULL,
  transfer_id INTEGER NOT NULL -- the journal id of the ledger transfer
);
CREATE INDEX settlement_records_peer ON settlement_records (peer, id);

-- Payment channels with peers, one per direction, peer and chain at a time (older ones stay, finalized).
--   outgoing: we pay (we are the payer and sign vouchers); incoming: the peer pays us (we redeem).
--   deposit, settled, close_requested_at, finalized: the on-chain state as last read (refreshed_at)
--   best_cumulative, best_signature: outgoing, the highest voucher we signed (stored before it is sent);
--     incoming, the highest voucher we accepted and credited
--   acked_cumulative: outgoing, the highest voucher the peer confirmed (below best: resend)
CREATE TABLE settlement_channels (
  channel_id         TEXT PRIMARY KEY, -- 0x and 64 lowercase hex
  chain              TEXT NOT NULL,
  peer               TEXT NOT NULL,
  direction          TEXT NOT NULL CHECK (direction IN ('outgoing', 'incoming')),
  payer              TEXT NOT NULL,
  payee              TEXT NOT NULL,
  token              TEXT NOT NULL,
  salt               TEXT NOT NULL,
  authorized_signer  TEXT NOT NULL,
  deposit            TEXT NOT NULL DEFAULT '0',
  settled            TEXT NOT NULL DEFAULT '0',
  close_requested_at INTEGER NOT NULL DEFAULT 0, -- unix s (block time); 0: none
  finalized          INTEGER NOT NULL DEFAULT 0,
  best_cumulative    TEXT NOT NULL DEFAULT '0',
  best_signature     TEXT,
  acked_cumulative   TEXT NOT NULL DEFAULT '0',
  last_tx            TEXT,
  last_tx_at         INTEGER, -- unix ms
  refreshed_at       INTEGER NOT NULL DEFAULT 0, -- unix ms
  created_at         INTEGER NOT NULL -- unix ms
);
CREATE INDEX settlement_channels_peer ON settlement_channels (peer, chain, direction);

-- Token sub-units received from a peer that are worth less than one ledger unit (a token with more decimals than
-- ASSET_SCALE): kept here and credited once they add up to a unit, never rounded away.
CREATE TABLE settlement_leftovers (
  peer   TEXT NOT NULL,
  chain  TEXT NOT NULL,
  amount TEXT NOT NULL,
  PRIMARY KEY (peer, chain)
) WITHOUT ROWID;
