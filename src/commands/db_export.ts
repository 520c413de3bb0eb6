/**
 * `riot db-export "INSERT ... VALUES (:field, ...)"`: hashes and strings matching --key-pattern become rows
 * of a SQL database through named parameters, in transactions of --batch rows. Exit 0 when every key
 * became a row, 1 when some did not (listed with the key and the database's words), 2 for bad usage.
 */
import { type CommandModule, parseCommandArgs } from "../cli/command.ts";
import { CONNECTION_SPECS, toConnectionOptions } from "../cli/connection_flags.ts";
import { DATABASE_SPECS, databaseFrom } from "../cli/database_specs.ts";
import { type OptionSpec, UsageError } from "../cli/parse.ts";
import {
  KEY_SPECS,
  OUTPUT_SPECS,
  RETRY_SPECS,
  retryPolicyFrom,
  scanOptionsFrom,
} from "../cli/replication_specs.ts";
import { DbExportJob } from "../jobs/db_export.ts";
import { SqlError } from "../sql/sql_client.ts";
import { formatCount } from "../ui/format.ts";
import { defaultProgressStyle, Progress, type ProgressStyle } from "../ui/progress.ts";
import { reportNotCopied, statsJson } from "../ui/report.ts";
import { watchStopSignals } from "./stop_signals.ts";

const SPECS: readonly OptionSpec[] = [
  ...DATABASE_SPECS,
  {
    long: "key-regex",
    kind: "string",
    key: "keyRegex",
    arg: "REGEX",
    help: "Named groups of REGEX matched against the key become fields: 'order:(?<id>.*)'",
  },
  ...KEY_SPECS.filter((spec) => spec.key !== "threads" && spec.key !== "readFrom" && spec.key !== "batch"),
  {
    long: "batch",
    kind: "int",
    key: "batch",
    arg: "N",
    min: 1,
    help: "Rows per transaction",
    defaultText: "500",
  },
  ...RETRY_SPECS,
  ...OUTPUT_SPECS,
];

export const dbExportCommand: CommandModule = {
  name: "db-export",
  summary: "Export hashes (and strings) to a SQL table (PostgreSQL, MySQL/MariaDB, SQLite)",
  usage: `Usage: riot [REDIS OPTIONS] db-export --url URL "INSERT ... VALUES (:field, ...)" [OPTIONS]

Runs the statement once per key, with named parameters taken from the key: :key (the key), the named
groups of --key-regex, then the hash's fields (a string's value is :value). A parameter the key has no
value for is NULL. Rows go in transactions of --batch; a row the database refuses is listed with its key.

Examples:
  riot db-export --url postgres://postgres@localhost/shop --key-pattern 'order:*' \\
    --key-regex 'order:(?<id>.*)' "INSERT INTO orders (id, total) VALUES (:id, :total)"
  riot db-export --jdbc-url jdbc:sqlite:out.db "INSERT INTO kv VALUES (:key, :value)" --key-type string
`,
  specs: [...CONNECTION_SPECS, ...SPECS],
  async run(context) {
    const { values, positionals } = parseCommandArgs(dbExportCommand, context.argv);
    if (positionals.length !== 1) {
      throw new UsageError(
        positionals.length === 0
          ? 'riot db-export needs the statement: riot db-export --url URL "INSERT INTO t VALUES (:key, :field)"'
          : `riot db-export takes one statement (got ${positionals.length} arguments: quote it)`,
      );
    }
    const database = databaseFrom(values, context.env);
    let keyRegex: RegExp | undefined;
    if (values.keyRegex !== undefined) {
      try {
        keyRegex = new RegExp(values.keyRegex as string);
      } catch (error) {
        throw new UsageError(`--key-regex is not a valid pattern: ${(error as Error).message}`);
      }
    }
    const source = toConnectionOptions([context.global, values], context.env);
    if (source.cluster) {
      throw new UsageError(
        "Cluster mode (-c) is not supported by db-export yet: export each master on its own (without -c)",
      );
    }
    const json = values.json === true;
    const style = (values.progress as ProgressStyle | undefined) ?? (json ? "none" : defaultProgressStyle());
    const job = new DbExportJob({
      source,
      scan: scanOptionsFrom(values),
      database,
      statement: positionals[0],
      batch: (values.batch as number | undefined) ?? 500,
      keyRegex,
      retry: retryPolicyFrom(values),
      timeoutMs: source.timeoutMs,
    }, context.log);
    const stats = job.stats;
    const progress = new Progress({
      label: "db-export",
      style,
      logger: context.log,
      poll: () => ({
        done: stats.written + stats.vanished + stats.failed,
        total: job.total,
        totalEstimated: values.keyPattern !== undefined || values.keyType !== undefined,
        extra: `scanned ${stats.scanned}${stats.failed ? ` | failed ${stats.failed}` : ""}`,
      }),
    });
    const signals = watchStopSignals(context, {
      stop: () => job.stop(),
      meaning: () => "finishing the rows in flight, then stopping",
    });
    progress.start();
    let outcome;
    try {
      outcome = await job.run();
    } catch (error) {
      if (error instanceof SqlError) {
        context.log.error(error.message);
        return 1;
      }
      throw error;
    } finally {
      progress.stop(outcome !== undefined);
      signals.close();
    }
    const seconds = stats.elapsedSeconds;
    if (json) context.out(`${JSON.stringify({ export: statsJson(stats) })}\n`);
    else {
      context.log.notice(
        `Exported ${stats.written} rows in ${seconds.toFixed(2)} s (${
          formatCount(stats.written / Math.max(seconds, 1e-9))
        } rows/s): scanned ${stats.scanned}, read ${stats.read}, vanished ${stats.vanished}, failed ${stats.failed}`,
      );
    }
    reportNotCopied(stats, context.log);
    if (outcome.stopped) return signals.exitCode;
    return stats.failed > 0 ? 1 : 0;
  },
};
