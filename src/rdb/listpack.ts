/**
 * Listpacks (learned from Redis' listpack.c): a 4-byte little-endian total size, a 2-byte element count
 * (65535 = "count it"), the entries, and a 0xFF terminator. Each entry is an encoding byte (with the
 * length or value folded in), its data, and a "backlen" of 1-5 bytes giving the size of encoding + data
 * for reverse walks.
 *
 * | first byte  | entry                                   |
 * |-------------|-----------------------------------------|
 * | `0xxxxxxx`  | unsigned 7-bit integer                  |
 * | `10xxxxxx`  | string, 6-bit length                    |
 * | `110xxxxx`  | signed 13-bit integer (+1 byte)         |
 * | `1110xxxx`  | string, 12-bit length (+1 byte)         |
 * | `0xf0`      | string, 32-bit little-endian length     |
 * | `0xf1-0xf4` | signed 16/24/32/64-bit little endian    |
 *
 * Every entry is checked against the buffer (encoding, data and backlen inside, backlen value right), so a
 * corrupt listpack is a `corrupt` PayloadError, never a read outside it.
 */
import { corrupt } from "./errors.ts";
import { asciiBytes } from "./ascii.ts";
import type { Budget } from "./limits.ts";

/** One listpack element: the string bytes (a view), or the integer (a bigint only for 64-bit ones). */
export type ListpackEntry = Uint8Array | number | bigint;

const HEADER_SIZE = 6;
const COUNT_UNKNOWN = 0xffff;
const TERMINATOR = 0xff;
const STR_32BIT = 0xf0;
const INT_16BIT = 0xf1;
const INT_24BIT = 0xf2;
const INT_32BIT = 0xf3;
const INT_64BIT = 0xf4;

/**
 * Every entry of the listpack `lp`, in order; each is charged to `budget` as one element. A listpack is the
 * decoding window for the encodings built of them: one quicklist node or stream node, or one whole small
 * hash, set or zset, as big as the server's `*-max-listpack-*` settings allow.
 */
export function readListpack(lp: Uint8Array, budget: Budget): ListpackEntry[] {
  if (lp.length < HEADER_SIZE + 1) corrupt(`Listpack of ${lp.length} bytes is shorter than its header`);
  const view = new DataView(lp.buffer, lp.byteOffset, lp.byteLength);
  const totalBytes = view.getUint32(0, true);
  if (totalBytes !== lp.length) corrupt(`Listpack says ${totalBytes} bytes but has ${lp.length}`);
  const declared = view.getUint16(4, true);
  const entries: ListpackEntry[] = [];
  let pos = HEADER_SIZE;
  while (true) {
    if (pos >= lp.length) corrupt("Listpack has no terminator");
    if (lp[pos] === TERMINATOR) break;
    budget.elements(1);
    entries.push(readEntry(lp, view, pos));
    pos = checkBacklen(lp, pos, entrySize);
  }
  if (pos !== lp.length - 1) corrupt("Listpack has bytes after its terminator");
  if (declared !== COUNT_UNKNOWN && declared !== entries.length) {
    corrupt(`Listpack says ${declared} entries but has ${entries.length}`);
  }
  return entries;
}

/** The size (encoding + data, no backlen) of the entry `readEntry` read last: no object per entry. */
let entrySize = 0;

/** The entry at `pos`; sets `entrySize` to the size of its encoding + data (without backlen). */
function readEntry(lp: Uint8Array, view: DataView, pos: number): ListpackEntry {
  const first = lp[pos];
  if ((first & 0x80) === 0) return sized(first, 1);
  if ((first & 0xc0) === 0x80) return stringEntry(lp, pos + 1, first & 0x3f, 1);
  if ((first & 0xe0) === 0xc0) {
    inside(lp, pos, 2);
    const unsigned = ((first & 0x1f) << 8) | lp[pos + 1];
    return sized(unsigned >= 1 << 12 ? unsigned - (1 << 13) : unsigned, 2);
  }
  if ((first & 0xf0) === 0xe0) {
    inside(lp, pos, 2);
    return stringEntry(lp, pos + 2, ((first & 0x0f) << 8) | lp[pos + 1], 2);
  }
  switch (first) {
    case STR_32BIT:
      inside(lp, pos, 5);
      return stringEntry(lp, pos + 5, view.getUint32(pos + 1, true), 5);
    case INT_16BIT:
      inside(lp, pos, 3);
      return sized(view.getInt16(pos + 1, true), 3);
    case INT_24BIT: {
      inside(lp, pos, 4);
      const unsigned = lp[pos + 1] | (lp[pos + 2] << 8) | (lp[pos + 3] << 16);
      return sized(unsigned >= 1 << 23 ? unsigned - (1 << 24) : unsigned, 4);
    }
    case INT_32BIT:
      inside(lp, pos, 5);
      return sized(view.getInt32(pos + 1, true), 5);
    case INT_64BIT:
      inside(lp, pos, 9);
      return sized(view.getBigInt64(pos + 1, true), 9);
  }
  return corrupt(`Invalid listpack encoding byte 0x${first.toString(16)} at offset ${pos}`);
}

function stringEntry(lp: Uint8Array, start: number, length: number, headerSize: number): Uint8Array {
  inside(lp, start, length);
  return sized(lp.subarray(start, start + length), headerSize + length);
}

function sized<T extends ListpackEntry>(entry: T, size: number): T {
  entrySize = size;
  return entry;
}

/** Throws unless `count` bytes from `pos` lie before the terminator byte. */
function inside(lp: Uint8Array, pos: number, count: number): void {
  if (pos + count > lp.length - 1) corrupt("Listpack entry runs past the end of the listpack");
}

/** Checks the backlen after an entry of `size` bytes at `pos`; returns where the next entry starts. */
function checkBacklen(lp: Uint8Array, pos: number, size: number): number {
  const width = backlenWidth(size);
  inside(lp, pos + size, width);
  let value = 0;
  for (let i = 0; i < width; i++) value = value * 128 + (lp[pos + size + i] & 0x7f);
  if (value !== size) corrupt(`Listpack backlen ${value} does not match entry size ${size} at offset ${pos}`);
  return pos + size + width;
}

function backlenWidth(size: number): number {
  if (size <= 127) return 1;
  if (size < 16383) return 2;
  if (size < 2097151) return 3;
  if (size < 268435455) return 4;
  return 5;
}

/** The entry as bytes: strings as they are, integers as their decimal text (charged to `budget`). */
export function entryBytes(entry: ListpackEntry, budget: Budget): Uint8Array {
  if (entry instanceof Uint8Array) return entry;
  const text = asciiBytes(String(entry));
  budget.bytes(text.length);
  return text;
}

/** The entry as an integer; throws `corrupt` when it is a string (`what` names it in the message). */
export function entryInteger(entry: ListpackEntry, what: string): bigint {
  if (typeof entry === "bigint") return entry;
  if (typeof entry === "number") return BigInt(entry);
  return corrupt(`Expected an integer for ${what} in a listpack, found a string`);
}
