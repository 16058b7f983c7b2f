import { balanceAccount } from '../ledger/account-paths';
import type { Ledger } from '../ledger/ledger';

/** What the relay's write path needs of the ledger: a payer's prepaid balance, and the charge itself. */
export interface Billing {
  balance(payer: string): bigint;
  /** Dr liabilities/balances/<payer>, Cr revenue/relay-fees; only called after balance() said it is covered. */
  charge(payer: string, price: bigint): void;
}

export function billing(ledger: Ledger): Billing {
  return {
    balance: (payer) => ledger.available(balanceAccount(payer)),
    charge: (payer, price) => {
      const r = ledger.transfer({ debitAccount: balanceAccount(payer), creditAccount: 'revenue/relay-fees', amount: price });
      // balance() was checked in the same transaction on the only connection that writes: this cannot fail
      if (!r.ok) throw new Error(`ledger refused a covered charge: ${r.reason}`);
    },
  };
}
