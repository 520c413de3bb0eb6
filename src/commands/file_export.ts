/**
 * `riot file-export [FILE]`: keys to a file (or stdout) as JSON lines, a JSON array or XML, one record per
 * key `{key, type, ttl, value}` (src/exports/dump_format.ts). Exit 0 when every key was exported, 1 when
 * some could not be (listed with the server's words), 2 for bad usage.
 */
import { type CommandModule, parseCommandArgs } from "../cli/command.ts";
import { CONNECTION_SPECS, toConnectionOptions } from "../cli/connection_flags.ts";
import { type OptionSpec, UsageError } from "../cli/parse.ts";
import {
  KEY_SPECS,
  LIVE_SPECS,
  OUTPUT_SPECS,
  RETRY_SPECS,
  retryPolicyFrom,
  scanOptionsFrom,
} from "../cli/replication_specs.ts";
import { type ExportFormat, FileExportJob } from "../jobs/file_export.ts";
import { formatBytes, formatCount } from "../ui/format.ts";
import { defaultProgressStyle, Progress, type ProgressStyle } from "../ui/progress.ts";
import { reportNotCopied, statsJson } from "../ui/report.ts";
import { watchStopSignals } from "./stop_signals.ts";

const SPECS: readonly OptionSpec[] = [
  {
    long: "format",
    aliases: ["type"],
    kind: "string",
    key: "format",
    arg: "FORMAT",
    choices: ["jsonl", "json", "xml"],
    help: "jsonl (one record per line), json (one array) or xml",
    defaultText: "from the file name (.json, .jsonl, .xml, with or without .gz); jsonl on stdout",
  },
  {
    long: "window",
    kind: "int",
    key: "window",
    arg: "N",
    min: 1,
    help: "Members per read of a big key (HSCAN, LRANGE ...; N KiB per string read)",
    defaultText: "1000",
  },
  {
    long: "mode",
    kind: "string",
    key: "mode",
    arg: "MODE",
    choices: ["snapshot", "live"],
    normalize: (raw) => raw.toLowerCase() === "scan" ? "snapshot" : raw,
    help: "snapshot: export once; live: then keep exporting changed keys (JSON lines) until idle or Ctrl-C",
    defaultText: "snapshot",
  },
  ...LIVE_SPECS,
  ...KEY_SPECS.filter((spec) => spec.key !== "threads" && spec.key !== "readFrom"),
  ...RETRY_SPECS,
  ...OUTPUT_SPECS,
];

/** The format a file name implies, or undefined. */
export function formatOfPath(path: string): ExportFormat | undefined {
  const name = path.toLowerCase().replace(/\.gz$/, "");
  if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) return "jsonl";
  if (name.endsWith(".json")) return "json";
  if (name.endsWith(".xml")) return "xml";
  return undefined;
}

export const fileExportCommand: CommandModule = {
  name: "file-export",
  summary: "Export keys to a JSON, JSON lines or XML file (or stdout)",
  usage: `Usage: riot [OPTIONS] file-export [FILE] [OPTIONS]

Writes one record per key, {"key", "type", "ttl", "value"} (ttl: absolute Unix ms, -1 for none), the
format file-import restores. Bytes that are not UTF-8 are written as \\udcXX escapes, so binary keys and
values come back exactly. A FILE ending in .gz is compressed; without FILE (or with -) records go to stdout.

With --mode live, keyspace notifications are followed after the scan: each changed key is written again
as it changes, a deleted key as {"key": ..., "type": "none", "ttl": -2, "value": null}.

Examples:
  riot -p 6379 file-export dump.json --key-pattern 'user:*'
  riot -p 6379 file-export changes.jsonl --mode live --idle-timeout 10s
  riot file-export -u redis://host:6380 dump.jsonl.gz --key-type hash
`,
  specs: [...CONNECTION_SPECS, ...SPECS],
  async run(context) {
    const { values, positionals } = parseCommandArgs(fileExportCommand, context.argv);
    if (positionals.length > 1) {
      throw new UsageError(`Too many arguments: ${positionals.slice(1).join(" ")} (expected at most FILE)`);
    }
    const path = positionals[0] ?? "-";
    const format = (values.format as ExportFormat | undefined) ?? formatOfPath(path);
    if (format === undefined) {
      throw new UsageError(
        `Cannot tell the format of ${path} from its name: add --format jsonl, json or xml`,
      );
    }
    const live = values.mode === "live";
    if (live && format !== "jsonl") {
      throw new UsageError(
        `--mode live writes JSON lines: use a .jsonl file or --format jsonl (got ${format})`,
      );
    }
    for (const name of ["idleTimeout", "flushInterval", "eventQueue", "configSet"]) {
      if (!live && values[name] !== undefined) {
        throw new UsageError(`--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} needs --mode live`);
      }
    }
    const json = values.json === true;
    if (json && path === "-") {
      throw new UsageError("--json prints the summary on stdout, where the records go: give a FILE");
    }
    const source = toConnectionOptions([context.global, values], context.env);
    if (source.cluster) {
      throw new UsageError(
        "Cluster mode (-c) is not supported by file-export yet: export each master on its own (without -c)",
      );
    }
    const style = (values.progress as ProgressStyle | undefined) ??
      (json || path === "-" ? "none" : defaultProgressStyle());
    const job = new FileExportJob({
      source,
      scan: scanOptionsFrom(values),
      path,
      format,
      window: (values.window as number | undefined) ?? 1000,
      batch: (values.batch as number | undefined) ?? 1000,
      retry: retryPolicyFrom(values),
      live: live
        ? {
          idleTimeoutMs: values.idleTimeout as number | undefined,
          flushIntervalMs: (values.flushInterval as number | undefined) ?? 50,
          eventQueue: (values.eventQueue as number | undefined) ?? 100_000,
          configSet: values.configSet === true,
        }
        : undefined,
    }, context.log);
    const stats = job.stats;
    const progress = new Progress({
      label: "exporting",
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
      meaning: () => "finishing the keys in flight, then stopping",
    });
    progress.start();
    let outcome;
    try {
      outcome = await job.run();
    } finally {
      progress.stop(outcome !== undefined);
      signals.close();
    }
    const seconds = stats.elapsedSeconds;
    if (json) {
      context.out(
        `${
          JSON.stringify({ export: { ...statsJson(stats), file: path, format, textBytes: outcome.bytes } })
        }\n`,
      );
    } else {
      context.log.notice(
        `Exported ${stats.written} keys to ${path === "-" ? "stdout" : path} (${format}, ${
          formatBytes(outcome.bytes)
        }) in ${seconds.toFixed(2)} s (${
          formatCount(stats.written / Math.max(seconds, 1e-9))
        } keys/s): scanned ${stats.scanned}, vanished ${stats.vanished}, failed ${stats.failed}`,
      );
    }
    reportNotCopied(stats, context.log);
    if (outcome.stopped) return signals.exitCode;
    return stats.failed > 0 ? 1 : 0;
  },
};
