/**
 * KeyLog: the keys a snapshot copy scanned, in scan order, packed into a few large buffers so that the
 * verification can check exactly those keys again without scanning the source a second time.
 *
 * Contract:
 * - `add(keys)` appends copies of the keys (duplicates included: a key SCAN returned twice is logged
 *   twice). The caller's arrays may be reused afterwards.
 * - Memory is bounded by `budgetBytes` (key bytes plus 4 bytes per key). The first `add` that would go
 *   over it drops everything logged so far and turns the log off for good (`overflowed`): a log that
 *   cannot hold every key is of no use, and the verification then scans as before.
 * - `pages(size)` yields the logged keys in order, at most `size` per page, as views into the log's
 *   buffers (copy them to keep them past the log's life).
 * - Pure: no I/O, no clock.
 */

const CHUNK_BYTES = 1 << 20;
const CHUNK_KEYS = 1 << 17;

interface Chunk {
  bytes: Uint8Array;
  /** End offset in `bytes` of each key; key i spans ends[i-1] (or 0) .. ends[i]. */
  ends: Int32Array;
  keys: number;
  used: number;
}

export class KeyLog {
  private chunks: Chunk[] = [];
  private total = 0;
  private footprint = 0;
  private dropped = false;

  constructor(readonly budgetBytes: number) {}

  /** Keys logged (0 once overflowed). */
  get size(): number {
    return this.total;
  }

  /** True once the log went over its budget: it holds nothing and logs nothing more. */
  get overflowed(): boolean {
    return this.dropped;
  }

  add(keys: readonly Uint8Array[]): void {
    if (this.dropped) return;
    for (const key of keys) {
      this.footprint += key.length + 4;
      if (this.footprint > this.budgetBytes) {
        this.drop();
        return;
      }
      this.append(key);
    }
  }

  /** Forget every key logged so far (a copy that starts over); the log stays usable. */
  clear(): void {
    this.chunks = [];
    this.total = 0;
    this.footprint = 0;
  }

  *pages(size: number): Generator<Uint8Array[]> {
    let page: Uint8Array[] = [];
    for (const chunk of this.chunks) {
      let start = 0;
      for (let i = 0; i < chunk.keys; i++) {
        const end = chunk.ends[i];
        page.push(chunk.bytes.subarray(start, end));
        start = end;
        if (page.length >= size) {
          yield page;
          page = [];
        }
      }
    }
    if (page.length > 0) yield page;
  }

  private append(key: Uint8Array): void {
    let chunk = this.chunks[this.chunks.length - 1];
    if (!chunk || chunk.keys === chunk.ends.length || chunk.used + key.length > chunk.bytes.length) {
      chunk = {
        bytes: new Uint8Array(Math.max(CHUNK_BYTES, key.length)),
        ends: new Int32Array(CHUNK_KEYS),
        keys: 0,
        used: 0,
      };
      this.chunks.push(chunk);
    }
    chunk.bytes.set(key, chunk.used);
    chunk.used += key.length;
    chunk.ends[chunk.keys++] = chunk.used;
    this.total++;
  }

  private drop(): void {
    this.clear();
    this.dropped = true;
  }
}
