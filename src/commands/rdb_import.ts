/**
 * `riot rdb-import FILE`: restore an RDB file (a backup from SAVE/BGSAVE, `redis-cli --rdb`, ElastiCache or
 * Memorystore; `.rdb.gz`, `-` for stdin or an https:// URL) into a target, with the key filters,
 * `--key-proc`, progress by bytes, refused keys reported as replicate does, and a final count check against
 * the file. Exit 0 when every key that passed the filters was written; 1 otherwise.
 */
import { type CommandContext, type CommandModule, parseCommandArgs } from "../cli/command.ts";
import { CONNECTION_SPECS, toConnectionOptions } from "../cli/connection_flags.ts";
import { type OptionSpec, type ParsedValues, UsageError } from "../cli/parse.ts";
import { KEY_SPECS, OUTPUT_SPECS, RETRY_SPECS, retryPolicyFrom } from "../cli/replication_specs.ts";
import { type CountCheck, RdbImportJob, type RdbImportOutcome } from "../jobs/rdb_import.ts";
import { globMatch, keyFilter } from "../sources/glob.ts";
import { keyTemplate } from "../sources/key_template.ts";
import { formatBytes, formatCount } from "../ui/format.ts";
import { defaultProgressStyle, Progress, type ProgressStyle } from "../ui/progress.ts";
import { reportNotCopied, reportTypeBased, statsJson } from "../ui/report.ts";
import { watchStopSignals } from "./stop_signals.ts";

const KEY_OPTIONS = new Set(["key-pattern", "key-type", "key-include", "key-exclude", "batch", "threads"]);

const SPECS: readonly OptionSpec[] = [
  ...CONNECTION_SPECS,
  ...KEY_SPECS.filter((spec) => KEY_OPTIONS.has(spec.long)).map((spec) =>
    spec.long === "key-type" ? { ...spec, choices: [...(spec.choices ?? []), "module"] } : spec
  ),
  {
    long: "key-proc",
    kind: "string",
    key: "keyProc",
    arg: "TEMPLATE",
    help: "Rename keys: #{key} stands for the key in the file, e.g. 'copy:#{key}'",
  },
  {
    long: "queue-bytes",
    kind: "bytes",
    key: "queueBytes",
    arg: "SIZE",
    min: 1,
    help: "Payload bytes waiting for the writers",
    defaultText: "128mb",
  },
  {
    long: "item-limit",
    kind: "bytes",
    key: "itemLimit",
    arg: "SIZE",
    min: 1,
    help: "Largest key with its value accepted from the file",
    defaultText: "512mb",
  },
  { long: "dry-run", kind: "flag", key: "dryRun", help: "Read and check the whole file, write nothing" },
  {
    long: "no-fallback",
    kind: "flag",
    key: "noFallback",
    help: "Report keys the target's RESTORE refuses (older RDB version) instead of writing them by type",
  },
  ...RETRY_SPECS,
  ...OUTPUT_SPECS,
];

