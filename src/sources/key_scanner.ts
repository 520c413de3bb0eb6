/**
 * Key reader: walks the source keyspace with `SCAN cursor [MATCH p] [COUNT n] [TYPE t]` and yields the
 * keys in batches (one batch per SCAN reply), filtered by the client-side globs.
 *
 * SCAN guarantees every key present for the whole scan is returned at least once (maybe more). The
 * cursor is kept as the server's bytes (an unsigned 64-bit number).
 */
import { ErrorReply, type RespValue } from "../../resp/mod.ts";
import type { RedisConnection } from "../redis/connection.ts";

export interface ScanOptions {
  pattern?: string;
  type?: string;
  count: number;
  filter?: (key: Uint8Array) => boolean;
}

export interface ScanStats {
  /** Keys returned by SCAN before client-side filtering. */
  scanned: number;
}

const ZERO = new Uint8Array([0x30]);

export async function* scanKeys(
  connection: RedisConnection,
  options: ScanOptions,
  stats: ScanStats = { scanned: 0 },
): AsyncGenerator<Uint8Array[]> {
  let cursor: Uint8Array = ZERO;
  const tail: (string | number)[] = [];
  if (options.pattern !== undefined) tail.push("MATCH", options.pattern);
  tail.push("COUNT", options.count);
  if (options.type !== undefined) tail.push("TYPE", options.type);
  // Two SCAN round trips overlap with the consumer: the next SCAN is sent before this batch is yielded.
  let pending: Promise<RespValue> = sendScan(connection, cursor, tail);
  for (;;) {
    const reply = await pending;
    if (!Array.isArray(reply) || reply.length !== 2 || !(reply[0] instanceof Uint8Array)) {
      throw new ErrorReply(`ERR unexpected SCAN reply from ${connection.endpoint}`);
    }
    cursor = reply[0];
    const done = cursor.length === 1 && cursor[0] === 0x30;
    if (!done) pending = sendScan(connection, cursor, tail);
    const keys = reply[1] as Uint8Array[];
    stats.scanned += keys.length;
    const kept = options.filter ? keys.filter(options.filter) : keys;
    if (kept.length > 0) yield kept;
    if (done) return;
  }
}

/**
 * Send the next SCAN ahead of need. When the consumer stops early (another stage failed), nobody awaits
 * it: its rejection is marked handled here so that a lost connection cannot end the process.
 */
function sendScan(
  connection: RedisConnection,
  cursor: Uint8Array,
  tail: (string | number)[],
): Promise<RespValue> {
  const reply = connection.call("SCAN", cursor, ...tail);
  reply.catch(() => {});
  return reply;
}
