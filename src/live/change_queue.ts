/**
 * Keys changed on the source and not yet copied: de-duplicated, in the order of their first change,
 * bounded by `capacity` distinct keys.
 *
 * - `add(key)`: a key already waiting is not added twice (it keeps its first-change time, so lag is
 *   measured from the oldest unapplied change). When the queue is full the key is NOT kept and `add`
 *   returns false: the caller must treat that as lost events (a re-scan repairs it).
 * - `takeBatch(max)`: up to `max` waiting keys that are not in flight; they become in flight until
 *   `done(keys)`. A key changed again while in flight waits again, so its newest value is copied after.
 */
import { keyId } from "../bytes.ts";

export interface ChangedKey {
  key: Uint8Array;
  /** performance.now() of the first change not yet copied. */
  since: number;
}

export class ChangeQueue {
  private waiting = new Map<string, ChangedKey>();
  private inFlight = new Set<string>();
  private waiters: (() => void)[] = [];
  /** Keys refused because the queue was full, since the start. */
  overflowed = 0;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.waiting.size;
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  add(key: Uint8Array, now = performance.now()): boolean {
    const name = keyId(key);
    if (this.waiting.has(name)) return true;
    if (this.waiting.size >= this.capacity) {
      this.overflowed++;
      return false;
    }
    this.waiting.set(name, { key, since: now });
    this.notify();
    return true;
  }

  takeBatch(max: number): ChangedKey[] {
    const batch: ChangedKey[] = [];
    for (const [name, entry] of this.waiting) {
      if (batch.length >= max) break;
      if (this.inFlight.has(name)) continue;
      this.waiting.delete(name);
      this.inFlight.add(name);
      batch.push(entry);
    }
    return batch;
  }

  done(batch: ChangedKey[]): void {
    for (const entry of batch) this.inFlight.delete(keyId(entry.key));
    if (this.waiting.size > 0) this.notify();
  }

  /** Forget every waiting key (a re-scan will copy everything). */
  clear(): void {
    this.waiting.clear();
  }

  /** Resolves when a key is waiting that is not in flight (or `timeoutMs` passes). */
  waitForChange(timeoutMs: number): Promise<void> {
    if (this.waiting.size > this.inFlight.size) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.waiters.push(done);
    });
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
