/**
 * The only copy loop: a key source -> readers -> a bounded queue of records -> writers. The snapshot, every
 * live batch, converge rounds and imports run through it, so they share counters, retries and reports.
 * A record source (an RDB file) skips the readers: its records go straight into the record queue.
 *
 * - Back-pressure: keys wait in a queue of `queueBatches` batches, records in one bounded by count and by
 *   `queueBytes`; a full queue blocks the stage before it, so memory is bounded by the queues.
 * - Retries: a read or write whose connection failed, or a write the server refused as busy (BUSY,
 *   LOADING, TRYAGAIN), is sent again after a backoff and `reconnect()`, up to the retry policy's limit.
 *   Nothing counts as written until the target acknowledged it.
 * - One failure stops all: the first error that retries cannot heal fails both queues, every stage stops,
 *   and `transfer()` rejects with that error.
 * - Stop: when `signal` aborts, the source stops at a batch boundary, queued keys are still read and
 *   written, and `transfer()` resolves with `stopped: true`.
 * - Positions: `onPosition` is called with the source position up to which every key is written (the
 *   checkpoint's cursor).
 */
import type { Log } from "../log.ts";
import { DEFAULT_RETRY, retry, type RetryHooks, type RetryPolicy, sleep } from "../retry.ts";
import { isRetriableCode } from "./failure.ts";
import { PositionTracker } from "./positions.ts";
import { BoundedQueue } from "./queue.ts";
import type { RateLimit } from "./rate.ts";
import { type KeyRecord, recordWeight } from "./record.ts";
import type { KeySource, Reader, RecordSource, SourcePosition, Writer, WriteResult } from "./stages.ts";
import type { ReplicationStats } from "./stats.ts";
import { AdaptiveWindow } from "./window.ts";

interface WriterStages {
  writers: Writer[];
  /** Reopens lost connections before a retry; rejects when it cannot (counts as a failed attempt). */
  reconnect?: () => Promise<void>;
}

/** Keys read by readers, or records from a record source (no readers). */
export type TransferStages =
  | WriterStages & { source: KeySource; readers: Reader[] }
  | WriterStages & { records: RecordSource };

export interface TransferConfig {
  /** Most keys in one read round trip. */
  batch: number;
  /** Key batches waiting for the readers, and record batches waiting for the writers. */
  queueBatches: number;
  /** Record bytes waiting for the writers; also sizes read round trips. */
  queueBytes: number;
  dryRun: boolean;
  retry?: RetryPolicy;
  rate?: RateLimit;
  signal?: AbortSignal;
  onPosition?: (position: SourcePosition) => void;
  log?: Log;
  /**
   * A read window kept across transfers (live batches, converge rounds), so that each small transfer does
   * not start again from the small first window; by default each reader loop has its own.
   */
  window?: AdaptiveWindow;
}

export interface TransferResult {
  /** True when `signal` stopped the source before it was done. */
  stopped: boolean;
}

/** Round trips kept in flight per reader and per writer, so that no connection waits idle for a reply. */
const LOOPS_PER_STAGE = 2;

interface KeyWork {
  seq: number;
  keys: Uint8Array[];
}

interface RecordWork {
  seq: number;
  /** Keys this work settles once written. */
  keys: number;
  records: KeyRecord[];
}

