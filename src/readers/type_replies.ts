/**
 * Replies of the type read commands (HGETALL, SMEMBERS, ZRANGE WITHSCORES, XINFO STREAM FULL, XRANGE) as
 * the decoded values of src/rdb/value.ts, the same in RESP2 (flat arrays, scores as bulk text) and RESP3
 * (maps, sets, doubles). Members stay bytes; zset scores keep the exact text the server sent (it reads back
 * as the same double), so no score ever goes through a lossy format.
 */
import { RespDouble, RespMap, RespSet, type RespValue, toText } from "../../resp/mod.ts";
import { parseScoreText } from "../rdb/score.ts";
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
  return new Map(pairs(reply).map(([name, value]) => [toText(name), value]));
}

/** Bytes of a short ASCII text (a score, an ID) without a TextEncoder call. */
function asciiOf(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
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
      entries.push({ member: bytesOf(member), score: score.value, scoreText: asciiOf(score.text) });
    } else {
      const scoreText = bytesOf(score);
      entries.push({ member: bytesOf(member), score: parseScoreText(scoreText), scoreText });
    }
  };
  if (nested) { for (const pair of list) add((pair as RespValue[])[0], (pair as RespValue[])[1]); }
  else for (let i = 0; i + 1 < list.length; i += 2) add(list[i], list[i + 1]);
  return entries;
}

/** HGETALL pairs, with HPEXPIRETIME's answers (-1 none) when the source has field TTLs. */
export function hashFields(reply: RespValue, expiries?: RespValue): HashField[] {
  const times = expiries === undefined ? [] : items(expiries);
  return pairs(reply).map(([field, value], i) => {
    const at = Number(times[i] ?? -1);
    return at >= 0 ? { field: bytesOf(field), value: bytesOf(value), expireAt: at } : {
      field: bytesOf(field),
      value: bytesOf(value),
    };
  });
}

export function parseId(value: RespValue): StreamId {
  const text = toText(value);
  const dash = text.indexOf("-");
  if (dash < 0) return { ms: BigInt(text), seq: 0n };
  return { ms: BigInt(text.slice(0, dash)), seq: BigInt(text.slice(dash + 1)) };
}

/** XRANGE / XINFO entries: [[id, [field, value, ...]], ...]. */
export function streamEntries(reply: RespValue): StreamEntry[] {
  return items(reply).map((entry) => {
    const [id, fields] = entry as RespValue[];
    return { id: parseId(id), fieldsAndValues: items(fields).map(bytesOf) };
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
