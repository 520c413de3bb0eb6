/**
 * Reader (src/pipeline/stages.ts) by type commands, for --struct: no DUMP, so it works on a source that
 * refuses DUMP and yields values any target can rebuild. For a batch of keys, two pipelined round trips
 * (three when hashes carry field TTLs):
 *
 * 1. `TYPE` (and `MEMORY USAGE` with --mem-limit) per key.
 * 2. Per key its read command and its expiry right after it: GET, LRANGE 0 -1, SMEMBERS,
 *    ZRANGE 0 -1 WITHSCORES (scores kept as the server's exact text), HGETALL, XINFO STREAM FULL COUNT 0
 *    (entries, groups with entries-read and last-delivered ID, consumers, pending entries with delivery
 *    time and count); + PEXPIRETIME (or PTTL on servers before 7.0).
 * 3. `HPEXPIRETIME key FIELDS ...` for hashes, on sources with hash field TTLs (Redis 7.4+).
 *
 * A type the reader does not know (a module type: ReJSON-RL, MBbloom--, TSDB-TYPE ...) is read with DUMP
 * and becomes a `dump` record, so it travels by RESTORE where the target has the module. A key gone from the
 * source becomes a `delete` record; one that changed type between the round trips is a failure (copied again
 * by the next change, a re-scan or --converge). BUSY/LOADING reject the whole read so that it is retried.
 */
import { ErrorReply, type RespValue, toText } from "../../resp/mod.ts";
import { failureCode, isRetriableCode, type KeyFailure, keyFailure } from "../pipeline/failure.ts";
import { type KeyRecord, NO_EXPIRY } from "../pipeline/record.ts";
import type { Reader, ReadResult, SkippedKey } from "../pipeline/stages.ts";
import type { Commands } from "../redis/commands.ts";
import type { RdbValue } from "../rdb/value.ts";
import { bytesList, bytesOf, hashFields, pairs, streamMetadata, zsetEntries } from "./type_replies.ts";

export interface StructReaderOptions {
  /** Use PEXPIRETIME (Redis >= 7.0); false: PTTL + local clock. */
  expireTime: boolean;
  /** The source has HPEXPIRETIME (Redis 7.4+ hash field TTLs). */
  fieldTtls: boolean;
  /** Skip keys whose MEMORY USAGE is above this many bytes. */
  memLimit?: number;
  /** Read only keys of this type (and report keys gone from the source as deletes). */
  type?: string;
}

/** Numbers as text: the encoder copies a string, where a number costs it a String() per key. */
const READ_COMMAND: Record<string, (key: Uint8Array) => (string | Uint8Array)[]> = {
  string: (key) => ["GET", key],
  list: (key) => ["LRANGE", key, "0", "-1"],
  set: (key) => ["SMEMBERS", key],
  zset: (key) => ["ZRANGE", key, "0", "-1", "WITHSCORES"],
  hash: (key) => ["HGETALL", key],
  stream: (key) => ["XINFO", "STREAM", key, "FULL", "COUNT", "0"],
};

export class StructReader implements Reader {
  constructor(
    private readonly connection: () => Commands,
    private readonly options: StructReaderOptions,
  ) {}

  read(keys: Uint8Array[]): Promise<ReadResult> {
    return readStructs(this.connection(), keys, this.options);
  }
}

