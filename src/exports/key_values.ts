/**
 * Reads keys' values for an export, type by type, as pieces of dump records (see dump_format.ts): an
 * `open` piece (key, type, expiry), one or more `window` pieces, a `close` piece (with a stream's
 * metadata). Pieces of one key come together and keys come in the order given.
 *
 * Round trips per batch of keys, each pipelined: TYPE + PEXPIRETIME (PTTL before Redis 7.0); the length
 * (STRLEN, HLEN, LLEN, SCARD, ZCARD, XLEN); the whole value of keys up to `window` elements (and up to
 * `window` KiB for strings). A bigger key is read in windows (HSCAN, SSCAN, ZSCAN, LRANGE, XRANGE and
 * GETRANGE), so memory holds one window, not one key. A key changed while it is read in windows may come
 * out as a mix of before and after (as with any SCAN); HSCAN/SSCAN/ZSCAN may repeat a member, which
 * restores the same.
 *
 * A key gone between SCAN and TYPE is left out (`vanished`); a type the format cannot hold (module types)
 * is a KeyFailure; a refusal that heals by waiting (BUSY, LOADING) throws, as does a lost connection.
 */
import { ErrorReply, latin1, RespDouble, RespMap, RespSet, type RespValue } from "../../resp/mod.ts";
import { failureCode, isRetriableCode, type KeyFailure, keyFailure } from "../pipeline/failure.ts";
import type { RedisConnection } from "../redis/connection.ts";
import {
  DUMP_TYPES,
  type DumpHeader,
  type DumpType,
  type DumpWindow,
  type StreamItem,
  type StreamMeta,
  type ZsetPair,
} from "./dump_format.ts";

export type ExportPiece =
  | { kind: "deleted"; key: Uint8Array }
  | { kind: "open"; header: DumpHeader }
  | { kind: "window"; window: DumpWindow }
  | { kind: "close"; type: DumpType; meta?: StreamMeta };

export interface KeyValuesOptions {
  /** PEXPIRETIME (Redis 7.0+) or PTTL + the local clock. */
  expireTime: boolean;
  /** Elements per window (and KiB per string window). */
  window: number;
  /** A key gone is a `deleted` piece (live mode) instead of being left out. */
  deletes?: boolean;
}

export interface KeyValuesStats {
  vanished: number;
  failed: number;
  failures: KeyFailure[];
}

const LENGTH: Record<DumpType, string> = {
  string: "STRLEN",
  hash: "HLEN",
  list: "LLEN",
  set: "SCARD",
  zset: "ZCARD",
  stream: "XLEN",
};

/** The pieces of every key of `keys` that still exists, in order. */
export async function* keyValues(
  connection: RedisConnection,
  keys: Uint8Array[],
  options: KeyValuesOptions,
  stats: KeyValuesStats,
): AsyncGenerator<ExportPiece> {
  const sentAt = Date.now();
  const first = await connection.pipelineKeys(
    [["TYPE"], [options.expireTime ? "PEXPIRETIME" : "PTTL"]],
    keys,
  );
  const found: DumpHeader[] = [];
  const gone: Uint8Array[] = [];
  keys.forEach((key, i) => {
    const type = first[2 * i];
    const ttl = first[2 * i + 1];
    const error = type instanceof ErrorReply ? type : ttl instanceof ErrorReply ? ttl : undefined;
    if (error) return fail(stats, key, error);
    const name = typeof type === "string" ? type : latin1(type as Uint8Array);
    if (name === "none" || ttl === -2) {
      if (options.deletes) gone.push(key);
      else stats.vanished++;
      return;
    }
    if (!(DUMP_TYPES as readonly string[]).includes(name)) {
      return fail(stats, key, new ErrorReply(`ERR type ${name} cannot be exported to a file (module type)`));
    }
    const n = Number(ttl);
    const expireAt = n < 0 ? -1 : options.expireTime ? n : sentAt + n;
    found.push({ key, type: name as DumpType, expireAt });
  });
  for (const key of gone) yield { kind: "deleted", key };
  const lengths = await connection.pipeline(found.map((h) => [LENGTH[h.type], h.key]));
  const small: DumpHeader[] = [];
  const big: DumpHeader[] = [];
  found.forEach((header, i) => {
    const length = Number(lengths[i]);
    const limit = header.type === "string" ? options.window * 1024 : options.window;
    (length <= limit ? small : big).push(header);
  });
  const wholes = await connection.pipeline(small.flatMap(wholeCommands));
  let at = 0;
  for (const header of small) {
    const count = header.type === "stream" ? 3 : 1;
    const replies = wholes.slice(at, at + count);
    at += count;
    const error = replies.find((reply) => reply instanceof ErrorReply) as ErrorReply | undefined;
    if (error) {
      fail(stats, header.key, error);
      continue;
    }
    const window = toWindow(header.type, replies[0]);
    if (isEmpty(window) && header.type !== "stream") {
      stats.vanished++; // emptied (deleted) between the round trips
      continue;
    }
    yield { kind: "open", header };
    yield { kind: "window", window };
    yield {
      kind: "close",
      type: header.type,
      meta: header.type === "stream" ? streamMeta(replies) : undefined,
    };
  }
  for (const header of big) yield* windowed(connection, header, options);
}