export async function transfer(
  stages: TransferStages,
  config: TransferConfig,
  stats: ReplicationStats,
): Promise<TransferResult> {
  const keyQueue = new BoundedQueue<KeyWork>(Math.max(2, config.queueBatches));
  const recordQueue = new BoundedQueue<RecordWork>(Math.max(2, config.queueBatches), config.queueBytes);
  const tracker = new PositionTracker((position) => config.onPosition?.(position));
  const policy = config.retry ?? DEFAULT_RETRY;
  const retrying = (what: string): RetryHooks => ({
    beforeRetry: stages.reconnect,
    onRetry: (error: unknown, attempt: number, delay: number) => {
      stats.retries++;
      config.log?.warn(
        `${
          (error as Error).message
        } (${what}); reconnecting, retry ${attempt} of ${policy.limit} in ${delay} ms`,
      );
    },
  });
  const stopAll = (error: unknown): never => {
    keyQueue.fail(error);
    recordQueue.fail(error);
    throw error;
  };
  let stopped = false;

  const sourcing = "records" in stages
    ? (async () => {
      for await (const batch of stages.records.records(config.signal)) {
        const count = batch.records.length;
        const seq = tracker.open(count, batch.position);
        if (count === 0) continue;
        await config.rate?.take(count);
        stats.read += count;
        if (config.dryRun) {
          tracker.settle(seq, count);
          continue;
        }
        let weight = 0;
        for (const record of batch.records) weight += recordWeight(record);
        await recordQueue.push({ seq, keys: count, records: batch.records }, weight);
      }
      stopped = config.signal?.aborted ?? false;
      keyQueue.close();
      recordQueue.close();
    })().catch(stopAll)
    : (async () => {
      for await (const batch of stages.source.batches(config.signal)) {
        const seq = tracker.open(batch.keys.length, batch.position);
        if (batch.keys.length === 0) continue;
        await config.rate?.take(batch.keys.length);
        await keyQueue.push({ seq, keys: batch.keys });
      }
      stopped = config.signal?.aborted ?? false;
      keyQueue.close();
    })().catch(stopAll);

  const readers = "readers" in stages ? stages.readers : [];
  const roundTripBytes = Math.max(1, Math.floor(config.queueBytes / (LOOPS_PER_STAGE * readers.length || 1)));
  const reading = "records" in stages ? Promise.resolve() : Promise.all(
    loops(readers).map(async (reader) => {
      const window = config.window ?? new AdaptiveWindow(config.batch, roundTripBytes);
      for (let work = await keyQueue.take(); work !== undefined; work = await keyQueue.take()) {
        for (let at = 0; at < work.keys.length;) {
          const part = work.keys.slice(at, at + window.size);
          at += part.length;
          const result = await retry(() => reader.read(part), policy, retrying("reading"));
          let weight = 0;
          for (const record of result.records) weight += recordWeight(record);
          window.observe(part.length, weight);
          stats.roundTripBytes = Math.max(stats.roundTripBytes, weight);
          stats.read += result.records.length;
          stats.addSkipped(result.skipped);
          stats.addFailures(result.failures);
          if (config.dryRun || result.records.length === 0) tracker.settle(work.seq, part.length);
          else await recordQueue.push({ seq: work.seq, keys: part.length, records: result.records }, weight);
        }
      }
    }),
  ).then(() => recordQueue.close(), stopAll);

  const writing = Promise.all(
    loops(stages.writers).map(async (writer) => {
      for (let work = await recordQueue.take(); work !== undefined; work = await recordQueue.take()) {
        const result = await writeAll(writer, work.records, policy, retrying("writing"), stats);
        stats.written += result.written;
        stats.vanished += result.deleted;
        stats.bytes += result.bytes;
        stats.addFailures(result.failures);
        tracker.settle(work.seq, work.keys);
      }
    }),
  ).catch(stopAll);

  await Promise.all([sourcing, reading, writing]);
  return { stopped };
}

/**
 * Write a batch until every record is acknowledged or refused for good: a lost connection sends the whole
 * batch again, records refused as busy are sent again on their own, both after a backoff.
 */
async function writeAll(
  writer: Writer,
  records: KeyRecord[],
  policy: RetryPolicy,
  hooks: RetryHooks,
  stats: ReplicationStats,
): Promise<WriteResult> {
  const total: WriteResult = { written: 0, deleted: 0, bytes: 0, failures: [], failedRecords: [] };
  let pending = records;
  for (let round = 0;; round++) {
    let attempts = round;
    const result = await retry(
      () => {
        if (attempts++ > 0) stats.resent += pending.length;
        return writer.write(pending);
      },
      policy,
      hooks,
    );
    total.written += result.written;
    total.deleted += result.deleted;
    total.bytes += result.bytes;
    const again: KeyRecord[] = [];
    result.failures.forEach((failure, i) => {
      if (isRetriableCode(failure.code) && round < policy.limit) again.push(result.failedRecords[i]);
      else {
        total.failures.push(failure);
        total.failedRecords.push(result.failedRecords[i]);
      }
    });
    if (again.length === 0) return total;
    stats.retries++;
    await sleep(Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** round));
    pending = again;
  }
}

function loops<T>(stages: T[]): T[] {
  return stages.flatMap((stage) => Array(LOOPS_PER_STAGE).fill(stage));
}
