/**
 * Writers for records read from an RDB file or a replication snapshot (rdb-import, replicate --mode sync):
 * RESTORE with the automatic type-based fallback of the snapshot copy (src/writers/fallback_writer.ts),
 * from the same probe of the target (src/writers/target_caps.ts). A file of a newer RDB version than the
 * target's (a Redis 8.0 or 7.4 file, RDB 12, into Valkey 8.0 or Redis 7.0) is then written by type from the
 * first key instead of failing every RESTORE; `fallback: false` (--no-fallback) reports those keys instead.
 * The probe is logged in one line, so the user sees why keys went by type.
 */
import type { Log } from "../log.ts";
import type { Writer } from "../pipeline/stages.ts";
import type { ReplicationStats } from "../pipeline/stats.ts";
import type { ServerEndpoint } from "../redis/server_endpoint.ts";
import { FallbackWriter } from "../writers/fallback_writer.ts";
import { engineName, probeTarget, type TargetCaps } from "../writers/target_caps.ts";

export interface RdbWriterOptions {
  fallback: boolean;
  /** Nothing is written: RESTORE is not probed. */
  dryRun: boolean;
  stats: ReplicationStats;
  log: Log;
  /** The database the target's connections select (-n). */
  selectedDb?: number;
}

/** Probes the target, says what it found, and returns one writer per target worker. */
export async function rdbWriters(target: ServerEndpoint, options: RdbWriterOptions): Promise<Writer[]> {
  const caps = await probeTarget(target.control, !options.dryRun);
  logTargetCaps(caps, options.fallback, options.log);
  return Array.from({ length: target.workers }, (_, i) =>
    new FallbackWriter(() => target.worker(i), {
      fallback: options.fallback,
      caps,
      stats: options.stats,
      selectedDb: options.selectedDb,
    }));
}

/** One line with what the target takes; a warning when every key will go by type. */
export function logTargetCaps(caps: TargetCaps, fallback: boolean, log: Log): void {
  const facts = [
    caps.rdbVersion === undefined ? "RDB version unknown" : `RDB version ${caps.rdbVersion}`,
    caps.restore === false ? `RESTORE refused (${caps.restoreRefusal})` : undefined,
    `proto-max-bulk-len ${caps.maxBulk}`,
    caps.fieldTtls ? "hash field TTLs" : "no hash field TTLs",
  ].filter((fact) => fact !== undefined);
  log.info(`Target ${engineName(caps)}: ${facts.join(", ")}`);
  if (caps.restore === false && fallback) {
    log.warn(`The target refuses RESTORE (${caps.restoreRefusal}): every key is copied by type`);
  }
}
