import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPeer, type StartedPeer } from '../../src/library';

const TOKEN = 'scrape-secret-0123456789';
let peer: StartedPeer;

beforeAll(async () => {
  peer = await startPeer({
    METRICS_TOKEN: TOKEN,
    ILP_PEERS: JSON.stringify([{ id: 'alice', token: 'alice-token-0123456789', creditLimit: '5000' }]),
  });
});
afterAll(() => peer.stop());

const scrape = (authorization?: string) =>
  fetch(`${peer.httpUrl}/metrics`, { headers: authorization === undefined ? {} : { authorization } });

describe('METRICS_TOKEN', () => {
  it('without the bearer token /metrics answers 401 JSON and names no peer', async () => {
    for (const header of [undefined, '', `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${TOKEN}`, TOKEN, 'Bearer ']) {
      const res = await scrape(header);
      expect(res.status, String(header)).toBe(401);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      const body = await res.text();
      expect(JSON.parse(body).error).toMatch(/^unauthorized: /);
      expect(body).not.toContain('alice');
    }
  });

  it('with it, the usual Prometheus text', async () => {
    const res = await scrape(`Bearer ${TOKEN}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await res.text()).toContain('peer="alice"');
  });
});
