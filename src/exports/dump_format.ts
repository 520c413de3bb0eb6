/**
 * The dump format: one JSON record per Redis key, `{"key", "type", "ttl", "value"}`, as `file-export`
 * writes it (JSON lines or a JSON array) and `file-import` restores it when no write operation is given.
 * Both directions live here: record -> JSON text (in windows, for big keys), and JSON value -> the Redis
 * commands that restore the key exactly. Pure: no I/O. Compatible with RIOT's redis-dump.json.
 *
 * Record fields:
 * - `key`: text (see byte_text.ts: bytes that are not UTF-8 are written as `\udcXX` escapes).
 * - `type`: string, hash, list, set, zset, stream (RIOT's upper-case names are read too; ReJSON-RL is
 *   restored with JSON.SET); `none` for a key deleted during a live export (restored as DEL).
 * - `ttl`: the absolute expiry in Unix milliseconds (RIOT 3/4's meaning), or -1 for none.
 * - `value` by type: string `"text"`; hash `{"field": "value"}` (also read: `[[field, value], ...]`); list
 *   and set `["member", ...]`; zset `[{"value": member, "score": 1.5}]` (scores that JSON numbers cannot
 *   hold are strings: "inf", "-inf", "-0"); stream `[{"id": "1-0", "body": {"field": "value"}}]`.
 * - `stream` (optional, streams only): `{"lastId", "entriesAdded", "maxDeletedId", "groups": [{"name",
 *   "lastId", "entriesRead"}]}`, so the stream's last ID and its consumer groups come back (not their
 *   pending entries).
 * - Any byte string may also be given as `{"base64": "..."}` on input.
 *
 * Restore commands: `DEL key` first (so the record replaces the key and sending the commands twice is
 * harmless), the type's writes in windows of at most `window` elements, then `PEXPIREAT key ttl`.
 */
import type { Command, CommandArg } from "../../resp/mod.ts";
import { bytesOf, textOf } from "./byte_text.ts";

export const DUMP_TYPES = ["string", "hash", "list", "set", "zset", "stream"] as const;
export type DumpType = typeof DUMP_TYPES[number];

export const NO_TTL = -1;

export interface DumpHeader {
  key: Uint8Array;
  type: DumpType;
  /** Absolute expiry in Unix ms, or NO_TTL. */
  expireAt: number;
}

export interface HashPair {
  field: Uint8Array;
  value: Uint8Array;
}

export interface ZsetPair {
  member: Uint8Array;
  /** The score as Redis prints it ("1.5", "inf", "-0"). */
  score: string;
}

export interface StreamItem {
  id: string;
  /** field, value, field, value ... */
  fields: Uint8Array[];
}

/** One window of a key's value: the whole string, or some members of a collection. */
export type DumpWindow =
  | { type: "string"; value: Uint8Array }
  | { type: "hash"; fields: HashPair[] }
  | { type: "list"; elements: Uint8Array[] }
  | { type: "set"; members: Uint8Array[] }
  | { type: "zset"; entries: ZsetPair[] }
  | { type: "stream"; entries: StreamItem[] };

export interface StreamGroupMeta {
  name: Uint8Array;
  lastId: string;
  /** Undefined (or null) when the server does not know it. */
  entriesRead?: number | null;
}

export interface StreamMeta {
  lastId: string;
  entriesAdded?: number;
  maxDeletedId?: string;
  groups: StreamGroupMeta[];
}

/** A bad record on input: says which part is wrong. */
export class DumpFormatError extends Error {
  override name = "DumpFormatError";
}

// ---------------------------------------------------------------- record -> JSON text

const str = (bytes: Uint8Array) => JSON.stringify(textOf(bytes));

/** `{"key":...,"type":...,"ttl":...,"value":` and the value's opening bracket. */
export function jsonRecordOpen(header: DumpHeader): string {
  const open = header.type === "hash" ? "{" : header.type === "string" ? '"' : "[";
  return `{"key":${str(header.key)},"type":"${header.type}","ttl":${
    header.expireAt < 0 ? NO_TTL : header.expireAt
  },"value":${open}`;
}

