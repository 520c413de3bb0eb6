/**
 * Test-only builders of RDB bytes (lengths, strings, listpacks, intsets, whole payloads with a correct
 * footer), a seeded PRNG, and hex helpers. Pure: no permissions needed.
 */
import { crc64 } from "./crc64.ts";

export const NONE = { permissions: "none" } as const;
export const SEEDS = [1, 2, 3, 7, 42, 1234];
const utf8 = new TextEncoder();
const latin1 = new TextDecoder("latin1");

export const bytes = (text: string) => utf8.encode(text);
export const text = (data: Uint8Array) => latin1.decode(data);

export function hex(data: string): Uint8Array {
  return Uint8Array.from(data.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

export function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  const arrays = parts.map((part) => part instanceof Uint8Array ? part : Uint8Array.from(part));
  const out = new Uint8Array(arrays.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of arrays) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** An RDB length in its shortest form (or the 32/64-bit forms when `wide` says so). */
export function len(n: number | bigint, wide?: 32 | 64): Uint8Array {
  const value = BigInt(n);
  if (!wide && value < 64n) return Uint8Array.of(Number(value));
  if (!wide && value < 16384n) return Uint8Array.of(0x40 | Number(value >> 8n), Number(value & 0xffn));
  if (wide !== 64 && value <= 0xffffffffn) {
    const out = new Uint8Array(5);
    out[0] = 0x80;
    new DataView(out.buffer).setUint32(1, Number(value), false);
    return out;
  }
  const out = new Uint8Array(9);
  out[0] = 0x81;
  new DataView(out.buffer).setBigUint64(1, value, false);
  return out;
}

/** A raw RDB string: length and bytes. */
export function str(value: string | Uint8Array): Uint8Array {
  const data = typeof value === "string" ? bytes(value) : value;
  return concat(len(data.length), data);
}

/** An LZF RDB string whose compressed form is `compressed` (hand-built runs) and plain length `plain`. */
export function lzfStr(compressed: number[], plain: number): Uint8Array {
  return concat([0xc3], len(compressed.length), len(plain), compressed);
}

/** An 8-byte little-endian value (millisecond times, binary doubles). */
export function le64(value: bigint | number, float = false): Uint8Array {
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  if (float) view.setFloat64(0, Number(value), true);
  else view.setBigInt64(0, BigInt(value), true);
  return out;
}

/** A whole DUMP payload: type byte, body, RDB version and the CRC64 of it all. */
export function payload(type: number, body: Uint8Array | number[], version = 10): Uint8Array {
  const head = concat([type], body instanceof Uint8Array ? body : Uint8Array.from(body), [
    version & 0xff,
    version >> 8,
  ]);
  return withCrc(head);
}

/** `head` followed by its CRC64, little endian. */
export function withCrc(head: Uint8Array): Uint8Array {
  const out = new Uint8Array(head.length + 8);
  out.set(head);
  new DataView(out.buffer).setBigUint64(head.length, crc64(head), true);
  return out;
}

/** A listpack of strings (bytes) and integers (bigint), each in the encoding Redis would pick. */
export function listpack(entries: (string | Uint8Array | bigint)[], declaredCount?: number): Uint8Array {
  const encoded = entries.map((entry) => {
    const body = typeof entry === "bigint"
      ? lpInt(entry)
      : lpString(typeof entry === "string" ? bytes(entry) : entry);
    return concat(body, backlen(body.length));
  });
  const size = 6 + encoded.reduce((sum, e) => sum + e.length, 0) + 1;
  const header = new Uint8Array(6);
  const view = new DataView(header.buffer);
  view.setUint32(0, size, true);
  view.setUint16(4, declaredCount ?? Math.min(entries.length, 0xffff), true);
  return concat(header, ...encoded, [0xff]);
}

function lpString(data: Uint8Array): Uint8Array {
  if (data.length < 64) return concat([0x80 | data.length], data);
  if (data.length < 4096) return concat([0xe0 | (data.length >> 8), data.length & 0xff], data);
  const head = new Uint8Array(5);
  head[0] = 0xf0;
  new DataView(head.buffer).setUint32(1, data.length, true);
  return concat(head, data);
}

function lpInt(value: bigint): Uint8Array {
  if (value >= 0n && value <= 127n) return Uint8Array.of(Number(value));
  if (value >= -4096n && value <= 4095n) {
    const v = Number(value < 0n ? value + 8192n : value);
    return Uint8Array.of(0xc0 | (v >> 8), v & 0xff);
  }
  const out = new Uint8Array(9);
  const view = new DataView(out.buffer);
  if (value >= -32768n && value <= 32767n) {
    out[0] = 0xf1;
    view.setInt16(1, Number(value), true);
    return out.subarray(0, 3);
  }
  if (value >= -(1n << 23n) && value < 1n << 23n) {
    const v = Number(value < 0n ? value + (1n << 24n) : value);
    return Uint8Array.of(0xf2, v & 0xff, (v >> 8) & 0xff, v >> 16);
  }
  if (value >= -(1n << 31n) && value < 1n << 31n) {
    out[0] = 0xf3;
    view.setInt32(1, Number(value), true);
    return out.subarray(0, 5);
  }
  out[0] = 0xf4;
  view.setBigInt64(1, value, true);
  return out;
}

/** Redis' backlen: width by its thresholds, 7 bits a byte, high part first, flag bit on all but the first. */
function backlen(size: number): Uint8Array {
  const width = size <= 127 ? 1 : size < 16383 ? 2 : size < 2097151 ? 3 : size < 268435455 ? 4 : 5;
  return Uint8Array.from({ length: width }, (_, i) => {
    const digit = Math.floor(size / 128 ** (width - 1 - i)) & 127;
    return i === 0 ? digit : digit | 128;
  });
}

/** An intset of `values` stored with `width` bytes each. */
export function intset(width: 2 | 4 | 8, values: bigint[]): Uint8Array {
  const out = new Uint8Array(8 + width * values.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, width, true);
  view.setUint32(4, values.length, true);
  values.forEach((value, i) => {
    const at = 8 + i * width;
    if (width === 2) view.setInt16(at, Number(value), true);
    else if (width === 4) view.setInt32(at, Number(value), true);
    else view.setBigInt64(at, value, true);
  });
  return out;
}

/** Deterministic PRNG (mulberry32): every failure reproduces from its seed. */
export function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function int(random: () => number, below: number): number {
  return Math.floor(random() * below);
}
