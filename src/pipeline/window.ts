/**
 * Keys per read round trip, so that one round trip brings back about `bytes` of payloads: it starts small
 * (a first batch of big keys cannot blow memory), doubles while payloads are small, up to `max` (--batch),
 * and shrinks at once when they are large.
 */
const FIRST_WINDOW = 8;

export class AdaptiveWindow {
  size: number;

  constructor(private readonly max: number, private readonly bytes: number) {
    this.size = Math.min(max, FIRST_WINDOW);
  }

  observe(keys: number, payloadBytes: number): void {
    const perKey = Math.max(1, payloadBytes / Math.max(1, keys));
    const fits = Math.max(1, Math.floor(this.bytes / perKey));
    this.size = Math.min(this.max, fits, this.size * 2);
  }
}
