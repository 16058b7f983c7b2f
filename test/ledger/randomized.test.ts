import { afterEach, describe, expect, it } from 'vitest';
import { accountKind, balanceAccount, peerAccount, trustAccount } from '../../src/ledger/account-paths';
import type { AccountPath, LimitRule } from '../../src/ledger/account-paths';
import { Ledger, type TransferResult } from '../../src/ledger/ledger';
import { MAX_AMOUNT } from '../../src/ledger/max-amount';
import { replayJournal } from '../../src/ledger/replay-journal';
import { tempDatabase } from './helpers';

/** A naive in-memory ledger: the reference the SQLite one must agree with to the unit. */
interface ModelAccount {
  rule: LimitRule;
  limit: bigint;
  debitsPosted: bigint;
  creditsPosted: bigint;
  debitsPending: bigint;
  creditsPending: bigint;
}
interface Model {
  accounts: Map<string, ModelAccount>;
  pending: Map<number, { debit: string; credit: string; amount: bigint }>;
  journal: number;
}

const clone = (m: Model): Model => ({
  accounts: new Map([...m.accounts].map(([k, v]) => [k, { ...v }])),
  pending: new Map(m.pending),
  journal: m.journal,
});

function modelAccount(m: Model, path: string): ModelAccount | undefined {
  const existing = m.accounts.get(path);
  if (existing) return existing;
  const kind = accountKind(path);
  if (!kind?.onDemand) return undefined;
  return { rule: kind.rule, limit: 0n, debitsPosted: 0n, creditsPosted: 0n, debitsPending: 0n, creditsPending: 0n };
}

function modelTransfer(m: Model, debit: string, credit: string, amount: bigint, pending: boolean): TransferResult {
  const d = modelAccount(m, debit);
  if (!d) return { ok: false, reason: 'unknown_account', account: debit as AccountPath };
  const c = modelAccount(m, credit);
  if (!c) return { ok: false, reason: 'unknown_account', account: credit as AccountPath };
  if (d.debitsPosted + d.debitsPending + amount > MAX_AMOUNT) {
    return { ok: false, reason: 'overflow', account: debit as AccountPath };
  }
  if (c.creditsPosted + c.creditsPending + amount > MAX_AMOUNT) {
    return { ok: false, reason: 'overflow', account: credit as AccountPath };
  }
  const dRoom = d.creditsPosted + d.limit - d.debitsPosted - d.debitsPending;
  if (d.rule === 'debits_must_not_exceed_credits' && amount > dRoom) {
    return { ok: false, reason: 'insufficient_balance', account: debit as AccountPath, available: dRoom };
  }
  const cRoom = c.debitsPosted + c.limit - c.creditsPosted - c.creditsPending;
  if (c.rule === 'credits_must_not_exceed_debits' && amount > cRoom) {
    return { ok: false, reason: 'exceeds_limit', account: credit as AccountPath, available: cRoom };
  }
  m.accounts.set(debit, d);
  m.accounts.set(credit, c);
  const id = ++m.journal;
  if (pending) {
    d.debitsPending += amount;
    c.creditsPending += amount;
    m.pending.set(id, { debit, credit, amount });
  } else {
    d.debitsPosted += amount;
    c.creditsPosted += amount;
  }
  return { ok: true, id };
}

function modelResolve(m: Model, id: number, post: boolean) {
  const p = m.pending.get(id);
  if (!p) return { ok: false, reason: 'not_pending' };
  m.pending.delete(id);
  m.journal++;
  const d = m.accounts.get(p.debit)!;
  const c = m.accounts.get(p.credit)!;
  d.debitsPending -= p.amount;
  c.creditsPending -= p.amount;
  if (post) {
    d.debitsPosted += p.amount;
    c.creditsPosted += p.amount;
  }
  return { ok: true };
}

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

let t: ReturnType<typeof tempDatabase> | undefined;
afterEach(() => t?.cleanup());

