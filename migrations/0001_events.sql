-- Events are stored once as their canonical JSON (raw) and served as is; the other columns exist to be indexed.
CREATE TABLE events (
  seq        INTEGER PRIMARY KEY,
  id         TEXT    NOT NULL UNIQUE,
  pubkey     TEXT    NOT NULL,
  kind       INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  -- NIP-40 expiration, from the event's "expiration" tag.
  expires_at INTEGER,
  -- '' for replaceable kinds, the d tag for addressable kinds, NULL for the rest.
  d_tag      TEXT,
  raw        TEXT    NOT NULL
);

CREATE INDEX events_by_time ON events (created_at);
CREATE INDEX events_by_kind ON events (kind, created_at);
CREATE INDEX events_by_author ON events (pubkey, created_at);
CREATE INDEX events_by_author_kind ON events (pubkey, kind, created_at);
-- At most one stored version per replaceable (pubkey, kind) and addressable (pubkey, kind, d).
CREATE UNIQUE INDEX events_replaceable ON events (pubkey, kind, d_tag) WHERE d_tag IS NOT NULL;
CREATE INDEX events_expiring ON events (expires_at) WHERE expires_at IS NOT NULL;

-- Single-letter tags, with the event's kind and created_at copied in so that tag queries are served in index order.
CREATE TABLE tags (
  seq        INTEGER NOT NULL,
  name       TEXT    NOT NULL,
  value      TEXT    NOT NULL,
  kind       INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (seq, name, value)
) WITHOUT ROWID;

CREATE INDEX tags_by_value ON tags (name, value, created_at, kind);