/** The members of one window; `first` is false for every window after the first (a comma leads). */
export function jsonWindow(window: DumpWindow, first: boolean): string {
  const parts: string[] = [];
  switch (window.type) {
    case "string": // the quotes come with open and close, so a big string may come in several windows
      return str(window.value).slice(1, -1);
    case "hash":
      for (const { field, value } of window.fields) parts.push(`${str(field)}:${str(value)}`);
      break;
    case "list":
      for (const element of window.elements) parts.push(str(element));
      break;
    case "set":
      for (const member of window.members) parts.push(str(member));
      break;
    case "zset":
      for (const { member, score } of window.entries) {
        parts.push(`{"value":${str(member)},"score":${jsonScore(score)}}`);
      }
      break;
    case "stream":
      for (const entry of window.entries) {
        const body: string[] = [];
        for (let i = 0; i + 1 < entry.fields.length; i += 2) {
          body.push(`${str(entry.fields[i])}:${str(entry.fields[i + 1])}`);
        }
        parts.push(`{"id":"${entry.id}","body":{${body.join(",")}}}`);
      }
      break;
  }
  if (parts.length === 0) return "";
  return (first ? "" : ",") + parts.join(",");
}

/** The value's closing bracket, the stream metadata if any, and the record's closing brace. */
export function jsonRecordClose(type: DumpType, meta?: StreamMeta): string {
  const close = type === "hash" ? "}" : type === "string" ? '"' : "]";
  return `${close}${meta ? `,"stream":${jsonStreamMeta(meta)}` : ""}}`;
}

/** A key gone (live exports): restored as DEL. */
export function jsonDeleted(key: Uint8Array): string {
  return `{"key":${str(key)},"type":"none","ttl":-2,"value":null}`;
}

/** A whole record at once (small keys). */
export function jsonRecord(header: DumpHeader, window: DumpWindow, meta?: StreamMeta): string {
  return jsonRecordOpen(header) + jsonWindow(window, true) + jsonRecordClose(header.type, meta);
}

/** A score as JSON: a number when JSON can hold it exactly, else a string Redis reads back. */
function jsonScore(score: string): string {
  const value = Number(score);
  if (!Number.isFinite(value)) return value > 0 ? '"inf"' : value < 0 ? '"-inf"' : JSON.stringify(score);
  if (Object.is(value, -0)) return '"-0"';
  return JSON.stringify(value);
}

function jsonStreamMeta(meta: StreamMeta): string {
  const out: Record<string, unknown> = { lastId: meta.lastId };
  if (meta.entriesAdded !== undefined) out.entriesAdded = meta.entriesAdded;
  if (meta.maxDeletedId !== undefined) out.maxDeletedId = meta.maxDeletedId;
  out.groups = meta.groups.map((group) => {
    const one: Record<string, unknown> = { name: textOf(group.name), lastId: group.lastId };
    if (group.entriesRead !== undefined && group.entriesRead !== null) one.entriesRead = group.entriesRead;
    return one;
  });
  return JSON.stringify(out);
}

// ---------------------------------------------------------------- JSON value -> restore commands

export interface RestorePlan {
  key: Uint8Array;
  type: string;
  commands: Command[];
}

export interface RestoreOptions {
  /** Most elements per write command (default 512). */
  window?: number;
}

/** Group used only to create an empty stream (XGROUP CREATE ... MKSTREAM), destroyed at once. */
const EMPTY_STREAM_GROUP = "riot-empty-stream";

/**
 * The commands that restore one parsed record exactly; a DumpFormatError names what is wrong with it.
 * A record whose collection is empty (no such key can exist) only deletes the key.
 */
