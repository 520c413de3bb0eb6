/**
 * DUMP payloads: `type byte | serialized value | RDB version (2 bytes LE) | CRC64 (8 bytes LE)`, the CRC
 * covering everything before it. {@link openPayload} checks the footer, switches on the type byte and
 * reads the value with the RDB primitives (rdb_string.ts), listpacks, intsets and streams, leaving the
 * members of big values to be read as they are pulled; {@link decodePayload} reads them all at once.
 *
 * Supported: every type Redis 7.0 to 8.x and Valkey 8 write (RDB 10 to 12), and the simple pre-7.0
 * hashtable/plain forms that cost nothing extra. Ziplists, zipmaps, quicklists of ziplists (RDB 3.2 to 6.2)
 * and module values are a `PayloadError` with code `unsupported`.
 */
import { crc64 } from "./crc64.ts";
import { corrupt, PayloadError } from "./errors.ts";
import {
  hashListpack,
  hashPairs,
  hashWithTtls,
  intsetMembers,
  listpackStrings,
  quicklist,
  strings,
  zsetListpack,
  zsetPairs,
} from "./collections.ts";
import { Budget, type PayloadLimits } from "./limits.ts";
import { oneShot } from "./one_shot.ts";
import { RdbReader } from "./rdb_string.ts";
import { readStream } from "./stream.ts";
import { RDB_TYPE, RDB_TYPE_NAMES } from "./types.ts";
import type { DecodedPayload, OpenedPayload, RdbValue, RdbValueStream } from "./value.ts";

/** The newest RDB version this decoder reads (Redis 7.4 and 8.0 write 12). */
export const MAX_RDB_VERSION = 12;
/** Version (2) and CRC64 (8). */
export const FOOTER_SIZE = 10;

