import { createHash, timingSafeEqual } from 'node:crypto';
import type { IlpPrepare } from '../ilp';
import { LatencyHistogram } from '../ops/latency-histogram';
import { isFulfill, type IlpReply } from './local-receiver';
import type { LinkKind } from './peer-links';

export type Direction = 'in' | 'out';

/** What became of a Prepare on a link: `fulfilled`, an ILP reject code, or `timeout`/`error` when no reply came. */
export type LinkResult = string;

/** How a peer answered a Prepare we sent it: a Fulfill that does not match the condition counts as the F05 it becomes. */
export function outcome(prepare: IlpPrepare, reply: IlpReply): LinkResult {
  if (!isFulfill(reply)) return reply.code;
  return timingSafeEqual(createHash('sha256').update(reply.fulfillment).digest(), prepare.executionCondition) ? 'fulfilled' : 'F05';
}

/** `up`: the last request reached the peer's endpoint; `down`: it did not (connection refused, HTTP error, timeout). */
export type HttpLinkState = { state: 'idle' | 'up' | 'down'; since: number; error?: string };

/** Round trips of a POST to a peer's endpoint: a few ms on a LAN, most of a packet's expiry when the peer is slow. */
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Per peer and link kind: Prepares in (from the peer) and out (to it) by result, the state of its outgoing HTTP
 * link, and the latency of its HTTP round trips. Read by /metrics and the dashboard; written by the links.
 */
export class LinkStats {
  /** Keyed `peer kind direction result`: a peer id is an ILP address segment, so it has no spaces. */
  private readonly packets = new Map<string, number>();
  readonly http = new Map<string, HttpLinkState>();
  private readonly latency = new Map<string, LatencyHistogram>();

  count(peer: string, kind: LinkKind, direction: Direction, result: LinkResult): void {
    // a reject code comes from the peer: anything but a well-formed one is `other`, never free text in a label
    if (result !== 'fulfilled' && result !== 'timeout' && result !== 'error' && !/^[FTR]\d\d$/.test(result)) result = 'other';
    const key = `${peer} ${kind} ${direction} ${result}`;
    this.packets.set(key, (this.packets.get(key) ?? 0) + 1);
  }

  /** Every count, for the metric labels. */
  *entries(): Iterable<{ peer: string; kind: LinkKind; direction: Direction; result: LinkResult; n: number }> {
    for (const [key, n] of this.packets) {
      const [peer, kind, direction, result] = key.split(' ');
      yield { peer, kind: kind as LinkKind, direction: direction as Direction, result, n };
    }
  }

  /** Totals of one link of a peer by direction, for the dashboard. */
  totals(peer: string, kind: LinkKind): Record<Direction, { fulfilled: number; rejected: number; failed: number }> {
    const t = { in: { fulfilled: 0, rejected: 0, failed: 0 }, out: { fulfilled: 0, rejected: 0, failed: 0 } };
    for (const e of this.entries()) {
      if (e.peer !== peer || e.kind !== kind) continue;
      const slot = e.result === 'fulfilled' ? 'fulfilled' : /^[FTR]\d\d$/.test(e.result) ? 'rejected' : 'failed';
      t[e.direction][slot] += e.n;
    }
    return t;
  }

  httpState(peer: string, state: 'up' | 'down', error?: string): void {
    const was = this.http.get(peer);
    if (was?.state === state && was.error === error) return;
    this.http.set(peer, { state, since: was?.state === state ? was.since : Date.now(), ...(error !== undefined && { error }) });
  }

  observeHttp(peer: string, seconds: number): void {
    let h = this.latency.get(peer);
    if (!h) this.latency.set(peer, (h = new LatencyHistogram('ilp_http_request_duration_seconds', '', HTTP_BUCKETS)));
    h.observe(seconds);
  }

  /** A prom-client custom metric: the per-peer histograms as one, labelled by peer. */
  latencyMetric(name: string, help: string) {
    const latency = this.latency;
    return {
      name,
      help,
      type: 'histogram',
      aggregator: 'sum',
      get() {
        const values = [];
        for (const [peer, h] of latency) {
          for (const v of h.get().values) values.push({ ...v, labels: { ...v.labels, peer }, metricName: v.metricName.replace(h.name, name) });
        }
        return { name, help, type: 'histogram', aggregator: 'sum', values };
      },
      reset() {
        /* cumulative for the life of the process, as Prometheus expects of a histogram */
      },
    };
  }

  /** The median and 99th percentile HTTP round trip to `peer`, in seconds (null before any). */
  latencyOf(peer: string): { p50: number | null; p99: number | null; count: number } {
    const h = this.latency.get(peer);
    return { p50: h?.quantile(0.5) ?? null, p99: h?.quantile(0.99) ?? null, count: h?.observations ?? 0 };
  }
}
