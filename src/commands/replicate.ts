/**
 * `riot replicate`: copy every key of a source to a target (SCAN, DUMP + expiry, RESTORE), then verify.
 * Exit 0 when every key was copied and the verification found no difference; 1 otherwise.
 */
import type { CommandContext, CommandModule } from "../cli/command.ts";
import { parseCommandArgs } from "../cli/command.ts";
import { type OptionSpec, type ParsedValues, UsageError } from "../cli/parse.ts";
import {
  filtersText,
  KEY_PROC_SPEC,
  KEY_SPECS,
  keyMapFrom,
  LIVE_SPECS,
  OUTPUT_SPECS,
  RETRY_SPECS,
  retryPolicyFrom,
  scanOptionsFrom,
  STREAM_SPECS,
  streamOptionsFrom,
  threadsWithin,
  VERIFY_SPECS,
} from "../cli/replication_specs.ts";
import { resolveTwoServers, TWO_SERVER_SPECS } from "../cli/two_servers.ts";
import {
  readFromOf,
  sentinelSetup,
  setAsideSentinelUris,
  SLOT_AND_SENTINEL_SPECS,
  slotSelection,
  withSlotFilter,
} from "../cli/cluster_flags.ts";
import { SlotSet } from "../redis/cluster/slots.ts";
import { runSyncMode } from "./replicate_sync.ts";
import { ReplicationJob, type ReplicationMode, type ReplicationOutcome } from "../jobs/replicate.ts";
import { replicationMetrics, showReplicationProgress } from "../ui/replication_progress.ts";
import { differs } from "../verify/verify.ts";
import { formatLag } from "../ui/format.ts";
import { defaultProgressStyle, type ProgressStyle } from "../ui/progress.ts";
import {
  replicationSummary,
  reportNotCopied,
  reportTypeBased,
  reportVerify,
  statsJson,
  verifyJson,
} from "../ui/report.ts";
import { exitCodeOf, type StopSignal, watchStopSignals } from "./stop_signals.ts";

