-- Open Payments (src/open-payments): the relay as an Open Payments receiver for every pubkey.
--
-- op_grants: GNAP grants of the auth server (non-interactive, incoming-payment access only). One access token per
-- grant at a time; rotation replaces it, revocation clears it. Tokens are stored as SHA-256 hashes only.
--   id: names the continuation URI (/op/auth/continue/<id>)
--   client: the client's wallet address URL, or 'jwk:<thumbprint>' for a client that sent its key in the request
--   client_key: the client's public JWK (JSON) that signed the grant request; later requests must be signed by it
--   access: JSON array of the granted access items
--   continue_hash: SHA-256 of the continuation token
--   token_hash: SHA-256 of the access token (NULL once revoked); manage_id names its management URI
--   token_expires_at, expires_at: ms since the epoch; the row is purged after expires_at
CREATE TABLE op_grants (
  id               TEXT    PRIMARY KEY,
  client           TEXT    NOT NULL,
  client_key       TEXT    NOT NULL,
  access           TEXT    NOT NULL,
  continue_hash    BLOB    NOT NULL,
  token_hash       BLOB    UNIQUE,
  manage_id        TEXT    NOT NULL UNIQUE,
  token_expires_at INTEGER NOT NULL,
  expires_at       INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX op_grants_expiry ON op_grants (expires_at);
-- Live grants per client are bounded (OPEN_PAYMENTS_MAX_LIVE_PER_CLIENT).
CREATE INDEX op_grants_client ON op_grants (client, expires_at);

-- op_incoming_payments: one row per incoming payment; its STREAM credential credits `pubkey`'s balance.
--   id: UUID, the last segment of its URL
--   client: who created it (the grant's client), for `read` (own) against `read-all`
--   incoming_amount: NULL when open-ended; received_amount moves in the same transaction as each credit
--   completed: set by POST …/complete (completion by amount is received_amount >= incoming_amount)
--   stream_token: the ILP address segment after ILP_ADDRESS (not secret: the shared secret is derived from it
--     with the server secret)
--   expires_at, created_at: ms since the epoch; the row is purged a while after expires_at
CREATE TABLE op_incoming_payments (
  id              TEXT    PRIMARY KEY,
  pubkey          TEXT    NOT NULL,
  client          TEXT    NOT NULL,
  incoming_amount INTEGER CHECK (incoming_amount IS NULL OR incoming_amount > 0),
  received_amount INTEGER NOT NULL DEFAULT 0 CHECK (received_amount >= 0),
  completed       INTEGER NOT NULL DEFAULT 0,
  metadata        TEXT,
  stream_token    TEXT    NOT NULL,
  created_at      INTEGER NOT NULL,
  expires_at      INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX op_incoming_payments_list ON op_incoming_payments (pubkey, created_at, id);
CREATE INDEX op_incoming_payments_expiry ON op_incoming_payments (expires_at);
-- Live incoming payments per client are bounded (OPEN_PAYMENTS_MAX_LIVE_PER_CLIENT).
CREATE INDEX op_incoming_payments_client ON op_incoming_payments (client, expires_at);
