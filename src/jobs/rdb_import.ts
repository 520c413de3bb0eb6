/**
 * `rdb-import`, wiring only: open the input (file, stdin, URL; gzip inflated), open the target, and run
 * the transfer engine with the RDB file as its record source and RestoreWriters as writers (records from
 * the file go straight to the writers: there is nothing to read from a server). Then the count check: every
 * key of the file that passed the filters, and every function library, must have been written.
 *
 * A cluster target (-c): keys are routed by slot, function libraries go to every master
 * (EveryMasterWriter); the caller sends every key to database 0 (`source.db`), the only one a cluster has.
 *
 * `stop()` (SIGINT/SIGTERM) ends the copy at a batch boundary; in-flight writes finish. Memory: one chunk
 * of the input, the transfer's bounded queues, and at most one item of `maxItemBytes` in the file reader.
 */
import type { Log } from "../log.ts";
import { ReplicationStats } from "../pipeline/stats.ts";
import { transfer } from "../pipeline/transfer.ts";
import { assertStandalone } from "../redis/cluster/detect.ts";
import { openEndpoint } from "../redis/open_endpoint.ts";
import type { ServerEndpoint } from "../redis/server_endpoint.ts";
import type { ConnectionOptions } from "../redis/options.ts";
import type { RetryPolicy } from "../retry.ts";
import { RdbRecordSource, type RdbSourceOptions, type RdbSummary } from "../sources/rdb_source.ts";
import { EveryMasterWriter } from "../writers/every_master_writer.ts";
import { RestoreWriter } from "../writers/restore_writer.ts";
import { openRdbInput, type RdbInput } from "./rdb_input.ts";

export interface RdbImportConfig {
  input: string;
  target: ConnectionOptions;
  /** Filters, key renaming, database, batch size: see RdbSourceOptions. */
  source: RdbSourceOptions;
  threads: number;
  queueBytes: number;
  dryRun: boolean;
  retry: RetryPolicy;
}

export interface CountCheck {
  /** Keys (after the filters) and function libraries the file holds. */
  expected: number;
  written: number;
  failed: number;
  ok: boolean;
  /** Databases whose resize hint announced another key count than the file held. */
  hintMismatches: { db: number; announced: number; keys: number }[];
}

export interface RdbImportOutcome {
  stats: ReplicationStats;
  summary: RdbSummary;
  check?: CountCheck;
  stopped: boolean;
}

export class RdbImportJob {
  readonly stats = new ReplicationStats();
  input: RdbInput | undefined;
  source: RdbRecordSource | undefined;
  private readonly stopper = new AbortController();

  constructor(private readonly config: RdbImportConfig, private readonly log: Log) {}

  stop(): void {
    this.stopper.abort();
  }

  async run(): Promise<RdbImportOutcome> {
    const config = this.config;
    const input = this.input = await openRdbInput(config.input);
    let target: ServerEndpoint | undefined;
    try {
      target = await openEndpoint(config.target, "target", config.threads, { flag: "-c" });
      // A cluster node reached without -c would answer MOVED to most keys: one line instead.
      if (!target.isCluster) await assertStandalone(target.control, "-c");
      this.log.info(`Importing ${input.name} into ${target.name}`);
      const source = this.source = new RdbRecordSource(input.stream, config.source);
      const writers = Array.from({ length: target.workers }, (_, i) => {
        const writer = new RestoreWriter(() => target!.worker(i), config.target.db);
        return target!.isCluster
          ? new EveryMasterWriter(writer, () => target!.nodes().map((node) => node.commands))
          : writer;
      });
      const { stopped } = await transfer({
        source,
        readers: [],
        writers,
        reconnect: () => target!.reconnect(),
      }, {
        batch: config.source.batch,
        queueBatches: 8,
        queueBytes: config.queueBytes,
        dryRun: config.dryRun,
        retry: config.retry,
        signal: this.stopper.signal,
        log: this.log,
      }, this.stats);
      this.stats.copySeconds = this.stats.elapsedSeconds;
      this.stats.copyWritten = this.stats.written;
      const outcome: RdbImportOutcome = { stats: this.stats, summary: source.summary, stopped };
      if (!stopped && !config.dryRun) outcome.check = countCheck(source.summary, this.stats);
      return outcome;
    } finally {
      target?.close();
      await input.stream.cancel().catch(() => {});
    }
  }
}

function countCheck(summary: RdbSummary, stats: ReplicationStats): CountCheck {
  const expected = summary.keys - summary.filtered + summary.functions;
  const hintMismatches = [...summary.databases]
    .filter(([, entry]) => entry.announced !== undefined && entry.announced !== entry.keys)
    .map(([db, entry]) => ({ db, announced: entry.announced!, keys: entry.keys }));
  return {
    expected,
    written: stats.written,
    failed: stats.failed,
    ok: stats.written === expected && stats.failed === 0,
    hintMismatches,
  };
}
