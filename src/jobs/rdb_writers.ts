/**
 * Writers for records read from an RDB file or a replication snapshot (rdb-import, replicate --mode sync):
 * RESTORE with the automatic type-based fallback of the snapshot copy (src/writers/fallback_writer.ts),
 * from the same probe of the target (src/writers/target_caps.ts). A file of a newer RDB version than the
 * target's (a Redis 8.0 or 7.4 file, RDB 12, into Valkey 8.0 or Redis 7.0) is then written by type from the
 * first key instead of failing every RESTORE; `fallback: false` (--no-fallback) reports those keys instead.
 * The probe is logged in one line, so the user sees why keys went by type.
 */
import { ErrorReply } from "../../resp/mod.ts";
import type { Log } from "../log.ts";
import { type KeyFailure, keyFailure } from "../pipeline/failure.ts";
import type { CommandsRecord, KeyRecord } from "../pipeline/record.ts";
import type { Writer, WriteResult } from "../pipeline/stages.ts";
import type { ReplicationStats } from "../pipeline/stats.ts";
import type { NodeHandle, ServerEndpoint } from "../redis/server_endpoint.ts";
import { FUNCTION_ORIGIN } from "../sources/rdb_source.ts";
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

/**
 * Probes the target, says what it found, and returns one writer per target worker. On a cluster, keys are
 * routed by slot (the worker is the ClusterConnection; temporary keys of type-based writes share their
 * key's slot), and function libraries are loaded on every master (FUNCTION LOAD is per node).
 */
export async function rdbWriters(target: ServerEndpoint, options: RdbWriterOptions): Promise<Writer[]> {
  const caps = await probeTarget(target.control, !options.dryRun);
  logTargetCaps(caps, options.fallback, options.log);
  return Array.from({ length: target.workers }, (_, i) => {
    const writer = new FallbackWriter(() => target.worker(i), {
      fallback: options.fallback,
      caps,
      stats: options.stats,
      selectedDb: options.selectedDb,
    });
    return target.isCluster ? new FunctionsOnEveryNode(writer, () => target.nodes()) : writer;
  });
}

/** Function library records go to every node's connection; every other record to `inner`. */
class FunctionsOnEveryNode implements Writer {
  constructor(private readonly inner: Writer, private readonly nodes: () => NodeHandle[]) {}

  async write(records: KeyRecord[]): Promise<WriteResult> {
    const libraries = records.filter(isLibrary);
    if (libraries.length === 0) return this.inner.write(records);
    const result = await this.inner.write(records.filter((record) => !isLibrary(record)));
    for (const record of libraries as CommandsRecord[]) {
      let failure: KeyFailure | undefined;
      for (const node of this.nodes()) {
        const replies = await node.commands.pipeline(record.commands);
        const error = replies.find((reply) => reply instanceof ErrorReply) as ErrorReply | undefined;
        if (error) failure ??= keyFailure(record.key, "write", error, `${record.origin} on ${node.name}`);
      }
      if (failure) {
        result.failures.push(failure);
        result.failedRecords.push(record);
      } else result.written++;
    }
    return result;
  }
}

function isLibrary(record: KeyRecord): boolean {
  return record.kind === "commands" && record.origin?.startsWith(FUNCTION_ORIGIN) === true;
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
