/**
 * What a DUMP payload decodes to: one value per Redis type, every member, field and element as bytes
 * (`Uint8Array`, often a view into the payload: copy it before the payload buffer is reused).
 *
 * Encodings are not kept (a listpack hash and a hashtable hash decode alike); `rdbType` in
 * {@link DecodedPayload} says which one was read.
 */

export type RdbValue = StringValue | ListValue | SetValue | ZsetValue | HashValue | StreamValue;

export interface StringValue {
  readonly type: "string";
  readonly value: Uint8Array;
}

export interface ListValue {
  readonly type: "list";
  /** Head to tail. */
  readonly elements: Uint8Array[];
}

export interface SetValue {
  readonly type: "set";
  readonly members: Uint8Array[];
}

export interface ZsetValue {
  readonly type: "zset";
  readonly entries: ZsetEntry[];
}

export interface ZsetEntry {
  readonly member: Uint8Array;
  /** The exact score (never NaN; may be ±Infinity or -0). */
  readonly score: number;
  /** Decimal text that parses back to exactly `score` (see score.ts): what ZADD gets. */
  readonly scoreText: Uint8Array;
}

export interface HashValue {
  readonly type: "hash";
  readonly fields: HashField[];
}

export interface HashField {
  readonly field: Uint8Array;
  readonly value: Uint8Array;
  /** Absolute expiry of this field in Unix ms (Redis 7.4+ hash field TTLs), or undefined for none. */
  readonly expireAt?: number;
}

/** A stream ID; both parts are unsigned 64-bit. */
export interface StreamId {
  readonly ms: bigint;
  readonly seq: bigint;
}

export interface StreamEntry {
  readonly id: StreamId;
  /** field, value, field, value ... in the order XADD got them. */
  readonly fieldsAndValues: Uint8Array[];
}

/** A stream's entries and everything else it keeps. */
export interface StreamValue extends StreamMetadata {
  /** Live entries in ID order (deleted ones are skipped). */
  readonly entries: StreamEntry[];
}

/** A stream whose entries are decoded node by node as they are pulled (one-shot, see `openPayload`). */
export interface StreamValueStream extends StreamMetadata {
  readonly entries: Iterable<StreamEntry>;
}

export interface StreamMetadata {
  readonly type: "stream";
  /** The number of live entries the stream says it has (checked against the entries). */
  readonly length: number;
  readonly lastId: StreamId;
  /** RDB_TYPE_STREAM_LISTPACKS_2 and later only. */
  readonly firstId?: StreamId;
  readonly maxDeletedId?: StreamId;
  readonly entriesAdded?: bigint;
  readonly groups: StreamGroup[];
}

export interface StreamGroup {
  readonly name: Uint8Array;
  readonly lastId: StreamId;
  /** Entries read by the group: -1 when Redis marked it unknown, undefined when the stream predates it. */
  readonly entriesRead?: bigint;
  /** The group's pending entries list, in ID order. */
  readonly pending: PendingEntry[];
  readonly consumers: StreamConsumer[];
}

export interface PendingEntry {
  readonly id: StreamId;
  /** Unix ms of the last delivery. */
  readonly deliveryTime: bigint;
  readonly deliveryCount: bigint;
  /** The consumer that owns it (resolved from the consumers' own lists); undefined if none claims it. */
  consumer?: Uint8Array;
}

export interface StreamConsumer {
  readonly name: Uint8Array;
  readonly seenTime: bigint;
  /** RDB_TYPE_STREAM_LISTPACKS_3 and later only. */
  readonly activeTime?: bigint;
  /** IDs of the group's pending entries this consumer owns. */
  readonly pending: StreamId[];
}

/** A decoded payload: the value, and the RDB type byte and version it was written with. */
export interface DecodedPayload {
  readonly value: RdbValue;
  readonly rdbType: number;
  readonly rdbVersion: number;
}

/**
 * A value whose collection members are read from the payload as they are pulled (see `openPayload`):
 * strings and stream metadata are whole, collections and stream entries are one-shot iterables. Every {@link RdbValue} is
 * also an RdbValueStream (arrays are iterables).
 */
export type RdbValueStream =
  | StringValue
  | StreamValueStream
  | { readonly type: "list"; readonly elements: Iterable<Uint8Array> }
  | { readonly type: "set"; readonly members: Iterable<Uint8Array> }
  | { readonly type: "zset"; readonly entries: Iterable<ZsetEntry> }
  | { readonly type: "hash"; readonly fields: Iterable<HashField> };

/** An opened payload: footer checked, type known, members still to be read. */
export interface OpenedPayload {
  readonly value: RdbValueStream;
  readonly rdbType: number;
  readonly rdbVersion: number;
}
