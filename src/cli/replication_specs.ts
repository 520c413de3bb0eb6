/** Options shared by replicate and compare: what to read, how to verify, how to show progress. */
import type { ScanOptions } from "../sources/key_scanner.ts";
import { keyFilter } from "../sources/glob.ts";
import { KeyMap } from "../sources/key_map.ts";
import type { StreamOptions } from "../writers/stream_options.ts";
import { type OptionSpec, type ParsedValues, UsageError } from "./parse.ts";
import { DEFAULT_RETRY, type RetryPolicy } from "../retry.ts";

export const RETRY_SPECS: readonly OptionSpec[] = [
  {
    long: "retry-limit",
    kind: "int",
    key: "retryLimit",
    arg: "N",
    min: 0,
    help: "Retries of a round trip after a lost connection or a busy server",
    defaultText: String(DEFAULT_RETRY.limit),
  },
  {
    long: "retry-backoff",
    kind: "duration",
    key: "retryBackoff",
    arg: "MS",
    min: 1,
    help: "First pause before a retry, doubled each time up to 10 s (with jitter)",
    defaultText: `${DEFAULT_RETRY.backoffMs}ms`,
  },
];

export function retryPolicyFrom(values: ParsedValues): RetryPolicy {
  const backoffMs = (values.retryBackoff as number | undefined) ?? DEFAULT_RETRY.backoffMs;
  return {
    limit: (values.retryLimit as number | undefined) ?? DEFAULT_RETRY.limit,
    backoffMs,
    maxBackoffMs: Math.max(backoffMs, DEFAULT_RETRY.maxBackoffMs),
  };
}

/** RIOT's --read-from values (Lettuce's ReadFrom), lower-case. */
const READ_FROM = [
  "master",
  "master_preferred",
  "upstream",
  "upstream_preferred",
  "replica",
  "replica_preferred",
  "any",
  "any_replica",
  "lowest_latency",
  "nearest",
];

export const KEY_SPECS: readonly OptionSpec[] = [
  {
    long: "key-pattern",
    aliases: ["scan-match"],
    kind: "string",
    key: "keyPattern",
    arg: "GLOB",
    help: "Only keys matching (SCAN MATCH)",
  },
  {
    long: "key-type",
    aliases: ["scan-type"],
    kind: "string",
    key: "keyType",
    arg: "TYPE",
    choices: ["string", "hash", "list", "set", "zset", "stream", "ReJSON-RL", "TSDB-TYPE"],
    help: "Only keys of this type (SCAN TYPE)",
  },
  {
    long: "key-include",
    kind: "list",
    key: "keyInclude",
    splitCommas: false,
    multiple: true,
    arg: "GLOB...",
    help: "Keep keys matching (repeatable; several globs may follow)",
  },
  {
    long: "key-exclude",
    kind: "list",
    key: "keyExclude",
    splitCommas: false,
    multiple: true,
    arg: "GLOB...",
    help: "Drop keys matching (repeatable; several globs may follow)",
  },
  {
    long: "scan-count",
    kind: "int",
    key: "scanCount",
    arg: "N",
    min: 1,
    help: "SCAN COUNT hint",
    defaultText: "1000",
  },
  {
    long: "batch",
    kind: "int",
    key: "batch",
    arg: "N",
    min: 1,
    help: "Keys per round trip",
    defaultText: "1000",
  },
  {
    long: "threads",
    kind: "int",
    key: "threads",
    arg: "N",
    min: 1,
    max: 64,
    help: "Worker connections per side (plus one for SCAN), within -m/--pool",
    defaultText: "2",
  },
  {
    long: "read-from",
    kind: "string",
    key: "readFrom",
    arg: "NODES",
    choices: READ_FROM,
    normalize: (raw) => raw.toLowerCase().replaceAll("-", "_"),
    help: "Cluster source: replica, replica_preferred, any_replica read from replicas; others from masters",
    defaultText: "master",
  },
];

/** --key-proc: the target's names for source keys (replicate and compare read it the same way). */
export const KEY_PROC_SPEC: OptionSpec = {
  long: "key-proc",
  kind: "string",
  key: "keyProc",
  arg: "TEMPLATE",
  help:
    "Target name of each key: #{key}, #{type}, #{db} and literal text, e.g. 'copy:#{key}' or '#{type}:#{key}'",
};

/** RIOT's stream options (replicate writes by them, compare checks by them). */
export const STREAM_SPECS: readonly OptionSpec[] = [
  {
    long: "no-stream-id",
    kind: "flag",
    key: "noStreamId",
    help:
      "Add stream entries with new IDs (XADD *) on the target; groups are not copied, verified without IDs",
  },
  {
    long: "no-stream-ids",
    kind: "flag",
    key: "noStreamId",
    help: "Same as --no-stream-id (RIOT's spelling)",
  },
  {
    long: "stream-prune",
    kind: "flag",
    key: "streamPrune",
    help: "Drop empty streams: not copied, deleted on the target (RIOT's meaning)",
  },
];

