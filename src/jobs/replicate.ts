/**
 * One replication job from start to end: open the connections; in live modes check notifications and
 * subscribe first; copy the snapshot (unless liveonly); follow changes until idle or stopped; verify;
 * with `converge`, re-copy the differing keys and verify again. Resolves with what happened; rejects when
 * a connection is lost or the job cannot go on without losing changes (connections closed first).
 */
import { ConnectionError } from "../redis/errors.ts";
import type { ConnectionOptions } from "../redis/options.ts";
import { openConnections, type OpenedServer } from "../redis/pool.ts";
import type { Logger } from "../ui/log.ts";
import { serveMetrics } from "../ui/metrics.ts";
import { formatLag } from "../ui/format.ts";
import { Progress, type ProgressStyle } from "../ui/progress.ts";
import { dbSize } from "../sources/dbsize.ts";
import { supportsExpireTime } from "../readers/dump_reader.ts";
import type { ScanOptions } from "../sources/key_scanner.ts";
import { type LiveConfig, LiveFollower } from "../live/follower.ts";
import { prepareNotifications } from "../live/prepare.ts";
import { liveMetrics } from "../live/metrics.ts";
import { readDumps } from "../readers/dump_reader.ts";
import { writeRecords } from "../writers/restore_writer.ts";
import { copySnapshot } from "../pipeline/snapshot.ts";
import { ReplicationStats } from "../pipeline/stats.ts";
import { type CompareMode, differs, verify, type VerifyResult } from "../verify/verify.ts";

export type ReplicationMode = "snapshot" | "live" | "liveonly";

export interface ReplicationConfig {
  source: ConnectionOptions;
  target: ConnectionOptions;
  mode: ReplicationMode;
  scan: ScanOptions;
  batch: number;
  threads: number;
  queueKeys: number;
  queueBytes: number;
  dryRun: boolean;
  memLimit?: number;
  compare: CompareMode | "none";
  ttlToleranceMs: number;
  rounds: number;
  progress: ProgressStyle;
  /** Re-copy keys that differ after the verification and verify again, up to this many rounds. */
  converge: number;
  live?: Omit<LiveConfig, "scan" | "memLimit" | "expireTime" | "dryRun" | "batch" | "roundTripBytes"> & {
    configSet: boolean;
    metricsPort?: number;
  };
}

export interface ReplicationOutcome {
  stats: ReplicationStats;
  verify?: VerifyResult;
  live?: { events: number; rescans: number; lagP50: number; lagP99: number };
  /** Converge rounds that ran. */
  converged: number;
}

