/**
 * Progress of a replication job on stderr: one Progress line per phase (copying, live, verifying),
 * switched as `job.phase` changes. Reads the job's counters only; the job never calls into this file.
 * `replicationMetrics` serves the same counters for --metrics-port.
 */
import type { ReplicationJob } from "../jobs/replicate.ts";
import { formatLag } from "./format.ts";
import { liveMetrics } from "./live_metrics.ts";
import type { Logger } from "./log.ts";
import { type MetricsServer, serveMetrics } from "./metrics.ts";
import { Progress, type ProgressStyle } from "./progress.ts";

export interface ProgressDisplay {
  stop(): void;
}

export function showReplicationProgress(
  job: ReplicationJob,
  options: { style: ProgressStyle; log: Logger; dryRun: boolean; estimated: boolean },
): ProgressDisplay {
  let current: Progress | undefined;
  let shown: string | undefined;
  const switchTo = () => {
    const phase = job.phase === "converging" ? "verifying" : job.phase;
    if (phase === shown) return;
    current?.stop(true);
    current = undefined;
    shown = phase;
    if (phase === "copying") current = copying(job, options);
    else if (phase === "live") current = live(job, options);
    else if (phase === "verifying") current = verifying(job, options);
    current?.start();
  };
  const timer = setInterval(switchTo, 100);
  Deno.unrefTimer(timer);
  return {
    stop() {
      clearInterval(timer);
      current?.stop(true);
    },
  };
}

function copying(
  job: ReplicationJob,
  options: { style: ProgressStyle; log: Logger; dryRun: boolean; estimated: boolean },
) {
  const stats = job.stats;
  return new Progress({
    label: options.dryRun ? "reading" : "copying",
    style: options.style,
    logger: options.log,
    poll: () => ({
      done: stats.written + stats.vanished + stats.failed + stats.skipped + (options.dryRun ? stats.read : 0),
      total: job.total,
      totalEstimated: options.estimated,
      extra: `scanned ${stats.scanned}${stats.failed ? ` | failed ${stats.failed}` : ""}${
        stats.retries ? ` | retries ${stats.retries}` : ""
      }${job.follower ? ` | events waiting ${job.follower.queue.size}` : ""}`,
    }),
  });
}

function live(job: ReplicationJob, options: { style: ProgressStyle; log: Logger }) {
  const follower = job.follower!;
  const counters = follower.live;
  let lastEvents = 0;
  let lastAt = performance.now();
  return new Progress({
    label: "live",
    style: options.style,
    logger: options.log,
    poll: () => {
      const now = performance.now();
      const rate = ((counters.events - lastEvents) * 1000) / Math.max(1, now - lastAt);
      lastEvents = counters.events;
      lastAt = now;
      return {
        done: counters.applied,
        extra:
          `events ${counters.events} (${
            Math.round(rate)
          }/s) | queue ${follower.queue.size}/${follower.queue.capacity}` +
          ` | written ${job.stats.written} | re-scans ${counters.rescans}` +
          ` | ${formatLag(counters.lag.percentile(50), counters.lag.percentile(99))}`,
      };
    },
  });
}

function verifying(job: ReplicationJob, options: { style: ProgressStyle; log: Logger; estimated: boolean }) {
  return new Progress({
    label: "verifying",
    style: options.style,
    logger: options.log,
    poll: () => ({ done: job.verifyProgress.checked, total: job.total, totalEstimated: options.estimated }),
  });
}

/** Serve the job's counters on 127.0.0.1:`port` from now on. */
export function replicationMetrics(job: ReplicationJob, port: number, log: Logger): MetricsServer {
  const server = serveMetrics(port, liveMetrics(job.stats, () => job.follower));
  log.info(`Metrics on http://127.0.0.1:${server.port}/metrics`);
  return server;
}
