/**
 * Value reader: for a batch of keys, one pipelined round trip of `DUMP key` + `PEXPIRETIME key` per key
 * (or `PTTL`, turned into an absolute time, on servers before 7.0). With a memory limit, a first round trip
 * of `MEMORY USAGE` decides which keys are read at all, so a big key is never transferred.
 */
import { ErrorReply, type RespValue } from "../../resp/mod.ts";
import type { RedisConnection } from "../redis/connection.ts";
import { GONE, type KeyFailure, type KeyRecord, NO_EXPIRY } from "../pipeline/record.ts";

const MEMORY_USAGE = [["MEMORY", "USAGE"]];
const DUMP_EXPIRETIME = [["DUMP"], ["PEXPIRETIME"]];
const DUMP_PTTL = [["DUMP"], ["PTTL"]];

export interface DumpReaderOptions {
  /** Use PEXPIRETIME (Redis >= 7.0); false: PTTL + local clock. */
  expireTime: boolean;
  /** Skip keys whose MEMORY USAGE is above this many bytes. */
  memLimit?: number;
}

export interface DumpBatch {
  records: KeyRecord[];
  /** Keys over the memory limit: not read, listed for the user. */
  skipped: { key: Uint8Array; bytes: number }[];
  failures: KeyFailure[];
}

/** True when the server knows PEXPIRETIME (Redis 7.0+). */
export async function supportsExpireTime(connection: RedisConnection): Promise<boolean> {
  const [reply] = await connection.pipeline([["PEXPIRETIME", "riot:probe:pexpiretime"]]);
  return !(reply instanceof ErrorReply);
}

export async function readDumps(
  connection: RedisConnection,
  keys: Uint8Array[],
  options: DumpReaderOptions,
): Promise<DumpBatch> {
  const skipped: DumpBatch["skipped"] = [];
  const failures: KeyFailure[] = [];
  let wanted = keys;
  if (options.memLimit !== undefined) {
    const usage = await connection.pipelineKeys(MEMORY_USAGE, keys);
    wanted = [];
    for (let i = 0; i < keys.length; i++) {
      const bytes = usage[i];
      if (typeof bytes === "number" && bytes > options.memLimit) skipped.push({ key: keys[i], bytes });
      else wanted.push(keys[i]);
    }
  }
  const sentAt = Date.now();
  const replies = await connection.pipelineKeys(options.expireTime ? DUMP_EXPIRETIME : DUMP_PTTL, wanted);
  const records: KeyRecord[] = [];
  for (let i = 0; i < wanted.length; i++) {
    const dump = replies[2 * i];
    const ttl = replies[2 * i + 1];
    if (dump instanceof ErrorReply || ttl instanceof ErrorReply) {
      const error = (dump instanceof ErrorReply ? dump : ttl) as ErrorReply;
      failures.push({ key: wanted[i], stage: "read", reason: error.message, advice: readAdvice(error) });
      continue;
    }
    if (dump === null || ttl === -2) {
      records.push({ key: wanted[i], dump: null, expireAt: GONE });
      continue;
    }
    records.push({
      key: wanted[i],
      dump: dump as Uint8Array,
      expireAt: toExpireAt(ttl, options.expireTime, sentAt),
    });
  }
  return { records, skipped, failures };
}

function toExpireAt(reply: RespValue, absolute: boolean, sentAt: number): number {
  const value = Number(reply);
  if (value < 0) return NO_EXPIRY;
  return absolute ? value : sentAt + value;
}

function readAdvice(error: ErrorReply): string {
  if (error.code === "NOPERM") {
    return "the source user lacks permission: allow DUMP and PEXPIRETIME/PTTL (+@keyspace +dump)";
  }
  if (error.code === "MOVED" || error.code === "ASK") {
    return "the source is a cluster node: cluster sources come with cluster support (-c)";
  }
  return "check the source server's log";
}
