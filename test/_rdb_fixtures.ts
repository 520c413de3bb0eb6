/**
 * Shared by the DUMP payload tests against real servers: keys of every type in every encoding a server
 * writes (`populate`), the same value read back with the type's own commands (`serverSnapshot`) and from a
 * decoded payload (`decodedSnapshot`), both as one comparable plain form, and the copy of a decoded value to
 * another server through `writeCommands` into a temporary key and RENAME (`writeDecoded`).
 */
import assert from "node:assert/strict";
import { ErrorReply, RespMap, RespSet, type RespValue } from "../resp/mod.ts";
import type { RedisConnection } from "../src/redis/connection.ts";
import { writeCommands } from "../src/rdb/commands.ts";
import type { RdbValue, RdbValueStream, StreamId } from "../src/rdb/value.ts";

const latin1 = new TextDecoder("latin1");
export const text = (bytes: Uint8Array) => latin1.decode(bytes);

/** What a server can do beyond Redis 7.0. */
export interface Features {
  /** Hash field TTLs (Redis 7.4+). */
  fieldTtls: boolean;
}

/** One key per type and encoding; `name` says which, `keys` lists them all. */
export async function populate(conn: RedisConnection, features: Features): Promise<string[]> {
  const keys: string[] = [];
  const run = async (key: string, ...commands: RespValue[][]) => {
    keys.push(key);
    const replies = await conn.pipeline(commands as never);
    for (const reply of replies) if (reply instanceof ErrorReply) throw new Error(`${key}: ${reply.message}`);
  };
  await run("str:short", ["SET", "str:short", "hello"]);
  await run("str:int8", ["SET", "str:int8", "-5"]);
  await run("str:int16", ["SET", "str:int16", "12345"]);
  await run("str:int32", ["SET", "str:int32", "-100000"]);
  await run("str:bigint", ["SET", "str:bigint", "9007199254740993"]);
  await run("str:empty", ["SET", "str:empty", ""]);
  await run("str:lzf", ["SET", "str:lzf", "abcdefgh".repeat(500) + "tail"]);
  await run("str:binary", [
    "SET",
    "str:binary",
    Uint8Array.from({ length: 300 }, (_, i) => (i * 7919) & 0xff),
  ]);
  // Over the default 1 MiB window: SET then APPENDs; compressible, so one big LZF string in the payload.
  await run("str:big", ["SET", "str:big", range(150_000, (i) => `chunk-${i % 1000}-`).join("")]);
  // One byte repeated: LZF at its maximum ratio (~88x), the bound the decoder enforces.
  await run("str:repeated", ["SET", "str:repeated", "a".repeat(1_000_000)]);
  await run("hll:sparse", ["PFADD", "hll:sparse", "a", "b", "c"]);
  await run("hll:dense", ["PFADD", "hll:dense", ...range(5000, (i) => `item-${i}`)]);
  await run("list:small", ["RPUSH", "list:small", "a", "1", "-3000", "70000", "x".repeat(100), ""]);
  await run("list:big", ["RPUSH", "list:big", ...range(3000, (i) => `element-${i}`)]);
  await run("list:compressed", ["CONFIG", "SET", "list-compress-depth", "1"], [
    "RPUSH",
    "list:compressed",
    ...range(3000, (i) => `compressible-${i % 10}`.repeat(3)),
  ], ["CONFIG", "SET", "list-compress-depth", "0"]);
  await run(
    "list:plain",
    ["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "100"],
    ["RPUSH", "list:plain", "small", "P".repeat(300), "after"],
    ["DEBUG", "QUICKLIST-PACKED-THRESHOLD", String(1 << 30)],
  );
  await run("set:intset", ["SADD", "set:intset", "1", "-7", "300", "-70000", "1099511627776"]);
  await run("set:intset-big", ["SADD", "set:intset-big", ...range(500, (i) => String((i - 250) * 2 ** 40))]);
  await run("set:small", ["SADD", "set:small", "a", "b", "7", "c"]);
  await run("set:big", ["SADD", "set:big", ...range(1000, (i) => `member-${i}`)]);
  const special = [
    "-0",
    "zero-neg",
    "1e-300",
    "tiny",
    "0.1",
    "tenth",
    "9007199254740993",
    "big",
    "inf",
    "pinf",
  ];
  special.push("-inf", "ninf", "1.5", "half", "3", "three", "-2.5e10", "neg");
  await run("zset:small", ["ZADD", "zset:small", ...special]);
  await run("zset:big", [
    "ZADD",
    "zset:big",
    ...special,
    ...range(400, (i) => [String(i / 7), `m${i}`]).flat(),
  ]);
  await run("hash:small", ["HSET", "hash:small", "f1", "v1", "n", "42", "neg", "-1", "empty", ""]);
  await run("hash:big", ["HSET", "hash:big", ...range(700, (i) => [`field-${i}`, `value-${i}`]).flat()]);
  await run("hash:longvalue", ["HSET", "hash:longvalue", "f", "v".repeat(200)]);
  if (features.fieldTtls) {
    const at = Date.now() + 3_600_000;
    await run(
      "hash:ttl-small",
      ["HSET", "hash:ttl-small", "a", "1", "b", "2", "c", "3"],
      ["HPEXPIREAT", "hash:ttl-small", String(at), "FIELDS", "2", "a", "c"],
    );
    await run(
      "hash:ttl-big",
      ["HSET", "hash:ttl-big", ...range(700, (i) => [`f${i}`, `v${i}`]).flat()],
      ["HPEXPIREAT", "hash:ttl-big", String(at), "FIELDS", "2", "f1", "f2"],
      ["HPEXPIREAT", "hash:ttl-big", String(at + 5), "FIELDS", "1", "f699"],
    );
  }
  await populateStreams(run);
  return keys;
}

/** Streams: several nodes, mixed fields, deletions, two groups with pending entries, trimmed, empty. */
async function populateStreams(run: (key: string, ...c: RespValue[][]) => Promise<void>) {
  const adds: RespValue[][] = [];
  for (let i = 1; i <= 250; i++) {
    const fields = i % 3 === 0 ? ["other", `o${i}`] : ["name", `n${i}`, "count", String(i)];
    adds.push(["XADD", "stream:full", `${1000 + i}-${i % 4}`, ...fields]);
  }
  await run(
    "stream:full",
    ...adds,
    ["XDEL", "stream:full", "1010-2", "1011-3"],
    ["XGROUP", "CREATE", "stream:full", "g1", "0"],
    ["XGROUP", "CREATE", "stream:full", "g2", "1100-0"],
    ["XREADGROUP", "GROUP", "g1", "alice", "COUNT", "5", "STREAMS", "stream:full", ">"],
    ["XREADGROUP", "GROUP", "g1", "bob", "COUNT", "3", "STREAMS", "stream:full", ">"],
    ["XREADGROUP", "GROUP", "g2", "carol", "COUNT", "4", "STREAMS", "stream:full", ">"],
    ["XGROUP", "CREATECONSUMER", "stream:full", "g2", "idle"],
    ["XACK", "stream:full", "g1", "1002-2"],
    ["XDEL", "stream:full", "1003-3"], // still pending in g1: its message is gone
  );
  await run(
    "stream:trimmed",
    ["XADD", "stream:trimmed", "1-1", "a", "1"],
    ["XADD", "stream:trimmed", "2-1", "b", "2"],
    ["XADD", "stream:trimmed", "3-1", "c", "3"],
    ["XGROUP", "CREATE", "stream:trimmed", "g", "0"],
    ["XREADGROUP", "GROUP", "g", "dave", "COUNT", "2", "STREAMS", "stream:trimmed", ">"],
    ["XTRIM", "stream:trimmed", "MAXLEN", "1"], // 1-1 and 2-1 stay pending, their messages gone
  );
  await run("stream:empty", ["XADD", "stream:empty", "5-5", "f", "v"], ["XDEL", "stream:empty", "5-5"]);
  await run("stream:nogroups", ["XADD", "stream:nogroups", "*", "a", "1"], [
    "XADD",
    "stream:nogroups",
    "*",
    "b",
    "2",
  ]);
}

function range<T>(count: number, of: (i: number) => T): T[] {
  return Array.from({ length: count }, (_, i) => of(i));
}

/** A comparable plain form of one value; hash field expiries and stream metadata included. */
export type Snapshot = { type: string; [part: string]: unknown };

/** The value of `key` as the server returns it through the type's read commands. */
export async function serverSnapshot(
  conn: RedisConnection,
  key: string,
  features: Features,
): Promise<Snapshot> {
  const type = await conn.call("TYPE", key) as string;
  switch (type) {
    case "string":
      return { type, value: text(await conn.call("GET", key) as Uint8Array) };
    case "list":
      return { type, elements: texts(await conn.call("LRANGE", key, "0", "-1")) };
    case "set":
      return { type, members: texts(await conn.call("SMEMBERS", key)).sort() };
    case "zset": {
      const reply = await conn.call("ZRANGE", key, "0", "-1", "WITHSCORES") as RespValue[];
      const entries = reply.map((pair) => {
        const [member, score] = pair as [Uint8Array, { value: number }];
        return [text(member), score.value];
      });
      return { type, entries: entries.sort(byFirst) };
    }
    case "hash":
      return { type, fields: await hashFields(conn, key, features) };
    case "stream":
      return { type, ...await streamParts(conn, key) };
  }
  throw new Error(`Unexpected type ${type} of ${key}`);
}

async function hashFields(conn: RedisConnection, key: string, features: Features) {
  const map = await conn.call("HGETALL", key) as RespMap;
  const fields = map.entries.map(([f, v]) => [text(f as Uint8Array), text(v as Uint8Array)]);
  let times: number[] = fields.map(() => -1);
  if (features.fieldTtls) {
    times = await conn.call(
      "HPEXPIRETIME",
      key,
      "FIELDS",
      fields.length,
      ...fields.map((f) => f[0]),
    ) as number[];
  }
  return fields.map(([f, v], i) => [f, v, times[i] === -1 ? undefined : times[i]]).sort(byFirst);
}

async function streamParts(conn: RedisConnection, key: string) {
  const info = await conn.call("XINFO", "STREAM", key, "FULL", "COUNT", "0") as RespMap;
  const entries = (info.get("entries") as RespValue[][]).map((
    [id, fields],
  ) => [text(id as Uint8Array), texts(fields)]);
  const groups = (info.get("groups") as RespMap[]).map((group) => ({
    name: text(group.get("name") as Uint8Array),
    lastId: text(group.get("last-delivered-id") as Uint8Array),
    entriesRead: group.get("entries-read") ?? -1,
    pending: (group.get("pending") as RespValue[][]).map(([id, consumer, time, count]) => [
      text(id as Uint8Array),
      text(consumer as Uint8Array),
      time,
      count,
    ]),
    consumers: (group.get("consumers") as RespMap[]).map((c) => [
      text(c.get("name") as Uint8Array),
      (c.get("pending") as RespValue[][]).map(([id]) => text(id as Uint8Array)),
    ]).sort(byFirst),
  })).sort((a, b) => a.name.localeCompare(b.name));
  return {
    entries,
    lastId: text(info.get("last-generated-id") as Uint8Array),
    firstId: text(info.get("recorded-first-entry-id") as Uint8Array),
    maxDeletedId: text(info.get("max-deleted-entry-id") as Uint8Array),
    entriesAdded: info.get("entries-added"),
    groups,
  };
}

/** The same plain form from a decoded payload. */
export function decodedSnapshot(value: RdbValue): Snapshot {
  switch (value.type) {
    case "string":
      return { type: "string", value: text(value.value) };
    case "list":
      return { type: "list", elements: value.elements.map(text) };
    case "set":
      return { type: "set", members: value.members.map(text).sort() };
    case "zset":
      return { type: "zset", entries: value.entries.map((e) => [text(e.member), e.score]).sort(byFirst) };
    case "hash":
      return {
        type: "hash",
        fields: value.fields.map((f) => [text(f.field), text(f.value), f.expireAt]).sort(byFirst),
      };
    case "stream":
      return {
        type: "stream",
        entries: value.entries.map((e) => [id(e.id), e.fieldsAndValues.map(text)]),
        lastId: id(value.lastId),
        firstId: id(value.firstId ?? value.entries[0]?.id ?? { ms: 0n, seq: 0n }),
        maxDeletedId: id(value.maxDeletedId ?? { ms: 0n, seq: 0n }),
        entriesAdded: Number(value.entriesAdded ?? BigInt(value.length)),
        groups: value.groups.map((g) => ({
          name: text(g.name),
          lastId: id(g.lastId),
          entriesRead: Number(g.entriesRead ?? -1),
          pending: g.pending.map((
            p,
          ) => [id(p.id), text(p.consumer!), Number(p.deliveryTime), Number(p.deliveryCount)]),
          consumers: g.consumers.map((c) => [text(c.name), c.pending.map(id)]).sort(byFirst),
        })).sort((a, b) => a.name.localeCompare(b.name)),
      };
  }
}

/** Writes `value` to `target` as `key` through a temp key and RENAME; asserts no command failed. */
export async function writeDecoded(
  target: RedisConnection,
  key: string,
  value: RdbValueStream,
  expireAt?: number,
) {
  const temp = new TextEncoder().encode(`${key}:riot-tmp`);
  const commands = [...writeCommands(value, { key: temp, expireAt, maxElementsPerCommand: 100 })];
  const replies = await target.pipeline(commands);
  replies.forEach((reply, i) => {
    if (reply instanceof ErrorReply) {
      throw new Error(`${key}: ${commands[i].slice(0, 3).map(String).join(" ")} failed: ${reply.message}`);
    }
  });
  await target.call("RENAME", temp, key);
}

export async function digest(conn: RedisConnection, key: string): Promise<string> {
  const reply = await conn.call("DEBUG", "DIGEST-VALUE", key) as RespValue[];
  const first = reply[0];
  return typeof first === "string" ? first : text(first as Uint8Array);
}

export function assertSnapshotsEqual(actual: Snapshot, expected: Snapshot, key: string) {
  assert.deepStrictEqual(actual, expected, `${key} differs`);
}

function id(streamId: StreamId): string {
  return `${streamId.ms}-${streamId.seq}`;
}

function texts(reply: RespValue): string[] {
  const items = reply instanceof RespSet ? reply.items : reply;
  return (items as Uint8Array[]).map(text);
}

function byFirst(a: unknown[], b: unknown[]): number {
  return String(a[0]) < String(b[0]) ? -1 : String(a[0]) > String(b[0]) ? 1 : 0;
}
