/**
 * `riot file-import FILE... [OPERATION [OPTIONS]]...`: records of CSV/TSV/PSV, fixed-width, JSON, JSON
 * lines or XML files (paths, globs, `-`, http(s) URLs, .gz) become Redis writes through the chain of write
 * operations. Exit 0 when every record was written (or left out on purpose by --filter /
 * --ignore-missing), 1 when any failed or the run could not finish, 2 for bad usage.
 */
import { type CommandContext, type CommandModule, LOG_SPECS } from "../cli/command.ts";
import { CONNECTION_SPECS, toConnectionOptions } from "../cli/connection_flags.ts";
import {
  IMPORT_SPECS,
  operationsHelp,
  PROCESSING_SPECS,
  splitOperations,
  toImportConfig,
  toOperations,
  toProcessing,
} from "../cli/import_args.ts";
import { type OptionSpec, parseArgs, type ParsedValues, UsageError } from "../cli/parse.ts";
import type { Fields } from "../expr/mod.ts";
import { FILE_TYPES, FileInput, type FileOptions, type FileType } from "../imports/files/file_input.ts";
import { parseRanges } from "../imports/files/fixed_width.ts";
import { ImportJob } from "../imports/import_job.ts";
import { restoreRecord } from "../imports/dump_restore.ts";
import { RecordProcessor } from "../imports/record_processor.ts";
import { importJson, importSummary, reportImportFailures, showImportProgress } from "../ui/import_report.ts";
import { defaultProgressStyle, type ProgressStyle } from "../ui/progress.ts";
import { watchStopSignals } from "./stop_signals.ts";

const FILE_SPECS: readonly OptionSpec[] = [
  {
    long: "type",
    aliases: ["filetype"],
    kind: "string",
    key: "type",
    arg: "TYPE",
    choices: FILE_TYPES,
    help: `File format: ${FILE_TYPES.join(", ")}`,
    defaultText: "from the extension (before .gz)",
  },
  {
    long: "delimiter",
    kind: "string",
    key: "delimiter",
    arg: "CHAR",
    help: "Field delimiter",
    defaultText: ", for csv, tab for tsv, | for psv",
  },
  { long: "quote", kind: "string", key: "quote", arg: "CHAR", help: "Quote character", defaultText: '"' },
  { long: "header", kind: "flag", key: "header", help: "The first line names the fields" },
  {
    long: "header-line",
    kind: "int",
    key: "headerLine",
    arg: "N",
    min: 1,
    help: "The fields are named on line N (lines before it are skipped)",
  },
  {
    long: "fields",
    aliases: ["names"],
    kind: "list",
    key: "fields",
    arg: "NAME",
    multiple: true,
    help: "Field names (delimited files without a header, fixed-width files)",
  },
  {
    long: "skip-lines",
    aliases: ["skip"],
    kind: "int",
    key: "skipLines",
    arg: "N",
    min: 0,
    help: "Lines to skip at the start of each file",
    defaultText: "0",
  },
  { long: "max", kind: "int", key: "max", arg: "N", min: 1, help: "Read at most N records" },
  {
    long: "ranges",
    kind: "list",
    key: "ranges",
    arg: "RANGE",
    multiple: true,
    splitCommas: false,
    help: "Fixed-width columns: 1 9 25 (starts) or 1-8 9-24 25-",
  },
];

const SPECS: readonly OptionSpec[] = [
  ...FILE_SPECS,
  ...PROCESSING_SPECS,
  ...IMPORT_SPECS,
  ...CONNECTION_SPECS,
];

const USAGE = `Usage: riot [REDIS OPTIONS] file-import [OPTIONS] FILE... OPERATION [OPTIONS] [OPERATION ...]

Reads records from files (CSV, TSV, PSV, fixed-width, JSON arrays, JSON lines, XML; paths, globs, - for
stdin, http(s) URLs; .gz read transparently) and writes each through the chain of write operations.
Connection options (-h, -p, -u, --tls, -c ...) go before the first operation. Nested JSON fields are named
a.b and a[0]. Expressions (--filter, --proc) are described in the README ("Expressions"). Without a
write operation the files are a data-structure dump (file-export's JSON or XML, RIOT's redis-dump.json),
restored exactly. --fields, --ranges, --key, --include take several values: put FILEs before them.

Operations and their options:
${operationsHelp()}

Examples:
  riot file-import -h host -p 6380 users.csv --header hset --keyspace user --key id
  riot file-import beers.json hset --keyspace beer --key id expire --keyspace beer --key id --ttl 3600000
  riot file-import data.csv.gz --header --filter "age > 18" --proc "name=first + ' ' + last" hset --keyspace p --key id
  riot file-import data.txt --type fw --ranges 1 9 25 --fields id name city hset --keyspace c --key id
  riot file-import dump.jsonl.gz          (no operation: restore a data-structure dump from file-export)
  riot file-import -h host -p 7000 -c dump.xml      (the same into a cluster, from file-export's XML)
`;

