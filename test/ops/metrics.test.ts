import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { balanceAccount } from '../../src/ledger/account-paths';
import { Ledger } from '../../src/ledger/ledger';
import { reasonOf } from '../../src/ops/metrics';
import { paymentRequired, refusalOf } from '../../src/relay/refusal';
import { startPeer, type StartedPeer } from '../../src/library';
import { openDatabase, type Db } from '../../src/storage/database';
import { signer, TestClient } from '../helpers/client';
import { namingProblems, parsePrometheus, type Family } from '../helpers/prometheus';

let peer: StartedPeer;
let side: Db;
const payer = signer();
const broke = signer();

const scrape = async () => {
  const res = await fetch(`${peer.httpUrl}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheus(await res.text());
};

const value = (families: Map<string, Family>, name: string, labels: Record<string, string> = {}) => {
  const family = families.get(name.replace(/_(bucket|sum|count)$/, '')) ?? families.get(name);
  const s = family?.samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  if (!s) throw new Error(`no sample ${name} ${JSON.stringify(labels)}`);
  return s.value;
};

beforeAll(async () => {
  peer = await startPeer({
    PRICE_BASE: '100',
    ILP_PEERS: JSON.stringify([{ id: 'alice', token: 'alice-token-0123456789', creditLimit: '5000' }]),
  });
  // Money reaches the payer's balance the way a fulfilled ILP payment from peer alice puts it there.
  side = openDatabase(path.join(peer.config.dataDir, 'peer.sqlite'));
  expect(new Ledger(side).transfer({ debitAccount: 'assets/interledger/alice', creditAccount: balanceAccount(payer.pubkey), amount: 1000n }).ok).toBe(true);
});
afterAll(async () => {
  side.close();
  await peer.stop();
});

describe('/metrics', () => {
  it('is valid Prometheus text with HELP and TYPE for every family, and our names follow the conventions', async () => {
    const families = await scrape();
    const ours = [...families.values()].filter((f) => /^(nostr|ilp|ledger|peer)_/.test(f.name));
    expect(ours.length).toBeGreaterThan(15);
    expect(ours.flatMap(namingProblems)).toEqual([]);
    // Process metrics come along under prom-client's standard names.
    for (const name of ['process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds', 'process_cpu_seconds_total']) {
      expect(families.has(name), name).toBe(true);
    }
    const types = Object.fromEntries(ours.map((f) => [f.name, f.type]));
    expect(types).toMatchObject({
      nostr_connections: 'gauge',
      nostr_subscriptions: 'gauge',
      nostr_events_received_total: 'counter',
      nostr_events_stored_total: 'counter',
      nostr_events_rejected_total: 'counter',
      nostr_event_ingest_duration_seconds: 'histogram',
      nostr_req_query_duration_seconds: 'histogram',
      nostr_fanout_deliveries_total: 'counter',
      peer_database_size_bytes: 'gauge',
      nostr_signature_checks_pending: 'gauge',
      nostr_read_queue_waiting: 'gauge',
      nostr_read_overruns_total: 'counter',
      nostr_events_ephemeral_total: 'counter',
      peer_wal_checkpoints_total: 'counter',
      ilp_packets_total: 'counter',
      ledger_revenue_total: 'counter',
      ledger_balances_outstanding: 'gauge',
      ledger_peer_position: 'gauge',
      peer_backup_last_success_timestamp_seconds: 'gauge',
    });
  });

  it('counts what the relay did: events by outcome, refusals by reason, latencies, fan-out, money', async () => {
    const reader = await TestClient.connect(peer.url);
    await reader.req('live', { authors: [payer.pubkey] });
    const c = await TestClient.connect(peer.url);
    const before = await scrape();
    const stored0 = value(before, 'nostr_events_stored_total');

    const paid = [payer.sign({ content: 'one' }), payer.sign({ content: 'two' })];
    for (const e of paid) expect((await c.publish(e))[2]).toBe(true);
    expect(await c.publish(paid[0])).toEqual(['OK', paid[0].id, true, expect.stringMatching(/^duplicate:/)]);
    expect((await c.publish(broke.sign({ content: 'no money' })))[3]).toMatch(/^restricted: payment required/);
    expect((await c.publish(payer.sign({ kind: 20001, content: 'typing' })))[2]).toBe(true);
    const forged = { ...payer.sign({ content: 'x' }), content: 'changed' };
    expect((await c.publish(forged))[3]).toMatch(/^invalid:/);
    await reader.next((m) => m[0] === 'EVENT' && (m[2] as { id: string }).id === paid[1].id);

    const m = await scrape();
    expect(value(m, 'nostr_connections')).toBe(2);
    expect(value(m, 'nostr_subscriptions')).toBe(1);
    expect(value(m, 'nostr_events_stored_total') - stored0).toBe(2);
    expect(value(m, 'nostr_events_ephemeral_total')).toBe(1);
    expect(value(m, 'nostr_events_received_total')).toBeGreaterThanOrEqual(5);
    expect(value(m, 'nostr_events_duplicate_total')).toBe(1);
    expect(value(m, 'nostr_events_rejected_total', { reason: 'payment-required' })).toBe(1);
    expect(value(m, 'nostr_events_rejected_total', { reason: 'invalid' })).toBe(1);
    expect(value(m, 'nostr_event_ingest_duration_seconds_count')).toBe(value(m, 'nostr_events_stored_total'));
    expect(value(m, 'nostr_event_ingest_duration_seconds_bucket', { le: '+Inf' })).toBe(2);
    expect(value(m, 'nostr_req_query_duration_seconds_count')).toBe(1);
    expect(value(m, 'nostr_fanout_deliveries_total')).toBe(3); // the two stored and the ephemeral one
    expect(value(m, 'peer_database_size_bytes', { file: 'main' })).toBeGreaterThan(0);
    expect(value(m, 'nostr_signature_checks_pending')).toBe(0);
    expect(value(m, 'nostr_read_queue_waiting')).toBe(0);
    expect(value(m, 'nostr_read_overruns_total')).toBe(0);
    // the checkpointer thread copies the WAL back shortly after commits
    let checkpoints = value(m, 'peer_wal_checkpoints_total');
    for (let i = 0; i < 40 && checkpoints === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      checkpoints = value(await scrape(), 'peer_wal_checkpoints_total');
    }
    expect(checkpoints).toBeGreaterThan(0);
    expect(value(m, 'ledger_revenue_total')).toBe(300); // two stored events and the ephemeral one, 100 each
    expect(value(m, 'ledger_balances_outstanding')).toBe(700);
    expect(value(m, 'ledger_peer_position', { peer: 'alice' })).toBe(1000);
    expect(value(m, 'ilp_peer_connections', { peer: 'alice' })).toBe(0);
    expect(value(m, 'peer_info', { asset_code: 'USD', asset_scale: '9' })).toBe(1);
    await c.close();
    await reader.close();
  });

  it('labels refusals with their NIP-01 prefix only, never free text', () => {
    expect(reasonOf(refusalOf('invalid: bad sig'))).toBe('invalid');
    expect(reasonOf(refusalOf('rate-limited: slow down'))).toBe('rate-limited');
    const payTo = { assetCode: 'USD', assetScale: 9, pointer: '/pay/x', showBalance: false };
    expect(reasonOf(paymentRequired({ status: 'unpaid', price: 1n, balance: 0n }, payTo))).toBe('payment-required');
    // the value decides, not the words: a restricted refusal that merely reads like one is not payment-required
    expect(reasonOf(refusalOf('restricted: payment required: price 1'))).toBe('restricted');
    expect(reasonOf(refusalOf('restricted: not allowed'))).toBe('restricted');
    expect(reasonOf(refusalOf('whatever the client sent: x'))).toBe('other');
    expect(reasonOf(refusalOf('no colon'))).toBe('other');
  });
});

describe('the exposition parser', () => {
  it('refuses malformed text', () => {
    expect(() => parsePrometheus('x_total 1\n')).toThrow(/before its TYPE/);
    expect(() => parsePrometheus('# TYPE x_total counter\nx_total 1\n')).toThrow(/without HELP/);
    expect(() => parsePrometheus('# HELP x h\n# TYPE x gauge\nx{a="1} 2\n')).toThrow();
    expect(() => parsePrometheus('# HELP x h\n# TYPE x gauge\nx one\n')).toThrow(/bad value/);
    expect(() => parsePrometheus('# HELP x h\n# TYPE x gauge\nx 1\nx 2\n')).toThrow(/duplicate/);
    expect(() => parsePrometheus('# HELP h h\n# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n')).toThrow(/cumulative/);
    expect(parsePrometheus('# HELP x h\n# TYPE x gauge\nx{a="q\\"\\\\"} +Inf\n').get('x')!.samples[0]).toEqual({ name: 'x', labels: { a: 'q"\\' }, value: Infinity });
  });
});
