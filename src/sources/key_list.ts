/**
 * KeySource over a list of keys known in advance (a live batch, the keys a converge round re-copies), in
 * batches of `batch` keys. It has no resume position.
 */
import type { KeyBatch, KeySource } from "../pipeline/stages.ts";

export class KeyListSource implements KeySource {
  constructor(private readonly keys: Uint8Array[], private readonly batch: number) {}

  async *batches(signal?: AbortSignal): AsyncGenerator<KeyBatch> {
    for (let at = 0; at < this.keys.length; at += this.batch) {
      yield { keys: this.keys.slice(at, at + this.batch) };
      if (signal?.aborted) return;
    }
  }
}
