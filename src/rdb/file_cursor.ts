/**
 * A cursor over the bytes an RDB file reader has buffered so far (src/rdb/file_reader.ts). It reads the
 * RDB primitives (lengths, strings, fixed-size numbers) or only steps over them, and has two ways to fail:
 *
 * - {@link NEED_MORE}: the bytes end before the primitive does. Not an error: the reader waits for more
 *   and parses the item again from its start. `NEED_MORE.at` is the absolute offset that must be buffered.
 * - an {@link RdbFileError}: the bytes break the format, or an item grows past `limit` bytes (checked on
 *   the declared length, before waiting for or holding the bytes).
 *
 * Offsets in messages are absolute: `base` is the file offset of `bytes[0]`.
 */
import { asciiBytes } from "./ascii.ts";
import { PayloadError } from "./errors.ts";
import { RdbFileError } from "./file_errors.ts";
import { lzfDecompress } from "./lzf.ts";

/** Thrown (never as an Error) when the buffered bytes end inside an item. */
export const NEED_MORE = { at: 0 };

const LEN_6BIT = 0;
const LEN_14BIT = 1;
const LEN_32BIT_MARKER = 0x80;
const LEN_64BIT_MARKER = 0x81;
const ENC_INT8 = 0xc0;
const ENC_INT16 = 0xc1;
const ENC_INT32 = 0xc2;
const ENC_LZF = 0xc3;
/** The most LZF can expand (see rdb_string.ts): a larger declared length is a lie. */
const LZF_MAX_RATIO = 88;

export class FileCursor {
  pos: number;
  #view: DataView;
  bytes: Uint8Array;
  end = 0;
  base = 0;
  limitEnd = 0;

