/**
 * The members of list, set, zset and hash values, read one at a time from the payload (generators), so a
 * big value is never decoded as a whole: each element is a view into the payload (or into one decompressed
 * node) until the caller drops it. Each generator reads its own header when first pulled and must be
 * pulled to the end for the payload to be checked completely (see `openPayload`).
 */
import { corrupt } from "./errors.ts";
import { readIntset } from "./intset.ts";
import { entryBytes, entryInteger, type ListpackEntry, readListpack } from "./listpack.ts";
import type { RdbReader } from "./rdb_string.ts";
import { parseScoreText, scoreBytes } from "./score.ts";
import type { HashField, ZsetEntry } from "./value.ts";

const QUICKLIST_PLAIN = 1;
const QUICKLIST_PACKED = 2;
const HASH_NO_TTL = 0n;

/** Plain lists and hashtable sets: a count and that many strings. */
export function* strings(reader: RdbReader): Generator<Uint8Array> {
  for (let count = reader.length(); count > 0; count--) {
    reader.budget.elements(1);
    yield reader.string();
  }
}

/** A listpack of plain elements (set listpacks). */
export function* listpackStrings(reader: RdbReader): Generator<Uint8Array> {
  for (const entry of readListpack(reader.string(), reader.budget)) yield entryBytes(entry, reader.budget);
}

export function* intsetMembers(reader: RdbReader): Generator<Uint8Array> {
  yield* readIntset(reader.string(), reader.budget);
}

/** RDB_TYPE_LIST_QUICKLIST_2: nodes, each a container kind (plain element or packed listpack) and a string. */
export function* quicklist(reader: RdbReader): Generator<Uint8Array> {
  for (let nodes = reader.length(); nodes > 0; nodes--) {
    const container = reader.length();
    const data = reader.string();
    if (data.length === 0) corrupt("Quicklist node is empty");
    if (container === QUICKLIST_PLAIN) {
      reader.budget.elements(1);
      yield data;
    } else if (container === QUICKLIST_PACKED) {
      let count = 0;
      for (const entry of readListpack(data, reader.budget)) {
        count++;
        yield entryBytes(entry, reader.budget);
      }
      if (count === 0) corrupt("Quicklist node holds an empty listpack");
    } else {
      corrupt(`Quicklist node container ${container} is neither plain (1) nor packed (2)`);
    }
  }
}

/** RDB_TYPE_ZSET (scores as short text) and RDB_TYPE_ZSET_2 (scores as binary doubles). */
export function* zsetPairs(reader: RdbReader, binary: boolean): Generator<ZsetEntry> {
  for (let count = reader.length(); count > 0; count--) {
    reader.budget.elements(2);
    const member = reader.string();
    const score = binary ? reader.binaryDouble() : readTextDouble(reader);
    yield { member, score, scoreText: scoreBytes(score) };
  }
}

/** The old text double: a length byte (253 NaN, 254 +inf, 255 -inf) and that many ASCII bytes. */
function readTextDouble(reader: RdbReader): number {
  const length = reader.byte();
  if (length === 253) corrupt("A zset score is NaN");
  if (length === 254) return Infinity;
  if (length === 255) return -Infinity;
  return parseScoreText(reader.raw(length));
}

export function* zsetListpack(reader: RdbReader): Generator<ZsetEntry> {
  for (const [member, stored] of tuples(readListpack(reader.string(), reader.budget), 2, "zset")) {
    const score = stored instanceof Uint8Array ? parseScoreText(stored) : Number(stored);
    yield { member: entryBytes(member, reader.budget), score, scoreText: scoreBytes(score) };
  }
}

export function* hashPairs(reader: RdbReader): Generator<HashField> {
  for (let count = reader.length(); count > 0; count--) {
    reader.budget.elements(2);
    yield { field: reader.string(), value: reader.string() };
  }
}

/**
 * Listpack hashes: field, value (tuple 2) or field, value, absolute expiry in ms or 0 (tuple 3). The
 * HASH_LISTPACK_EX form (25) starts with the minimum expiry, derived data that is skipped.
 */
export function* hashListpack(
  reader: RdbReader,
  tuple: 2 | 3,
  minExpireFirst: boolean,
): Generator<HashField> {
  if (minExpireFirst) reader.millis();
  for (const entries of tuples(readListpack(reader.string(), reader.budget), tuple, "hash")) {
    const field = entryBytes(entries[0], reader.budget);
    const value = entryBytes(entries[1], reader.budget);
    const ttl = tuple === 3 ? entryInteger(entries[2], "a hash field expiry") : HASH_NO_TTL;
    yield ttl === HASH_NO_TTL ? { field, value } : { field, value, expireAt: expiry(ttl) };
  }
}

/**
 * RDB_TYPE_HASH_METADATA (24): minimum expiry (8-byte ms), count, then per field a TTL length (0 = none,
 * else expiry - minimum + 1), field and value. The pre-GA form (22) has no minimum and absolute TTLs.
 */
export function* hashWithTtls(reader: RdbReader, relative: boolean): Generator<HashField> {
  const minExpire = relative ? reader.millis() : 0n;
  for (let count = reader.length(); count > 0; count--) {
    reader.budget.elements(2);
    const ttl = reader.lengthBig();
    const field = reader.string();
    const value = reader.string();
    if (ttl === HASH_NO_TTL) yield { field, value };
    else yield { field, value, expireAt: expiry(relative ? ttl + minExpire - 1n : ttl) };
  }
}

/** A field expiry in Unix ms; Redis caps them at 2^48 - 1. */
function expiry(ms: bigint): number {
  if (ms <= 0n || ms >= 1n << 48n) corrupt(`Hash field expiry ${ms} is out of range`);
  return Number(ms);
}

/** Groups of `size` consecutive entries; `corrupt` when the last group is incomplete. */
function* tuples(entries: Iterable<ListpackEntry>, size: number, what: string): Generator<ListpackEntry[]> {
  let group: ListpackEntry[] = [];
  for (const entry of entries) {
    group.push(entry);
    if (group.length === size) {
      yield group;
      group = [];
    }
  }
  if (group.length !== 0) corrupt(`A ${what} listpack does not hold whole tuples of ${size}`);
}