export function restoreCommands(record: unknown, options: RestoreOptions = {}): RestorePlan {
  if (record === null || typeof record !== "object" || Array.isArray(record)) {
    throw new DumpFormatError("a dump record must be a JSON object with key, type, ttl and value");
  }
  const fields = record as Record<string, unknown>;
  if (fields.key === undefined) throw new DumpFormatError("the record has no 'key'");
  const key = bytesFrom(fields.key, "key");
  if (typeof fields.type !== "string") {
    throw new DumpFormatError("the record has no 'type' (string, hash, ...)");
  }
  const type = fields.type.toLowerCase() === "rejson-rl" ? "ReJSON-RL" : fields.type.toLowerCase();
  const window = Math.max(1, options.window ?? 512);
  const commands: Command[] = [["DEL", key]];
  const value = fields.value;
  switch (type) {
    case "none": // a key deleted during a live export
      return { key, type, commands };
    case "string":
      commands.push(["SET", key, bytesFrom(value, "value")]);
      break;
    case "ReJSON-RL":
      commands.push(["JSON.SET", key, "$", typeof value === "string" ? value : JSON.stringify(value)]);
      break;
    case "hash":
      pushWindows(commands, ["HSET", key], hashPairs(value), window);
      break;
    case "list":
      pushWindows(
        commands,
        ["RPUSH", key],
        arrayOf(value, "list").map((v, i) => [bytesFrom(v, `value[${i}]`)]),
        window,
      );
      break;
    case "set":
      pushWindows(
        commands,
        ["SADD", key],
        arrayOf(value, "set").map((v, i) => [bytesFrom(v, `value[${i}]`)]),
        window,
      );
      break;
    case "zset":
      pushWindows(commands, ["ZADD", key], arrayOf(value, "zset").map(zsetPair), window);
      break;
    case "stream":
      pushStream(commands, key, arrayOf(value, "stream"), fields.stream);
      break;
    default:
      throw new DumpFormatError(
        `type '${fields.type}' cannot be restored: expected string, hash, list, set, zset, stream or ReJSON-RL`,
      );
  }
  const ttl = fields.ttl ?? NO_TTL;
  if (typeof ttl !== "number" || !Number.isInteger(ttl)) {
    throw new DumpFormatError(
      `'ttl' must be a whole number of Unix milliseconds or -1 (got ${JSON.stringify(ttl)})`,
    );
  }
  if (ttl > 0 && commands.length > 1) commands.push(["PEXPIREAT", key, ttl]);
  return { key, type, commands };
}

/** Bytes of a JSON string (surrogate escapes decoded), a `{"base64": ...}` object, or a number. */
export function bytesFrom(value: unknown, where: string): Uint8Array {
  if (typeof value === "string") {
    try {
      return bytesOf(value);
    } catch (error) {
      throw new DumpFormatError(`${where}: ${(error as Error).message}`);
    }
  }
  if (typeof value === "number" || typeof value === "boolean") return bytesOf(String(value));
  if (
    value !== null && typeof value === "object" && typeof (value as { base64?: unknown }).base64 === "string"
  ) {
    try {
      return Uint8Array.from(atob((value as { base64: string }).base64), (c) => c.charCodeAt(0));
    } catch {
      throw new DumpFormatError(`${where}: 'base64' is not valid base64`);
    }
  }
  throw new DumpFormatError(`${where} must be a string (got ${describe(value)})`);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `${typeof value} ${JSON.stringify(value)}`;
}

function arrayOf(value: unknown, type: string): unknown[] {
  if (!Array.isArray(value)) {
    throw new DumpFormatError(`a ${type} value must be an array (got ${describe(value)})`);
  }
  return value;
}

/** Field/value pairs of an object, or of an array of [field, value] pairs. */
function pairsOf(value: unknown, where: string): Uint8Array[][] {
  if (Array.isArray(value)) {
    return value.map((pair, i) => {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new DumpFormatError(`${where}[${i}] must be a [field, value] pair`);
      }
      return [bytesFrom(pair[0], `${where}[${i}][0]`), bytesFrom(pair[1], `${where}[${i}][1]`)];
    });
  }
  if (value === null || typeof value !== "object") {
    throw new DumpFormatError(`${where} must be an object of fields (got ${describe(value)})`);
  }
  return Object.entries(value).map((
    [field, one],
  ) => [bytesFrom(field, `${where} field`), bytesFrom(one, `${where}.${field}`)]);
}

