import { describe, expect, it } from 'vitest';
import { ReadPool, ReadRefused } from '../../src/storage/read-pool';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('ReadPool', () => {
  it('replaces a worker that fails while starting at a pace, not in a tight loop, and keeps its jobs queued', async () => {
    const errors: unknown[] = [];
    const pool = new ReadPool('/nonexistent/peer.sqlite', { workers: 2, timeoutMs: 1000, maxQueued: 1, maxPerClient: 10 }, (e) => errors.push(e));
    const ticket = pool.run({ kind: 'count', filters: [], cap: 1, now: 0 }, 'a');
    void ticket.answer.catch(() => {});
    await sleep(800);
    // one failure per worker so far: each is retried after a second
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.length).toBeLessThanOrEqual(2);
    expect(pool.waiting).toBe(1);
    await expect(pool.run({ kind: 'count', filters: [], cap: 1, now: 0 }, 'b').answer).rejects.toBeInstanceOf(ReadRefused);
    await pool.close();
    await expect(ticket.answer).rejects.toBeInstanceOf(ReadRefused);
  });
});