/** The RDB version and CRC of a payload's footer, without decoding the value; throws on a bad footer. */
export function readFooter(payload: Uint8Array): { rdbVersion: number; crc: bigint } {
  if (payload.length < FOOTER_SIZE + 1) {
    throw new PayloadError(
      "truncated",
      `Payload of ${payload.length} bytes is too short for a value and footer`,
    );
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const rdbVersion = view.getUint16(payload.length - FOOTER_SIZE, true);
  const crc = view.getBigUint64(payload.length - 8, true);
  const actual = crc64(payload.subarray(0, payload.length - 8));
  if (actual !== crc) {
    throw new PayloadError("checksum", `Payload CRC64 is ${hex(actual)} but its footer says ${hex(crc)}`);
  }
  return { rdbVersion, crc };
}

/**
 * Opens a DUMP payload: checks its size, CRC64 and version, reads the type byte, and returns the value with
 * its members still unread: list, set, zset and hash members and stream entries come from one-shot
 * iterables that read the payload as they are pulled (a listpack or stream node at a time), so a big value
 * is written in windows without ever being decoded whole. Strings, stream metadata and consumer groups are
 * read at once. Pull a collection to its end: the last pull checks that nothing follows the value, that
 * the collection was not empty, and a stream's length and order.
 *
 * Throws (at once, or from a pull) a {@link PayloadError}: `truncated`/`corrupt` for bad bytes, `checksum`
 * for a CRC mismatch, `version` for an RDB version above {@link MAX_RDB_VERSION}, `unsupported` for a type
 * it does not translate, `limit` past `limits`.
 */
export function openPayload(payload: Uint8Array, limits: Partial<PayloadLimits> = {}): OpenedPayload {
  const budget = new Budget(limits);
  budget.payload(payload.length);
  const { rdbVersion } = readFooter(payload);
  if (rdbVersion > MAX_RDB_VERSION) {
    throw new PayloadError(
      "version",
      `Payload has RDB version ${rdbVersion}, newer than ${MAX_RDB_VERSION}: copy it with DUMP/RESTORE`,
    );
  }
  const reader = new RdbReader(payload.subarray(0, payload.length - FOOTER_SIZE), budget);
  const rdbType = reader.byte();
  return { value: readValue(reader, rdbType), rdbType, rdbVersion };
}

/** {@link openPayload} with every member read: the whole value in memory (views into `payload`). */
export function decodePayload(payload: Uint8Array, limits: Partial<PayloadLimits> = {}): DecodedPayload {
  const { value, rdbType, rdbVersion } = openPayload(payload, limits);
  return { value: materialize(value), rdbType, rdbVersion };
}

function materialize(value: RdbValueStream): RdbValue {
  switch (value.type) {
    case "string":
      return value;
    case "stream":
      return { ...value, entries: [...value.entries] };
    case "list":
      return { type: "list", elements: [...value.elements] };
    case "set":
      return { type: "set", members: [...value.members] };
    case "zset":
      return { type: "zset", entries: [...value.entries] };
    case "hash":
      return { type: "hash", fields: [...value.fields] };
  }
}

function readValue(reader: RdbReader, rdbType: number): RdbValueStream {
  const whole = <T>(items: Iterator<T>) => wholeValue(items, reader);
  switch (rdbType) {
    case RDB_TYPE.STRING:
      return atEnd({ type: "string", value: reader.string() }, reader);
    case RDB_TYPE.LIST:
      return { type: "list", elements: whole(strings(reader)) };
    case RDB_TYPE.LIST_QUICKLIST_2:
      return { type: "list", elements: whole(quicklist(reader)) };
    case RDB_TYPE.SET:
      return { type: "set", members: whole(strings(reader)) };
    case RDB_TYPE.SET_INTSET:
      return { type: "set", members: whole(intsetMembers(reader)) };
    case RDB_TYPE.SET_LISTPACK:
      return { type: "set", members: whole(listpackStrings(reader)) };
    case RDB_TYPE.ZSET:
    case RDB_TYPE.ZSET_2:
      return { type: "zset", entries: whole(zsetPairs(reader, rdbType === RDB_TYPE.ZSET_2)) };
    case RDB_TYPE.ZSET_LISTPACK:
      return { type: "zset", entries: whole(zsetListpack(reader)) };
    case RDB_TYPE.HASH:
      return { type: "hash", fields: whole(hashPairs(reader)) };
    case RDB_TYPE.HASH_LISTPACK:
      return { type: "hash", fields: whole(hashListpack(reader, 2, false)) };
    case RDB_TYPE.HASH_METADATA_PRE_GA:
    case RDB_TYPE.HASH_METADATA:
      return { type: "hash", fields: whole(hashWithTtls(reader, rdbType === RDB_TYPE.HASH_METADATA)) };
    case RDB_TYPE.HASH_LISTPACK_EX_PRE_GA:
    case RDB_TYPE.HASH_LISTPACK_EX:
      return { type: "hash", fields: whole(hashListpack(reader, 3, rdbType === RDB_TYPE.HASH_LISTPACK_EX)) };
    case RDB_TYPE.STREAM_LISTPACKS:
    case RDB_TYPE.STREAM_LISTPACKS_2:
    case RDB_TYPE.STREAM_LISTPACKS_3:
      return atEnd(readStream(reader, rdbType), reader);
  }
  const name = RDB_TYPE_NAMES.get(rdbType);
  if (name) {
    throw new PayloadError(
      "unsupported",
      `RDB type ${rdbType} (${name}) is not supported: copy this key with DUMP/RESTORE`,
    );
  }
  return corrupt(`Unknown RDB type ${rdbType}`);
}

/** `value`, once nothing follows it in the payload. */
function atEnd<T>(value: T, reader: RdbReader): T {
  if (reader.remaining !== 0) corrupt(`Payload has ${reader.remaining} bytes after its value`);
  return value;
}

/**
 * `items`, checked when exhausted: Redis refuses empty collections in a payload, and nothing may follow the
 * value. One-shot: a second iteration is refused rather than silently empty.
 */
function wholeValue<T>(items: Iterator<T>, reader: RdbReader): Iterable<T> {
  return oneShot(checkedAtEnd(items, reader));
}

function* checkedAtEnd<T>(items: Iterator<T>, reader: RdbReader): Generator<T> {
  let count = 0;
  for (let next = items.next(); !next.done; next = items.next()) {
    count++;
    yield next.value;
  }
  if (count === 0) corrupt("Payload holds an empty collection");
  atEnd(undefined, reader);
}

function hex(value: bigint): string {
  return `0x${value.toString(16).padStart(16, "0")}`;
}
