/**
 * Progress, summary and JSON of every import (file-import, db-import).
 *
 *   showImportProgress(job, style, log) -> { stop(ok) }   records read of the total: exact when the input
 *                                                          counts rows, estimated from bytes for files
 *   importSummary(stats)                                   one line: read, written, filtered, failed, rate
 *   reportImportFailures(stats, log)                       failures per reason with advice, then the first
 *                                                          records with their origin (file:line, row)
 *   importJson(outcome)                                    the --json object
 */
import type { ImportJob, ImportOutcome } from "../imports/import_job.ts";
import type { ImportStats } from "../imports/import_stats.ts";
import { formatCount } from "./format.ts";
import type { Logger } from "./log.ts";
import { Progress, type ProgressStyle } from "./progress.ts";
import { showKey } from "./report.ts";

const LISTED = 20;

export function showImportProgress(
  job: ImportJob,
  style: ProgressStyle,
  log: Logger,
): { stop(ok: boolean): void } {
  const stats = job.stats;
  const progress = new Progress({
    label: "import",
    style,
    logger: log,
    poll: () => {
      const input = job.input?.progress;
      let total: number | undefined;
      let estimated = false;
      if (input?.total !== undefined && input.unit !== "bytes") total = input.total;
      else if (input?.total !== undefined && input.done > 0) {
        total = Math.round(stats.read * input.total / input.done);
        estimated = input.done < input.total;
      }
      return {
        done: stats.read,
        total,
        totalEstimated: estimated,
        extra: `written ${formatCount(stats.written)}${
          stats.failed > 0 ? `, failed ${formatCount(stats.failed)}` : ""
        }${stats.filtered > 0 ? `, filtered ${formatCount(stats.filtered)}` : ""}`,
      };
    },
  });
  progress.start();
  return { stop: (ok) => progress.stop(ok) };
}

export function importSummary(stats: ImportStats): string {
  const seconds = stats.copySeconds ?? stats.elapsedSeconds;
  const rate = seconds > 0 ? `${formatCount(stats.written / seconds)} records/s` : "-";
  const left = [
    stats.filtered > 0 ? `filtered ${stats.filtered}` : "",
    stats.ignored > 0 ? `ignored ${stats.ignored} (--ignore-missing)` : "",
  ].filter((part) => part !== "").join(", ");
  return `Imported ${stats.written} records in ${seconds.toFixed(2)} s (${rate}): read ${stats.read}, ` +
    `written ${stats.written}, ${left ? `${left}, ` : ""}failed ${stats.failed}`;
}

export function reportImportFailures(stats: ImportStats, log: Logger): void {
  const groups = new Map<string, { count: number; advice: string }>();
  for (const [reason, { count, advice }] of stats.failureReasons) {
    const short = shortReason(reason);
    const group = groups.get(short);
    if (group) group.count += count;
    else groups.set(short, { count, advice });
  }
  for (const [reason, { count, advice }] of groups) {
    log.error(`${count} record(s) not written: ${reason}. What to do: ${advice}`);
  }
  for (const failure of stats.failures.slice(0, LISTED)) {
    const where = failure.origin ?? "?";
    const key = failure.key.length > 0 ? ` (key ${showKey(failure.key)})` : "";
    log.error(`  ${where}: ${shortReason(failure.reason)}${key}`);
  }
  if (stats.failed > LISTED) log.error(`  ... and ${stats.failed - LISTED} more`);
}

/** A server's refusal without the arguments it quotes back, and without a trailing period. */
function shortReason(reason: string): string {
  return reason.replace(/, with args beginning with:.*$/s, "").replace(/\.+$/, "").trim();
}

export function importJson(outcome: ImportOutcome) {
  const stats = outcome.stats;
  const seconds = stats.copySeconds ?? stats.elapsedSeconds;
  return {
    read: stats.read,
    written: stats.written,
    filtered: stats.filtered,
    ignored: stats.ignored,
    failed: stats.failed,
    seconds: Number(seconds.toFixed(3)),
    recordsPerSecond: Math.round(stats.written / Math.max(seconds, 1e-9)),
    retries: stats.retries,
    stopped: outcome.stopped || undefined,
    skipLimit: outcome.skipLimit,
    failures: stats.failures.slice(0, LISTED).map((failure) => ({
      origin: failure.origin,
      key: failure.key.length > 0 ? showKey(failure.key) : undefined,
      reason: failure.reason,
      advice: failure.advice,
    })),
  };
}