function hashPairs(value: unknown): Uint8Array[][] {
  return pairsOf(value, "value");
}

function zsetPair(entry: unknown, i: number): Command {
  if (entry === null || typeof entry !== "object") {
    throw new DumpFormatError(`value[${i}] of a zset must be {"value": member, "score": number}`);
  }
  const { value, member, score } = entry as Record<string, unknown>;
  return [scoreText(score, i), bytesFrom(member ?? value, `value[${i}].value`)];
}

/** A score as ZADD reads it; refuses what is not a number. */
function scoreText(score: unknown, i: number): string {
  if (typeof score === "number" && Number.isFinite(score)) return Object.is(score, -0) ? "-0" : String(score);
  if (typeof score === "string") {
    const text = score.trim().toLowerCase();
    if (/^[+-]?inf(inity)?$/.test(text)) return text.startsWith("-") ? "-inf" : "inf";
    if (text !== "" && Number.isFinite(Number(text))) return text;
  }
  throw new DumpFormatError(`value[${i}].score must be a number, "inf" or "-inf" (got ${describe(score)})`);
}

function pushWindows(commands: Command[], head: Command, items: Command[], window: number): void {
  for (let at = 0; at < items.length; at += window) {
    commands.push([...head, ...items.slice(at, at + window).flat()]);
  }
}

const STREAM_ID = /^\d+-\d+$/;

function streamId(value: unknown, where: string): string {
  if (typeof value !== "string" || !STREAM_ID.test(value)) {
    throw new DumpFormatError(
      `${where} must be a stream ID such as "1700000000000-0" (got ${describe(value)})`,
    );
  }
  return value;
}

function pushStream(commands: Command[], key: Uint8Array, entries: unknown[], meta: unknown): void {
  entries.forEach((entry, i) => {
    if (entry === null || typeof entry !== "object") {
      throw new DumpFormatError(`value[${i}] of a stream must be {"id": ..., "body": {...}}`);
    }
    const { id, body } = entry as Record<string, unknown>;
    const pairs = pairsOf(body, `value[${i}].body`);
    if (pairs.length === 0) throw new DumpFormatError(`value[${i}].body of a stream entry must not be empty`);
    commands.push(["XADD", key, streamId(id, `value[${i}].id`), ...pairs.flat()]);
  });
  if (meta === undefined || meta === null) return;
  if (typeof meta !== "object") throw new DumpFormatError("'stream' must be an object");
  const { lastId, entriesAdded, maxDeletedId, groups } = meta as Record<string, unknown>;
  if (entries.length === 0) {
    commands.push(["XGROUP", "CREATE", key, EMPTY_STREAM_GROUP, "0", "MKSTREAM"]);
    commands.push(["XGROUP", "DESTROY", key, EMPTY_STREAM_GROUP]);
  }
  const setId: CommandArg[] = ["XSETID", key, streamId(lastId, "stream.lastId")];
  if (typeof entriesAdded === "number") setId.push("ENTRIESADDED", entriesAdded);
  if (maxDeletedId !== undefined) setId.push("MAXDELETEDID", streamId(maxDeletedId, "stream.maxDeletedId"));
  commands.push(setId);
  for (const [i, group] of (Array.isArray(groups) ? groups : []).entries()) {
    const { name, lastId: groupId, entriesRead } = (group ?? {}) as Record<string, unknown>;
    const create: CommandArg[] = [
      "XGROUP",
      "CREATE",
      key,
      bytesFrom(name, `stream.groups[${i}].name`),
      streamId(groupId, `stream.groups[${i}].lastId`),
    ];
    if (typeof entriesRead === "number") create.push("ENTRIESREAD", entriesRead);
    commands.push(create);
  }
}
