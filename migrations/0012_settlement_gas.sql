-- Gas spent on our own channel transactions (open, topUp, settle, close: src/settlement debtor.ts and creditor.ts),
-- summed per channel, so `settlement status` can say what settling cost. Decimal TEXT like the token amounts.
--   gas_used  the sum of the receipts' gasUsed
--   fees      the sum of gasUsed × effective gas price, in the native coin's smallest unit (wei)
ALTER TABLE settlement_channels ADD COLUMN gas_used TEXT NOT NULL DEFAULT '0';
ALTER TABLE settlement_channels ADD COLUMN fees TEXT NOT NULL DEFAULT '0';