export async function replicate(
  config: ReplicationConfig,
  log: Logger,
  signal?: AbortSignal,
): Promise<ReplicationOutcome> {
  const stats = new ReplicationStats();
  const cleanups: (() => Promise<void> | void)[] = [];
  try {
    const source = await openConnections({ ...config.source, clientName: "riot-source" }, config.threads + 1);
    cleanups.push(() => source.close());
    const target = await openConnections({ ...config.target, clientName: "riot-target" }, config.threads + 1);
    cleanups.push(() => target.close());
    log.info(`Source ${describe(source)}; target ${describe(target)}`);
    const [sourceExpireTime, targetExpireTime] = await Promise.all([
      supportsExpireTime(source.connections[0]),
      supportsExpireTime(target.connections[0]),
    ]);
    const total = await dbSize(source.connections[0]);
    const estimated = config.scan.pattern !== undefined || config.scan.type !== undefined ||
      config.scan.filter !== undefined;
    const copyAll = () =>
      copySnapshot(
        {
          scanner: source.connections[0],
          readers: source.connections.slice(1),
          writers: target.connections.slice(1),
        },
        {
          scan: config.scan,
          batch: config.batch,
          queueKeys: config.queueKeys,
          queueBytes: config.queueBytes,
          dryRun: config.dryRun,
          memLimit: config.memLimit,
          expireTime: sourceExpireTime,
        },
        stats,
      );

    let follower: LiveFollower | undefined;
    if (config.mode !== "snapshot" && config.live) {
      const restore = await prepareNotifications(
        source.connections[0],
        config.source,
        config.live.configSet,
        log,
      );
      if (restore) cleanups.push(restore);
      follower = new LiveFollower(
        config.source,
        {
          // Looked up on each use: a reconnect swaps the pools' connections in place.
          get control() {
            return source.connections[0];
          },
          get readers() {
            return source.connections.slice(1);
          },
          get writers() {
            return target.connections.slice(1);
          },
          get targetScanner() {
            return target.connections[0];
          },
        },
        {
          ...config.live,
          scan: config.scan,
          memLimit: config.memLimit,
          expireTime: sourceExpireTime,
          dryRun: config.dryRun,
          batch: config.batch,
          roundTripBytes: Math.max(1, Math.floor(config.queueBytes / (2 * config.threads))),
        },
        stats,
        log,
        copyAll,
        () => reconnectBoth(source, target, config.source.timeoutMs, log),
      );
      await follower.subscribe();
      cleanups.push(() => follower!.stop());
      if (config.live.metricsPort !== undefined) {
        const server = serveMetrics(config.live.metricsPort, liveMetrics(stats, follower));
        log.info(`Metrics on http://127.0.0.1:${server.port}/metrics`);
        cleanups.push(() => server.close());
      }
    }

    if (config.mode !== "liveonly") {
      const progress = new Progress({
        label: config.dryRun ? "reading" : "copying",
        style: config.progress,
        logger: log,
        poll: () => ({
          done: stats.written + stats.vanished + stats.failed + stats.skipped +
            (config.dryRun ? stats.read : 0),
          total,
          totalEstimated: estimated,
          extra: `scanned ${stats.scanned}${stats.failed ? ` | failed ${stats.failed}` : ""}${
            follower ? ` | events waiting ${follower.queue.size}` : ""
          }`,
        }),
      });
      progress.start();
      try {
        await copyWithRetries(
          copyAll,
          () => reconnectBoth(source, target, config.source.timeoutMs, log),
          log,
        );
        stats.copySeconds = stats.elapsedSeconds;
        stats.copyWritten = stats.written;
      } finally {
        progress.stop(true);
      }
    }

    if (follower) {
      const stopFollowing = () => follower!.stop();
      signal?.addEventListener("abort", stopFollowing);
      const live = follower.live;
      let lastEvents = 0;
      let lastAt = performance.now();
      const progress = new Progress({
        label: "live",
        style: config.progress,
        logger: log,
        poll: () => {
          const now = performance.now();
          const rate = ((live.events - lastEvents) * 1000) / Math.max(1, now - lastAt);
          lastEvents = live.events;
          lastAt = now;
          return {
            done: live.applied,
            extra:
              `events ${live.events} (${Math.round(rate)}/s) | queue ${follower!.queue.size}/${
                follower!.queue.capacity
              }` +
              ` | written ${stats.written} | re-scans ${live.rescans}` +
              ` | ${formatLag(live.lag.percentile(50), live.lag.percentile(99))}`,
          };
        },
      });
      log.info(
        `Following changes${
          config.live?.idleTimeoutMs !== undefined
            ? ` until ${config.live.idleTimeoutMs} ms without events`
            : " until SIGINT/SIGTERM"
        }`,
      );
      progress.start();
      try {
        await follower.follow();
      } finally {
        progress.stop(true);
        signal?.removeEventListener("abort", stopFollowing);
      }
    }

    const outcome: ReplicationOutcome = { stats, converged: 0 };
    if (follower) {
      outcome.live = {
        events: follower.live.events,
        rescans: follower.live.rescans,
        lagP50: follower.live.lag.percentile(50),
        lagP99: follower.live.lag.percentile(99),
      };
    }
    if (config.compare === "none" || config.dryRun) return outcome;
    const connections = {
      sourceScanner: source.connections[0],
      targetScanner: target.connections[0],
      sources: source.connections.slice(1),
      targets: target.connections.slice(1),
    };
    const verifyConfig = {
      mode: config.compare,
      ttlToleranceMs: config.ttlToleranceMs,
      scan: config.scan,
      batch: config.batch,
      rounds: config.rounds,
      pauseMs: follower ? 500 : 1000,
      memLimit: config.memLimit,
      sourceExpireTime,
      targetExpireTime,
    };
    const checked = { checked: 0 };
    const verifying = new Progress({
      label: "verifying",
      style: config.progress,
      logger: log,
      poll: () => ({ done: checked.checked, total, totalEstimated: estimated }),
    });
    verifying.start();
    try {
      outcome.verify = await verify(connections, verifyConfig, checked);
      for (let round = 1; round <= config.converge && differs(outcome.verify); round++) {
        const keys = outcome.verify.diffs.map((diff) => diff.key);
        log.warn(`Converge round ${round}: re-copying ${keys.length} differing key(s)`);
        for (let i = 0; i < keys.length; i += config.batch) {
          const read = await readDumps(source.connections[1], keys.slice(i, i + config.batch), {
            expireTime: sourceExpireTime,
            memLimit: config.memLimit,
          });
          const written = await writeRecords(target.connections[1], read.records);
          stats.written += written.written;
          stats.vanished += written.deleted;
        }
        outcome.converged = round;
        outcome.verify = await verify(connections, verifyConfig, checked);
      }
      return outcome;
    } finally {
      verifying.stop(true);
    }
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log.warn(`Cleanup failed: ${(error as Error).message}`);
      }
    }
  }
}

/** How many times the snapshot copy starts over after a lost connection before the run gives up. */
const COPY_ATTEMPTS = 5;

/**
 * The snapshot copy, started over from the beginning after a lost connection (RESTORE ... REPLACE makes a
 * second pass safe; resuming from a checkpoint is on the road map). Other failures end the run.
 */
async function copyWithRetries(
  copyAll: () => Promise<void>,
  reconnect: () => Promise<void>,
  log: Logger,
): Promise<void> {
  for (let attempt = 1;; attempt++) {
    try {
      await copyAll();
      return;
    } catch (error) {
      if (!(error instanceof ConnectionError) || attempt >= COPY_ATTEMPTS) throw error;
      log.warn(`${error.message} during the copy; reconnecting`);
      await reconnect();
      log.warn(`Copying again from the start (attempt ${attempt + 1} of ${COPY_ATTEMPTS})`);
    }
  }
}

/**
 * After a lost connection: reopen both pools, once a second, for as long as the connection timeout (-o);
 * then give up with one line that says what happened.
 */
async function reconnectBoth(
  source: OpenedServer,
  target: OpenedServer,
  timeoutMs: number,
  log: Logger,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (let attempt = 1;; attempt++) {
    try {
      await source.reopen();
      await target.reopen();
      log.warn(`Reconnected after ${attempt} attempt(s)`);
      return;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (performance.now() >= deadline) {
        throw new ConnectionError(
          error instanceof ConnectionError ? error.endpoint : "",
          `Reconnecting failed for ${
            Math.round(timeoutMs / 1000)
          } s (${message}). Run again when both servers are reachable.`,
        );
      }
      log.warn(`Reconnecting (attempt ${attempt}): ${message}`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

function describe(server: OpenedServer): string {
  const connection = server.connections[0];
  return `${connection.endpoint} (Redis ${server.hello.version ?? "?"}, RESP${server.hello.protocol})`;
}
