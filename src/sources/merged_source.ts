/**
 * KeySource over several sources at once (one SCAN per cluster master): every source runs concurrently
 * and their batches are yielded as they arrive, each with its own source's position (positions name their
 * node, so a checkpoint keeps one cursor per node).
 *
 * - Back-pressure: at most `perSource` batches of each source wait here; a source whose batches are not
 *   taken stops scanning.
 * - The first failure of any source ends the iteration with that failure; the other sources are stopped.
 * - When `signal` aborts, every source stops at its next batch boundary (see stages.ts), and batches that
 *   wait here are dropped, not yielded: a stop does not drain what was scanned ahead (up to `perSource`
 *   pages of every source). They were never yielded, so no position moved past them: a resume reads them.
 */
import { BoundedQueue } from "../pipeline/queue.ts";
import type { KeyBatch, KeySource } from "../pipeline/stages.ts";

export class MergedSource implements KeySource {
  constructor(private readonly sources: KeySource[], private readonly perSource = 2) {}

  async *batches(signal?: AbortSignal): AsyncGenerator<KeyBatch> {
    if (this.sources.length === 1) {
      yield* this.sources[0].batches(signal);
      return;
    }
    const queue = new BoundedQueue<KeyBatch>(Math.max(1, this.perSource * this.sources.length));
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    const running = Promise.all(this.sources.map(async (source) => {
      for await (const batch of source.batches(stop.signal)) await queue.push(batch);
    })).then(() => queue.close(), (error) => queue.fail(error));
    try {
      for (let batch = await queue.take(); batch !== undefined; batch = await queue.take()) {
        if (signal?.aborted) break;
        yield batch;
      }
    } finally {
      stop.abort();
      signal?.removeEventListener("abort", onAbort);
      if (!queue.isClosed) queue.fail(new Error("merged source closed early"));
      await running.catch(() => {});
    }
  }
}
