/**
 * KeySource that logs every key its inner source yields into a KeyLog (see src/pipeline/key_log.ts), then
 * passes the batch on unchanged. Positions, abort, early stop and failures are the inner source's.
 */
import type { KeyLog } from "../pipeline/key_log.ts";
import type { KeyBatch, KeySource } from "../pipeline/stages.ts";

export class LoggedSource implements KeySource {
  constructor(private readonly inner: KeySource, private readonly log: KeyLog) {}

  async *batches(signal?: AbortSignal): AsyncGenerator<KeyBatch> {
    for await (const batch of this.inner.batches(signal)) {
      this.log.add(batch.keys);
      yield batch;
    }
  }
}
