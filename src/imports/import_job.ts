/**
 * One import, wiring only (no UI): open the target (a standalone server, or a cluster with -c: each
 * record's commands are then routed by the slot of their key, in order), run the transfer engine with an
 * ImportSource and one RestoreWriter per worker connection, and report what happened. file-import,
 * db-import and faker differ only in their ImportInput and their `process` function.
 *
 *   const job = new ImportJob(config, log);
 *   const outcome = await job.run(input, process);    // job.stats, job.input for progress meanwhile
 *   job.stop()                                        // SIGINT: stop at a batch boundary, writes finish
 *
 * `run` resolves with the counters (failures listed with their origin) and `stopped` / `skipLimit` set
 * when the run ended early; it rejects for what stops a run as a whole (the target unreachable beyond
 * retries, an unreadable input such as a missing file, a cluster node without -c or -c against a
 * standalone server: ClusterModeError).
 */
import type { Log } from "../log.ts";
import { RateLimit } from "../pipeline/rate.ts";
import { transfer } from "../pipeline/transfer.ts";
import { openEndpoint } from "../redis/open_endpoint.ts";
import type { ConnectionOptions } from "../redis/options.ts";
import type { RetryPolicy } from "../retry.ts";
import { RestoreWriter } from "../writers/restore_writer.ts";
import { type ImportInput, ImportSource, SkipLimitError } from "./import_source.ts";
import { ImportStats } from "./import_stats.ts";
import type { Processed } from "./record_processor.ts";

export interface ImportConfig {
  target: ConnectionOptions;
  /** Writer connections. */
  threads: number;
  /** Records per write round trip. */
  batch: number;
  /** Record batches waiting for the writers, and their bytes. */
  queueBatches: number;
  queueBytes: number;
  dryRun: boolean;
  retry: RetryPolicy;
  /** Stop once more than this many records failed (undefined: never stop, report them all). */
  skipLimit?: number;
  /** Records per second at most. */
  rate?: number;
}

export interface ImportOutcome {
  stats: ImportStats;
  /** True when stop() ended the run early. */
  stopped: boolean;
  /** The --skip-limit message when the run stopped because too many records failed. */
  skipLimit?: string;
}

export class ImportJob {
  readonly stats = new ImportStats();
  /** The input being read (progress: done / total in its own unit). */
  input: ImportInput<unknown> | undefined;
  private readonly stopSignal = new AbortController();

  constructor(private readonly config: ImportConfig, private readonly log: Log) {}

  stop(): void {
    this.stopSignal.abort();
  }

  async run<T>(
    input: ImportInput<T>,
    process: (value: T, origin: string) => Processed,
  ): Promise<ImportOutcome> {
    const config = this.config;
    this.input = input as ImportInput<unknown>;
    // A cluster node reached without -c (it would answer MOVED to most records) is refused in one line.
    const target = await openEndpoint(config.target, "target", config.threads, { flag: "-c" });
    try {
      this.log.info(`Target ${target.name}`);
      const writers = Array.from(
        { length: config.threads },
        (_, i) => new RestoreWriter(() => target.worker(i)),
      );
      const source = new ImportSource(input, process, this.stats, {
        batch: config.batch,
        skipLimit: config.skipLimit,
      });
      const rate = config.rate === undefined ? undefined : new RateLimit(config.rate, this.stopSignal.signal);
      const outcome: ImportOutcome = { stats: this.stats, stopped: false };
      try {
        const result = await transfer({ source, readers: [], writers, reconnect: () => target.reconnect() }, {
          batch: config.batch,
          queueBatches: config.queueBatches,
          queueBytes: config.queueBytes,
          dryRun: config.dryRun,
          retry: config.retry,
          rate,
          signal: this.stopSignal.signal,
          log: this.log,
        }, this.stats);
        outcome.stopped = result.stopped;
      } catch (error) {
        if (!(error instanceof SkipLimitError)) throw error;
        outcome.skipLimit = error.message;
      }
      this.stats.copySeconds = this.stats.elapsedSeconds;
      return outcome;
    } finally {
      target.close();
    }
  }
}
