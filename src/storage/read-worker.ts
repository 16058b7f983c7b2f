// A read worker's thread (see read-pool.ts): its own read-only connection (WAL lets it read beside the writer),
// one job at a time. Bundled by build.mjs as dist/read-worker.js beside the peer.
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { ItemSetBuilder } from '../nostr/negentropy';
import type { NegentropyAnswer, ReadJob, ReadReply } from './read-jobs';
import { EventReader } from './read-queries';

const { file, nativeBinding } = workerData as { file: string; nativeBinding?: string };
const db = new Database(file, { readonly: true, fileMustExist: true, ...(nativeBinding ? { nativeBinding } : {}) });
// as the writer's connection (database.ts): the file's pages read in place, sorts in memory
db.pragma('mmap_size = 2147418112');
db.pragma('cache_size = -16384');
db.pragma('temp_store = MEMORY');
db.pragma('busy_timeout = 5000');
const reader = new EventReader(db);

/** An array's memory can be moved to the other thread only when it is the whole of its buffer (not Buffer's pool). */
const movable = (a: ArrayBufferView): ArrayBuffer[] =>
  a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? [a.buffer as ArrayBuffer] : [];

function run(job: ReadJob): [unknown, ArrayBuffer[]] {
  switch (job.kind) {
    case 'keys': {
      const { seqs, cut, raws } = reader.keys(job.filters, job.defaultLimit, job.now, job.visibility, job.maxRows, job.maxBytes);
      const array = Float64Array.from(seqs);
      const first = raws ? { raws, taken: raws.length } : reader.raws(seqs, job.maxBytes);
      return [{ seqs: array, cut, first }, [array.buffer]];
    }
    case 'raws':
      return [reader.raws(job.seqs, job.maxBytes), []];
    case 'count':
      return [reader.count(job.filters, job.cap, job.now, job.visibility), []];
    case 'negentropy': {
      const items = new ItemSetBuilder();
      reader.scanTimes(job.filter, job.limit, (createdAt, id) => items.add(createdAt, id), job.now, job.visibility);
      const set = items.build();
      const answer: NegentropyAnswer = { timestamps: set.timestamps, ids: set.ids, sums: set.sums };
      return [answer, [...movable(set.timestamps), ...movable(set.ids), ...movable(set.sums)]];
    }
    case 'storeCounts':
      return [reader.storeCounts(), []];
  }
}

parentPort!.postMessage('ready');
parentPort!.on('message', (job: ReadJob | 'close') => {
  if (job === 'close') {
    db.close();
    parentPort!.close();
    return;
  }
  let reply: ReadReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const [value, moved] = run(job);
    reply = { ok: true, value };
    transfer = moved;
  } catch (err) {
    reply = { ok: false, error: String((err as Error)?.message ?? err) };
  }
  parentPort!.postMessage(reply, transfer);
});
