import type { Config } from '../config/load';
import { peerAccount } from '../ledger/account-paths';
import { Ledger } from '../ledger/ledger';
import { openDatabase } from '../storage/database';
import { parseAmount, SettlementRecorder, type SettlementDirection } from './record-settlement';

export const RECORD_USAGE = `settlement record --peer <id> (--received <amount> | --paid <amount>) --reference <text>
                record a settlement made outside the network (a bank transfer): --received when
                the peer paid us, --paid when we paid it; amount in the smallest unit`;

export class RecordUsageError extends Error {}

interface RecordArgs {
  peer: string;
  direction: SettlementDirection;
  amount: bigint;
  reference: string;
}

/** `--peer X --received N --reference "…"` (or `--paid N`); throws RecordUsageError naming what is wrong. */
export function parseRecordArgs(argv: readonly string[]): RecordArgs {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    if (!['--peer', '--received', '--paid', '--reference'].includes(flag)) throw new RecordUsageError(`unknown option "${flag}"`);
    if (values.has(flag)) throw new RecordUsageError(`${flag} given twice`);
    if (argv[i + 1] === undefined) throw new RecordUsageError(`${flag} needs a value`);
    values.set(flag, argv[i + 1]);
  }
  const peer = values.get('--peer');
  if (!peer) throw new RecordUsageError('--peer is required');
  const received = values.get('--received');
  const paid = values.get('--paid');
  if ((received === undefined) === (paid === undefined)) throw new RecordUsageError('give exactly one of --received and --paid');
  const text = (received ?? paid)!;
  const amount = parseAmount(text);
  if (amount === undefined || amount === 0n) throw new RecordUsageError(`amount "${text}" must be a positive integer in the smallest unit`);
  const reference = values.get('--reference');
  if (reference === undefined) throw new RecordUsageError('--reference is required (e.g. the bank transfer id)');
  return { peer, direction: received !== undefined ? 'received' : 'paid', amount, reference };
}

/**
 * Records an out-of-band settlement in the database of DATA_DIR. Safe while the peer serves from it: the ledger
 * keeps nothing in memory, and the write is one SQLite transaction that waits for the serving peer's commit.
 */
export function recordCommand(config: Config, databaseFile: string, argv: readonly string[], print: (line: string) => void): void {
  const args = parseRecordArgs(argv);
  const configured = config.ilpPeers.find((p) => p.id === args.peer);
  if (!configured) throw new RecordUsageError(`unknown peer "${args.peer}" (not in ILP_PEERS)`);
  const db = openDatabase(databaseFile);
  // "recorded" is printed once the record is on disk: a short-lived writer cannot rely on the WAL's later fsync
  db.pragma('synchronous = FULL');
  try {
    const ledger = new Ledger(db);
    ledger.openAccount(peerAccount(configured.id), configured.creditLimit);
    const r = new SettlementRecorder(db, ledger).record({ ...args, method: 'out-of-band' });
    if (!r.ok) throw new RecordUsageError(r.reason);
    const b = ledger.balance(peerAccount(args.peer))!;
    print(
      JSON.stringify({
        recorded: r.id,
        peer: args.peer,
        direction: args.direction,
        amount: String(args.amount),
        // what the peer owes us now (negative: we owe it), as the dashboard shows it
        owes: String(b.debitsPosted - b.creditsPosted),
      }),
    );
  } finally {
    db.close();
  }
}
