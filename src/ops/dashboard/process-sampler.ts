import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

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
  /** 10 ms resolution: the timer's own cost stays negligible and lag below it is not worth showing. */
  private readonly lag: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
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
    // The histogram is empty until one resolution period has passed (its values are then NaN or 0).
    const p99 = this.lag.count > 0 ? this.lag.percentile(99) / 1e6 : 0;
    const max = this.lag.count > 0 ? this.lag.max / 1e6 : 0;
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
