/**
 * An incremental reader of RDB files (what SAVE, BGSAVE, `redis-cli --rdb` and a master's full sync
 * produce): {@link RdbFileReader.feed} bytes in as they arrive, {@link RdbFileReader.next} pulls complete
 * items out, `undefined` meaning "need more bytes". Pure: no I/O, no timers.
 *
 * File layout: `REDIS` and a 4-digit version; then opcodes (aux fields, database selectors, resize hints,
 * expiry and LRU/LFU prefixes, module aux data, function libraries, slot info) and keys (a type byte, the key
 * string, the value); then the EOF opcode and, from version 5, the CRC64 of everything before it (0 when the
 * server saved without checksums).
 *
 * Contract:
 * - A key item holds the key, its DUMP payload (type byte, value bytes, the file's RDB version, CRC64) and
 *   the value bytes (a view of the payload), the database, the absolute expiry in ms (or -1) and the RDB
 *   type. Key and payload are copied once out of the buffer into shared slabs (slab.ts): views never
 *   written again, that outlive the buffer. {@link dumpPayload} gives the payload for another RDB version.
 * - The file's CRC64 is folded in over runs of consumed bytes (before the buffer moves, and at the end),
 *   not per item.
 * - Memory is bounded: the buffer holds at most one item (up to `maxItemBytes`, checked on declared lengths
 *   before the bytes arrive) plus the last chunk fed. An item is parsed again from its start only once the
 *   bytes it was missing have arrived (never later: a diskless sync's stream may go quiet right after the
 *   file), so a collection of many small elements arriving in many chunks costs elements x chunks steps.
 * - After {@link RdbFileReader.end}, a file that stops early is a `truncated` error. Every error is an
 *   {@link RdbFileError} naming the byte offset, and is sticky: later calls throw it again.
 * - The `end` item comes last; bytes after it are kept for the caller ({@link RdbFileReader.rest}: a
 *   diskless sync's EOF mark, then the command stream), or refused by `end()` (`trailing`).
 */
import { Crc64, writeCrc64 } from "./crc64.ts";
import { FileCursor, NEED_MORE } from "./file_cursor.ts";
import { RdbFileError } from "./file_errors.ts";
import { isValueType, skipModuleFields, skipValue } from "./file_values.ts";
import { Slab } from "./slab.ts";
import { RDB_TYPE } from "./types.ts";

/** Oldest and newest RDB versions read: Redis 5.0 wrote 9; Redis 7.4 and 8.x write 12, Valkey 8 writes 11. */
export const MIN_FILE_RDB_VERSION = 9;
export const MAX_FILE_RDB_VERSION = 12;
export const DEFAULT_MAX_ITEM_BYTES = 512 * 1024 * 1024 + 64 * 1024;

export const OPCODE = {
  SLOT_INFO: 0xf4,
  FUNCTION2: 0xf5,
  FUNCTION_PRE_GA: 0xf6,
  MODULE_AUX: 0xf7,
  IDLE: 0xf8,
  FREQ: 0xf9,
  AUX: 0xfa,
  RESIZEDB: 0xfb,
  EXPIRETIME_MS: 0xfc,
  EXPIRETIME: 0xfd,
  SELECTDB: 0xfe,
  EOF: 0xff,
} as const;

const MAGIC = [0x52, 0x45, 0x44, 0x49, 0x53]; // "REDIS"
const HEADER_SIZE = 9;
const CHECKSUM_SIZE = 8;
/** A DUMP payload's footer: the RDB version (2 bytes LE) and the CRC64 (8 bytes LE). */
const FOOTER_SIZE = 10;
/** Below this many bytes a copy by hand beats a subarray and TypedArray.set. */
const SHORT_COPY = 64;
export const NO_EXPIRY = -1;

export interface RdbKeyItem {
  kind: "key";
  db: number;
  key: Uint8Array;
  /** Absolute expiry in unix ms, or {@link NO_EXPIRY}. */
  expireAt: number;
  rdbType: number;
  /** The serialized value, as in a DUMP payload after the type byte (a view of `payload`). */
  value: Uint8Array;
  /** The DUMP payload for RESTORE, in the file's RDB version. */
  payload: Uint8Array;
  /** LRU idle seconds or LFU frequency, when the file has them. */
  idle?: number;
  freq?: number;
  /** File offset of the item's first byte (its expiry prefix, or its type byte). */
  offset: number;
}

