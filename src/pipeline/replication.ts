/**
 * One replication job from start to end: open the connections, copy the snapshot (and, in live modes,
 * follow the changes), then verify. Resolves with what happened; rejects only when a connection is lost
 * or a server refuses what the job cannot do without (all stages stopped first, connections closed).
 */
import type { ConnectionOptions } from "../redis/options.ts";
import { openConnections, type OpenedServer } from "../redis/pool.ts";
import type { Logger } from "../ui/log.ts";
import { Progress, type ProgressStyle } from "../ui/progress.ts";
import { supportsExpireTime } from "./dump_reader.ts";
import type { ScanOptions } from "./key_scanner.ts";
import { copySnapshot } from "./snapshot.ts";
import { ReplicationStats } from "./stats.ts";
import { type CompareMode, verify, type VerifyResult } from "./verify.ts";
import { dbSize } from "./dbsize.ts";

export interface ReplicationConfig {
  source: ConnectionOptions;
  target: ConnectionOptions;
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
}

export interface ReplicationOutcome {
  stats: ReplicationStats;
  verify?: VerifyResult;
}

export async function replicate(config: ReplicationConfig, log: Logger): Promise<ReplicationOutcome> {
  const stats = new ReplicationStats();
  const servers: OpenedServer[] = [];
  try {
    const source = await openConnections({ ...config.source, clientName: "riot-source" }, config.threads + 1);
    servers.push(source);
    const target = await openConnections({ ...config.target, clientName: "riot-target" }, config.threads + 1);
    servers.push(target);
    log.info(`Source ${describe(source)}; target ${describe(target)}`);
    const [sourceExpireTime, targetExpireTime] = await Promise.all([
      supportsExpireTime(source.connections[0]),
      supportsExpireTime(target.connections[0]),
    ]);
    const total = await dbSize(source.connections[0]);
    const estimated = config.scan.pattern !== undefined || config.scan.type !== undefined ||
      config.scan.filter !== undefined;
    const progress = new Progress({
      label: config.dryRun ? "reading" : "copying",
      style: config.progress,
      logger: log,
      poll: () => ({
        done: stats.written + stats.vanished + stats.failed + stats.skipped +
          (config.dryRun ? stats.read : 0),
        total,
        totalEstimated: estimated,
        extra: `scanned ${stats.scanned}${stats.failed ? ` | failed ${stats.failed}` : ""}`,
      }),
    });
    progress.start();
    try {
      await copySnapshot(
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
    } finally {
      progress.stop(true);
    }
    if (config.compare === "none" || config.dryRun) return { stats };
    const checked = { checked: 0 };
    const verifying = new Progress({
      label: "verifying",
      style: config.progress,
      logger: log,
      poll: () => ({ done: checked.checked, total, totalEstimated: estimated }),
    });
    verifying.start();
    try {
      const result = await verify(
        {
          sourceScanner: source.connections[0],
          targetScanner: target.connections[0],
          sources: source.connections.slice(1),
          targets: target.connections.slice(1),
        },
        {
          mode: config.compare,
          ttlToleranceMs: config.ttlToleranceMs,
          scan: config.scan,
          batch: config.batch,
          rounds: config.rounds,
          pauseMs: 1000,
          sourceExpireTime,
          targetExpireTime,
        },
        checked,
      );
      return { stats, verify: result };
    } finally {
      verifying.stop(true);
    }
  } finally {
    for (const server of servers) server.close();
  }
}

function describe(server: OpenedServer): string {
  const connection = server.connections[0];
  return `${connection.endpoint} (Redis ${server.hello.version ?? "?"}, RESP${server.hello.protocol})`;
}
