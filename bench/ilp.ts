// STREAM packets fulfilled per second and ledger postings per second, on the real modules (bundled by ilp.mjs).
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isAccepted, type IlpReply } from '../src/connector/local-receiver';
import { encodeStreamPacket, encrypt, fulfillmentFromData, IlpPacketType, StreamFrameType, streamEncryptionKey, type IlpPrepare } from '../src/ilp';
import { balanceAccount, peerAccount } from '../src/ledger/account-paths';
import { Ledger } from '../src/ledger/ledger';
import { loadServerSecret } from '../src/payments/server-secret';
import { StreamCredentials } from '../src/payments/stream-credentials';
import { StreamReceiver } from '../src/payments/stream/receiver';
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
  app: { open: () => ({ line: () => undefined, oversized: () => undefined, closed: () => undefined }) },
  sendPrepare: async () => ({ code: 'F02', triggeredBy: '', message: '', data: new Uint8Array(0) }),
});
const { destinationAccount, sharedSecret } = credentials.issue('b'.repeat(64));
const key = streamEncryptionKey(sharedSecret);
let sequence = 0n;
let fulfilled = 0;
// as the connector's: the credit in this turn's commit, the data delivered once it is durable
const handle = async (prepare: IlpPrepare): Promise<IlpReply> => {
  const accepted = receiver.accept(prepare, 'alice');
  if (!isAccepted(accepted)) return accepted;
  const { account, amount } = accepted;
  const r = committer.run(() => ledger.transfer({ debitAccount: peerAccount('alice'), creditAccount: account, amount }));
  if (r.value.ok && (await r.durable)) return accepted.deliver();
  accepted.refused();
  return { code: 'T04', triggeredBy: '', message: '', data: new Uint8Array(0) };
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
  void handle(prepare).then((reply) => {
    if ('fulfillment' in reply) fulfilled++;
  });
};
const packetsAlone = await rateCommitted(1, packet);
const packetsGrouped = await rateCommitted(100, packet);
// the last turn's replies come a few microtasks after its commit is durable
await new Promise((resolve) => setImmediate(resolve));

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
