/**
 * `rdb-import`, wiring only: open the input (file, stdin, URL; gzip inflated), open the target, and run
 * the transfer engine with the RDB file as its record source and RESTORE writers with the type-based
 * fallback (rdb_writers.ts) as writers (records from
 * the file go straight to the writers: there is nothing to read from a server). Then the count check: every
 * key of the file that passed the filters, and every function library, must have been written.
 *
 * A cluster target (-c) gets every key in database 0 (the only one a cluster has; a warning says when the
 * file had keys elsewhere), each routed by its slot, and function libraries on every master.
 *
 * `stop()` (SIGINT/SIGTERM) ends the copy at a batch boundary; in-flight writes finish. Memory: one chunk
 * of the input, the transfer's bounded queues, and at most one item of `maxItemBytes` in the file reader.
 */
import type { Log } from "../log.ts";
import { ReplicationStats } from "../pipeline/stats.ts";
import { transfer } from "../pipeline/transfer.ts";
import { openEndpoint } from "../redis/open_endpoint.ts";
import type { ServerEndpoint } from "../redis/server_endpoint.ts";
import type { ConnectionOptions } from "../redis/options.ts";
import type { RetryPolicy } from "../retry.ts";
import { RdbRecordSource, type RdbSourceOptions, type RdbSummary } from "../sources/rdb_source.ts";
import { openRdbInput, type RdbInput } from "./rdb_input.ts";
import { rdbWriters } from "./rdb_writers.ts";

export interface RdbImportConfig {
  input: string;
  target: ConnectionOptions;
  /** Filters, key renaming, database, batch size: see RdbSourceOptions. */
  source: RdbSourceOptions;
  threads: number;
  queueBytes: number;
  dryRun: boolean;
  retry: RetryPolicy;
  /** Copy by type what the target's RESTORE refuses (default); false for --no-fallback. */
  fallback: boolean;
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
      // A cluster node reached without -c (it would answer MOVED to most keys) is refused in one line.
      target = await openEndpoint(config.target, "target", config.threads, { flag: "-c" });
      this.log.info(`Importing ${input.name} into ${target.name}`);
      const source = this.source = new RdbRecordSource(input.stream, config.source);
      const writers = await rdbWriters(target, {
        fallback: config.fallback,
        dryRun: config.dryRun,
        stats: this.stats,
        log: this.log,
        selectedDb: config.target.db,
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
      if (target.isCluster) this.warnMergedDatabases(source.summary);
      const outcome: RdbImportOutcome = { stats: this.stats, summary: source.summary, stopped };
      if (!stopped && !config.dryRun) outcome.check = countCheck(source.summary, this.stats);
      return outcome;
    } finally {
      target?.close();
      await input.stream.cancel().catch(() => {});
    }
  }

  /** A cluster has database 0 only: keys of the file's other databases went there too. */
  private warnMergedDatabases(summary: RdbSummary): void {
    const others = [...summary.databases].filter(([db, entry]) => db !== 0 && entry.keys > 0);
    if (others.length === 0) return;
    const keys = others.reduce((sum, [, entry]) => sum + entry.keys, 0);
    this.log.warn(
      `${keys} key(s) of databases ${
        others.map(([db]) => db).join(", ")
      } of the file went to database 0 of the cluster (a cluster has no other): a name used in several of them keeps the value read last`,
    );
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
