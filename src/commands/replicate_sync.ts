/**
 * `riot replicate --mode sync`: options, progress, signals and the report around the SyncJob
 * (src/jobs/sync.ts). Kept apart from replicate.ts so the notification-based modes stay as they are.
 * Exit 0 when every key and command was applied and the verification (zero TTL tolerance by default: the
 * copy is exact) found no difference; 1 otherwise; 130/143 when a signal stopped the snapshot copy.
 */
import type { CommandContext } from "../cli/command.ts";
import { type ParsedValues, UsageError } from "../cli/parse.ts";
import { retryPolicyFrom } from "../cli/replication_specs.ts";
import { type SyncConfig, SyncJob, type SyncKeyFilters, type SyncOutcome } from "../jobs/sync.ts";
import { ClusterSyncJob } from "../jobs/sync_cluster.ts";
import type { SlotSet } from "../redis/cluster/slots.ts";
import { keyFilter } from "../sources/glob.ts";
import type { ConnectionOptions } from "../redis/options.ts";
import { formatCount } from "../ui/format.ts";
import { defaultProgressStyle, Progress, type ProgressStyle } from "../ui/progress.ts";
import {
  replicationSummary,
  reportNotCopied,
  reportTypeBased,
  reportVerify,
  statsJson,
  verifyJson,
} from "../ui/report.ts";
import { differs } from "../verify/verify.ts";
import { watchStopSignals } from "./stop_signals.ts";

/** Options that mean nothing in sync mode (the stream carries commands, not keys to re-read). */
const NOT_IN_SYNC = [
  "memLimit",
  "dryRun",
  "flushInterval",
  "eventQueue",
  "configSet",
  "converge",
  "rate",
  "live",
];

export async function runSyncMode(
  context: CommandContext,
  values: ParsedValues,
  source: ConnectionOptions,
  target: ConnectionOptions,
  slots: SlotSet | undefined,
  targetClusterFlag?: string,
): Promise<number> {
  for (const name of NOT_IN_SYNC) {
    if (values[name] !== undefined) {
      const flag = name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
      throw new UsageError(`--${flag} is not supported with --mode sync yet`);
    }
  }
  const keys = keyFilters(values, slots);
  const json = values.json === true;
  const style = (values.progress as ProgressStyle | undefined) ?? (json ? "none" : defaultProgressStyle());
  const threads = (values.threads as number | undefined) ?? Math.max(1, Math.min(2, target.pool - 1));
  const namesDb = values.db !== undefined || target.db !== 0;
  const config: SyncConfig = {
    source,
    target,
    db: target.cluster ? 0 : namesDb ? target.db : undefined,
    threads,
    batch: (values.batch as number | undefined) ?? 1000,
    queueBytes: (values.queueBytes as number | undefined) ?? 128 * 1024 * 1024,
    retry: retryPolicyFrom(values),
    idleTimeoutMs: values.idleTimeout as number | undefined,
    checkpoint: values.checkpoint as string | undefined,
    compare: (values.compare as "none" | "quick" | "full" | undefined) ?? "quick",
    ttlToleranceMs: (values.ttlTolerance as number | undefined) ?? 0,
    fallback: values.noFallback !== true,
    keys,
    targetClusterFlag,
  };
  const job = source.cluster ? new ClusterSyncJob(config, context.log) : new SyncJob(config, context.log);
  const progress = new Progress({
    label: "sync",
    style,
    logger: context.log,
    poll: () => ({
      done: job.stats.written + job.commands,
      extra: `${job.phase}, ${formatCount(job.stats.written)} keys, ${
        formatCount(job.commands)
      } commands, offset${source.cluster ? "s" : ""} ${job.offset}`,
    }),
  });
  const signals = watchStopSignals(context, {
    stop: () => job.stop(),
    meaning: () => "ending the sync, then verifying",
  });
  progress.start();
  let outcome: SyncOutcome | undefined;
  try {
    outcome = await job.run();
  } finally {
    progress.stop(outcome !== undefined);
    signals.close();
  }
  const { stats, verify } = outcome;
  if (json) {
    context.out(`${
      JSON.stringify({
        replication: statsJson(stats),
        sync: {
          replid: outcome.masters ? undefined : outcome.replid,
          offset: outcome.masters ? undefined : outcome.offset,
          masters: outcome.masters,
          topologyChanged: outcome.topologyChanged,
          commands: outcome.commands,
          fullSyncs: outcome.fullSyncs,
          partialResyncs: outcome.partialResyncs,
          resumed: outcome.resumed,
        },
        stopped: outcome.stopped ? { signal: signals.received } : undefined,
        verify: verify && verifyJson(verify, 10),
      })
    }\n`);
  } else {
    context.log.notice(replicationSummary(stats));
    context.log.notice(syncSummary(outcome));
    for (const master of outcome.masters ?? []) {
      context.log.info(
        `  ${master.master}: ${master.commands} commands up to offset ${master.offset} of ${master.replid}; ${master.fullSyncs} full sync(s), ${master.partialResyncs} partial resync(s)`,
      );
    }
  }
  reportTypeBased(stats, context.log);
  reportNotCopied(stats, context.log);
  if (outcome.topologyChanged) {
    context.log.error(
      `The source cluster's topology changed during the sync: ${outcome.topologyChanged}; all links stopped, nothing verified. Run the same command again${
        values.checkpoint ? " (it continues from the checkpoint, each master by its offset)" : ""
      }`,
    );
    return 1;
  }
  if (outcome.stopped) {
    context.log.warn(
      `Stopped during the snapshot copy: run the same command again${
        values.checkpoint ? "" : " (add --checkpoint FILE to continue by offset next time)"
      }`,
    );
    return signals.exitCode;
  }
  if (verify && !json) {
    reportVerify(verify, (values.showDiffs as number | undefined) ?? 10, context.log, context.out);
  }
  return stats.failed > 0 || stats.fieldTtlsDropped > 0 || (verify !== undefined && differs(verify)) ? 1 : 0;
}

function syncSummary(outcome: SyncOutcome): string {
  const where = outcome.masters
    ? `from ${outcome.masters.length} masters`
    : `up to offset ${outcome.offset} of ${outcome.replid}`;
  return `Sync: ${outcome.commands} commands applied ${where}; ${outcome.fullSyncs} full sync(s), ${outcome.partialResyncs} partial resync(s)${
    outcome.resumed ? ", resumed from the checkpoint" : ""
  }`;
}

/** The key filters for the snapshot, the stream and the verification; undefined when none is given. */
function keyFilters(values: ParsedValues, slots: SlotSet | undefined): SyncKeyFilters | undefined {
  const type = values.keyType as string | undefined;
  if (type !== undefined && !DATA_TYPES.has(type)) {
    throw new UsageError(`--key-type ${type} is not supported with --mode sync (module types): leave it out`);
  }
  const globs = keyFilter((values.keyInclude as string[]) ?? [], (values.keyExclude as string[]) ?? []);
  const filter = slots && globs
    ? (key: Uint8Array) => slots.hasKey(key) && globs(key)
    : slots
    ? (key: Uint8Array) => slots.hasKey(key)
    : globs;
  const pattern = values.keyPattern as string | undefined;
  if (pattern === undefined && type === undefined && filter === undefined) return undefined;
  return { pattern, type, filter };
}

const DATA_TYPES = new Set(["string", "list", "set", "zset", "hash", "stream"]);
