-- Periodic snapshots of the relay's economy (src/payments/economics.ts), for the dashboard's history and metrics.
CREATE TABLE economic_snapshots (
  taken_at             INTEGER NOT NULL,
  events_stored        INTEGER NOT NULL,
  revenue              INTEGER NOT NULL,
  balances_outstanding INTEGER NOT NULL,
  payers               INTEGER NOT NULL,
  -- JSON object peer id → what that peer owes us (decimal string)
  peer_positions       TEXT    NOT NULL
);
CREATE INDEX economic_snapshots_by_time ON economic_snapshots (taken_at);