  /** A cursor over `bytes`; {@link reset} points it at the next item. */
  constructor(bytes: Uint8Array, readonly limitBytes: number) {
    this.bytes = bytes;
    this.pos = 0;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /**
   * Points the cursor at an item starting at `start`: `bytes[start, end)` are buffered, `base` is the file
   * offset of `bytes[0]`, and the item may not reach past `start + limitBytes`.
   */
  reset(bytes: Uint8Array, start: number, end: number, base: number): void {
    if (bytes !== this.bytes) {
      this.bytes = bytes;
      this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    this.pos = start;
    this.end = end;
    this.base = base;
    this.limitEnd = start + this.limitBytes;
  }

  /** The absolute file offset where the item being read starts. */
  get itemStart(): number {
    return this.offset(this.limitEnd - this.limitBytes);
  }

  /** The absolute file offset of index `at` (the cursor position by default). */
  offset(at = this.pos): number {
    return this.base + at;
  }

  /** Moves past `count` bytes, or fails: past the item limit (`limit`), past the buffered bytes (NEED_MORE). */
  skip(count: number): void {
    if (this.pos + count > this.limitEnd) this.overLimit();
    if (this.pos + count > this.end) {
      NEED_MORE.at = this.offset(this.pos + count);
      throw NEED_MORE;
    }
    this.pos += count;
  }

  byte(): number {
    this.skip(1);
    return this.bytes[this.pos - 1];
  }

  u32le(): number {
    this.skip(4);
    return this.#view.getUint32(this.pos - 4, true);
  }

  i64le(): bigint {
    this.skip(8);
    return this.#view.getBigInt64(this.pos - 8, true);
  }

  u64le(): bigint {
    this.skip(8);
    return this.#view.getBigUint64(this.pos - 8, true);
  }

  /** An RDB length as a bigint (the 64-bit form covers the full unsigned range). */
  lengthBig(): bigint {
    const at = this.pos;
    const first = this.byte();
    const kind = first >> 6;
    if (kind === LEN_6BIT) return BigInt(first & 0x3f);
    if (kind === LEN_14BIT) return BigInt(((first & 0x3f) << 8) | this.byte());
    if (first === LEN_32BIT_MARKER) {
      this.skip(4);
      return BigInt(this.#view.getUint32(this.pos - 4, false));
    }
    if (first === LEN_64BIT_MARKER) {
      this.skip(8);
      return this.#view.getBigUint64(this.pos - 8, false);
    }
    return this.corrupt(`Invalid length byte 0x${first.toString(16)}`, at);
  }

  /** A length that counts bytes or elements of this file: at most 2^53 - 1. */
  length(): number {
    const first = this.pos < this.end ? this.bytes[this.pos] : -1;
    if (first >= 0 && first >> 6 === LEN_6BIT) {
      this.pos++;
      return first;
    }
    if (first >= 0 && first >> 6 === LEN_14BIT && this.pos + 2 <= this.end && this.pos + 2 <= this.limitEnd) {
      this.pos += 2;
      return ((first & 0x3f) << 8) | this.bytes[this.pos - 1];
    }
    const at = this.pos;
    const value = this.lengthBig();
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) this.corrupt(`Length ${value} is out of range`, at);
    return Number(value);
  }

  /** Steps over a string in any RDB string encoding without decoding it. */
  skipString(): void {
    const first = this.pos < this.end ? this.bytes[this.pos] : this.byte();
    if (first >> 6 !== 3) return this.skip(this.length());
    const at = this.pos;
    this.pos++;
    if (first === ENC_INT8) return this.skip(1);
    if (first === ENC_INT16) return this.skip(2);
    if (first === ENC_INT32) return this.skip(4);
    if (first === ENC_LZF) {
      const compressed = this.length();
      this.length();
      return this.skip(compressed);
    }
    this.corrupt(`Unknown string encoding 0x${first.toString(16)}`, at);
  }

  /**
   * A string stored raw (a length, then its bytes): steps over it and returns its size, the bytes being
   * `bytes[pos - size, pos)`. -1, without moving, for a string in a special encoding (integer, LZF).
   */
  rawString(): number {
    const first = this.pos < this.end ? this.bytes[this.pos] : this.byte();
    if (first >> 6 === 3) return -1;
    const size = this.length();
    this.skip(size);
    return size;
  }

  /** A string in any RDB string encoding, as a new array (it outlives the buffer). */
  string(): Uint8Array {
    const first = this.pos < this.end ? this.bytes[this.pos] : this.byte();
    if (first >> 6 !== 3) {
      const size = this.length();
      this.skip(size);
      return this.bytes.slice(this.pos - size, this.pos);
    }
    const at = this.pos;
    this.pos++;
    if (first === ENC_INT8) return this.#int(1);
    if (first === ENC_INT16) return this.#int(2);
    if (first === ENC_INT32) return this.#int(4);
    if (first === ENC_LZF) return this.#lzf(at);
    return this.corrupt(`Unknown string encoding 0x${first.toString(16)}`, at);
  }

  #int(size: 1 | 2 | 4): Uint8Array {
    this.skip(size);
    const at = this.pos - size;
    const value = size === 1
      ? this.#view.getInt8(at)
      : size === 2
      ? this.#view.getInt16(at, true)
      : this.#view.getInt32(at, true);
    return asciiBytes(String(value));
  }

  #lzf(at: number): Uint8Array {
    const compressedLength = this.length();
    const plainLength = this.length();
    if (plainLength === 0 || plainLength > compressedLength * LZF_MAX_RATIO) {
      this.corrupt(`LZF string of ${compressedLength} bytes cannot hold ${plainLength}`, at);
    }
    if (plainLength > this.limitBytes) this.overLimit();
    this.skip(compressedLength);
    try {
      return lzfDecompress(this.bytes.subarray(this.pos - compressedLength, this.pos), plainLength);
    } catch (error) {
      if (error instanceof PayloadError) this.corrupt(error.message, at);
      throw error;
    }
  }

  overLimit(): never {
    throw new RdbFileError(
      "limit",
      `The item at offset ${this.itemStart} is larger than the limit of ${this.limitBytes} bytes: raise it to read this file`,
      this.itemStart,
    );
  }

  corrupt(message: string, at = this.pos): never {
    throw new RdbFileError("corrupt", `${message} at offset ${this.offset(at)}`, this.offset(at));
  }
}
