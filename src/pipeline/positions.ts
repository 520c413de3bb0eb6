/**
 * Which source batches are fully written, in order: the transfer opens a batch when the source yields it
 * and settles its keys as they are written (or fail, or are skipped). The resume position advances only
 * past a batch whose keys and every earlier batch's keys are all settled, so a checkpoint never skips a key
 * that was not written.
 */
import type { SourcePosition } from "./stages.ts";

export class PositionTracker {
  private readonly pending = new Map<number, { left: number; position?: SourcePosition }>();
  private nextSeq = 0;
  private low = 0;

  constructor(private readonly onAdvance: (position: SourcePosition) => void) {}

  /** A new batch of `keys` keys; returns its sequence number. */
  open(keys: number, position?: SourcePosition): number {
    const seq = this.nextSeq++;
    this.pending.set(seq, { left: keys, position });
    if (keys === 0) this.advance();
    return seq;
  }

  settle(seq: number, keys: number): void {
    const entry = this.pending.get(seq);
    if (!entry) return;
    entry.left -= keys;
    if (entry.left <= 0 && seq === this.low) this.advance();
  }

  private advance(): void {
    for (;;) {
      const entry = this.pending.get(this.low);
      if (!entry || entry.left > 0) return;
      this.pending.delete(this.low++);
      if (entry.position) this.onAdvance(entry.position);
    }
  }
}
