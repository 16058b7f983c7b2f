// Grant requests and incoming-payment creation come at OPEN_PAYMENTS_RATE_PER_IP per address: a client identity
// costs nothing to make, so the per-client caps alone bound nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartedPeer } from '../../src/library';
import { startReceiver } from './harness';

let peer: StartedPeer;

beforeAll(async () => {
  peer = await startReceiver({ OPEN_PAYMENTS_RATE_PER_IP: '3/60' });
});

afterAll(async () => {
  await peer?.stop();
});

const post = (path: string, forwardedFor?: string) =>
  fetch(`${peer.httpUrl}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(forwardedFor ? { 'X-Forwarded-For': forwardedFor } : {}) },
    body: '{}',
  });

describe('the Open Payments rate per address', () => {
  it('answers 429 with Retry-After past the rate, for grants and incoming payments alike, whatever the signature', async () => {
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push((await post(i % 2 ? '/op/incoming-payments' : '/op/auth')).status);
    expect(answers.every((s) => s !== 429)).toBe(true);
    for (const path of ['/op/auth', '/op/incoming-payments']) {
      const res = await post(path);
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await res.json()).toMatchObject({ error: { code: 'rate_limited' } });
    }
  });

  it('does not trust X-Forwarded-For from an address that is not a trusted proxy', async () => {
    expect((await post('/op/auth', '198.51.100.7')).status).toBe(429);
  });
});
