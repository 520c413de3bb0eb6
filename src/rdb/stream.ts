/**
 * Streams (RDB_TYPE_STREAM_LISTPACKS = 15, _2 = 19, _3 = 21; learned from Redis' rdb.c and t_stream.c).
 *
 * Body: the number of listpack nodes; per node its master ID (16 bytes, ms and seq big endian) and the
 * listpack as a string; then the length, the last ID (two lengths); from _2 the first ID, the max deleted
 * ID and entries-added; then the consumer groups: name, last ID, (from _2) entries-read, the group PEL
 * (16-byte raw ID, 8-byte delivery time, delivery count each), and the consumers: name, seen time, (from _3)
 * active time, and the raw IDs of the PEL entries they own.
 *
 * Inside a node's listpack: a master entry `count, deleted, n, field_1 .. field_n, 0`, then per entry
 * `flags, ms-diff, seq-diff`, then either `n' field value ...` or (flag SAMEFIELDS) the n values alone, and
 * an `lp-count` closing the entry. Entries flagged DELETED are skipped.
 */
import { corrupt } from "./errors.ts";
import { entryBytes, entryInteger, type ListpackEntry, readListpack } from "./listpack.ts";
import { oneShot } from "./one_shot.ts";
import type { RdbReader } from "./rdb_string.ts";
import type {
  PendingEntry,
  StreamConsumer,
  StreamEntry,
  StreamGroup,
  StreamId,
  StreamValueStream,
} from "./value.ts";

export const RDB_TYPE_STREAM_LISTPACKS = 15;
export const RDB_TYPE_STREAM_LISTPACKS_2 = 19;
export const RDB_TYPE_STREAM_LISTPACKS_3 = 21;

const FLAG_DELETED = 1;
const FLAG_SAMEFIELDS = 2;
const STREAM_ID_SIZE = 16;
/** entries_read = -1 (unknown), as rdbSaveLen writes it: the unsigned 64-bit two's complement. */
const ENTRIES_READ_INVALID = 0xffffffffffffffffn;
const U64_MAX = 0xffffffffffffffffn;

/**
 * Reads a stream body of RDB type `rdbType` (one of the three above) from `reader`. The nodes are only
 * located (their listpacks are views, or decompressed bytes); `entries` decodes them one node at a time as
 * it is pulled and checks, at its end, the order of the IDs and the stream's length and last ID.
 */
export function readStream(reader: RdbReader, rdbType: number): StreamValueStream {
  const nodes: { masterId: StreamId; listpack: Uint8Array }[] = [];
  for (let count = reader.length(); count > 0; count--) {
    reader.budget.elements(1);
    nodes.push({ masterId: rawStreamId(reader.string(), "stream node key"), listpack: reader.string() });
  }
  const length = reader.length();
  const lastId = lengthId(reader);
  const v2 = rdbType >= RDB_TYPE_STREAM_LISTPACKS_2;
  const firstId = v2 ? lengthId(reader) : undefined;
  const maxDeletedId = v2 ? lengthId(reader) : undefined;
  const entriesAdded = v2 ? reader.lengthBig() : undefined;
  const groups: StreamGroup[] = [];
  for (let count = reader.length(); count > 0; count--) groups.push(readGroup(reader, rdbType));
  for (const group of groups) {
    const last = group.pending.at(-1);
    if (last && compareIds(last.id, lastId) > 0) corrupt("Stream group has a pending ID after the last ID");
  }
  const entries = oneShot(checkedEntries(nodes, length, lastId, reader));
  return { type: "stream", entries, length, lastId, firstId, maxDeletedId, entriesAdded, groups };
}

/** Every live entry, node by node, checked for order, count and last ID. */
function* checkedEntries(
  nodes: { masterId: StreamId; listpack: Uint8Array }[],
  length: number,
  lastId: StreamId,
  reader: RdbReader,
): Generator<StreamEntry> {
  let count = 0;
  let previous: StreamId | undefined;
  for (const { masterId, listpack } of nodes) {
    const entries: StreamEntry[] = [];
    readNode(readListpack(listpack, reader.budget), masterId, entries, reader);
    for (const entry of entries) {
      if (previous && compareIds(previous, entry.id) >= 0) corrupt("Stream entries are out of order");
      previous = entry.id;
      count++;
      yield entry;
    }
  }
  if (count !== length) corrupt(`Stream says ${length} entries but holds ${count}`);
  if (previous && compareIds(previous, lastId) > 0) corrupt("Stream has an entry after its last ID");
}

