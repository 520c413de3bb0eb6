/**
 * The snapshot copy: SCAN on the source -> DUMP + expiry on `threads` source connections -> RESTORE on
 * `threads` target connections, stages joined by bounded queues (key batches, then record batches bounded
 * by count and by payload bytes). Memory is bounded by the queues, never by the size of the database.
 *
 * Outcome: resolves when every scanned key was read and written (failures are counted in the stats, not
 * thrown); rejects when a connection is lost, after stopping every stage.
 */
import type { RedisConnection } from "../redis/connection.ts";
import { readDumps } from "./dump_reader.ts";
import { scanKeys, type ScanOptions } from "./key_scanner.ts";
import { BoundedQueue } from "./queue.ts";
import type { KeyRecord } from "./record.ts";
import { writeRecords } from "./restore_writer.ts";
import type { ReplicationStats } from "./stats.ts";

export interface SnapshotConfig {
  scan: ScanOptions;
  /** Keys per DUMP/RESTORE round trip. */
  batch: number;
  /** Keys waiting between stages (the read queue). */
  queueKeys: number;
  /** Payload bytes waiting between the readers and the writers. */
  queueBytes: number;
  dryRun: boolean;
  memLimit?: number;
  expireTime: boolean;
}

export interface SnapshotConnections {
  scanner: RedisConnection;
  readers: RedisConnection[];
  writers: RedisConnection[];
}

/** Round trips kept in flight on each connection, so that no connection waits idle for its reply. */
const IN_FLIGHT_PER_CONNECTION = 2;

export async function copySnapshot(
  connections: SnapshotConnections,
  config: SnapshotConfig,
  stats: ReplicationStats,
): Promise<void> {
  const batches = Math.max(2, Math.ceil(config.queueKeys / config.batch));
  const keyQueue = new BoundedQueue<Uint8Array[]>(batches);
  const recordQueue = new BoundedQueue<KeyRecord[]>(batches, config.queueBytes);
  const stopAll = (error: unknown) => {
    keyQueue.fail(error);
    recordQueue.fail(error);
    throw error;
  };

  const scanning = (async () => {
    const scanStats = { scanned: 0 };
    const before = stats.scanned; // re-scans add to the count
    let pending: Uint8Array[] = [];
    for await (const keys of scanKeys(connections.scanner, config.scan, scanStats)) {
      stats.scanned = before + scanStats.scanned;
      for (const key of keys) {
        pending.push(key);
        if (pending.length >= config.batch) {
          await keyQueue.push(pending);
          pending = [];
        }
      }
    }
    stats.scanned = before + scanStats.scanned;
    if (pending.length > 0) await keyQueue.push(pending);
    keyQueue.close();
  })().catch(stopAll);

  const reading = Promise.all(
    spread(connections.readers).map(async (connection) => {
      for (;;) {
        const keys = await keyQueue.take();
        if (keys === undefined) return;
        const batch = await readDumps(connection, keys, {
          expireTime: config.expireTime,
          memLimit: config.memLimit,
        });
        stats.read += batch.records.length;
        stats.addSkipped(batch.skipped);
        stats.addFailures(batch.failures);
        if (config.dryRun) continue;
        let weight = 0;
        for (const record of batch.records) weight += record.dump?.length ?? 0;
        if (batch.records.length > 0) await recordQueue.push(batch.records, weight);
      }
    }),
  ).then(() => recordQueue.close(), stopAll);

  const writing = Promise.all(
    spread(connections.writers).map(async (connection) => {
      for (;;) {
        const records = await recordQueue.take();
        if (records === undefined) return;
        const result = await writeRecords(connection, records);
        stats.written += result.written;
        stats.vanished += result.deleted;
        stats.bytes += result.bytes;
        stats.addFailures(result.failures);
      }
    }),
  ).catch(stopAll);

  await Promise.all([scanning, reading, writing]);
}

/** Each connection repeated IN_FLIGHT_PER_CONNECTION times: one worker loop per entry. */
function spread(connections: RedisConnection[]): RedisConnection[] {
  return connections.flatMap((connection) => Array(IN_FLIGHT_PER_CONNECTION).fill(connection));
}