function fail(stats: KeyValuesStats, key: Uint8Array, error: ErrorReply): void {
  if (isRetriableCode(failureCode(error))) throw error;
  stats.failed++;
  if (stats.failures.length < 100) stats.failures.push(keyFailure(key, "read", error));
}

function wholeCommands(header: DumpHeader): (string | Uint8Array)[][] {
  const key = header.key;
  switch (header.type) {
    case "string":
      return [["GET", key]];
    case "hash":
      return [["HGETALL", key]];
    case "list":
      return [["LRANGE", key, "0", "-1"]];
    case "set":
      return [["SMEMBERS", key]];
    case "zset":
      return [["ZRANGE", key, "0", "-1", "WITHSCORES"]];
    case "stream":
      return [["XRANGE", key, "-", "+"], ["XINFO", "STREAM", key], ["XINFO", "GROUPS", key]];
  }
}

/** A big key, window by window. */
async function* windowed(
  connection: RedisConnection,
  header: DumpHeader,
  options: KeyValuesOptions,
): AsyncGenerator<ExportPiece> {
  const key = header.key;
  const n = options.window;
  yield { kind: "open", header };
  switch (header.type) {
    case "string": {
      let carry = new Uint8Array(0);
      for (let start = 0;; start += n * 1024) {
        const part = await connection.call("GETRANGE", key, start, start + n * 1024 - 1) as Uint8Array;
        const last = part.length < n * 1024;
        const bytes = concat(carry, part);
        const cut = last ? bytes.length : charBoundary(bytes);
        if (cut > 0) yield { kind: "window", window: { type: "string", value: bytes.subarray(0, cut) } };
        carry = bytes.slice(cut);
        if (last) break;
      }
      break;
    }
    case "list":
      for (let start = 0;; start += n) {
        const elements = await connection.call("LRANGE", key, start, start + n - 1) as Uint8Array[];
        if (elements.length > 0) yield { kind: "window", window: { type: "list", elements } };
        if (elements.length < n) break;
      }
      break;
    case "hash":
    case "set":
    case "zset": {
      const command = { hash: "HSCAN", set: "SSCAN", zset: "ZSCAN" }[header.type];
      let cursor = "0";
      do {
        const reply = await connection.call(command, key, cursor, "COUNT", n) as RespValue[];
        cursor = latin1(reply[0] as Uint8Array);
        const window = toWindow(header.type, reply[1]);
        if (!isEmpty(window)) yield { kind: "window", window };
      } while (cursor !== "0");
      break;
    }
    case "stream": {
      let from = "-";
      for (;;) {
        const reply = await connection.call("XRANGE", key, from, "+", "COUNT", n);
        const window = toWindow("stream", reply) as { type: "stream"; entries: StreamItem[] };
        if (window.entries.length > 0) yield { kind: "window", window };
        if (window.entries.length < n) break;
        from = `(${window.entries[window.entries.length - 1].id}`;
      }
      const meta = await connection.pipeline([["XINFO", "STREAM", key], ["XINFO", "GROUPS", key]]);
      yield { kind: "close", type: "stream", meta: streamMeta([null, ...meta]) };
      return;
    }
  }
  yield { kind: "close", type: header.type };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Where the last complete UTF-8 character ends (so that a window does not split one, when it is text). */
function charBoundary(bytes: Uint8Array): number {
  for (let back = 1; back <= 3 && back <= bytes.length; back++) {
    const byte = bytes[bytes.length - back];
    if (byte < 0x80) return bytes.length;
    if (byte >= 0xc0) {
      const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
      return length > back ? bytes.length - back : bytes.length;
    }
  }
  return bytes.length;
}

function isEmpty(window: DumpWindow): boolean {
  switch (window.type) {
    case "string":
      return false;
    case "hash":
      return window.fields.length === 0;
    case "list":
      return window.elements.length === 0;
    case "set":
      return window.members.length === 0;
    case "zset":
    case "stream":
      return window.entries.length === 0;
  }
}

/** A flat list of a reply: arrays, nested pairs (RESP3), maps and sets alike. */
function flat(reply: RespValue): RespValue[] {
  if (reply instanceof RespMap) return reply.entries.flat();
  if (reply instanceof RespSet) return reply.items;
  if (!Array.isArray(reply)) return [];
  return reply.some(Array.isArray) ? reply.flat() as RespValue[] : reply;
}

function scoreText(value: RespValue): string {
  if (value instanceof RespDouble) return value.text;
  if (value instanceof Uint8Array) return latin1(value);
  return String(value);
}

function toWindow(type: DumpType, reply: RespValue): DumpWindow {
  switch (type) {
    case "string":
      return { type, value: reply as Uint8Array };
    case "list":
      return { type, elements: reply as Uint8Array[] };
    case "set":
      return { type, members: flat(reply) as Uint8Array[] };
    case "hash": {
      const items = flat(reply);
      const fields = [];
      for (let i = 0; i + 1 < items.length; i += 2) {
        fields.push({ field: items[i] as Uint8Array, value: items[i + 1] as Uint8Array });
      }
      return { type, fields };
    }
    case "zset": {
      const items = flat(reply);
      const entries: ZsetPair[] = [];
      for (let i = 0; i + 1 < items.length; i += 2) {
        entries.push({ member: items[i] as Uint8Array, score: scoreText(items[i + 1]) });
      }
      return { type, entries };
    }
    case "stream":
      return {
        type,
        entries: (reply as RespValue[][]).map(([id, fields]) => ({
          id: latin1(id as Uint8Array),
          fields: flat(fields) as Uint8Array[],
        })),
      };
  }
}

/** Field `name` of an XINFO reply (a RESP3 map or a RESP2 flat list). */
function field(reply: RespValue, name: string): RespValue | undefined {
  if (reply instanceof RespMap) return reply.get(name);
  if (!Array.isArray(reply)) return undefined;
  for (let i = 0; i + 1 < reply.length; i += 2) {
    const key = reply[i];
    if ((typeof key === "string" ? key : key instanceof Uint8Array ? latin1(key) : "") === name) {
      return reply[i + 1];
    }
  }
  return undefined;
}

const idText = (value: RespValue | undefined) => value instanceof Uint8Array ? latin1(value) : String(value);

/** The stream's last ID, counters and groups from XINFO STREAM and XINFO GROUPS (replies 1 and 2). */
function streamMeta(replies: RespValue[]): StreamMeta {
  const info = replies[1];
  const meta: StreamMeta = { lastId: idText(field(info, "last-generated-id")), groups: [] };
  const added = field(info, "entries-added");
  if (added !== undefined && added !== null) meta.entriesAdded = Number(added);
  const maxDeleted = field(info, "max-deleted-entry-id");
  if (maxDeleted !== undefined && maxDeleted !== null) meta.maxDeletedId = idText(maxDeleted);
  const groups = Array.isArray(replies[2]) ? replies[2] : [];
  for (const group of groups) {
    const read = field(group, "entries-read");
    meta.groups.push({
      name: field(group, "name") as Uint8Array,
      lastId: idText(field(group, "last-delivered-id")),
      entriesRead: read === undefined || read === null ? undefined : Number(read),
    });
  }
  return meta;
}
