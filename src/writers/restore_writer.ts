/**
 * Writer: one pipelined round trip per batch on the target. A record with a payload becomes
 * `RESTORE key ttl payload REPLACE [ABSTTL]` (ttl 0 = no expiry); a record whose key is gone becomes
 * `DEL key`. A refusal is per key: it is returned as a KeyFailure with the server's words and advice,
 * and the rest of the batch is still written.
 */
import { type Command, ErrorReply } from "../../resp/mod.ts";
import type { RedisConnection } from "../redis/connection.ts";
import { GONE, type KeyFailure, type KeyRecord, NO_EXPIRY } from "../pipeline/record.ts";

export interface WriteResult {
  written: number;
  deleted: number;
  bytes: number;
  failures: KeyFailure[];
}

export async function writeRecords(connection: RedisConnection, records: KeyRecord[]): Promise<WriteResult> {
  const commands: Command[] = new Array(records.length);
  let bytes = 0;
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    if (record.dump === null || record.expireAt === GONE) {
      commands[i] = ["DEL", record.key];
    } else if (record.expireAt === NO_EXPIRY) {
      commands[i] = ["RESTORE", record.key, 0, record.dump, "REPLACE"];
      bytes += record.key.length + record.dump.length;
    } else {
      commands[i] = ["RESTORE", record.key, record.expireAt, record.dump, "REPLACE", "ABSTTL"];
      bytes += record.key.length + record.dump.length;
    }
  }
  const replies = await connection.pipeline(commands);
  const result: WriteResult = { written: 0, deleted: 0, bytes, failures: [] };
  for (let i = 0; i < replies.length; i++) {
    const reply = replies[i];
    if (reply instanceof ErrorReply) {
      result.failures.push({
        key: records[i].key,
        stage: "write",
        reason: reply.message,
        advice: restoreAdvice(reply),
      });
    } else if (records[i].dump === null) {
      result.deleted++;
    } else {
      result.written++;
    }
  }
  return result;
}

/** What to do about a RESTORE the target refused. */
export function restoreAdvice(error: ErrorReply): string {
  const text = error.message;
  if (/payload version or checksum/i.test(text)) {
    return "the target's Redis is older than the source's (its RDB format is newer than the target knows): upgrade the target, or copy by type instead of DUMP/RESTORE (type-based mode, --struct, is planned)";
  }
  if (error.code === "OOM") {
    return "the target is out of memory (maxmemory): raise maxmemory or free memory on the target";
  }
  if (/bad data format/i.test(text)) {
    return "the target cannot read this payload (a module type missing on the target, or a corrupted payload)";
  }
  if (error.code === "MOVED" || error.code === "ASK" || error.code === "CLUSTERDOWN") {
    return "the target is a cluster: cluster targets come with cluster support (-c)";
  }
  if (error.code === "NOPERM") {
    return "the target user lacks permission: allow RESTORE and DEL (+restore +del)";
  }
  if (error.code === "READONLY") return "the target is a read-only replica: write to its master";
  return "check the target server's log";
}
