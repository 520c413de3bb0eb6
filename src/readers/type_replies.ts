/**
 * Replies of the type read commands (HGETALL, SMEMBERS, ZRANGE WITHSCORES, XINFO STREAM FULL, XRANGE) as
 * the decoded values of src/rdb/value.ts, the same in RESP2 (flat arrays, scores as bulk text) and RESP3
 * (maps, sets, doubles). Members stay bytes; zset scores keep the exact text the server sent (it reads back
 * as the same double), so no score ever goes through a lossy format.
 */
import { RespDouble, RespMap, RespSet, type RespValue, toText } from "../../resp/mod.ts";
import { parseScoreText } from "../rdb/score.ts";
import { smallLatin1 } from "../rdb/small_bytes.ts";
import type {
  HashField,
  PendingEntry,
  StreamConsumer,
  StreamEntry,
  StreamGroup,
  StreamId,
  StreamMetadata,
  ZsetEntry,
} from "../rdb/value.ts";

const ascii = new TextEncoder();

/** The items of an array or RESP3 set reply. */
export function items(reply: RespValue): RespValue[] {
  if (reply instanceof RespSet) return reply.items;
  return Array.isArray(reply) ? reply : [];
}

/** Name/value pairs of a RESP3 map or a RESP2 flat array. */
export function pairs(reply: RespValue): [RespValue, RespValue][] {
  if (reply instanceof RespMap) return reply.entries;
  const flat = items(reply);
  const out: [RespValue, RespValue][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i], flat[i + 1]]);
  return out;
}

/** A map or flat array by field name (names are ASCII). */
export function fieldsOf(reply: RespValue): Map<string, RespValue> {
  const fields = new Map<string, RespValue>();
  if (reply instanceof RespMap) {
    for (const [name, value] of reply.entries) {
      fields.set(nameOf(name), value);
    }
  } else {
    const flat = items(reply);
    for (let i = 0; i + 1 < flat.length; i += 2) fields.set(nameOf(flat[i]), flat[i + 1]);
  }
  return fields;
}

/** A field name's text: short ASCII bytes char by char (cheaper than a TextDecoder call), else toText. */
function nameOf(name: RespValue): string {
  if (!(name instanceof Uint8Array) || name.length > 32) return toText(name);
  let text = "";
  for (let i = 0; i < name.length; i++) {
    if (name[i] >= 0x80) return toText(name);
    text += String.fromCharCode(name[i]);
  }
  return text;
}

export function bytesOf(value: RespValue): Uint8Array {
  if (value instanceof Uint8Array) return value;
  return ascii.encode(toText(value));
}

/** ZRANGE ... WITHSCORES: [[member, score], ...] in RESP3, [member, score, ...] in RESP2. */
export function zsetEntries(reply: RespValue): ZsetEntry[] {
  const list = items(reply);
  const nested = list.length > 0 && Array.isArray(list[0]);
  const entries: ZsetEntry[] = [];
  const add = (member: RespValue, score: RespValue) => {
    if (score instanceof RespDouble) { // RESP3: the exact double and the text it came as
      entries.push({ member: bytesOf(member), score: score.value, scoreText: smallLatin1(score.text) });
    } else {
      const scoreText = bytesOf(score);
      entries.push({ member: bytesOf(member), score: parseScoreText(scoreText), scoreText });
    }
  };
  if (nested) { for (const pair of list) add((pair as RespValue[])[0], (pair as RespValue[])[1]); }
  else for (let i = 0; i + 1 < list.length; i += 2) add(list[i], list[i + 1]);
  return entries;
}

/**
 * The members of an array or set reply as bytes: the reply's own array when every item is already bytes
 * (the usual case: no copy), else a new one.
 */
export function bytesList(reply: RespValue): Uint8Array[] {
  const list = items(reply);
  for (let i = 0; i < list.length; i++) if (!(list[i] instanceof Uint8Array)) return list.map(bytesOf);
  return list as Uint8Array[];
}

/** HGETALL pairs, with HPEXPIRETIME's answers (-1 none) when the source has field TTLs. */
export function hashFields(reply: RespValue, expiries?: RespValue): HashField[] {
  const times = expiries === undefined ? undefined : items(expiries);
  const fields: HashField[] = [];
  const add = (field: RespValue, value: RespValue) => {
    const at = times === undefined ? -1 : Number(times[fields.length] ?? -1);
    fields.push(
      at >= 0
        ? { field: bytesOf(field), value: bytesOf(value), expireAt: at }
        : { field: bytesOf(field), value: bytesOf(value) },
    );
  };
  if (reply instanceof RespMap) { for (const [field, value] of reply.entries) add(field, value); }
  else {
    const flat = items(reply);
    for (let i = 0; i + 1 < flat.length; i += 2) add(flat[i], flat[i + 1]);
  }
  return fields;
}

