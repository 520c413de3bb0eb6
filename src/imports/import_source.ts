/**
 * RecordSource (src/pipeline/stages.ts) of every import: source items (file lines, SQL rows) go through a
 * `process` function (RecordProcessor.process, or the dump restorer) and come out in batches of records.
 *
 *   interface ImportInput<T>   what a file reader or a SQL cursor provides (items + progress)
 *   type SourceItem<T>         { value, origin } or { error, origin } (a malformed line, reported)
 *   new ImportSource(input, process, stats, { batch, skipLimit })
 *
 * - A batch holds at most `batch` records; failures and left-out records travel with it (counted at once).
 * - --skip-limit: once more than `skipLimit` records have failed (here or refused by the target), the
 *   source throws SkipLimitError at the next batch boundary, which stops the transfer.
 * - When `signal` aborts, it stops at a batch boundary (the input lets go of its file or cursor).
 */
import type { RecordBatch, RecordSource } from "../pipeline/stages.ts";
import type { KeyRecord } from "../pipeline/record.ts";
import { type KeyFailure, recordFailure } from "../pipeline/failure.ts";
import type { ImportStats } from "./import_stats.ts";
import type { Processed } from "./record_processor.ts";

export type SourceItem<T> = { value: T; origin: string } | { error: string; origin: string };

export interface InputProgress {
  /** How far the input is, in its own unit (bytes of files, rows of a query). */
  done: number;
  /** The end in the same unit, when known (file sizes, SELECT count(*)). */
  total?: number;
  unit: string;
}

export interface ImportInput<T> {
  /** Items in the order of the source, a chunk at a time (one await per chunk, not per item). */
  items(signal?: AbortSignal): AsyncIterable<SourceItem<T>[]>;
  readonly progress: InputProgress;
}

export class SkipLimitError extends Error {
  override name = "SkipLimitError";
}

export interface ImportSourceOptions {
  batch: number;
  skipLimit?: number;
}

const NO_KEY = new Uint8Array(0);

export class ImportSource<T> implements RecordSource {
  readonly kind = "records";

  constructor(
    private readonly input: ImportInput<T>,
    private readonly process: (value: T, origin: string) => Processed,
    private readonly stats: ImportStats,
    private readonly options: ImportSourceOptions,
  ) {}

  async *batches(signal?: AbortSignal): AsyncGenerator<RecordBatch> {
    let records: KeyRecord[] = [];
    let failures: KeyFailure[] = [];
    let read = 0;
    for await (const chunk of this.input.items(signal)) {
      for (const item of chunk) {
        read++;
        if ("error" in item) failures.push(recordFailure(NO_KEY, item.error, item.origin));
        else {
          const outcome = this.process(item.value, item.origin);
          if (outcome.kind === "record") records.push(outcome.record);
          else if (outcome.kind === "failed") failures.push(outcome.failure);
          else if (outcome.kind === "filtered") this.stats.filtered++;
          else this.stats.ignored++;
        }
        if (records.length >= this.options.batch || failures.length >= this.options.batch) {
          yield { records, failures, read };
          this.checkSkipLimit();
          records = [];
          failures = [];
          read = 0;
          if (signal?.aborted) return;
        }
      }
    }
    if (read > 0) yield { records, failures, read };
    this.checkSkipLimit();
  }

  private checkSkipLimit(): void {
    const limit = this.options.skipLimit;
    if (limit !== undefined && this.stats.failed > limit) {
      throw new SkipLimitError(
        `${this.stats.failed} records failed, more than --skip-limit ${limit}: the import stopped`,
      );
    }
  }
}