const SPECS: readonly OptionSpec[] = [
  {
    long: "mode",
    kind: "string",
    key: "mode",
    arg: "MODE",
    choices: ["snapshot", "live", "liveonly", "sync"],
    normalize: (raw) => raw.toLowerCase() === "scan" ? "snapshot" : raw,
    help:
      "snapshot (or RIOT's scan): copy once; live: copy then follow changes; liveonly: follow changes only; sync: as a replica (PSYNC)",
    defaultText: "snapshot",
  },
  { long: "live", kind: "flag", key: "live", help: "Same as --mode live" },
  ...KEY_SPECS,
  {
    long: "read-queue",
    kind: "int",
    key: "readQueue",
    arg: "N",
    min: 1,
    help: "Keys waiting between stages",
    defaultText: "20000",
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
  { long: "dry-run", kind: "flag", key: "dryRun", help: "Read everything, write nothing" },
  {
    long: "struct",
    kind: "flag",
    key: "copyType",
    value: "struct",
    help: "Copy by type: read with type commands (no DUMP), write into a temporary key, then RENAME",
  },
  {
    long: "type",
    kind: "string",
    key: "copyType",
    arg: "TYPE",
    choices: ["dump", "struct"],
    normalize: (raw) => raw.toLowerCase(),
    help: "RIOT's form: dump (DUMP/RESTORE) or struct (same as --struct)",
    defaultText: "dump",
  },
  {
    long: "big-key-threshold",
    kind: "bytes",
    key: "bigKeyThreshold",
    arg: "SIZE",
    min: 0,
    help: "Copy keys whose MEMORY USAGE is above SIZE in windows (SCAN/LRANGE/GETRANGE), never whole; 0: off",
    defaultText: "off",
  },
  KEY_PROC_SPEC,
  ...STREAM_SPECS,
  {
    long: "no-ttl",
    kind: "flag",
    key: "noTtl",
    help: "Write keys without their TTL (and do not compare TTLs when verifying)",
  },
  {
    long: "no-fallback",
    kind: "flag",
    key: "noFallback",
    help: "Report keys the target's RESTORE refuses instead of copying them by type",
  },
  {
    long: "mem-limit",
    kind: "bytes",
    key: "memLimit",
    arg: "SIZE",
    min: 1,
    help: "Skip (and list) keys whose MEMORY USAGE is above SIZE",
  },
  {
    long: "compare",
    kind: "string",
    key: "compare",
    arg: "MODE",
    choices: ["none", "quick", "full"],
    help: "Verification after the copy: quick (existence, type, TTL) or full (values too)",
    defaultText: "quick",
  },
  { long: "no-verify", kind: "flag", key: "compare", value: "none", help: "Same as --compare none (RIOT 3)" },
  ...VERIFY_SPECS,
  ...LIVE_SPECS,
  {
    long: "converge",
    kind: "int",
    key: "converge",
    arg: "N",
    min: 0,
    help: "Re-copy differing keys and verify again, up to N rounds",
    defaultText: "0",
  },
  {
    long: "metrics-port",
    kind: "int",
    key: "metricsPort",
    arg: "PORT",
    min: 0,
    max: 65535,
    help: "Live: serve Prometheus metrics on 127.0.0.1:PORT",
  },
  {
    long: "checkpoint",
    kind: "string",
    key: "checkpoint",
    arg: "FILE",
    help: "Record progress in FILE and resume from it when run again",
  },
  {
    long: "rate",
    kind: "int",
    key: "rate",
    arg: "N",
    min: 1,
    help: "Keys per second at most (snapshot), re-reads per second (live)",
  },
  ...RETRY_SPECS,
  ...SLOT_AND_SENTINEL_SPECS,
  ...OUTPUT_SPECS,
  ...TWO_SERVER_SPECS,
];

export const replicateCommand: CommandModule = {
  name: "replicate",
  aliases: ["sync"],
  summary: "Copy every key of a source Redis to a target, then verify",
  usage: `Usage: riot [SOURCE OPTIONS] replicate [TARGET OPTIONS] [OPTIONS]
       riot replicate SOURCE_URI TARGET_URI [OPTIONS]

Copies keys with SCAN, pipelined DUMP + PEXPIRETIME and RESTORE ... REPLACE ABSTTL, then compares both
sides and prints OK:n V:n >:n <:n T:n (identical, value differs, only in source, only in target, TTL differs).

Examples:
  riot -h src -p 6379 replicate -h tgt -p 6380
  riot replicate redis://src:6379 rediss://user:pass@tgt:6380/2 --compare full
  riot -h src -p 7000 -c replicate -h tgt -p 7000 -c --partition 0/2
  riot replicate redis-sentinel://s1:26379,s2:26379/mymaster redis://tgt:6379 --live
`,
  specs: SPECS,
  async run(context) {
    const { values, positionals: given } = parseCommandArgs(replicateCommand, context.argv);
    const { positionals, uris } = setAsideSentinelUris(given);
    const { source, target, clusterFlags } = resolveTwoServers(
      context.global,
      values,
      positionals,
      context.env,
    );
    const sentinel = {
      source: sentinelSetup(source, values.sentinelMaster as string | undefined, uris[0]),
      target: sentinelSetup(target, undefined, uris[1]),
    };
    const selection = slotSelection(values, context.env);
    const slots = selection ? new SlotSet(selection.ranges) : undefined;
    const mode = values.live ? "live" : (values.mode as string | undefined) ?? "snapshot";
    if (values.live && values.mode !== undefined && values.mode !== "live") {
      throw new UsageError(`--live conflicts with --mode ${values.mode}`);
    }
    const syncRefuses = {
      "key-proc": values.keyProc,
      "no-stream-id": values.noStreamId,
      "stream-prune": values.streamPrune,
    };
    for (const [name, given] of Object.entries(syncRefuses)) {
      if (mode === "sync" && given !== undefined) {
        throw new UsageError(
          `--${name} works with --mode snapshot, live and liveonly, not yet with --mode sync`,
        );
      }
    }
    if (mode === "sync") {
      return await runSyncMode(context, values, source, target, slots, clusterFlags.target);
    }
    const live = mode !== "snapshot";
    for (const name of ["idleTimeout", "flushInterval", "eventQueue", "configSet", "metricsPort"]) {
      if (!live && values[name] !== undefined) {
        throw new UsageError(
          `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} needs --live or --mode live|liveonly`,
        );
      }
    }
    if (values.dryRun === true && values.checkpoint !== undefined) {
      // A dry run moves the cursor without writing: a real run resumed from it would skip those keys.
      throw new UsageError(
        "--checkpoint cannot be used with --dry-run (a dry run writes nothing to resume from): drop one of them",
      );
    }
    const json = values.json === true;
    const style = (values.progress as ProgressStyle | undefined) ?? (json ? "none" : defaultProgressStyle());
    const showDiffs = (values.showDiffs as number | undefined) ?? 10;
    const scan = withSlotFilter(scanOptionsFrom(values), slots);
    const job = new ReplicationJob({
      source,
      target,
      mode: mode as ReplicationMode,
      scan,
      filtersText: filtersText(values),
      batch: (values.batch as number | undefined) ?? 1000,
      threads: threadsWithin(values, source.pool - (live ? 1 : 0), target.pool),
      queueKeys: (values.readQueue as number | undefined) ?? 20_000,
      queueBytes: (values.queueBytes as number | undefined) ?? 128 * 1024 * 1024,
      dryRun: values.dryRun === true,
      memLimit: values.memLimit as number | undefined,
      compare: (values.compare as "none" | "quick" | "full" | undefined) ?? "quick",
      ttlToleranceMs: (values.ttlTolerance as number | undefined) ?? 100,
      rounds: (values.rounds as number | undefined) ?? (live ? 3 : 1),
      converge: (values.converge as number | undefined) ?? 0,
      retry: retryPolicyFrom(values),
      rate: values.rate as number | undefined,
      checkpoint: values.checkpoint as string | undefined,
      slots,
      readFrom: readFromOf(values),
      sentinel,
      clusterFlags,
      fallback: values.noFallback !== true,
      struct: values.copyType === "struct",
      bigKeyThreshold: bigKeyThreshold(values),
      noTtl: values.noTtl === true,
      keyMap: keyMapFrom(values, source.db),
      streams: streamOptionsFrom(values),
      live: live
        ? {
          idleTimeoutMs: values.idleTimeout as number | undefined,
          flushIntervalMs: (values.flushInterval as number | undefined) ?? 50,
          eventQueue: (values.eventQueue as number | undefined) ?? 100_000,
          configSet: values.configSet === true,
        }
        : undefined,
    }, context.log);
    const metricsPort = values.metricsPort as number | undefined;
    const metrics = metricsPort === undefined ? undefined : replicationMetrics(job, metricsPort, context.log);
    const signals = watchStopSignals(context, {
      stop: () => job.stop(),
      meaning: () =>
        job.phase === "live"
          ? "ending the live phase, then verifying"
          : job.phase === "verifying" || job.phase === "converging"
          ? "ending the verification"
          : "finishing in-flight writes, then stopping",
      abortNote: "in-flight writes may be lost (RESTORE is safe to repeat)",
    });
    const display = showReplicationProgress(job, {
      style,
      log: context.log,
      dryRun: values.dryRun === true,
      estimated: scan.pattern !== undefined || scan.type !== undefined || scan.filter !== undefined,
    });
    let outcome: ReplicationOutcome | undefined;
    let failure: unknown;
    try {
      outcome = await job.run();
    } catch (error) {
      if (signals.received === undefined) throw error;
      failure = error; // a server down while stopping: reported as the stop it is, below
    } finally {
      display.stop();
      await metrics?.close();
      signals.close();
    }
    if (outcome === undefined) {
      return reportStoppedByFailure(failure, job, signals.received!, json, context, values.checkpoint);
    }
    const { stats, verify } = outcome;
    if (json) {
      const result = {
        replication: statsJson(stats),
        resumed: outcome.resumed,
        // Resumed: the keys this run copied (replication.written counts this run only) and those before.
        copiedThisRun: outcome.resumed ? stats.written : undefined,
        copiedBefore: outcome.resumed ? outcome.writtenBefore : undefined,
        stopped: outcome.stopped ? { phase: outcome.stopped, signal: signals.received } : undefined,
        live: outcome.live,
        converged: outcome.converged,
        verified: outcome.verified,
        verify: verify && verifyJson(verify, showDiffs),
      };
      context.out(`${JSON.stringify(result)}\n`);
    } else {
      context.log.notice(replicationSummary(stats));
      if (outcome.resumed) {
        context.log.notice(
          `Resumed from checkpoint ${outcome.checkpoint}: this run copied ${stats.written} keys, ` +
            `the runs before ${outcome.writtenBefore}`,
        );
      }
      if (outcome.live) {
        const { events, rescans, lagP50, lagP99 } = outcome.live;
        context.log.notice(`Live: ${events} events, ${rescans} re-scan(s), ${formatLag(lagP50, lagP99)}`);
      }
    }
    reportTypeBased(stats, context.log);
    reportNotCopied(stats, context.log);
    if (outcome.stopped) {
      context.log.warn(stopReport(outcome, signals.received));
      return signals.exitCode;
    }
    if (verify && !json) {
      if (outcome.verified === "changed") {
        context.log.notice(
          `Verified the ${
            verify.ok + verify.value + verify.missing + verify.extra + verify.ttl
          } key(s) changed during the live phase (liveonly copies changed keys only)`,
        );
      }
      reportVerify(verify, showDiffs, context.log, context.out);
    }
    const lost = stats.failed > 0 || stats.fieldTtlsDropped > 0;
    return lost || (verify !== undefined && differs(verify)) ? 1 : 0;
  },
};

/** What a stop did and how to go on. */
function stopReport(outcome: ReplicationOutcome, signal: string | undefined): string {
  const by = signal ? `by ${signal} ` : "";
  const written = outcome.stats.written;
  if (outcome.stopped === "verifying") {
    return `Stopped ${by}during the verification: the copy is complete (${written} keys written) but was not fully verified; run riot compare to verify`;
  }
  const resume = outcome.checkpoint
    ? `run the same command again to resume from checkpoint ${outcome.checkpoint}`
    : "run it again to copy from the start (add --checkpoint FILE to resume instead)";
  return `Stopped ${by}during the copy after ${written} keys written (${outcome.stats.scanned} scanned); not verified: ${resume}`;
}

/**
 * A run that failed after a signal asked it to stop (retries against a server that is down are given up
 * at once then): the error, then what was done, and the signal's exit code.
 */
function reportStoppedByFailure(
  failure: unknown,
  job: ReplicationJob,
  signal: StopSignal,
  json: boolean,
  context: CommandContext,
  checkpoint: unknown,
): number {
  const message = failure instanceof Error ? failure.message : String(failure);
  const code = exitCodeOf(signal);
  const written = job.stats.written;
  const where = job.phase === "live"
    ? "during the live phase"
    : job.phase === "verifying" || job.phase === "converging"
    ? "during the verification"
    : job.phase === "connecting"
    ? "while connecting"
    : "during the copy";
  const next = job.phase === "live" || job.phase === "verifying" || job.phase === "converging"
    ? "run riot compare to verify"
    : checkpoint
    ? `run the same command again to resume from checkpoint ${checkpoint}`
    : "run it again to copy from the start (add --checkpoint FILE to resume instead)";
  context.log.error(message);
  reportNotCopied(job.stats, context.log);
  context.log.warn(
    `Stopped by ${signal} ${where} after ${written} keys written (${job.stats.scanned} scanned), without ` +
      `waiting for the server to come back; not verified: ${next}`,
  );
  if (json) {
    context.out(`${
      JSON.stringify({
        replication: statsJson(job.stats),
        stopped: { phase: job.phase, signal },
        error: { message: context.log.redact(message), exitCode: code },
      })
    }\n`);
  }
  return code;
}

/**
 * --big-key-threshold in bytes, or undefined when it is not given or 0: the check costs one MEMORY USAGE
 * round trip per key (a quarter to a third of the copy rate, measured), so it is on only when asked for.
 */
function bigKeyThreshold(values: ParsedValues): number | undefined {
  const bytes = values.bigKeyThreshold as number | undefined;
  return bytes === 0 ? undefined : bytes;
}
