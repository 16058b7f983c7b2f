-- NIP-62: pubkeys that asked this relay to vanish, kept for good so that what they deleted cannot come back.
--   pubkey: who asked
--   created_at: of the newest request: the pubkey's events, and kind 1059 gift wraps p-tagging it, up to this
--     time are deleted and refused
--   request: id of that request, which stays stored (the rule's record, served like any event)
--   purging: 1 while older events remain to delete (a large history is deleted in batches, see storage/vanish.ts)
CREATE TABLE vanished (
  pubkey     TEXT    PRIMARY KEY,
  created_at INTEGER NOT NULL,
  request    TEXT    NOT NULL,
  purging    INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX vanished_purging ON vanished (pubkey) WHERE purging = 1;

-- A vanishing pubkey's NIP-09 records are deleted too: found by pubkey, not by target.
CREATE INDEX deletions_by_pubkey ON deletions (pubkey, created_at);
