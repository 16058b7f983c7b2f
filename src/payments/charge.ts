import { balanceAccount } from '../ledger/account-paths';
import type { Ledger } from '../ledger/ledger';

export type ChargeResult = { ok: true } | { ok: false; balance: bigint };

/** Moves an event's price from its payer's prepaid balance to the relay's revenue (Dr balance, Cr revenue). */
export type Charge = (payer: string, price: bigint) => ChargeResult;

export function charger(ledger: Ledger): Charge {
  return (payer, price) => {
    const r = ledger.transfer({ debitAccount: balanceAccount(payer), creditAccount: 'revenue/relay-fees', amount: price });
    if (r.ok) return r;
    if (r.reason === 'insufficient_balance') return { ok: false, balance: r.available };
    throw new Error(`ledger refused a charge: ${r.reason}`);
  };
}
