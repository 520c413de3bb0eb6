/**
 * DUMP payloads: `type byte | serialized value | RDB version (2 bytes LE) | CRC64 (8 bytes LE)`, the CRC
 * covering everything before it. {@link decodePayload} checks the footer, switches on the type byte and
 * reads the value with the RDB primitives (rdb_string.ts), listpacks, intsets and streams.
 *
 * Supported: every type Redis 7.0 to 8.x and Valkey 8 write (RDB 10 to 12), and the simple pre-7.0
 * hashtable/plain forms that cost nothing extra. Ziplists, zipmaps, quicklists of ziplists (RDB 3.2 to 6.2)
 * and module values are a `PayloadError` with code `unsupported`.
 */
import { crc64 } from "./crc64.ts";
import { corrupt, PayloadError } from "./errors.ts";
import { readIntset } from "./intset.ts";
import { Budget, type PayloadLimits } from "./limits.ts";
import { entryBytes, entryInteger, type ListpackEntry, readListpack } from "./listpack.ts";
import { RdbReader } from "./rdb_string.ts";
import { parseScoreText, scoreBytes } from "./score.ts";
import { readStream } from "./stream.ts";
import { RDB_TYPE, RDB_TYPE_NAMES } from "./types.ts";
import type { DecodedPayload, HashField, RdbValue, ZsetEntry } from "./value.ts";

/** The newest RDB version this decoder reads (Redis 7.4 and 8.0 write 12). */
export const MAX_RDB_VERSION = 12;
/** Version (2) and CRC64 (8). */
export const FOOTER_SIZE = 10;

const QUICKLIST_PLAIN = 1;
const QUICKLIST_PACKED = 2;
const HASH_NO_TTL = 0n;

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
 * Decodes a whole DUMP payload. Throws a {@link PayloadError}: `truncated`/`corrupt` for bad bytes,
 * `checksum` for a CRC mismatch, `version` for an RDB version above {@link MAX_RDB_VERSION}, `unsupported`
 * for a type it does not translate, `limit` past `limits`.
 */
export function decodePayload(payload: Uint8Array, limits: Partial<PayloadLimits> = {}): DecodedPayload {
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
  const value = readValue(reader, rdbType);
  if (reader.remaining !== 0) corrupt(`Payload has ${reader.remaining} bytes after its value`);
  return { value, rdbType, rdbVersion };
}

function readValue(reader: RdbReader, rdbType: number): RdbValue {
  switch (rdbType) {
    case RDB_TYPE.STRING:
      return { type: "string", value: reader.string() };
    case RDB_TYPE.LIST:
      return { type: "list", elements: nonEmpty(readStrings(reader, reader.length())) };
    case RDB_TYPE.LIST_QUICKLIST_2:
      return { type: "list", elements: nonEmpty(readQuicklist(reader)) };
    case RDB_TYPE.SET:
      return { type: "set", members: nonEmpty(readStrings(reader, reader.length())) };
    case RDB_TYPE.SET_INTSET:
      return { type: "set", members: nonEmpty(readIntset(reader.string(), reader.budget)) };
    case RDB_TYPE.SET_LISTPACK:
      return { type: "set", members: nonEmpty(listpackBytes(reader)) };
    case RDB_TYPE.ZSET:
    case RDB_TYPE.ZSET_2:
      return { type: "zset", entries: nonEmpty(readZsetPairs(reader, rdbType === RDB_TYPE.ZSET_2)) };
    case RDB_TYPE.ZSET_LISTPACK:
      return { type: "zset", entries: nonEmpty(readZsetListpack(reader)) };
    case RDB_TYPE.HASH:
      return { type: "hash", fields: nonEmpty(readHashPairs(reader)) };
    case RDB_TYPE.HASH_LISTPACK:
      return { type: "hash", fields: nonEmpty(readHashListpack(reader, 2)) };
    case RDB_TYPE.HASH_METADATA_PRE_GA:
    case RDB_TYPE.HASH_METADATA:
      return { type: "hash", fields: nonEmpty(readHashWithTtls(reader, rdbType === RDB_TYPE.HASH_METADATA)) };
    case RDB_TYPE.HASH_LISTPACK_EX_PRE_GA:
    case RDB_TYPE.HASH_LISTPACK_EX:
      if (rdbType === RDB_TYPE.HASH_LISTPACK_EX) reader.millis(); // the minimum expiry, derived data
      return { type: "hash", fields: nonEmpty(readHashListpack(reader, 3)) };
    case RDB_TYPE.STREAM_LISTPACKS:
    case RDB_TYPE.STREAM_LISTPACKS_2:
    case RDB_TYPE.STREAM_LISTPACKS_3:
      return readStream(reader, rdbType);
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

/** Redis refuses empty collections in a payload; so does this decoder. */
function nonEmpty<T>(items: T[]): T[] {
  if (items.length === 0) corrupt("Payload holds an empty collection");
  return items;
}

function readStrings(reader: RdbReader, count: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    reader.budget.elements(1);
    out.push(reader.string());
  }
  return out;
}

function listpackBytes(reader: RdbReader): Uint8Array[] {
  return readListpack(reader.string(), reader.budget).map((entry) => entryBytes(entry, reader.budget));
}

/** RDB_TYPE_LIST_QUICKLIST_2: nodes, each a container kind (plain element or packed listpack) and a string. */
function readQuicklist(reader: RdbReader): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let nodes = reader.length(); nodes > 0; nodes--) {
    const container = reader.length();
    const data = reader.string();
    if (data.length === 0) corrupt("Quicklist node is empty");
    if (container === QUICKLIST_PLAIN) {
      reader.budget.elements(1);
      out.push(data);
    } else if (container === QUICKLIST_PACKED) {
      const entries = readListpack(data, reader.budget);
      if (entries.length === 0) corrupt("Quicklist node holds an empty listpack");
      for (const entry of entries) out.push(entryBytes(entry, reader.budget));
    } else {
      corrupt(`Quicklist node container ${container} is neither plain (1) nor packed (2)`);
    }
  }
  return out;
}

