/**
 * Key reader: walks the source keyspace with `SCAN cursor [MATCH p] [COUNT n] [TYPE t]` and yields the
 * keys of each SCAN reply with the cursor after it, filtered by the client-side globs.
 *
 * SCAN guarantees every key present for the whole scan is returned at least once (maybe more). The
 * cursor is kept as the server's bytes (an unsigned 64-bit number); it is stateless on the server, so a
 * scan can go on from a cursor on another connection, or in another run.
 */
import { ErrorReply, type RespValue } from "../../resp/mod.ts";
import type { Commands } from "../redis/commands.ts";

export interface ScanOptions {
  pattern?: string;
  type?: string;
  count: number;
  filter?: (key: Uint8Array) => boolean;
}

export interface ScanStats {
  /** Keys returned by SCAN before client-side filtering. */
  scanned: number;
  /** SCANs sent again after a lost connection (counted by ScanSource, with the engine's other retries). */
  retries?: number;
}

export interface ScanPage {
  keys: Uint8Array[];
  /** The cursor after this page ("0" when the scan is complete). */
  cursor: string;
}

const latin = new TextDecoder("latin1");

/** One page per SCAN reply, empty pages included, from `start` ("0": the beginning). */
export async function* scanPages(
  connection: () => Commands,
  options: ScanOptions,
  stats: ScanStats = { scanned: 0 },
  start = "0",
): AsyncGenerator<ScanPage> {
  const tail: (string | number)[] = [];
  if (options.pattern !== undefined) tail.push("MATCH", options.pattern);
  tail.push("COUNT", options.count);
  if (options.type !== undefined) tail.push("TYPE", options.type);
  // Two SCAN round trips overlap with the consumer: the next SCAN is sent before this page is yielded.
  let pending: Promise<RespValue> = sendScan(connection(), start, tail);
  for (;;) {
    const reply = await pending;
    if (!Array.isArray(reply) || reply.length !== 2 || !(reply[0] instanceof Uint8Array)) {
      throw new ErrorReply(`ERR unexpected SCAN reply from ${connection().endpoint}`);
    }
    const cursor = latin.decode(reply[0]);
    const done = cursor === "0";
    if (!done) pending = sendScan(connection(), cursor, tail);
    const keys = reply[1] as Uint8Array[];
    stats.scanned += keys.length;
    yield { keys: options.filter ? keys.filter(options.filter) : keys, cursor };
    if (done) return;
  }
}

/** The keys of a whole scan in batches (one per non-empty SCAN reply). */
export async function* scanKeys(
  connection: Commands,
  options: ScanOptions,
  stats: ScanStats = { scanned: 0 },
): AsyncGenerator<Uint8Array[]> {
  for await (const page of scanPages(() => connection, options, stats)) {
    if (page.keys.length > 0) yield page.keys;
  }
}

/**
 * Send the next SCAN ahead of need. When the consumer stops early (another stage failed), nobody awaits
 * it: its rejection is marked handled here so that a lost connection cannot end the process.
 */
function sendScan(
  connection: Commands,
  cursor: string,
  tail: (string | number)[],
): Promise<RespValue> {
  const reply = connection.call("SCAN", cursor, ...tail);
  reply.catch(() => {});
  return reply;
}