/** Appends the live entries of one node's listpack to `out`. */
function readNode(lp: ListpackEntry[], masterId: StreamId, out: StreamEntry[], reader: RdbReader): void {
  let at = 0;
  const next = (): ListpackEntry =>
    at < lp.length ? lp[at++] : corrupt("Stream listpack ends inside an entry");
  const int = (what: string) => entryInteger(next(), what);
  const small = (what: string) => smallInteger(next(), what);
  const count = small("the master entry count");
  const deleted = small("the master deleted count");
  const masterFieldCount = toCount(small("the master field count"));
  const masterFields: Uint8Array[] = [];
  for (let i = 0; i < masterFieldCount; i++) masterFields.push(entryBytes(next(), reader.budget));
  if (small("the master entry terminator") !== 0) corrupt("Stream master entry is not terminated by 0");
  let seen = 0;
  let live = 0;
  while (at < lp.length) {
    const start = at;
    const flags = small("entry flags");
    const id = {
      ms: addId(masterId.ms, int("an ID ms delta")),
      seq: addId(masterId.seq, int("an ID seq delta")),
    };
    const sameFields = (flags & FLAG_SAMEFIELDS) !== 0;
    const fieldCount = sameFields ? masterFieldCount : toCount(small("the entry field count"));
    const fieldsAndValues: Uint8Array[] = [];
    for (let i = 0; i < fieldCount; i++) {
      fieldsAndValues.push(sameFields ? masterFields[i] : entryBytes(next(), reader.budget));
      fieldsAndValues.push(entryBytes(next(), reader.budget));
    }
    if (small("the entry lp-count") !== at - start - 1) corrupt("Stream entry lp-count is wrong");
    seen++;
    if ((flags & FLAG_DELETED) !== 0) continue;
    live++;
    out.push({ id, fieldsAndValues });
  }
  if (seen !== count + deleted || live !== count) corrupt("Stream node counts do not match its entries");
}

function readGroup(reader: RdbReader, rdbType: number): StreamGroup {
  const name = reader.string();
  const lastId = lengthId(reader);
  let entriesRead: bigint | undefined;
  if (rdbType >= RDB_TYPE_STREAM_LISTPACKS_2) {
    const stored = reader.lengthBig();
    entriesRead = stored === ENTRIES_READ_INVALID ? -1n : stored;
  }
  const pending: PendingEntry[] = [];
  const byId = new Map<string, PendingEntry>();
  for (let count = reader.length(); count > 0; count--) {
    reader.budget.elements(1);
    const id = rawStreamId(reader.raw(STREAM_ID_SIZE), "a PEL ID");
    const entry: PendingEntry = { id, deliveryTime: reader.millis(), deliveryCount: reader.lengthBig() };
    const previous = pending.at(-1);
    if (previous && compareIds(previous.id, id) >= 0) corrupt("Stream group PEL is out of order");
    byId.set(idKey(id), entry);
    pending.push(entry);
  }
  const consumers: StreamConsumer[] = [];
  for (let count = reader.length(); count > 0; count--) {
    consumers.push(readConsumer(reader, rdbType, byId));
  }
  return { name, lastId, entriesRead, pending, consumers };
}

function readConsumer(reader: RdbReader, rdbType: number, pel: Map<string, PendingEntry>): StreamConsumer {
  reader.budget.elements(1);
  const name = reader.string();
  const seenTime = reader.millis();
  const activeTime = rdbType >= RDB_TYPE_STREAM_LISTPACKS_3 ? reader.millis() : undefined;
  const pending: StreamId[] = [];
  for (let count = reader.length(); count > 0; count--) {
    reader.budget.elements(1);
    const id = rawStreamId(reader.raw(STREAM_ID_SIZE), "a consumer PEL ID");
    const entry = pel.get(idKey(id)) ?? corrupt("Consumer PEL entry is not in its group's PEL");
    if (entry.consumer) corrupt("Stream PEL entry is owned by two consumers");
    entry.consumer = name;
    pending.push(id);
  }
  return { name, seenTime, activeTime, pending };
}

/** A 16-byte ID: ms and seq as unsigned 64-bit big endian. */
function rawStreamId(raw: Uint8Array, what: string): StreamId {
  if (raw.length !== STREAM_ID_SIZE) corrupt(`${what} is ${raw.length} bytes, not ${STREAM_ID_SIZE}`);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return { ms: view.getBigUint64(0, false), seq: view.getBigUint64(8, false) };
}

function lengthId(reader: RdbReader): StreamId {
  return { ms: reader.lengthBig(), seq: reader.lengthBig() };
}

/** A master ID part plus a delta from the listpack, wrapped to unsigned 64 bits as Redis computes it. */
function addId(base: bigint, delta: bigint): bigint {
  return (base + delta) & U64_MAX;
}

function toCount(value: number): number {
  if (value < 0 || value > 0xffffffff) corrupt(`Stream field count ${value} is out of range`);
  return value;
}

/** A listpack integer that Redis writes as a count or flags: a number within ±2^53. */
function smallInteger(entry: ListpackEntry, what: string): number {
  if (typeof entry === "number") return entry;
  if (typeof entry === "bigint" && entry >= -(2n ** 53n) && entry <= 2n ** 53n) return Number(entry);
  return corrupt(`Expected a small integer for ${what} in a stream listpack`);
}

export function compareIds(a: StreamId, b: StreamId): number {
  if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
  return a.seq === b.seq ? 0 : a.seq < b.seq ? -1 : 1;
}

export function idKey(id: StreamId): string {
  return `${id.ms}-${id.seq}`;
}
