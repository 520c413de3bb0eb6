/**
 * Value equality of one big key (its DUMP payload above `WINDOWED_ABOVE` bytes), compared in windows so
 * that neither side is ever read whole: the sizes first (STRLEN, LLEN, SCARD, ZCARD, HLEN, XLEN), then
 * - string: GETRANGE windows of both sides;
 * - list: LRANGE windows of both sides, index by index;
 * - set: SSCAN windows of the source, SMISMEMBER on the target;
 * - zset: ZSCAN windows of the source, ZMSCORE on the target (scores as exact doubles);
 * - hash: HSCAN windows of the source, HMGET on the target, and HPEXPIRETIME of those fields on both sides
 *   (see sameFieldTtls);
 * - stream: XRANGE windows of both sides (IDs and fields), then XINFO GROUPS of both.
 * Equal sizes and every source member found equal on the target mean equal values (a SCAN may return a
 * member twice; that only checks it twice).
 */
import { ErrorReply, RespDouble, type RespValue, toText } from "../../resp/mod.ts";
import type { Commands } from "../redis/commands.ts";
import { bytesEqual, sameFieldTtls, sameValue, withoutIds } from "./value_equal.ts";

/** Payloads above this many bytes are compared in windows. */
export const WINDOWED_ABOVE = 1024 * 1024;
const WINDOW = 1000;
const STRING_WINDOW = 1024 * 1024;

const SIZE: Record<string, string> = {
  string: "STRLEN",
  list: "LLEN",
  set: "SCARD",
  zset: "ZCARD",
  hash: "HLEN",
  stream: "XLEN",
};

export async function windowedEqual(
  source: Commands,
  target: Commands,
  key: Uint8Array,
  type: string,
  options: { streamIds?: boolean } = {},
): Promise<boolean> {
  const size = SIZE[type];
  if (!size) return false;
  const [a, b] = await Promise.all([source.call(size, key), target.call(size, key)]);
  if (a !== b) return false;
  const length = Number(a);
  switch (type) {
    case "string":
      return await ranges(
        source,
        target,
        length,
        STRING_WINDOW,
        (at, n) => ["GETRANGE", key, at, at + n - 1],
      );
    case "list":
      return await ranges(source, target, length, WINDOW, (at, n) => ["LRANGE", key, at, at + n - 1]);
    case "set":
      return await scanned(source, "SSCAN", key, async (page) => {
        const found = await target.call("SMISMEMBER", key, ...page) as RespValue[];
        return found.every((reply) => reply === 1);
      });
    case "zset":
      return await scanned(source, "ZSCAN", key, async (page) => {
        const members = page.filter((_, i) => i % 2 === 0);
        const scores = await target.call("ZMSCORE", key, ...members) as RespValue[];
        return scores.every((score, i) => score !== null && sameScore(page[2 * i + 1], score));
      });
    case "hash": {
      let sourceTtls = true; // until the source says it has no HPEXPIRETIME
      return await scanned(source, "HSCAN", key, async (page) => {
        const fields = page.filter((_, i) => i % 2 === 0);
        const ttls = ["HPEXPIRETIME", key, "FIELDS", fields.length, ...fields];
        const [right, left] = await Promise.all([
          target.pipeline(sourceTtls ? [["HMGET", key, ...fields], ttls] : [["HMGET", key, ...fields]]),
          sourceTtls ? source.pipeline([ttls]) : Promise.resolve([]),
        ]);
        const values = right[0] as RespValue[];
        if (!values.every((value, i) => value instanceof Uint8Array && bytesEqual(value, page[2 * i + 1]))) {
          return false;
        }
        if (!sourceTtls) return true;
        if (left[0] instanceof ErrorReply) sourceTtls = false;
        return sameFieldTtls(left[0], right[1]);
      });
    }
    default:
      return options.streamIds === false
        ? await streamEntriesEqual(source, target, key)
        : await streamsEqual(source, target, key);
  }
}

/** Index windows of both sides, compared as replies. */
async function ranges(
  source: Commands,
  target: Commands,
  length: number,
  window: number,
  command: (at: number, count: number) => (string | number | Uint8Array)[],
): Promise<boolean> {
  for (let at = 0; at < length; at += window) {
    const [[a], [b]] = await Promise.all([
      source.pipeline([command(at, window)]),
      target.pipeline([command(at, window)]),
    ]);
    if (a instanceof ErrorReply || !sameValue(a, b)) return false;
  }
  return true;
}

/** Every page of a *SCAN of the source, as flat member bytes, until `check` says false. */
async function scanned(
  source: Commands,
  command: string,
  key: Uint8Array,
  check: (page: Uint8Array[]) => Promise<boolean>,
): Promise<boolean> {
  let cursor = "0";
  do {
    const [next, page] = await source.call(command, key, cursor, "COUNT", WINDOW) as [
      RespValue,
      Uint8Array[],
    ];
    cursor = toText(next);
    if (page.length > 0 && !await check(page)) return false;
  } while (cursor !== "0");
  return true;
}

function sameScore(text: Uint8Array, reply: RespValue): boolean {
  const parse = (value: string) => {
    const lower = value.toLowerCase();
    return lower === "inf" || lower === "+inf" ? Infinity : lower === "-inf" ? -Infinity : Number(value);
  };
  const target = reply instanceof RespDouble ? reply.value : parse(toText(reply));
  return Object.is(parse(toText(text)), target);
}

/** XRANGE windows of both sides by ID, then the groups. */
async function streamsEqual(
  source: Commands,
  target: Commands,
  key: Uint8Array,
): Promise<boolean> {
  let start = "-";
  for (;;) {
    const command = ["XRANGE", key, start, "+", "COUNT", WINDOW];
    const [[a], [b]] = await Promise.all([source.pipeline([command]), target.pipeline([command])]);
    if (a instanceof ErrorReply || !sameValue(a, b)) return false;
    const entries = a as RespValue[][];
    if (entries.length < WINDOW) break;
    start = `(${toText(entries[entries.length - 1][0])}`;
  }
  const groups = ["XINFO", "GROUPS", key];
  const [[a], [b]] = await Promise.all([source.pipeline([groups]), target.pipeline([groups])]);
  return !(a instanceof ErrorReply) && sameValue(a, b);
}

/**
 * Streams copied with new IDs (--no-stream-id): the same entries' fields in the same order, each side read
 * in XRANGE windows from its own last ID; groups are not compared (they were not copied).
 */
async function streamEntriesEqual(source: Commands, target: Commands, key: Uint8Array): Promise<boolean> {
  const starts = ["-", "-"];
  for (;;) {
    const [[a], [b]] = await Promise.all(
      [source, target].map((side, i) => side.pipeline([["XRANGE", key, starts[i], "+", "COUNT", WINDOW]])),
    );
    if (a instanceof ErrorReply || b instanceof ErrorReply) return false;
    if (!sameValue(withoutIds(a), withoutIds(b))) return false;
    const [left, right] = [a as RespValue[][], b as RespValue[][]];
    if (left.length < WINDOW) return true;
    starts[0] = `(${toText(left[left.length - 1][0])}`;
    starts[1] = `(${toText(right[right.length - 1][0])}`;
  }
}
