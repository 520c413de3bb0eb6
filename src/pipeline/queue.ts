/**
 * A bounded FIFO between two pipeline stages.
 *
 * - `push(item, weight)` resolves at once while fewer than `capacity` items and less than `maxWeight` (for
 *   example payload bytes) wait; when the queue is full it waits until a consumer takes one (back-pressure:
 *   memory stays bounded). An item heavier than `maxWeight` still passes when the queue is empty.
 * - `take` resolves with the oldest item; it waits while the queue is empty and resolves `undefined` once
 *   the queue is closed and drained.
 * - `close()` lets consumers drain what is queued and then see `undefined`. Pushing to a closed queue throws.
 * - `fail(error)` closes the queue and makes every waiting and later `push`/`take` reject with `error`, so a
 *   failure in one stage stops the others.
 */
export class BoundedQueue<T> {
  private items: T[] = [];
  private weights: number[] = [];
  private weight = 0;
  private head = 0;
  private closed = false;
  private failure: unknown = undefined;
  private takers: { resolve: (item: T | undefined) => void; reject: (error: unknown) => void }[] = [];
  private pushers: { resolve: () => void; reject: (error: unknown) => void }[] = [];

  constructor(readonly capacity: number, readonly maxWeight = Infinity) {
    if (!(capacity >= 1)) throw new RangeError("BoundedQueue capacity must be at least 1");
  }

  get size(): number {
    return this.items.length - this.head;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Total weight of the queued items. */
  get queuedWeight(): number {
    return this.weight;
  }

  async push(item: T, weight = 0): Promise<void> {
    while (
      this.size > 0 && (this.size >= this.capacity || this.weight + weight > this.maxWeight) &&
      this.failure === undefined && !this.closed
    ) {
      await new Promise<void>((resolve, reject) => this.pushers.push({ resolve, reject }));
    }
    if (this.failure !== undefined) throw this.failure;
    if (this.closed) throw new Error("BoundedQueue: push after close");
    const taker = this.takers.shift();
    if (taker) taker.resolve(item);
    else {
      this.items.push(item);
      this.weights.push(weight);
      this.weight += weight;
    }
  }

  take(): Promise<T | undefined> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.size > 0) {
      const item = this.items[this.head];
      this.weight -= this.weights[this.head];
      this.items[this.head++] = undefined as T;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.weights = this.weights.slice(this.head);
        this.head = 0;
      }
      this.pushers.shift()?.resolve();
      return Promise.resolve(item);
    }
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => this.takers.push({ resolve, reject }));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const taker of this.takers) taker.resolve(undefined);
    this.takers = [];
    for (const pusher of this.pushers) pusher.resolve();
    this.pushers = [];
  }

  fail(error: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.closed = true;
    for (const taker of this.takers) taker.reject(error);
    for (const pusher of this.pushers) pusher.reject(error);
    this.takers = [];
    this.pushers = [];
    this.items = [];
    this.weights = [];
    this.weight = 0;
    this.head = 0;
  }
}
