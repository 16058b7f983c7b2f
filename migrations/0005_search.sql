-- NIP-50: full-text index of event text, ranked by bm25. Contentless (the text stays only in events.raw) with
-- deletes by rowid; rowid = events.seq. Columns: the content, and a title (the `title` tag, and the `d` tag of
-- long-form kinds 30023/30024), weighted 4× in the ranking. Ciphertext kinds (4, 13, 1059) are not indexed.
CREATE VIRTUAL TABLE events_fts USING fts5(
  content,
  title,
  content = '',
  contentless_delete = 1,
  tokenize = 'porter unicode61 remove_diacritics 2'
);

INSERT INTO events_fts (events_fts, rank) VALUES ('rank', 'bm25(1.0, 4.0)');

-- Index the events stored before this migration, as src/nostr/search.ts (searchableText) does for new ones.
INSERT INTO events_fts (rowid, content, title)
SELECT seq, content, title FROM (
  SELECT e.seq,
         json_extract(e.raw, '$.content') AS content,
         coalesce((SELECT group_concat(json_extract(t.value, '$[1]'), ' ') FROM json_each(e.raw, '$.tags') t
                   WHERE json_extract(t.value, '$[0]') = 'title'
                      OR (json_extract(t.value, '$[0]') = 'd' AND e.kind IN (30023, 30024))), '') AS title
  FROM events e
  WHERE e.kind NOT IN (4, 13, 1059)
)
WHERE content <> '' OR title <> '';
