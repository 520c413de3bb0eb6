/**
 * Options of cluster and sentinel set-ups that are not per-connection: which hash slots to copy
 * (`--key-slots`, `--partition`), where a source is read (`--read-from`), and `--sentinel-master`.
 * Specs as data plus pure conversions to typed values; every mistake is one UsageError line.
 */
import { OptionError } from "../redis/options.ts";
import { parsePartition, parseSlotRanges, type Partition, type SlotRange } from "../redis/cluster/slots.ts";
import type { ConnectionOptions } from "../redis/options.ts";
import { isSentinelUri, parseSentinelUri, type SentinelConfig } from "../redis/sentinel_uri.ts";
import { type OptionSpec, type ParsedValues, UsageError } from "./parse.ts";

export const CLUSTER_SPECS: readonly OptionSpec[] = [
  {
    long: "key-slots",
    kind: "string",
    key: "keySlots",
    arg: "RANGES",
    help: "Only keys in these hash slots, e.g. 0-5460,10923-16383 (standalone servers too)",
  },
  {
    long: "partition",
    kind: "string",
    key: "partition",
    arg: "I/N",
    help: "Only slot range I (from 0) of N equal ranges; I=auto reads JOB_COMPLETION_INDEX",
  },
  {
    long: "read-from",
    kind: "string",
    key: "readFrom",
    arg: "master|replica",
    choices: ["master", "replica"],
    help: "Read the source from its masters or from their replicas",
    defaultText: "master",
  },
  {
    long: "sentinel-master",
    kind: "string",
    key: "sentinelMaster",
    arg: "NAME",
    help: "-h/-p name a sentinel: ask it for the master of this service",
  },
];

export interface SlotSelection {
  ranges: SlotRange[];
  /** Set when the ranges come from --partition. */
  partition?: Partition;
}

/**
 * The slots `--key-slots` or `--partition` select, or undefined for every slot. Both at once is a usage
 * error: they are two ways of saying the same thing.
 */
export function slotSelection(
  values: ParsedValues,
  env: { get(name: string): string | undefined },
): SlotSelection | undefined {
  const keySlots = values.keySlots as string | undefined;
  const partition = values.partition as string | undefined;
  if (keySlots !== undefined && partition !== undefined) {
    throw new UsageError("--key-slots and --partition both choose slots: give one of them");
  }
  try {
    if (keySlots !== undefined) return { ranges: parseSlotRanges(keySlots) };
    if (partition !== undefined) {
      const chosen = parsePartition(partition, env);
      return { ranges: [chosen.range], partition: chosen };
    }
  } catch (error) {
    if (error instanceof OptionError) throw new UsageError(error.message);
    throw error;
  }
  return undefined;
}

/**
 * A sentinel set-up described either by a `redis-sentinel://` URI or by `--sentinel-master NAME` with
 * -h/-p naming one sentinel (auth, db and TLS of `options` then apply to the master). Undefined when
 * neither is given. `uri` is the URI the user gave for this side, if any.
 */
export function sentinelSetup(
  options: ConnectionOptions,
  service: string | undefined,
  uri: string | undefined,
): SentinelConfig | undefined {
  if (uri !== undefined && isSentinelUri(uri)) {
    if (service !== undefined) {
      throw new UsageError("--sentinel-master and a redis-sentinel:// URI both name the service: give one");
    }
    try {
      return parseSentinelUri(uri);
    } catch (error) {
      if (error instanceof OptionError) throw new UsageError(error.message);
      throw error;
    }
  }
  if (service === undefined) return undefined;
  if (service.trim() === "") throw new UsageError("--sentinel-master needs the name of the monitored master");
  if (options.socket) throw new UsageError("--sentinel-master needs the host and port of a sentinel, not -s");
  if (options.cluster) {
    throw new UsageError("--sentinel-master and -c do not go together: sentinels serve non-cluster set-ups");
  }
  return {
    sentinels: [{ host: options.host, port: options.port }],
    service,
    master: { user: options.user, password: options.password, db: options.db, tls: options.tls },
  };
}