export type RdbItem =
  | { kind: "header"; version: number }
  | { kind: "aux"; name: Uint8Array; value: Uint8Array }
  | { kind: "select"; db: number }
  | { kind: "resize"; db: number; keys: number; expires: number }
  /** A function library: its code, and its encoded body for FUNCTION RESTORE ({@link functionPayload}). */
  | { kind: "function"; code: Uint8Array; body: Uint8Array }
  | { kind: "module-aux"; moduleId: bigint }
  | RdbKeyItem
  /** The end marker; `checksum` is 0n when the file was saved without one (then nothing was checked). */
  | { kind: "end"; checksum: bigint; offset: number };

export interface RdbFileReaderOptions {
  /** Largest item (key and value) accepted, in bytes. */
  maxItemBytes?: number;
}

export class RdbFileReader {
  #buffer = new Uint8Array(64 * 1024);
  /** Unconsumed bytes are `#buffer[#start, #end)`; `#base` is the file offset of `#buffer[0]`. */
  #start = 0;
  #end = 0;
  #base = 0;
  #ended = false;
  #error: RdbFileError | undefined;
  /** Do not parse again before this many bytes (absolute offset) are buffered. */
  #waitFor = 0;
  /** The file's CRC64 over `#buffer[0, #crcAt)` and the bytes dropped before it. */
  readonly #crc = new Crc64();
  #crcAt = 0;
  readonly #slab = new Slab();
  #version = 0;
  #db = 0;
  #done = false;
  #checksum: bigint | undefined;
  readonly #maxItemBytes: number;
  readonly #cursor: FileCursor;

  constructor(options: RdbFileReaderOptions = {}) {
    this.#maxItemBytes = options.maxItemBytes ?? DEFAULT_MAX_ITEM_BYTES;
    this.#cursor = new FileCursor(this.#buffer, this.#maxItemBytes);
  }

  /** The RDB version from the header (0 before it is read). */
  get version(): number {
    return this.#version;
  }

  /** Bytes consumed into complete items so far (the file offset of the next item). */
  get offset(): number {
    return this.#base + this.#start;
  }

  /** The CRC64 the file ends with (0n: saved without one), once the end item was read. */
  get checksum(): bigint | undefined {
    return this.#checksum;
  }

  /** True once the `end` item was returned. */
  get done(): boolean {
    return this.#done;
  }