/** RDB_TYPE_ZSET (scores as short text) and RDB_TYPE_ZSET_2 (scores as binary doubles). */
function readZsetPairs(reader: RdbReader, binary: boolean): ZsetEntry[] {
  const out: ZsetEntry[] = [];
  for (let count = reader.length(); count > 0; count--) {
    reader.budget.elements(2);
    const member = reader.string();
    const score = binary ? reader.binaryDouble() : readTextDouble(reader);
    out.push({ member, score, scoreText: scoreBytes(score) });
  }
  return out;
}

/** The old text double: a length byte (253 NaN, 254 +inf, 255 -inf) and that many ASCII bytes. */
function readTextDouble(reader: RdbReader): number {
  const length = reader.byte();
  if (length === 253) corrupt("A zset score is NaN");
  if (length === 254) return Infinity;
  if (length === 255) return -Infinity;
  return parseScoreText(reader.raw(length));
}

function readZsetListpack(reader: RdbReader): ZsetEntry[] {
  const entries = pairsOf(readListpack(reader.string(), reader.budget), 2, "zset");
  const out: ZsetEntry[] = [];
  for (let i = 0; i < entries.length; i += 2) {
    const stored = entries[i + 1];
    const score = typeof stored === "bigint" ? Number(stored) : parseScoreText(stored);
    if (Number.isNaN(score)) corrupt("A zset score is NaN");
    out.push({ member: entryBytes(entries[i], reader.budget), score, scoreText: scoreBytes(score) });
  }
  return out;
}

function readHashPairs(reader: RdbReader): HashField[] {
  const out: HashField[] = [];
  for (let count = reader.length(); count > 0; count--) {
    reader.budget.elements(2);
    out.push({ field: reader.string(), value: reader.string() });
  }
  return out;
}

/** Listpack hashes: field, value (tuple 2) or field, value, absolute expiry in ms or 0 (tuple 3). */
function readHashListpack(reader: RdbReader, tuple: 2 | 3): HashField[] {
  const entries = pairsOf(readListpack(reader.string(), reader.budget), tuple, "hash");
  const out: HashField[] = [];
  for (let i = 0; i < entries.length; i += tuple) {
    const field = entryBytes(entries[i], reader.budget);
    const value = entryBytes(entries[i + 1], reader.budget);
    const ttl = tuple === 3 ? entryInteger(entries[i + 2], "a hash field expiry") : HASH_NO_TTL;
    out.push(ttl === HASH_NO_TTL ? { field, value } : { field, value, expireAt: expiry(ttl) });
  }
  return out;
}

/**
 * RDB_TYPE_HASH_METADATA (24): minimum expiry (8-byte ms), count, then per field a TTL length (0 = none,
 * else expiry - minimum + 1), field and value. The pre-GA form (22) has no minimum and absolute TTLs.
 */
function readHashWithTtls(reader: RdbReader, relative: boolean): HashField[] {
  const minExpire = relative ? reader.millis() : 0n;
  const out: HashField[] = [];
  for (let count = reader.length(); count > 0; count--) {
    reader.budget.elements(2);
    const ttl = reader.lengthBig();
    const field = reader.string();
    const value = reader.string();
    if (ttl === HASH_NO_TTL) out.push({ field, value });
    else out.push({ field, value, expireAt: expiry(relative ? ttl + minExpire - 1n : ttl) });
  }
  return out;
}

/** A field expiry in Unix ms; Redis caps them at 2^48 - 1. */
function expiry(ms: bigint): number {
  if (ms <= 0n || ms >= 1n << 48n) corrupt(`Hash field expiry ${ms} is out of range`);
  return Number(ms);
}

function pairsOf(entries: ListpackEntry[], tuple: number, what: string): ListpackEntry[] {
  if (entries.length % tuple !== 0) {
    corrupt(`A ${what} listpack has ${entries.length} entries, not tuples of ${tuple}`);
  }
  return entries;
}

function hex(value: bigint): string {
  return `0x${value.toString(16).padStart(16, "0")}`;
}
