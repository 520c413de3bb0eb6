/**
 * Deciding whether two keys hold the same value when their DUMP payloads differ (different encodings of
 * the same data, e.g. listpack on one side and hashtable on the other). Reads the value by type from each
 * side and compares it as data: hashes and sets without regard to order (hash field TTLs included), scores as
 * exact doubles. A stream's value is its entries and its consumer groups (name, consumers, pending count,
 * last delivered id, ...).
 */
import { type Command, ErrorReply, RespDouble, RespMap, RespSet, type RespValue } from "../../resp/mod.ts";
import type { Commands } from "../redis/commands.ts";

/** The commands that read a value of each type as data; equal replies to all of them are equal values. */
const READERS: Record<string, (key: Uint8Array) => Command[]> = {
  string: (key) => [["GET", key]],
  hash: (key) => [["HGETALL", key]],
  list: (key) => [["LRANGE", key, 0, -1]],
  set: (key) => [["SMEMBERS", key]],
  zset: (key) => [["ZRANGE", key, 0, -1, "WITHSCORES"]],
  stream: (key) => [["XRANGE", key, "-", "+"], ["XINFO", "GROUPS", key]],
};

/** A stream copied with new IDs (--no-stream-id) is its entries' fields in order: no groups, no IDs. */
const ENTRIES_ONLY = (key: Uint8Array): Command[] => [["XRANGE", key, "-", "+"]];

/** XRANGE entries without their IDs: [[field, value, ...], ...] in order. */
export function withoutIds(reply: RespValue): RespValue {
  if (!Array.isArray(reply)) return reply;
  return reply.map((entry) => Array.isArray(entry) ? entry[1] : entry);
}

/**
 * For each key (all of `type`), true when source and target hold equal data, read whole (big values go to
 * windowed_equal.ts instead); hashes include their field TTLs (sameFieldTtls).
 */
export async function valuesEqual(
  source: Commands,
  target: Commands,
  whole: { key: Uint8Array; type: string; targetKey?: Uint8Array }[],
  options: { streamIds?: boolean } = {},
): Promise<boolean[]> {
  const readers = options.streamIds === false ? { ...READERS, stream: ENTRIES_ONLY } : READERS;
  const read = (type: string) => readers[type] ?? ((k: Uint8Array) => [["DUMP", k]]);
  const perKey = whole.map(({ key, type }) => read(type)(key));
  const perTargetKey = whole.map(({ key, type, targetKey }) => read(type)(targetKey ?? key));
  const [left, right] = await Promise.all([
    source.pipeline(perKey.flat()),
    target.pipeline(perTargetKey.flat()),
  ]);
  let at = 0;
  const equalWhole = whole.map(({ type }, i) => {
    let equal = true;
    for (let j = 0; j < perKey[i].length; j++, at++) {
      if (left[at] instanceof ErrorReply || right[at] instanceof ErrorReply) equal = false;
      else if (equal) {
        const [a, b] = options.streamIds === false && type === "stream"
          ? [withoutIds(left[at]), withoutIds(right[at])]
          : [normalise(type, left[at]), normalise(type, right[at])];
        equal = sameValue(a, b);
      }
    }
    return equal;
  });
  await checkFieldTtls(source, target, whole, perKey, left, equalWhole);
  return equalWhole;
}

/** Hashes found equal by HGETALL are equal only if their field TTLs are too: HPEXPIRETIME on both sides. */
async function checkFieldTtls(
  source: Commands,
  target: Commands,
  keys: { key: Uint8Array; type: string; targetKey?: Uint8Array }[],
  perKey: Command[][],
  left: RespValue[],
  equal: boolean[],
): Promise<void> {
  const hashes: { index: number; fields: Uint8Array[] }[] = [];
  let at = 0;
  keys.forEach(({ type }, i) => {
    if (type === "hash" && equal[i]) {
      const reply = left[at];
      const fields = (reply instanceof RespMap ? reply.entries : toPairs(reply as RespValue[])).map(([f]) =>
        f
      );
      hashes.push({ index: i, fields: fields as Uint8Array[] });
    }
    at += perKey[i].length;
  });
  if (hashes.length === 0) return;
  const ttls = (key: Uint8Array, fields: Uint8Array[]): Command => [
    "HPEXPIRETIME",
    key,
    "FIELDS",
    fields.length,
    ...fields,
  ];
  const [a, b] = await Promise.all([
    source.pipeline(hashes.map(({ index, fields }) => ttls(keys[index].key, fields))),
    target.pipeline(
      hashes.map(({ index, fields }) => ttls(keys[index].targetKey ?? keys[index].key, fields)),
    ),
  ]);
  hashes.forEach(({ index }, j) => {
    if (!sameFieldTtls(a[j], b[j])) equal[index] = false;
  });
}

/**
 * Field TTLs (HPEXPIRETIME replies) of the same fields on both sides. A source without the command has no
 * field TTLs to compare; a target without it is equal only when the source's fields have none.
 */
export function sameFieldTtls(source: RespValue, target: RespValue): boolean {
  if (source instanceof ErrorReply) return true;
  const none = (source as RespValue[]).every((time) => Number(time) < 0);
  if (target instanceof ErrorReply) return none;
  return sameValue(source, target);
}

/** Put unordered collections in a canonical order. */
function normalise(type: string, value: RespValue): RespValue {
  if (type === "hash") {
    const pairs = value instanceof RespMap ? value.entries : toPairs(value as RespValue[]);
    return pairs.map(([field, content]) => [field, content] as RespValue[]).sort((a, b) =>
      compareBytes(a[0] as Uint8Array, b[0] as Uint8Array)
    );
  }
  if (type === "set") {
    const items = value instanceof RespSet ? value.items : value as RespValue[];
    return [...items].sort((a, b) => compareBytes(a as Uint8Array, b as Uint8Array));
  }
  if (type === "zset" && Array.isArray(value)) {
    // RESP3 answers [[member, score], ...]; RESP2 a flat list: flatten to one shape, scores as text bits.
    return value.flat().map((item) => item instanceof RespDouble ? scoreText(item.value) : item);
  }
  return value;
}

function scoreText(score: number): Uint8Array {
  return new TextEncoder().encode(Object.is(score, -0) ? "-0" : String(score));
}

function toPairs(flat: RespValue[]): [RespValue, RespValue][] {
  const out: [RespValue, RespValue][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i], flat[i + 1]]);
  return out;
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Structural equality of two replies; bytes compared byte by byte. */
export function sameValue(a: RespValue, b: RespValue): boolean {
  if (a instanceof Uint8Array) {
    if (b instanceof Uint8Array) return bytesEqual(a, b);
    return typeof b === "number" && bytesEqual(a, new TextEncoder().encode(String(b)));
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => sameValue(item, b[i]));
  }
  if (a instanceof RespMap && b instanceof RespMap) return sameValue(a.entries.flat(), b.entries.flat());
  if (a instanceof RespSet && b instanceof RespSet) return sameValue(a.items, b.items);
  if (a instanceof RespDouble && b instanceof RespDouble) return Object.is(a.value, b.value);
  return a === b;
}
