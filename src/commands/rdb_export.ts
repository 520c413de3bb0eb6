/**
 * `riot rdb-export FILE`: save a server's snapshot as an RDB file through the replication protocol (where
 * the source allows SYNC/PSYNC), like `redis-cli --rdb`, with progress by bytes and the file checked as it
 * streams (every item and the CRC64). Exit 0 with a complete, checked file; 1 otherwise (no file is left).
 */
import { type CommandModule, parseCommandArgs } from "../cli/command.ts";
import { CONNECTION_SPECS, toConnectionOptions } from "../cli/connection_flags.ts";
import { type OptionSpec, UsageError } from "../cli/parse.ts";
import { OUTPUT_SPECS } from "../cli/replication_specs.ts";
import { RdbExportJob, type RdbExportOutcome } from "../jobs/rdb_export.ts";
import { formatBytes, formatCount } from "../ui/format.ts";
import { defaultProgressStyle, Progress, type ProgressStyle } from "../ui/progress.ts";

const SPECS: readonly OptionSpec[] = [...CONNECTION_SPECS, ...OUTPUT_SPECS];

export const rdbExportCommand: CommandModule = {
  name: "rdb-export",
  summary: "Save a server's snapshot as an RDB file (as a replica, like redis-cli --rdb)",
  usage: `Usage: riot [OPTIONS] rdb-export FILE [OPTIONS]

Connects to the server as a replica (PSYNC), receives its snapshot and writes it to FILE (- for stdout),
checking every item and the CRC64 as it streams. The file appears only once it is complete and checked.
Managed services that refuse replication commands cannot be exported this way.

Examples:
  riot rdb-export backup.rdb -h 10.0.0.5 -p 6379
  riot -u redis://:secret@cache:6379 rdb-export - | gzip > backup.rdb.gz`,
  specs: SPECS,
  async run(context) {
    const { values, positionals } = parseCommandArgs(rdbExportCommand, context.argv);
    if (positionals.length !== 1) {
      throw new UsageError(
        positionals.length === 0
          ? "riot rdb-export needs the file to write (- for stdout)"
          : `riot rdb-export takes one file (got ${positionals.length}: ${positionals.join(" ")})`,
      );
    }
    const source = toConnectionOptions([context.global, values], context.env);
    if (source.cluster) {
      throw new UsageError("Cluster mode (-c) is not supported by rdb-export: export each master on its own");
    }
    const json = values.json === true;
    const toStdout = positionals[0] === "-";
    const style = (values.progress as ProgressStyle | undefined) ??
      (json || toStdout ? "none" : defaultProgressStyle());
    const job = new RdbExportJob({ source, output: positionals[0] }, context.log);
    const progress = new Progress({
      label: "rdb-export",
      style,
      logger: context.log,
      poll: () => ({
        done: job.progress.bytes,
        total: job.progress.total,
        extra: `${formatBytes(job.progress.bytes)}, ${formatCount(job.progress.keys)} keys`,
      }),
    });
    progress.start();
    let outcome: RdbExportOutcome | undefined;
    try {
      outcome = await job.run();
    } finally {
      progress.stop(outcome !== undefined);
    }
    if (json) context.out(`${JSON.stringify({ export: { file: positionals[0], ...outcome } })}\n`);
    else {
      context.log.notice(
        `Saved ${formatBytes(outcome.bytes)} (RDB ${outcome.version}, ${outcome.keys} keys${
          outcome.diskless ? ", diskless" : ""
        }) to ${positionals[0]} in ${outcome.seconds.toFixed(2)} s; ${
          outcome.checksum ? "CRC64 checked" : "the server saved no checksum (rdbchecksum no)"
        }`,
      );
    }
    return 0;
  },
};