describe('randomized operations against an in-memory model', () => {
  it.each([1, 2, 3])('seed %i: 2,000 operations keep balances, ids and the invariant exact', (seed) => {
    const tmp = (t = tempDatabase());
    let ledger = new Ledger(tmp.db);
    const rand = mulberry32(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
    const paths: AccountPath[] = [
      'equity/owner',
      'assets/settlement',
      'revenue/relay-fees',
      ...['1', '2', '3', '4'].map((c) => balanceAccount(c.repeat(64))),
      peerAccount('p1'),
      peerAccount('p2'),
      trustAccount('p1'),
      peerAccount('never-opened'),
    ];
    const amount = (): bigint => {
      const r = rand();
      if (r < 0.01) return MAX_AMOUNT / BigInt(2 + Math.floor(rand() * 3)); // reaches the 64-bit bound now and then
      if (r < 0.2) return BigInt(1 + Math.floor(rand() * 5));
      return BigInt(1 + Math.floor(rand() * 1_000));
    };

    let model: Model = { accounts: new Map(), pending: new Map(), journal: 0 };
    const ids: number[] = [];
    for (const [path, limit] of [
      [peerAccount('p1'), 5_000n],
      [peerAccount('p2'), 0n],
      [trustAccount('p1'), 0n],
    ] as const) {
      ledger.openAccount(path, limit);
      const rule = accountKind(path)!.rule;
      const zero = { debitsPosted: 0n, creditsPosted: 0n, debitsPending: 0n, creditsPending: 0n };
      model.accounts.set(path, { rule, limit, ...zero });
    }

    const counts = { ok: 0, refused: 0 };
    const step = (m: Model) => {
      const r = rand();
      if (r < 0.7) {
        const debit = pick(paths);
        let credit = pick(paths);
        while (credit === debit) credit = pick(paths);
        const a = amount();
        const pending = r < 0.35;
        const expected = modelTransfer(m, debit, credit, a, pending);
        const actual = pending
          ? ledger.createPending({ debitAccount: debit, creditAccount: credit, amount: a })
          : ledger.transfer({ debitAccount: debit, creditAccount: credit, amount: a });
        expect(actual).toEqual(expected);
        if (actual.ok) ids.push(actual.id);
        counts[actual.ok ? 'ok' : 'refused']++;
      } else if (r < 0.95 && ids.length > 0) {
        const id = rand() < 0.9 ? pick(ids) : ids.length + 1_000;
        const post = rand() < 0.5;
        expect(post ? ledger.post(id) : ledger.void(id)).toEqual(modelResolve(m, id, post));
      } else if (r < 0.98) {
        const limit = BigInt(Math.floor(rand() * 10_000));
        ledger.openAccount(peerAccount('p1'), limit);
        m.accounts.get(peerAccount('p1'))!.limit = limit;
      } else {
        const open = [...m.pending.keys()];
        expect(ledger.voidAllPending()).toBe(open.length);
        for (const id of open) modelResolve(m, id, false);
      }
    };

    for (let i = 0; i < 2_000; i++) {
      if (rand() < 0.05) {
        // A caller transaction that does a few ledger operations, then throws: nothing of it may remain.
        const scratch = clone(model);
        const idsBefore = ids.length;
        expect(() =>
          tmp.db.transaction(() => {
            for (let k = 0; k < 3; k++) step(scratch);
            throw new Error('caller failed');
          })(),
        ).toThrow('caller failed');
        ids.length = idsBefore;
      } else {
        step(model);
      }
      if (i === 1_000) {
        // Restart halfway: a new Ledger over the reopened file sees the same state.
        ledger = new Ledger(tmp.reopen());
      }
      if (i % 250 === 0) {
        expect(ledger.invariant()).toEqual({ posted: 0n, pending: 0n, balanced: true });
        // the O(1) totals row the triggers keep, rolled-back caller transactions included, agrees with the scan
        expect(ledger.totals()).toEqual(ledger.invariant());
      }
    }

    const dbNow = tmp.db;
    expect(counts.ok).toBeGreaterThan(300);
    expect(counts.refused).toBeGreaterThan(100);
    expect(ledger.invariant()).toEqual({ posted: 0n, pending: 0n, balanced: true });
    const actual = Object.fromEntries(ledger.listAccounts().map(({ path, ...rest }) => [path, rest]));
    expect(actual).toEqual(Object.fromEntries(model.accounts));
    expect(dbNow.prepare('SELECT count(*) FROM journal').pluck().get()).toBe(model.journal);
    expect(dbNow.prepare('SELECT id FROM pending_transfers ORDER BY id').pluck().all()).toEqual(
      [...model.pending.keys()].sort((a, b) => a - b),
    );
    const replayed = Object.fromEntries(replayJournal(dbNow));
    const totals = Object.fromEntries(
      Object.entries(actual).map(([p, { debitsPosted, creditsPosted, debitsPending, creditsPending }]) => [
        p,
        { debitsPosted, creditsPosted, debitsPending, creditsPending },
      ]),
    );
    // Accounts opened but never moved have no journal entries.
    for (const p of Object.keys(totals)) {
      replayed[p] ??= { debitsPosted: 0n, creditsPosted: 0n, debitsPending: 0n, creditsPending: 0n };
    }
    expect(replayed).toEqual(totals);

    // After a restart every pending transfer is voided and the books still balance.
    ledger = new Ledger(tmp.reopen());
    expect(ledger.voidAllPending()).toBe(model.pending.size);
    expect(ledger.invariant()).toEqual({ posted: 0n, pending: 0n, balanced: true });
    for (const a of ledger.listAccounts()) expect([a.debitsPending, a.creditsPending]).toEqual([0n, 0n]);
  });
});
