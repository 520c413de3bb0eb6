/**
 * The only copy loop: a key source -> readers -> a bounded queue of records -> writers. The snapshot, every
 * live batch, converge rounds and imports run through it, so they share counters, retries and reports.
 * A record source (imports: file lines, SQL rows) skips the readers: its batches go into the record queue.
 *
 * - Back-pressure: keys wait in a queue of `queueBatches` batches, records in one bounded by count and by
 *   `queueBytes`; a full queue blocks the stage before it, so memory is bounded by the queues.
 * - Retries: a read or write whose connection failed is sent again after a backoff and `reconnect()`;
 *   records the target refused for a passing reason (BUSY, LOADING, TRYAGAIN, CLUSTERDOWN, MASTERDOWN,
 *   READONLY: `isRetriableCode`) are sent again on their own after a backoff; both up to the retry
 *   policy's limit. Nothing counts as written until the target acknowledged it.
 * - One failure stops all: the first error that retries cannot heal fails both queues, wakes every stage
 *   from a backoff pause, and `transfer()` rejects with that error once every stage has stopped (so that
 *   nothing runs on, or reconnects, after it returned; a write in flight waits for its reply).
 * - Stop: when `signal` aborts, the source stops at a batch boundary, queued keys are still read and
 *   written, and `transfer()` resolves with `stopped: true`; a read or write that fails after that is not
 *   retried (nor after `retrySignal` aborts): `transfer()` rejects with its error.
 * - Positions: `onPosition` is called with the source position up to which every key is written (the
 *   checkpoint's cursor).
 */
import type { Log } from "../log.ts";
import { backoffDelay, DEFAULT_RETRY, retry, type RetryHooks, type RetryPolicy, sleep } from "../retry.ts";
import { isRetriableCode } from "./failure.ts";
import { PositionTracker } from "./positions.ts";
import { BoundedQueue } from "./queue.ts";
import type { RateLimit } from "./rate.ts";
import { type KeyRecord, recordWeight } from "./record.ts";
import {
  isRecordSource,
  type KeySource,
  type Reader,
  type RecordBatch,
  type RecordSource,
  type SourcePosition,
  type Writer,
  type WriteResult,
} from "./stages.ts";
import type { ReplicationStats } from "./stats.ts";
import { AdaptiveWindow } from "./window.ts";

export interface TransferStages {
  source: KeySource | RecordSource;
  /** Unused with a RecordSource. */
  readers: Reader[];
  writers: Writer[];
  /** Reopens lost connections before a retry; rejects when it cannot (counts as a failed attempt). */
  reconnect?: () => Promise<void>;
}

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
  /**
   * Once aborted, a failed read or write is not retried any more and `transfer()` rejects with its error:
   * a stop never waits out backoffs against a server that is down. Defaults to `signal`.
   */
  retrySignal?: AbortSignal;
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
  /** Aborted by the first failure: stops the source and ends backoff pauses (a stop request does not). */
  const halt = new AbortController();
  const sourceSignal = config.signal ? AbortSignal.any([config.signal, halt.signal]) : halt.signal;
  const stopRetries = config.retrySignal ?? config.signal;
  const retrySignal = stopRetries ? AbortSignal.any([stopRetries, halt.signal]) : halt.signal;
  const retrying = (what: string): RetryHooks => ({
    beforeRetry: stages.reconnect,
    signal: retrySignal,
    onRetry: (error: unknown, attempt: number, delay: number) => {
      stats.retries++;
      config.log?.warn(
        `${
          (error as Error).message
        } (${what}); reconnecting, retry ${attempt} of ${policy.limit} in ${delay} ms`,
      );
    },
  });
  let failure: { error: unknown } | undefined;
  const stopAll = (error: unknown): never => {
    failure ??= { error };
    halt.abort();
    keyQueue.fail(error);
    recordQueue.fail(error);
    throw error;
  };
  let stopped = false;

  const source = stages.source;
  if (isRecordSource(source)) {
    keyQueue.close();
    const queueRecords = async (batch: RecordBatch) => {
      const seq = tracker.open(batch.records.length, batch.position);
      stats.read += batch.read;
      stats.addFailures(batch.failures);
      if (batch.records.length === 0) return;
      await config.rate?.take(batch.records.length);
      let weight = 0;
      for (const record of batch.records) weight += recordWeight(record);
      if (config.dryRun) tracker.settle(seq, batch.records.length);
      else await recordQueue.push({ seq, keys: batch.records.length, records: batch.records }, weight);
    };
    const sourcingRecords = (async () => {
      for await (const batch of source.batches(sourceSignal)) await queueRecords(batch);
      stopped = config.signal?.aborted ?? false;
      recordQueue.close();
    })().catch(stopAll);
    await Promise.allSettled([sourcingRecords, writeLoops(stages.writers)]);
    if (failure) throw failure.error;
    return { stopped };
  }

  const sourcing = (async () => {
    for await (const batch of source.batches(sourceSignal)) {
      const seq = tracker.open(batch.keys.length, batch.position);
      if (batch.keys.length === 0) continue;
      await config.rate?.take(batch.keys.length);
      await keyQueue.push({ seq, keys: batch.keys });
    }
    stopped = config.signal?.aborted ?? false;
    keyQueue.close();
  })().catch(stopAll);

  const roundTripBytes = Math.max(
    1,
    Math.floor(config.queueBytes / (LOOPS_PER_STAGE * stages.readers.length)),
  );
  const reading = Promise.all(
    loops(stages.readers).map(async (reader) => {
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

  await Promise.allSettled([sourcing, reading, writeLoops(stages.writers)]);
  if (failure) throw failure.error;
  return { stopped };

  function writeLoops(writers: Writer[]): Promise<unknown> {
    return Promise.all(
      loops(writers).map(async (writer) => {
        for (let work = await recordQueue.take(); work !== undefined; work = await recordQueue.take()) {
          const result = await writeAll(writer, work.records, policy, retrying("writing"), stats, {
            halt: retrySignal,
            log: config.log,
          });
          stats.written += result.written;
          stats.vanished += result.deleted;
          stats.bytes += result.bytes;
          stats.addFailures(result.failures);
          tracker.settle(work.seq, work.keys);
        }
      }),
    ).catch(stopAll);
  }
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
  { halt, log }: { halt: AbortSignal; log?: Log },
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
    const againFailures: WriteResult["failures"] = [];
    result.failures.forEach((failure, i) => {
      if (isRetriableCode(failure.code) && round < policy.limit && !halt.aborted) {
        again.push(result.failedRecords[i]);
        againFailures.push(failure);
      } else {
        total.failures.push(failure);
        total.failedRecords.push(result.failedRecords[i]);
      }
    });
    if (again.length === 0) return total;
    const why = againFailures[againFailures.length - 1].reason;
    stats.retries++;
    // The same capped, jittered backoff as every other retry.
    const delay = backoffDelay(policy, round + 1);
    log?.warn(
      `${why} (writing ${again.length} record(s)); retry ${round + 1} of ${policy.limit} in ${delay} ms`,
    );
    await sleep(delay, halt);
    if (halt.aborted) {
      // Stopped while waiting: the records still refused are failures, never dropped without a word.
      total.failures.push(...againFailures);
      total.failedRecords.push(...again);
      return total;
    }
    pending = again;
  }
}

function loops<T>(stages: T[]): T[] {
  return stages.flatMap((stage) => Array(LOOPS_PER_STAGE).fill(stage));
}
