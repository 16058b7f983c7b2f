/**
 * Largest value any ledger column may hold: SQLite INTEGER is a signed 64-bit integer (2^63 − 1), and SQLite
 * silently turns an overflowing sum into a float. The ledger refuses (`overflow`) any transfer that would push
 * debits (posted + pending) or credits (posted + pending) of an account past it — 9.2 × 10^9 units at scale 9.
 */
export const MAX_AMOUNT = 9_223_372_036_854_775_807n;