  /** Adds bytes. Throws `trailing` only through `end()`; bytes after the end item are kept for `rest()`. */
  feed(chunk: Uint8Array): void {
    if (this.#error) throw this.#error;
    if (this.#ended) throw new Error("RdbFileReader.feed() after end()");
    if (chunk.length === 0) return;
    this.#reserve(chunk.length);
    this.#buffer.set(chunk, this.#end);
    this.#end += chunk.length;
  }

  /** No more bytes will come: the next `next()` reports a file cut short, or trailing bytes. */
  end(): void {
    this.#ended = true;
    this.#waitFor = 0;
  }

  /** Bytes fed after the end item (taken: a second call returns nothing). */
  rest(): Uint8Array {
    const rest = this.#buffer.slice(this.#start, this.#end);
    this.#start = this.#end;
    return rest;
  }

  /**
   * The next complete item, or `undefined` when more bytes are needed (or after the end item). Throws an
   * {@link RdbFileError} for a bad file, and again on every later call.
   */
  next(): RdbItem | undefined {
    if (this.#error) throw this.#error;
    try {
      return this.#next();
    } catch (error) {
      if (error instanceof RdbFileError) this.#error = error;
      throw error;
    }
  }

  #next(): RdbItem | undefined {
    if (this.#done) {
      if (this.#ended && this.#end > this.#start) {
        throw new RdbFileError(
          "trailing",
          `${this.#end - this.#start} bytes follow the end of the RDB file at offset ${this.offset}`,
          this.offset,
        );
      }
      return undefined;
    }
    if (!this.#ended && this.#base + this.#end < this.#waitFor) return undefined;
    const cursor = this.#cursor;
    cursor.reset(this.#buffer, this.#start, this.#end, this.#base);
    let item: RdbItem;
    try {
      item = this.#version === 0 ? this.#header(cursor) : this.#item(cursor);
    } catch (error) {
      if (error !== NEED_MORE) throw error;
      if (this.#ended) {
        throw new RdbFileError(
          "truncated",
          `The RDB file ends early: the item at offset ${this.offset} needs bytes up to ${NEED_MORE.at}, the file has ${
            this.#base + this.#end
          }`,
          this.#base + this.#end,
        );
      }
      this.#waitFor = NEED_MORE.at;
      return undefined;
    }
    this.#start = cursor.pos;
    return item;
  }

  #header(cursor: FileCursor): RdbItem {
    cursor.skip(HEADER_SIZE);
    const head = this.#buffer.subarray(this.#start, this.#start + HEADER_SIZE);
    const digits = head.subarray(5);
    if (MAGIC.some((byte, i) => head[i] !== byte) || digits.some((d) => d < 0x30 || d > 0x39)) {
      throw new RdbFileError(
        "header",
        "Not an RDB file: it does not start with REDIS and a 4-digit version",
        0,
      );
    }
    const version = Number(String.fromCharCode(...digits));
    if (version < MIN_FILE_RDB_VERSION || version > MAX_FILE_RDB_VERSION) {
      throw new RdbFileError(
        "version",
        `RDB version ${version} is not supported: this reader knows ${MIN_FILE_RDB_VERSION} (Redis 5.0) to ${MAX_FILE_RDB_VERSION} (Redis 7.4 and 8.x)`,
        5,
      );
    }
    this.#version = version;
    return { kind: "header", version };
  }

  /** One item: prefixes (expiry, idle, freq) belong to the key after them, so they are read with it. */
  #item(cursor: FileCursor): RdbItem {
    const offset = cursor.offset();
    let expireAt = NO_EXPIRY;
    let idle: number | undefined;
    let freq: number | undefined;
    for (;;) {
      const at = cursor.pos;
      const type = cursor.byte();
      switch (type) {
        case OPCODE.EXPIRETIME_MS:
          expireAt = Number(cursor.i64le());
          continue;
        case OPCODE.EXPIRETIME:
          expireAt = cursor.u32le() * 1000;
          continue;
        case OPCODE.IDLE:
          idle = cursor.length();
          continue;
        case OPCODE.FREQ:
          freq = cursor.byte();
          continue;
      }
      if (isValueType(type)) {
        const key = this.#key(cursor);
        const valueStart = cursor.pos;
        skipValue(cursor, type, at);
        const payload = this.#payload(type, valueStart, cursor.pos);
        const item: RdbKeyItem = {
          kind: "key",
          db: this.#db,
          key,
          expireAt,
          rdbType: type,
          value: payload.subarray(1, payload.length - FOOTER_SIZE),
          payload,
          offset,
        };
        if (idle !== undefined) item.idle = idle;
        if (freq !== undefined) item.freq = freq;
        return item;
      }
      if (expireAt !== NO_EXPIRY || idle !== undefined || freq !== undefined) {
        cursor.corrupt(`Opcode 0x${type.toString(16)} follows an expiry, idle or freq prefix`, at);
      }
      return this.#opcode(cursor, type, at);
    }
  }

  /** The key string: a raw one copied into the slab, an encoded one (integer, LZF) decoded. */
  #key(cursor: FileCursor): Uint8Array {
    const size = cursor.rawString();
    if (size < 0) return cursor.string();
    const slab = this.#slab;
    const at = slab.reserve(size);
    copy(this.#buffer, cursor.pos - size, cursor.pos, slab.bytes, at);
    return slab.bytes.subarray(at, at + size);
  }

  /** The DUMP payload of the value at `#buffer[from, to)`, built in the slab with one copy. */
  #payload(type: number, from: number, to: number): Uint8Array {
    const slab = this.#slab;
    const size = 1 + (to - from) + FOOTER_SIZE;
    const at = slab.reserve(size);
    const out = slab.bytes;
    out[at] = type;
    copy(this.#buffer, from, to, out, at + 1);
    const footer = at + 1 + (to - from);
    out[footer] = this.#version & 0xff;
    out[footer + 1] = this.#version >>> 8;
    writeCrc64(out, footer + 2, at);
    return out.subarray(at, at + size);
  }

  #opcode(cursor: FileCursor, type: number, at: number): RdbItem {
    switch (type) {
      case OPCODE.AUX:
        return { kind: "aux", name: cursor.string(), value: cursor.string() };
      case OPCODE.SELECTDB:
        this.#db = cursor.length();
        return { kind: "select", db: this.#db };
      case OPCODE.RESIZEDB:
        return { kind: "resize", db: this.#db, keys: cursor.length(), expires: cursor.length() };
      case OPCODE.SLOT_INFO:
        cursor.length();
        cursor.length();
        cursor.length();
        return this.#item(cursor); // a sizing hint only: the next item is returned in its place
      case OPCODE.FUNCTION2: {
        const bodyStart = cursor.pos;
        const code = cursor.string();
        return { kind: "function", code, body: this.#buffer.slice(bodyStart, cursor.pos) };
      }
      case OPCODE.MODULE_AUX: {
        const moduleId = cursor.lengthBig();
        cursor.lengthBig(); // when-opcode
        cursor.lengthBig(); // when
        skipModuleFields(cursor);
        return { kind: "module-aux", moduleId };
      }
      case OPCODE.FUNCTION_PRE_GA:
        throw new RdbFileError(
          "unsupported",
          `Function data in the pre-release 7.0 format at offset ${cursor.offset(at)} is not supported`,
          cursor.offset(at),
        );
      case OPCODE.EOF:
        return this.#eof(cursor, at);
    }
    return cursor.corrupt(`Unknown opcode or value type ${type}`, at);
  }

  #eof(cursor: FileCursor, at: number): RdbItem {
    const offset = cursor.offset(at);
    const checksum = cursor.u64le();
    this.#crc.update(this.#buffer, this.#crcAt, cursor.pos - CHECKSUM_SIZE);
    this.#crcAt = cursor.pos - CHECKSUM_SIZE;
    const crc = this.#crc.value;
    if (checksum !== 0n && checksum !== crc) {
      const at = cursor.offset(cursor.pos - CHECKSUM_SIZE);
      const actual = crc.toString(16);
      throw new RdbFileError(
        "checksum",
        `The RDB file is corrupt: its checksum at offset ${at} says 0x${
          checksum.toString(16)
        }, its bytes give 0x${actual}`,
        at,
      );
    }
    this.#done = true;
    this.#checksum = checksum;
    return { kind: "end", checksum, offset };
  }

  /** Room for `count` more bytes: drop consumed bytes, grow only when one item needs it. */
  #reserve(count: number): void {
    if (this.#end + count <= this.#buffer.length) return;
    if (!this.#done) this.#crc.update(this.#buffer, this.#crcAt, this.#start);
    this.#crcAt = 0;
    const live = this.#end - this.#start;
    let size = this.#buffer.length;
    while (size < live + count) size *= 2;
    if (size === this.#buffer.length) this.#buffer.copyWithin(0, this.#start, this.#end);
    else {
      const grown = new Uint8Array(size);
      grown.set(this.#buffer.subarray(this.#start, this.#end));
      this.#buffer = grown;
    }
    this.#base += this.#start;
    this.#end = live;
    this.#start = 0;
  }
}

/**
 * A DUMP payload for RESTORE: type byte, value bytes, RDB version (2 bytes LE), CRC64 (8 bytes LE). The
 * item's own payload when it is of that version (it is: of the file's).
 */
export function dumpPayload(item: RdbKeyItem, rdbVersion: number): Uint8Array {
  const payload = item.payload;
  const at = payload.length - FOOTER_SIZE;
  if ((payload[at] | (payload[at + 1] << 8)) === rdbVersion) return payload;
  return withFooter(item.rdbType, item.value, rdbVersion);
}

/** A FUNCTION RESTORE payload for one library: the FUNCTION2 opcode, its body, the footer. */
export function functionPayload(body: Uint8Array, rdbVersion: number): Uint8Array {
  return withFooter(OPCODE.FUNCTION2, body, rdbVersion);
}

function withFooter(first: number, body: Uint8Array, rdbVersion: number): Uint8Array {
  const out = new Uint8Array(1 + body.length + FOOTER_SIZE);
  out[0] = first;
  out.set(body, 1);
  out[1 + body.length] = rdbVersion & 0xff;
  out[2 + body.length] = (rdbVersion >>> 8) & 0xff;
  writeCrc64(out, out.length - CHECKSUM_SIZE);
  return out;
}

/** `from[start, end)` copied to `to[at]`. */
function copy(from: Uint8Array, start: number, end: number, to: Uint8Array, at: number): void {
  if (end - start < SHORT_COPY) {
    for (let i = start; i < end; i++) to[at++] = from[i];
  } else to.set(from.subarray(start, end), at);
}

/** True for RDB types whose key was written by a module (RESTORE needs the module on the target). */
export function isModuleType(rdbType: number): boolean {
  return rdbType === RDB_TYPE.MODULE_2;
}
