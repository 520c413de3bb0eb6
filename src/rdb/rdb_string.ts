/**
 * The RDB primitives a serialized value is made of, read from one byte array by {@link RdbReader}:
 *
 * - lengths: the top two bits of the first byte say 6-bit (`00`), 14-bit big endian (`01`), 32-bit or 64-bit
 *   big endian after a marker byte (`10`, 0x80 / 0x81), or "special string encoding" (`11`);
 * - strings: a length and raw bytes, or a special encoding: an 8/16/32-bit little-endian signed integer
 *   (the string is its decimal text) or LZF (compressed length, plain length, compressed bytes);
 * - millisecond times (8 bytes, little endian, signed) and binary doubles (8 bytes, little endian).
 *
 * Strings are views into the payload when stored raw, new arrays when decompressed or integer-encoded
 * (charged to the {@link Budget}). Reading past the end throws a `truncated` PayloadError.
 */
import { asciiBytes } from "./ascii.ts";
import { corrupt, PayloadError } from "./errors.ts";
import type { Budget } from "./limits.ts";
import { lzfDecompress } from "./lzf.ts";

const LEN_6BIT = 0;
const LEN_14BIT = 1;
const LEN_32_OR_64BIT = 2;
const LEN_ENCODED = 3;
const LEN_32BIT_MARKER = 0x80;
const LEN_64BIT_MARKER = 0x81;

const ENC_INT8 = 0;
const ENC_INT16 = 1;
const ENC_INT32 = 2;
const ENC_LZF = 3;
/**
 * The most LZF can expand: a 3-byte back reference yields at most 264 bytes. A declared plain length above
 * this ratio is a lie, refused before the output is allocated, so allocation stays proportional to input.
 */
const LZF_MAX_RATIO = 88;

export class RdbReader {
  #pos = 0;
  readonly #view: DataView;

  constructor(readonly bytes: Uint8Array, readonly budget: Budget) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get position(): number {
    return this.#pos;
  }

  get remaining(): number {
    return this.bytes.length - this.#pos;
  }

  /** Throws `truncated` unless `count` more bytes are there. */
  need(count: number): void {
    if (count > this.remaining) {
      throw new PayloadError(
        "truncated",
        `Payload ends early: ${count} more bytes needed at offset ${this.#pos}, ${this.remaining} left`,
      );
    }
  }

  byte(): number {
    this.need(1);
    return this.bytes[this.#pos++];
  }

  /** The next `count` bytes, as a view. */
  raw(count: number): Uint8Array {
    this.need(count);
    const out = this.bytes.subarray(this.#pos, this.#pos + count);
    this.#pos += count;
    return out;
  }

  /** A length as a bigint (stream IDs and counters use the full unsigned 64-bit range). */
  lengthBig(): bigint {
    const first = this.byte();
    const kind = first >> 6;
    if (kind === LEN_6BIT) return BigInt(first & 0x3f);
    if (kind === LEN_14BIT) return BigInt(((first & 0x3f) << 8) | this.byte());
    if (kind === LEN_32_OR_64BIT) {
      if (first === LEN_32BIT_MARKER) {
        this.need(4);
        const value = this.#view.getUint32(this.#pos, false);
        this.#pos += 4;
        return BigInt(value);
      }
      if (first === LEN_64BIT_MARKER) {
        this.need(8);
        const value = this.#view.getBigUint64(this.#pos, false);
        this.#pos += 8;
        return value;
      }
    }
    return corrupt(`Invalid RDB length byte 0x${first.toString(16)} at offset ${this.#pos - 1}`);
  }

  /** A length that counts something in this payload (elements, bytes): at most 2^53 - 1. */
  length(): number {
    const first = this.bytes[this.#pos];
    if (first !== undefined && first >> 6 === LEN_6BIT) {
      this.#pos++;
      return first;
    }
    if (first !== undefined && first >> 6 === LEN_14BIT && this.remaining >= 2) {
      this.#pos += 2;
      return ((first & 0x3f) << 8) | this.bytes[this.#pos - 1];
    }
    const value = this.lengthBig();
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) corrupt(`RDB length ${value} is out of range`);
    return Number(value);
  }

  /** A string in any RDB string encoding. */
  string(): Uint8Array {
    const first = this.bytes[this.#pos];
    if (first === undefined || first >> 6 !== LEN_ENCODED) return this.raw(this.length());
    this.#pos++;
    const encoding = first & 0x3f;
    if (encoding === ENC_INT8) return this.#intString(1);
    if (encoding === ENC_INT16) return this.#intString(2);
    if (encoding === ENC_INT32) return this.#intString(4);
    if (encoding === ENC_LZF) return this.#lzfString();
    return corrupt(`Unknown RDB string encoding ${encoding} at offset ${this.#pos - 1}`);
  }

  #intString(size: 1 | 2 | 4): Uint8Array {
    this.need(size);
    const at = this.#pos;
    const value = size === 1
      ? this.#view.getInt8(at)
      : size === 2
      ? this.#view.getInt16(at, true)
      : this.#view.getInt32(at, true);
    this.#pos += size;
    const text = asciiBytes(String(value));
    this.budget.bytes(text.length);
    return text;
  }

  #lzfString(): Uint8Array {
    const compressedLength = this.length();
    const plainLength = this.length();
    const compressed = this.raw(compressedLength);
    if (plainLength === 0) corrupt("LZF string declares an empty result");
    if (plainLength > compressedLength * LZF_MAX_RATIO) {
      corrupt(`LZF string of ${compressedLength} bytes cannot decompress to ${plainLength}`);
    }
    this.budget.bytes(plainLength);
    return lzfDecompress(compressed, plainLength);
  }

  /** An 8-byte little-endian signed millisecond time. */
  millis(): bigint {
    this.need(8);
    const value = this.#view.getBigInt64(this.#pos, true);
    this.#pos += 8;
    return value;
  }

  /** An 8-byte little-endian IEEE 754 double (zset scores in RDB_TYPE_ZSET_2). */
  binaryDouble(): number {
    this.need(8);
    const value = this.#view.getFloat64(this.#pos, true);
    this.#pos += 8;
    return value;
  }
}
