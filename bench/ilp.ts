// STREAM packets fulfilled per second and ledger postings per second, on the real modules (bundled by ilp.mjs).
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeStreamPacket, encrypt, fulfillmentFromData, IlpPacketType, StreamFrameType, streamEncryptionKey } from '../src/ilp';
import { balanceAccount, peerAccount } from '../src/ledger/account-paths';
import { Ledger } from '../src/ledger/ledger';
import { loadServerSecret } from '../src/payments/server-secret';
import { StreamCredentials } from '../src/payments/stream-credentials';
import { StreamReceiver } from '../src/payments/stream-receiver';
import { Committer } from '../src/storage/committer';
import { openDatabase } from '../src/storage/database';

const seconds = Number(process.env.BENCH_SECONDS ?? 2);
const dir = mkdtempSync(path.join(tmpdir(), 'bench-ilp-'));
const db = openDatabase(path.join(dir, 'peer.sqlite'));
const ledger = new Ledger(db);
ledger.openAccount(peerAccount('alice'), 10n ** 15n);
const committer = new Committer(db, path.join(dir, 'peer.sqlite-wal'), (err) => {
  throw err;
});

/** As the peer runs: `perTurn` operations in one event-loop turn share one group commit, awaited. */
async function rateCommitted(perTurn: number, op: () => void): Promise<{ ops: number; perSecond: number }> {
  let ops = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    for (let i = 0; i < perTurn; i++) op();
    if (!(await committer.settled())) throw new Error('commit failed');
    ops += perTurn;
  }
  return { ops, perSecond: Math.round(ops / ((performance.now() - start) / 1000)) };
}

const payer = balanceAccount('a'.repeat(64));
const one = { debitAccount: peerAccount('alice'), creditAccount: payer, amount: 1n } as const;
const postingsAlone = await rateCommitted(1, () => ledger.transfer(one));
const postingsGrouped = await rateCommitted(100, () => committer.run(() => ledger.transfer(one)));
const twoPhase = await rateCommitted(100, () => {
  const r = committer.run(() => ledger.createPending(one)).value;
  if (r.ok) committer.run(() => ledger.post(r.id));
});

const credentials = new StreamCredentials(loadServerSecret(db), 'test.peer');
const receiver = new StreamReceiver({
  credentials,
  assetCode: 'USD',
  assetScale: 9,
  relay: { open: () => undefined, handle: () => undefined, drop: () => undefined },
  sendPrepare: async () => ({ code: 'F02', triggeredBy: '', message: '', data: new Uint8Array(0) }),
});
const { destinationAccount, sharedSecret } = credentials.issue('b'.repeat(64));
const key = streamEncryptionKey(sharedSecret);
let sequence = 0n;
let fulfilled = 0;
/** Every packet's answer: the last turn's are still on their way when its commit settles. */
const answered: Promise<void>[] = [];
// as the connector's: the answer waits for the credit to be durable
const credit = async (account: Parameters<Ledger['transfer']>[0]['creditAccount'], amount: bigint) => {
  const r = committer.run(() => ledger.transfer({ debitAccount: peerAccount('alice'), creditAccount: account, amount }));
  return r.value.ok && (await r.durable)
    ? { ok: true as const }
    : { ok: false as const, reject: { code: 'T04', triggeredBy: '', message: '', data: new Uint8Array(0) } };
};
const packet = () => {
  sequence++;
  const frames = sequence === 1n ? [{ type: StreamFrameType.ConnectionNewAddress, sourceAccount: 'test.peer.alice' } as const] : [];
  const data = encrypt(key, encodeStreamPacket({
    ilpPacketType: IlpPacketType.Prepare,
    sequence,
    prepareAmount: 0n,
    frames: [...frames, { type: StreamFrameType.StreamMoney, streamId: 1n, shares: 1n }],
  }));
  const condition = createHash('sha256').update(fulfillmentFromData(sharedSecret, data)).digest();
  const prepare = { amount: 10n, expiresAt: new Date(Date.now() + 30_000), executionCondition: condition, destination: destinationAccount, data };
  answered.push(
    Promise.resolve(receiver.handle(prepare, credit, 'alice')).then((reply) => {
      if ('fulfillment' in reply) fulfilled++;
    }),
  );
};
const packetsAlone = await rateCommitted(1, packet);
const packetsGrouped = await rateCommitted(100, packet);

await Promise.all(answered);
const balanced = ledger.invariant().balanced;
receiver.close();
db.close();
rmSync(dir, { recursive: true, force: true });
if (fulfilled !== packetsAlone.ops + packetsGrouped.ops || !balanced) throw new Error(`fulfilled ${fulfilled} of ${packetsAlone.ops + packetsGrouped.ops}; ledger balanced: ${balanced}`);

const rows = [
  { scenario: 'ledger posting, alone in its commit (one fsync each)', perSecond: postingsAlone.perSecond },
  { scenario: 'ledger posting, 100 per group commit', perSecond: postingsGrouped.perSecond },
  { scenario: 'ledger pending → posted, 100 per group commit', perSecond: twoPhase.perSecond },
  { scenario: 'STREAM packet fulfilled + credited, alone in its commit', perSecond: packetsAlone.perSecond },
  { scenario: 'STREAM packet fulfilled + credited, 100 per group commit', perSecond: packetsGrouped.perSecond },
];
console.table(rows);
console.log(JSON.stringify({ bench: 'ilp', seconds, rows }));