export const rdbImportCommand: CommandModule = {
  name: "rdb-import",
  summary: "Restore an RDB file (a backup, redis-cli --rdb) into a server",
  usage: `Usage: riot [OPTIONS] rdb-import FILE [OPTIONS]

Reads an RDB file as it streams (FILE.rdb, FILE.rdb.gz, - for stdin, or an https:// URL) and restores
every key with RESTORE ... REPLACE [ABSTTL] (by type, with ordinary write commands, where the target's RDB
version is older than the file's; --no-fallback reports those keys instead), function libraries with
FUNCTION LOAD REPLACE. Keys go to
the database they are in in the file, unless the target names one (-n N or /N in the URI): then all go
there. A cluster target (-c) has database 0 only: every key goes there, routed by slot, and function
libraries go to every master. Ends with a count check: every key of the file that passed the filters
must have been written.

Examples:
  riot rdb-import dump.rdb -h 10.0.0.5 -p 6380
  riot rdb-import backup.rdb.gz -u redis://tgt:6379 --key-include 'user:*' --key-proc 'old:#{key}'
  redis-cli --rdb - | riot rdb-import - -p 6380`,
  specs: SPECS,
  async run(context) {
    const { values, positionals } = parseCommandArgs(rdbImportCommand, context.argv);
    if (positionals.length !== 1) {
      throw new UsageError(
        positionals.length === 0
          ? "riot rdb-import needs the RDB file: a path, - for stdin, or an https:// URL"
          : `riot rdb-import takes one file (got ${positionals.length}: ${positionals.join(" ")})`,
      );
    }
    const target = toConnectionOptions([context.global, values], context.env);
    // A cluster has database 0 only: every key of the file goes there (-n other than 0 is refused on connect).
    const namesDb = target.cluster || values.db !== undefined || context.global.db !== undefined ||
      target.db !== 0;
    const json = values.json === true;
    const style = (values.progress as ProgressStyle | undefined) ?? (json ? "none" : defaultProgressStyle());
    const threads = (values.threads as number | undefined) ?? Math.max(1, Math.min(2, target.pool - 1));
    const job = new RdbImportJob({
      input: positionals[0],
      target,
      source: {
        batch: (values.batch as number | undefined) ?? 1000,
        filter: filterFrom(values),
        types: values.keyType ? new Set([values.keyType as string]) : undefined,
        keyProc: values.keyProc !== undefined ? keyTemplate(values.keyProc as string) : undefined,
        db: target.cluster ? 0 : namesDb ? target.db : undefined,
        maxItemBytes: values.itemLimit as number | undefined,
      },
      threads,
      queueBytes: (values.queueBytes as number | undefined) ?? 128 * 1024 * 1024,
      dryRun: values.dryRun === true,
      retry: retryPolicyFrom(values),
      fallback: values.noFallback !== true,
    }, context.log);
    const progress = new Progress({
      label: "rdb-import",
      style,
      logger: context.log,
      poll: () => ({
        done: job.input?.consumed() ?? 0,
        total: job.input?.size,
        extra: `${formatCount(job.stats.written)} keys written${
          job.stats.failed > 0 ? `, ${formatCount(job.stats.failed)} failed` : ""
        }`,
      }),
    });
    const signals = watchStopSignals(context, {
      stop: () => job.stop(),
      meaning: () => "finishing in-flight writes, then stopping",
    });
    progress.start();
    let outcome: RdbImportOutcome | undefined;
    try {
      outcome = await job.run();
    } finally {
      progress.stop(outcome !== undefined);
      signals.close();
    }
    const { stats, summary, check } = outcome;
    if (json) {
      context.out(`${
        JSON.stringify({
          import: statsJson(stats),
          file: {
            version: summary.version,
            bytes: summary.bytes,
            keys: summary.keys,
            filtered: summary.filtered,
            expired: summary.expired,
            functions: summary.functions,
            checksum: summary.checksum === undefined ? undefined : summary.checksum !== 0n,
          },
          check,
          stopped: outcome.stopped ? signals.received ?? true : undefined,
        })
      }\n`);
    } else {
      const seconds = stats.elapsedSeconds;
      context.log.notice(
        `Imported ${stats.written} keys from ${formatBytes(summary.bytes)} of RDB ${summary.version} in ${
          seconds.toFixed(2)
        } s (${
          formatCount(stats.written / Math.max(seconds, 1e-3))
        } keys/s): ${summary.keys} keys in the file, ${summary.filtered} filtered out, ${summary.expired} already expired, ${summary.functions} function libraries, failed ${stats.failed}`,
      );
      if (summary.checksum === 0n) {
        context.log.warn("The file has no checksum (saved with rdbchecksum no): not checked");
      }
    }
    reportTypeBased(stats, context.log);
    reportNotCopied(stats, context.log);
    if (outcome.stopped) {
      context.log.warn(
        `Stopped ${
          signals.received ? `by ${signals.received} ` : ""
        }after ${stats.written} keys: run it again to import the whole file (RESTORE ... REPLACE makes that safe)`,
      );
      return signals.exitCode;
    }
    if (check && !json) reportCheck(check, context);
    // Hash field TTLs the target cannot keep are data lost too (as in replicate).
    return stats.failed > 0 || stats.fieldTtlsDropped > 0 || (check !== undefined && !check.ok) ? 1 : 0;
  },
};

function reportCheck(check: CountCheck, context: CommandContext): void {
  for (const { db, announced, keys } of check.hintMismatches) {
    context.log.warn(`The file announced ${announced} keys in database ${db} but holds ${keys}`);
  }
  const line =
    `Count check: ${check.expected} keys and libraries in the file after the filters, ${check.written} written`;
  if (check.ok) context.log.notice(`${line}: OK`);
  else context.log.error(`${line}, ${check.failed} failed: the target does not have the whole file`);
}

function filterFrom(values: ParsedValues): ((key: Uint8Array) => boolean) | undefined {
  const globs = keyFilter((values.keyInclude as string[]) ?? [], (values.keyExclude as string[]) ?? []);
  const pattern = values.keyPattern === undefined
    ? undefined
    : new TextEncoder().encode(values.keyPattern as string);
  if (!pattern) return globs;
  return (key) => globMatch(pattern, key) && (globs === undefined || globs(key));
}