/** A stream ID reply (`ms-seq`, or `ms`) as numbers; read from the bytes when it is a bulk of digits. */
export function parseId(value: RespValue): StreamId {
  if (value instanceof Uint8Array) {
    const id = idOfBytes(value);
    if (id !== undefined) return id;
  }
  const text = toText(value);
  const dash = text.indexOf("-");
  if (dash < 0) return { ms: BigInt(text), seq: 0n };
  return { ms: BigInt(text.slice(0, dash)), seq: BigInt(text.slice(dash + 1)) };
}

/** Digits above which a part may not fit a double exactly (2^53 has 16 digits). */
const EXACT_DIGITS = 15;

/** `ms-seq` of decimal digits, each part short enough to count in a double; else undefined. */
function idOfBytes(bytes: Uint8Array): StreamId | undefined {
  let ms = 0;
  let i = 0;
  for (; i < bytes.length && bytes[i] !== 0x2d; i++) {
    const digit = bytes[i] - 48;
    if (digit >>> 0 > 9) return undefined;
    ms = ms * 10 + digit;
  }
  if (i === 0 || i > EXACT_DIGITS || i === bytes.length) return undefined;
  let seq = 0;
  const from = ++i;
  for (; i < bytes.length; i++) {
    const digit = bytes[i] - 48;
    if (digit >>> 0 > 9) return undefined;
    seq = seq * 10 + digit;
  }
  if (i === from || i - from > EXACT_DIGITS) return undefined;
  return { ms: BigInt(ms), seq: BigInt(seq) };
}

/** XRANGE / XINFO entries: [[id, [field, value, ...]], ...]. */
export function streamEntries(reply: RespValue): StreamEntry[] {
  return items(reply).map((entry) => {
    const [id, fields] = entry as RespValue[];
    return { id: parseId(id), fieldsAndValues: bytesList(fields) };
  });
}

/** XINFO STREAM key FULL: the stream's metadata and groups (entries are read apart, see streamEntries). */
export function streamMetadata(reply: RespValue): StreamMetadata & { entries: StreamEntry[] } {
  const info = fieldsOf(reply);
  const optionalId = (name: string) => info.has(name) ? parseId(info.get(name)!) : undefined;
  const entriesAdded = info.get("entries-added");
  return {
    type: "stream",
    length: Number(info.get("length")),
    lastId: parseId(info.get("last-generated-id")!),
    firstId: optionalId("recorded-first-entry-id"),
    maxDeletedId: optionalId("max-deleted-entry-id"),
    entriesAdded: entriesAdded === undefined || entriesAdded === null
      ? undefined
      : BigInt(Number(entriesAdded)),
    groups: items(info.get("groups") ?? []).map(group),
    entries: streamEntries(info.get("entries") ?? []),
  };
}

function group(reply: RespValue): StreamGroup {
  const info = fieldsOf(reply);
  const read = info.get("entries-read");
  const owners = new Map<string, Uint8Array>();
  const pending: PendingEntry[] = items(info.get("pending") ?? []).map((entry) => {
    const [id, consumer, time, count] = entry as RespValue[];
    owners.set(toText(id), bytesOf(consumer));
    return {
      id: parseId(id),
      deliveryTime: BigInt(Number(time)),
      deliveryCount: BigInt(Number(count)),
      consumer: bytesOf(consumer),
    };
  });
  const consumers: StreamConsumer[] = items(info.get("consumers") ?? []).map((entry) => {
    const consumer = fieldsOf(entry);
    const active = consumer.get("active-time");
    return {
      name: bytesOf(consumer.get("name")!),
      seenTime: BigInt(Number(consumer.get("seen-time") ?? 0)),
      activeTime: active === undefined ? undefined : BigInt(Number(active)),
      pending: items(consumer.get("pending") ?? []).map((p) => parseId((p as RespValue[])[0])),
    };
  });
  return {
    name: bytesOf(info.get("name")!),
    lastId: parseId(info.get("last-delivered-id")!),
    entriesRead: info.has("entries-read") ? (read === null ? -1n : BigInt(Number(read))) : undefined,
    pending,
    consumers,
  };
}
