/**
 * Latency statistics in milliseconds (ping round trips, replication lag): min, max, average and
 * percentiles, in bounded memory however many samples are added.
 *
 * The first {@link LatencyStatsOptions.exactSamples} samples are kept as they are, so short runs report
 * exact percentiles. Every sample also lands in a log-scale histogram whose buckets are `precision` wide
 * (relative); once there are more samples than the exact buffer holds, percentiles come from the histogram
 * and are within that relative error (clamped to the exact min and max). Pure: no clock, no I/O.
 */

export interface LatencyStatsOptions {
  /** Samples kept as they are for exact percentiles. Default 4096. */
  exactSamples: number;
  /** Relative width of a histogram bucket. Default 0.01 (1%). */
  precision: number;
}

/** Samples below this (1 µs) share the first bucket; above MAX_MS (about 11.6 days) the last one. */
const MIN_MS = 0.001;
const MAX_MS = 1e9;

export class LatencyStats {
  /** Samples added, including those only the histogram remembers. */
  count = 0;
  min = Infinity;
  max = -Infinity;
  private sum = 0;
  private readonly exact: number[] = [];
  private sorted = true;
  private readonly exactLimit: number;
  private readonly logBase: number;
  private readonly buckets: number[] = [];

  constructor(options: Partial<LatencyStatsOptions> = {}) {
    this.exactLimit = options.exactSamples ?? 4096;
    const precision = options.precision ?? 0.01;
    if (!(precision > 0 && precision < 1)) throw new RangeError("precision must be between 0 and 1");
    this.logBase = Math.log1p(precision);
  }

  /** Record one sample in milliseconds. Negative or non-finite samples are a caller bug: RangeError. */
  add(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`Invalid latency sample: ${ms}`);
    this.count++;
    this.sum += ms;
    if (ms < this.min) this.min = ms;
    if (ms > this.max) this.max = ms;
    if (this.exact.length < this.exactLimit) {
      this.exact.push(ms);
      this.sorted = false;
    }
    const index = this.bucketOf(ms);
    while (this.buckets.length <= index) this.buckets.push(0);
    this.buckets[index]++;
  }

  /** Mean of all samples; NaN when there are none. */
  get avg(): number {
    return this.count === 0 ? NaN : this.sum / this.count;
  }

  /**
   * The nearest-rank percentile, `p` in [0, 100]: the smallest sample such that at least p% of the samples
   * are at most it (p = 0 gives the min, 100 the max). NaN when there are no samples. Exact while every
   * sample fits the exact buffer, else within the histogram precision.
   */
  percentile(p: number): number {
    if (!(p >= 0 && p <= 100)) throw new RangeError(`Percentile must be between 0 and 100, got ${p}`);
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    if (rank === 1) return this.min;
    if (rank === this.count) return this.max;
    if (this.count <= this.exact.length) {
      if (!this.sorted) {
        this.exact.sort((a, b) => a - b);
        this.sorted = true;
      }
      return this.exact[rank - 1];
    }
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i];
      if (seen >= rank) return Math.min(this.max, Math.max(this.min, this.valueOf(i)));
    }
    return this.max;
  }

  /** Bucket i holds samples in [MIN_MS * b^i, MIN_MS * b^(i+1)), b = 1 + precision; below MIN_MS is 0. */
  private bucketOf(ms: number): number {
    if (ms <= MIN_MS) return 0;
    return Math.floor(Math.log(Math.min(ms, MAX_MS) / MIN_MS) / this.logBase);
  }

  /** A bucket's representative: the geometric middle of its range. */
  private valueOf(index: number): number {
    return MIN_MS * Math.exp((index + 0.5) * this.logBase);
  }
}
