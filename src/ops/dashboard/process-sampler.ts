import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** The monitor's timer period: its own cost stays negligible. Its delays include this period, taken off below. */
const RESOLUTION_MS = 10;

export interface ProcessSample {
  /** CPU time used since the previous sample, user + system, in % of one core. */
  cpu: number;
  rss: number;
  /** Event-loop delay since the previous sample: p99 and max, in ms. */
  lagP99: number;
  lagMax: number;
}

/** The process's CPU, memory and event-loop lag between calls of sample() (the dashboard's SAMPLE_MS). */
export class ProcessSampler {
  private readonly lag: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private cpu = process.cpuUsage();
  private at = performance.now();

  constructor() {
    this.lag.enable();
  }

  sample(): ProcessSample {
    const cpu = process.cpuUsage(this.cpu);
    const now = performance.now();
    const ms = now - this.at;
    this.cpu = process.cpuUsage();
    this.at = now;
    // Empty until one period has passed; each value is the whole time between two ticks, the period included.
    const lag = (ns: number) => (this.lag.count > 0 ? Math.max(0, ns / 1e6 - RESOLUTION_MS) : 0);
    const p99 = lag(this.lag.percentile(99));
    const max = lag(this.lag.max);
    this.lag.reset();
    return {
      cpu: ms > 0 ? ((cpu.user + cpu.system) / 1000 / ms) * 100 : 0,
      rss: process.memoryUsage.rss(),
      lagP99: Math.round(p99 * 100) / 100,
      lagMax: Math.round(max * 100) / 100,
    };
  }

  stop(): void {
    this.lag.disable();
  }
}