/** The stream options given, or undefined for neither (streams then travel like any key). */
export function streamOptionsFrom(values: ParsedValues): StreamOptions | undefined {
  const newIds = values.noStreamId === true;
  const prune = values.streamPrune === true;
  return newIds || prune ? { newIds, prune } : undefined;
}

/** The --key-proc template bound to the source database; undefined without the option (OptionError: exit 2). */
export function keyMapFrom(values: ParsedValues, sourceDb: number): KeyMap | undefined {
  const text = values.keyProc as string | undefined;
  return text === undefined ? undefined : KeyMap.parse(text, sourceDb);
}

export const VERIFY_SPECS: readonly OptionSpec[] = [
  {
    long: "ttl-tolerance",
    kind: "duration",
    key: "ttlTolerance",
    arg: "MS",
    min: 0,
    help: "Largest TTL difference that still counts as equal",
    defaultText: "100ms",
  },
  {
    long: "show-diffs",
    kind: "int",
    key: "showDiffs",
    arg: "N",
    min: 0,
    bare: Infinity,
    help: "List up to N differing keys; without N, every one riot kept (up to 100,000)",
    defaultText: "10",
  },
  {
    long: "rounds",
    kind: "int",
    key: "rounds",
    arg: "N",
    min: 1,
    help: "Re-check differing keys up to N rounds in all",
  },
];

export const OUTPUT_SPECS: readonly OptionSpec[] = [
  {
    long: "progress",
    kind: "string",
    key: "progress",
    arg: "STYLE",
    choices: ["bar", "log", "none"],
    help: "Progress display",
    defaultText: "bar on a terminal, else log",
  },
  { long: "json", kind: "flag", key: "json", help: "Print the result as one JSON object on stdout" },
];

/** What to read, from the KEY_SPECS values: SCAN's MATCH/COUNT/TYPE and the client-side globs. */
export function scanOptionsFrom(values: ParsedValues): ScanOptions {
  return {
    pattern: values.keyPattern as string | undefined,
    type: values.keyType as string | undefined,
    count: (values.scanCount as number | undefined) ?? 1000,
    filter: keyFilter((values.keyInclude as string[]) ?? [], (values.keyExclude as string[]) ?? []),
  };
}

/**
 * Worker connections per side: --threads (default 2), within -m/--pool of each server (a run opens
 * threads + 1 connections to each: one more for SCAN). Too many threads for the pool is a usage error.
 */
export function threadsWithin(values: ParsedValues, sourcePool: number, targetPool: number): number {
  const pool = Math.min(sourcePool, targetPool);
  const asked = values.threads as number | undefined;
  if (asked === undefined) return Math.max(1, Math.min(2, pool - 1));
  if (asked + 1 > pool) {
    throw new UsageError(
      `--threads ${asked} needs ${
        asked + 1
      } connections per server, above -m/--pool ${pool}: raise --pool or lower --threads`,
    );
  }
  return asked;
}

/** The key filters as text, for a checkpoint's fingerprint and its messages. */
export function filtersText(values: ParsedValues): string {
  const parts: string[] = [];
  for (
    const name of ["keyPattern", "keyType", "keyInclude", "keyExclude", "keySlots", "partition", "keyProc"]
  ) {
    if (values[name] !== undefined) parts.push(`${name}=${JSON.stringify(values[name])}`);
  }
  return parts.join(" ");
}

/** Options of every command with a live mode (replicate, file-export): how changes are followed. */
export const LIVE_SPECS: readonly OptionSpec[] = [
  {
    long: "idle-timeout",
    kind: "duration",
    key: "idleTimeout",
    arg: "MS",
    min: 1,
    help: "Live: stop after this long without events",
    defaultText: "run until SIGINT/SIGTERM",
  },
  {
    long: "flush-interval",
    kind: "duration",
    key: "flushInterval",
    arg: "MS",
    min: 0,
    help: "Live: longest wait for a batch to fill",
    defaultText: "50ms",
  },
  {
    long: "event-queue",
    aliases: ["notification-queue"],
    kind: "int",
    key: "eventQueue",
    arg: "N",
    min: 1,
    help: "Live: changed keys waiting at most; beyond it a re-scan repairs",
    defaultText: "100000",
  },
  {
    long: "config-set",
    kind: "flag",
    key: "configSet",
    help: "Live: set notify-keyspace-events on the source when needed (restored on exit)",
  },
];
