/**
 * A Prometheus histogram cheap enough for the relay's hot path: observe() is a short loop over a typed array
 * (~10 ns, against ~750 ns for prom-client's Histogram.observe with its label hashing). It has no labels and
 * plugs into a prom-client Registry as a custom metric (`registerMetric`), which calls get() at scrape time.
 */
export class LatencyHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly counts: Float64Array;
  private sum = 0;
  private count = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    /** Upper bounds in seconds, ascending; +Inf is implied. */
    readonly buckets: readonly number[],
  ) {
    this.counts = new Float64Array(buckets.length + 1);
  }

  observe(seconds: number): void {
    const b = this.buckets;
    let i = 0;
    while (i < b.length && seconds > b[i]) i++;
    this.counts[i]++;
    this.sum += seconds;
    this.count++;
  }

  /** The shape prom-client's Registry renders (cumulative buckets, then _sum and _count). */
  get() {
    let cumulative = 0;
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = this.buckets.map((le, i) => {
      cumulative += this.counts[i];
      return { labels: { le }, value: cumulative, metricName: `${this.name}_bucket` };
    });
    values.push({ labels: { le: '+Inf' }, value: this.count, metricName: `${this.name}_bucket` });
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: [
        ...values,
        { labels: {}, value: this.sum, metricName: `${this.name}_sum` },
        { labels: {}, value: this.count, metricName: `${this.name}_count` },
      ],
    };
  }

  get observations(): number {
    return this.count;
  }

  /** The upper bound of the bucket holding quantile `q` (0..1); undefined before any observation, Infinity past the last bucket. */
  quantile(q: number): number | undefined {
    if (this.count === 0) return undefined;
    const rank = q * this.count;
    let cumulative = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      cumulative += this.counts[i];
      if (cumulative >= rank) return this.buckets[i];
    }
    return Infinity;
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}
