-- NIP-09: what authors deleted, kept for good so that a deleted event cannot be published again.
--   target: an event id (64 hex), or an address "<kind>:<pubkey>:<d>" of a replaceable or addressable event
--   pubkey: who asked; a deletion only ever applies to that pubkey's own events
--   created_at: of the newest deletion request; an address's versions up to this time stay deleted
CREATE TABLE deletions (
  target     TEXT    NOT NULL,
  pubkey     TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (target, pubkey)
) WITHOUT ROWID;
