/**
 * Reader (src/pipeline/stages.ts) of DUMP payloads: for a batch of keys, one pipelined round trip of
 * `DUMP key` + `PEXPIRETIME key` per key (or `PTTL`, turned into an absolute time, on servers before 7.0).
 * With a memory limit, a first round trip of `MEMORY USAGE` decides which keys are read at all, so a big key
 * is never transferred; with a type filter, a first round trip of `TYPE` leaves other types out.
 *
 * A key gone from the source becomes a `delete` record. A per-key refusal is a KeyFailure; a refusal that
 * heals by waiting (BUSY, LOADING) rejects the whole read, so that the transfer retries it.
 */
import { ErrorReply, type RespValue, toText } from "../../resp/mod.ts";
import { failureCode, isRetriableCode, type KeyFailure, keyFailure } from "../pipeline/failure.ts";
import { type KeyRecord, NO_EXPIRY } from "../pipeline/record.ts";
import type { Reader, ReadResult, SkippedKey } from "../pipeline/stages.ts";
import type { Commands } from "../redis/commands.ts";

const MEMORY_USAGE = [["MEMORY", "USAGE"]];
const TYPE = [["TYPE"]];
const DUMP_EXPIRETIME = [["DUMP"], ["PEXPIRETIME"]];
const DUMP_PTTL = [["DUMP"], ["PTTL"]];

export interface DumpReaderOptions {
  /** Use PEXPIRETIME (Redis >= 7.0); false: PTTL + local clock. */
  expireTime: boolean;
  /** Skip keys whose MEMORY USAGE is above this many bytes. */
  memLimit?: number;
  /** Read only keys of this type (and report keys gone from the source as deletes). */
  type?: string;
}

/** True when the server knows PEXPIRETIME (Redis 7.0+) and lets this user run it. */
export async function supportsExpireTime(connection: Commands): Promise<boolean> {
  const [reply] = await connection.pipeline([["PEXPIRETIME", "riot:probe:pexpiretime"]]);
  return !(reply instanceof ErrorReply);
}

export class DumpReader implements Reader {
  constructor(
    private readonly connection: () => Commands,
    private readonly options: DumpReaderOptions,
  ) {}

  read(keys: Uint8Array[]): Promise<ReadResult> {
    return readDumps(this.connection(), keys, this.options);
  }
}

export async function readDumps(
  connection: Commands,
  keys: Uint8Array[],
  options: DumpReaderOptions,
): Promise<ReadResult> {
  const skipped: SkippedKey[] = [];
  const failures: KeyFailure[] = [];
  let wanted = keys;
  if (options.type !== undefined) wanted = await ofType(connection, wanted, options.type);
  if (options.memLimit !== undefined) {
    const usage = await connection.pipelineKeys(MEMORY_USAGE, wanted);
    const under: Uint8Array[] = [];
    wanted.forEach((key, i) => {
      const bytes = usage[i];
      if (typeof bytes === "number" && bytes > options.memLimit!) skipped.push({ key, bytes });
      else under.push(key);
    });
    wanted = under;
  }
  const sentAt = Date.now();
  const replies = await connection.pipelineKeys(options.expireTime ? DUMP_EXPIRETIME : DUMP_PTTL, wanted);
  const records: KeyRecord[] = [];
  for (let i = 0; i < wanted.length; i++) {
    const dump = replies[2 * i];
    const ttl = replies[2 * i + 1];
    const error = dump instanceof ErrorReply ? dump : ttl instanceof ErrorReply ? ttl : undefined;
    if (error) {
      if (isRetriableCode(failureCode(error))) throw error;
      failures.push(keyFailure(wanted[i], "read", error));
    } else if (dump === null || ttl === -2) {
      records.push({ kind: "delete", key: wanted[i] });
    } else {
      records.push({
        kind: "dump",
        key: wanted[i],
        payload: dump as Uint8Array,
        expireAt: toExpireAt(ttl, options.expireTime, sentAt),
      });
    }
  }
  return { records, skipped, failures };
}

/** Keys of `type`, plus keys gone from the source (they are deleted on the target). */
async function ofType(connection: Commands, keys: Uint8Array[], type: string): Promise<Uint8Array[]> {
  const types = await connection.pipelineKeys(TYPE, keys);
  return keys.filter((_, i) => {
    const name = types[i] instanceof ErrorReply ? "" : toText(types[i]);
    return name === type || name === "none";
  });
}

function toExpireAt(reply: RespValue, absolute: boolean, sentAt: number): number {
  const value = Number(reply);
  if (value < 0) return NO_EXPIRY;
  return absolute ? value : sentAt + value;
}