export async function readStructs(
  connection: Commands,
  keys: Uint8Array[],
  options: StructReaderOptions,
): Promise<ReadResult> {
  const skipped: SkippedKey[] = [];
  const failures: KeyFailure[] = [];
  const records: KeyRecord[] = [];
  const withUsage = options.memLimit !== undefined;
  const first = await connection.pipelineKeys(withUsage ? [["TYPE"], ["MEMORY", "USAGE"]] : [["TYPE"]], keys);
  const wanted: { key: Uint8Array; type: string }[] = [];
  keys.forEach((key, i) => {
    const type = first[withUsage ? 2 * i : i];
    const usage = withUsage ? first[2 * i + 1] : undefined;
    if (type instanceof ErrorReply) return void failures.push(readFailure(key, type));
    const name = toText(type);
    if (name === "none") return void records.push({ kind: "delete", key });
    if (options.type !== undefined && name !== options.type) return;
    if (typeof usage === "number" && usage > options.memLimit!) {
      return void skipped.push({ key, bytes: usage });
    }
    wanted.push({ key, type: name });
  });
  const ttl = options.expireTime ? "PEXPIRETIME" : "PTTL";
  const sentAt = Date.now();
  const replies = await connection.pipeline(
    wanted.flatMap(({ key, type }) => [READ_COMMAND[type]?.(key) ?? ["DUMP", key], [ttl, key]]),
  );
  const hashes: { record: KeyRecord & { kind: "value" }; reply: RespValue }[] = [];
  wanted.forEach(({ key, type }, i) => {
    const [reply, expiry] = [replies[2 * i], replies[2 * i + 1]];
    const error = reply instanceof ErrorReply ? reply : expiry instanceof ErrorReply ? expiry : undefined;
    if (error && !(type === "stream" && /no such key/i.test(error.message))) {
      if (isRetriableCode(failureCode(error))) throw error;
      return void failures.push(readFailure(key, error));
    }
    const expireAt = toExpireAt(expiry, options.expireTime, sentAt);
    if (error || expiry === -2) return void records.push({ kind: "delete", key });
    if (!(type in READ_COMMAND)) {
      if (reply === null) return void records.push({ kind: "delete", key });
      return void records.push({ kind: "dump", key, payload: reply as Uint8Array, expireAt });
    }
    const value = valueOf(type, reply);
    if (value === undefined) return void records.push({ kind: "delete", key });
    const record = { kind: "value" as const, key, value, expireAt, bytes: weightOf(value) };
    records.push(record);
    if (type === "hash" && options.fieldTtls) hashes.push({ record, reply });
  });
  if (hashes.length > 0) await readFieldTtls(connection, hashes);
  return { records, skipped, failures };
}

/** Round trip 3: each hash's field expiries, in HGETALL's field order. */
async function readFieldTtls(
  connection: Commands,
  hashes: { record: KeyRecord & { kind: "value" }; reply: RespValue }[],
): Promise<void> {
  const commands = hashes.map(({ record, reply }) => {
    const fields = pairs(reply).map(([field]) => bytesOf(field));
    return ["HPEXPIRETIME", record.key, "FIELDS", fields.length, ...fields];
  });
  const replies = await connection.pipeline(commands);
  hashes.forEach(({ record, reply }, i) => {
    if (replies[i] instanceof ErrorReply) return; // changed meanwhile: the next change copies it again
    record.value = { type: "hash", fields: hashFields(reply, replies[i]) };
  });
}

/** The value of a read reply, or undefined when the key is gone (Redis has no empty collections). */
function valueOf(type: string, reply: RespValue): RdbValue | undefined {
  switch (type) {
    case "string":
      return reply === null ? undefined : { type: "string", value: bytesOf(reply) };
    case "list": {
      const elements = bytesList(reply);
      return elements.length === 0 ? undefined : { type: "list", elements };
    }
    case "set": {
      const members = bytesList(reply);
      return members.length === 0 ? undefined : { type: "set", members };
    }
    case "zset": {
      const entries = zsetEntries(reply);
      return entries.length === 0 ? undefined : { type: "zset", entries };
    }
    case "hash": {
      const fields = hashFields(reply);
      return fields.length === 0 ? undefined : { type: "hash", fields };
    }
    default:
      return streamMetadata(reply);
  }
}

/** Bytes a value holds in memory: its data, plus about 64 bytes per Uint8Array (the object around it). */
function weightOf(value: RdbValue): number {
  const sum = (list: Uint8Array[]) => list.reduce((total, item) => total + 64 + item.length, 0);
  switch (value.type) {
    case "string":
      return value.value.length;
    case "list":
      return sum(value.elements);
    case "set":
      return sum(value.members);
    case "zset":
      return value.entries.reduce((total, e) => total + 160 + e.member.length + e.scoreText.length, 0);
    case "hash":
      return value.fields.reduce((total, f) => total + 160 + f.field.length + f.value.length, 0);
    case "stream":
      return value.entries.reduce((total, e) => total + 16 + sum(e.fieldsAndValues), 0);
  }
}

function readFailure(key: Uint8Array, error: ErrorReply): KeyFailure {
  if (failureCode(error) !== "wrongtype") return keyFailure(key, "read", error);
  return {
    key,
    stage: "read",
    code: "wrongtype",
    reason: "the key changed type while it was read",
    advice: "it is copied again by its next change (live), a re-scan, or --converge",
  };
}

function toExpireAt(reply: RespValue, absolute: boolean, sentAt: number): number {
  const value = Number(reply);
  if (value < 0) return NO_EXPIRY;
  return absolute ? value : sentAt + value;
}
