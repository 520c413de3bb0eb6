/**
 * The snapshot copy: SCAN on the source -> DUMP + expiry on `threads` source connections -> RESTORE on
 * `threads` target connections, stages joined by bounded queues (key batches, then record batches bounded
 * by count and by payload bytes). Memory is bounded by the queues, never by the size of the database.
 *
 * Outcome: resolves when every scanned key was read and written (failures are counted in the stats, not
 * thrown); rejects when a connection is lost, after stopping every stage.
 */
import type { RedisConnection } from "../redis/connection.ts";
import { readDumps } from "../readers/dump_reader.ts";
import { scanKeys, type ScanOptions } from "../sources/key_scanner.ts";
import { BoundedQueue } from "./queue.ts";
import type { KeyRecord } from "./record.ts";
import { writeRecords } from "../writers/restore_writer.ts";
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
/** Keys in a reader's first DUMP round trip. */
const FIRST_WINDOW = 8;

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

  const readerLoops = spread(connections.readers);
  // Payload bytes one DUMP round trip may bring back: the byte bound shared among the reader loops.
  const roundTripBytes = Math.max(1, Math.floor(config.queueBytes / readerLoops.length));
  const reading = Promise.all(
    readerLoops.map(async (connection) => {
      const window = new AdaptiveWindow(config.batch, roundTripBytes);
      for (;;) {
        const keys = await keyQueue.take();
        if (keys === undefined) return;
        for (let at = 0; at < keys.length;) {
          const part = keys.slice(at, at + window.size);
          at += part.length;
          const batch = await readDumps(connection, part, {
            expireTime: config.expireTime,
            memLimit: config.memLimit,
          });
          let weight = 0;
          for (const record of batch.records) weight += record.dump?.length ?? 0;
          window.observe(part.length, weight);
          stats.roundTripBytes = Math.max(stats.roundTripBytes, weight);
          stats.read += batch.records.length;
          stats.addSkipped(batch.skipped);
          stats.addFailures(batch.failures);
          if (!config.dryRun && batch.records.length > 0) await recordQueue.push(batch.records, weight);
        }
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

/**
 * Keys per DUMP round trip, so that one round trip brings back about `bytes` of payloads: it starts small
 * (a first batch of big keys cannot blow memory), doubles while payloads are small, up to `max` (--batch),
 * and shrinks at once when they are large.
 */
export class AdaptiveWindow {
  size: number;

  constructor(private readonly max: number, private readonly bytes: number) {
    this.size = Math.min(max, FIRST_WINDOW);
  }

  observe(keys: number, payloadBytes: number): void {
    const perKey = Math.max(1, payloadBytes / Math.max(1, keys));
    const fits = Math.max(1, Math.floor(this.bytes / perKey));
    this.size = Math.min(this.max, fits, this.size * 2);
  }
}

/** Each connection repeated IN_FLIGHT_PER_CONNECTION times: one worker loop per entry. */
function spread(connections: RedisConnection[]): RedisConnection[] {
  return connections.flatMap((connection) => Array(IN_FLIGHT_PER_CONNECTION).fill(connection));
}
