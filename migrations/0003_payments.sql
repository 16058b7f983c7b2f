-- Payments (src/payments): the server secret from which SPSP/STREAM credentials are derived statelessly.
-- One row per named secret, generated once (crypto.randomBytes(32)) on first use and kept for the life of the
-- database so that tokens handed out by SPSP stay valid across restarts. Only src/payments reads or writes it.
CREATE TABLE server_secrets (
  name  TEXT PRIMARY KEY,
  value BLOB NOT NULL CHECK (typeof(value) = 'blob' AND length(value) = 32)
) WITHOUT ROWID;
