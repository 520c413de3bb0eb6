/**
 * A token bucket that caps keys per second (--rate), to spare a production source. `take(n)` resolves
 * when n more keys fit in the rate; a burst of up to one second's worth passes at once.
 */
import { sleep } from "../retry.ts";

export class RateLimit {
  private tokens: number;
  private last = performance.now();

  constructor(readonly perSecond: number, private readonly signal?: AbortSignal) {
    this.tokens = perSecond;
  }

  async take(count: number): Promise<void> {
    for (;;) {
      const now = performance.now();
      this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.last) * this.perSecond) / 1000);
      this.last = now;
      // A batch larger than the bucket passes once the bucket is full, so it cannot wait forever.
      if (this.tokens >= Math.min(count, this.perSecond) || this.signal?.aborted) {
        this.tokens -= count;
        return;
      }
      const missing = Math.min(count, this.perSecond) - this.tokens;
      await sleep(Math.max(1, (missing * 1000) / this.perSecond), this.signal);
    }
  }
}