export const fileImportCommand: CommandModule = {
  name: "file-import",
  summary: "Import CSV, fixed-width, JSON or XML files into Redis",
  usage: USAGE,
  specs: SPECS,
  ownArgv: (argv) => splitOperations(argv, [...SPECS, ...LOG_SPECS], CONNECTION_SPECS).head,
  async run(context: CommandContext): Promise<number> {
    const { head, operations } = splitOperations(context.argv, [...SPECS, ...LOG_SPECS], CONNECTION_SPECS);
    const { values, positionals } = parseArgs(head, [...SPECS, ...LOG_SPECS], "riot file-import");
    if (positionals.length === 0) {
      throw new UsageError("riot file-import needs at least one FILE (or - for stdin)");
    }
    const target = toConnectionOptions([context.global, values], context.env);
    const config = toImportConfig(values, target);
    const dump = operations.length === 0;
    if (dump) {
      for (const name of ["filter", "procs", "regexes"]) {
        if (values[name] !== undefined) {
          throw new UsageError(
            `--${
              name.replace(/s$/, "")
            } needs a write operation: without one, file-import restores a data-structure dump as it is`,
          );
        }
      }
    }
    const writes = toOperations(operations);
    const processing = toProcessing(values);
    const options = fileOptions(values);
    const processor = new RecordProcessor(processing, writes);

    const json = values.json === true;
    const style = (values.progress as ProgressStyle | undefined) ??
      (json || !context.log.enabled("warn") ? "none" : defaultProgressStyle());
    const job = new ImportJob(config, context.log);
    const signals = watchStopSignals(context, {
      stop: () => job.stop(),
      meaning: () => "finishing in-flight writes, then stopping",
      abortNote: "in-flight writes may be lost",
    });
    const display = showImportProgress(job, style, context.log);
    let outcome;
    try {
      outcome = dump
        ? await job.run(
          await openFiles(positionals, () => FileInput.createDump(positionals, options)),
          restoreRecord,
        )
        : await job.run<Fields>(
          await openFiles(positionals, () => FileInput.create(positionals, options)),
          (fields, origin) => processor.process(fields, origin),
        );
    } finally {
      display.stop(outcome !== undefined);
      signals.close();
    }
    const stats = outcome.stats;
    if (json) context.out(`${JSON.stringify(importJson(outcome))}\n`);
    else context.log.notice(importSummary(stats));
    reportImportFailures(stats, context.log);
    if (outcome.skipLimit) context.log.error(outcome.skipLimit);
    if (outcome.stopped) {
      context.log.warn(`Stopped by ${signals.received ?? "a signal"} after ${stats.read} records read`);
      return signals.exitCode;
    }
    return stats.failed > 0 || outcome.skipLimit ? 1 : 0;
  },
};

function fileOptions(values: ParsedValues): FileOptions {
  const options: FileOptions = {
    type: values.type as FileType | undefined,
    delimiter: values.delimiter === "\\t" ? "\t" : values.delimiter as string | undefined,
    quote: (values.quote as string | undefined) ?? '"',
    header: values.header === true,
    headerLine: values.headerLine as number | undefined,
    fields: values.fields as string[] | undefined,
    skipLines: (values.skipLines as number | undefined) ?? 0,
    max: values.max as number | undefined,
  };
  if (options.delimiter === "") throw new UsageError("--delimiter must not be empty");
  if (options.quote.length > 1) {
    throw new UsageError(`--quote must be one character (got '${options.quote}')`);
  }
  try {
    if (values.ranges !== undefined) options.ranges = parseRanges(values.ranges as string[]);
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message);
    throw error;
  }
  return options;
}

/** Open the inputs; a RangeError (a type it cannot tell, options a format needs) is a usage error. */
async function openFiles<T>(_names: string[], open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message);
    throw error;
  }
}
