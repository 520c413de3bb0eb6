/**
 * Shared helpers of the RespDecoder tests: wire bytes from text, feeding a decoder whole, byte by byte or at
 * seeded random split points, the sticky-ProtocolError check, and a test-only RESP3 serializer of random
 * value trees. Pure: no permissions needed.
 */
import assert from "node:assert/strict";
import {
  BIG_BULK,
  type DecoderLimits,
  ErrorReply,
  ProtocolError,
  RespAttributed,
  RespDecoder,
  RespDouble,
  RespMap,
  RespPush,
  RespSet,
  type RespValue,
  RespVerbatim,
} from "./mod.ts";

export const NONE = { permissions: "none" } as const;
export const SEEDS = [1, 2, 3, 7, 42, 1234];
export const utf8 = new TextEncoder();
export const bytesOf = (text: string) => utf8.encode(text);

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

/** Wire bytes from text (UTF-8) and raw byte parts. */
export function wire(...parts: (string | Uint8Array)[]): Uint8Array {
  const encoded = parts.map((part) => typeof part === "string" ? utf8.encode(part) : part);
  const out = new Uint8Array(encoded.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of encoded) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * Split points: one chunk, every byte alone, seeded random cuts of up to 200 bytes (some empty chunks
 * included), seeded random cuts of up to `max` bytes, or two chunks cut after `cutAt` bytes.
 */
export type Split = "whole" | "bytes" | number | [seed: number, max: number] | { cutAt: number };
export const SPLITS: Split[] = ["whole", "bytes", ...SEEDS];

/** Two-chunk cuts of an input of `length` bytes: at every byte up to 2 KiB, else every 509th and the ends. */
export function everyCut(length: number): Split[] {
  const step = length <= 2048 ? 1 : 509;
  const cuts = new Set<number>();
  for (let at = 0; at <= length; at += step) cuts.add(at);
  for (let at = 0; at < 16; at++) cuts.add(Math.min(at, length)).add(Math.max(0, length - at));
  return [...cuts].sort((a, b) => a - b).map((cutAt) => ({ cutAt }));
}

export function chunks(bytes: Uint8Array, split: Split): Uint8Array[] {
  if (split === "whole") return [bytes];
  if (typeof split === "object" && !Array.isArray(split)) {
    return [bytes.slice(0, split.cutAt), bytes.slice(split.cutAt)];
  }
  if (split === "bytes") return Array.from(bytes, (byte) => Uint8Array.of(byte));
  const [seed, max] = typeof split === "number" ? [split, 200] : split;
  const random = prng(seed);
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const size = random() < 0.1 ? 0 : 1 + int(random, random() < 0.5 ? 8 : max);
    // Copy: a chunk is a fresh buffer, as a socket read would be.
    out.push(bytes.slice(at, at + size));
    at += size;
  }
  return out;
}

/**
 * Feed `bytes` in chunks, draining replies after each feed (or, with `feedFirst`, after feeding them all);
 * asserts nothing is left over.
 */
export function decodeAll(
  bytes: Uint8Array,
  split: Split,
  limits?: Partial<DecoderLimits>,
  feedFirst = false,
): RespValue[] {
  const decoder = new RespDecoder(limits);
  const values: RespValue[] = [];
  const drain = () => {
    for (let value = decoder.next(); value !== undefined; value = decoder.next()) values.push(value);
  };
  for (const chunk of chunks(bytes, split)) {
    decoder.feed(chunk);
    if (!feedFirst) drain();
  }
  drain();
  assert.equal(decoder.midReply, false, "decoder is not mid-reply at the end");
  assert.equal(decoder.bufferedBytes, 0, "no bytes are left buffered");
  return values;
}

/** Assert that decoding `bytes` (in any split) throws a ProtocolError, and that the error is sticky. */
export function assertProtocolError(
  bytes: Uint8Array,
  split: Split,
  limits?: Partial<DecoderLimits>,
): ProtocolError {
  const decoder = new RespDecoder(limits);
  let error: unknown;
  try {
    for (const chunk of chunks(bytes, split)) {
      decoder.feed(chunk);
      while (decoder.next() !== undefined);
    }
  } catch (caught) {
    error = caught;
  }
  assert.ok(error instanceof ProtocolError, `expected a ProtocolError, got ${error}`);
  assert.throws(() => decoder.next(), (again) => again === error);
  assert.throws(() => decoder.feed(utf8.encode("+OK\r\n")), (again) => again === error);
  return error;
}

/** A test-only RESP3 serializer. `random` picks among equivalent encodings (null forms, streamed forms). */
export function serialize(
  value: RespValue,
  random: () => number,
  out: (string | Uint8Array)[] = [],
): (string | Uint8Array)[] {
  const aggregate = (type: string, items: RespValue[], count: number, streamable: boolean) => {
    if (streamable && random() < 0.25) {
      out.push(`${type}?\r\n`);
      for (const item of items) serialize(item, random, out);
      out.push(".\r\n");
    } else {
      out.push(`${type}${count}\r\n`);
      for (const item of items) serialize(item, random, out);
    }
  };
  if (value === null) out.push(["_\r\n", "$-1\r\n", "*-1\r\n"][int(random, 3)]);
  else if (typeof value === "string") out.push(`+${value}\r\n`);
  else if (typeof value === "number") out.push(`:${value}\r\n`);
  else if (typeof value === "bigint") out.push(`(${value}\r\n`);
  else if (typeof value === "boolean") out.push(value ? "#t\r\n" : "#f\r\n");
  else if (value instanceof Uint8Array) {
    if (random() < 0.2) {
      out.push("$?\r\n");
      for (let at = 0; at < value.length;) {
        const size = 1 + int(random, value.length - at);
        out.push(`;${size}\r\n`, value.subarray(at, at + size), "\r\n");
        at += size;
      }
      out.push(";0\r\n");
    } else out.push(`$${value.length}\r\n`, value, "\r\n");
  } else if (value instanceof RespDouble) out.push(`,${value.text}\r\n`);
  else if (value instanceof ErrorReply) {
    const message = utf8.encode(value.message);
    if (random() < 0.5) out.push(`-${value.message}\r\n`);
    else out.push(`!${message.length}\r\n`, message, "\r\n");
  } else if (value instanceof RespVerbatim) {
    out.push(`=${value.data.length + 4}\r\n${value.format}:`, value.data, "\r\n");
  } else if (Array.isArray(value)) aggregate("*", value, value.length, true);
  else if (value instanceof RespSet) aggregate("~", value.items, value.items.length, true);
  else if (value instanceof RespPush) aggregate(">", value.items, value.items.length, false);
  else if (value instanceof RespMap) aggregate("%", value.entries.flat(), value.entries.length, true);
  else if (value instanceof RespAttributed) {
    aggregate("|", value.attributes.entries.flat(), value.attributes.entries.length, false);
    serialize(value.value, random, out);
  } else throw new TypeError(`Cannot serialize ${value}`);
  return out;
}

const WORDS = ["", "OK", "a", "héllo", "key:1", "✓ ok", "x".repeat(70)];
const DOUBLES = ["1.5", "-0.25", "3", "1e10", "2.5E-3", "inf", "-inf", "nan"];

function randomBytes(random: () => number, max: number): Uint8Array {
  return Uint8Array.from({ length: int(random, max) }, () => int(random, 256));
}

/** A random RespValue tree of at most `depth` nested aggregates, as the decoder would return it. */
export function randomValue(random: () => number, depth: number): RespValue {
  const kinds = depth > 0 ? 17 : 11;
  const items = () => Array.from({ length: int(random, 5) }, () => randomValue(random, depth - 1));
  switch (int(random, kinds)) {
    case 0:
      return WORDS[int(random, WORDS.length)];
    case 1:
      return int(random, 2 ** 31) * (random() < 0.5 ? -1 : 1) || 0;
    case 2:
      return BigInt(int(random, 2 ** 31)) * 2n ** 40n * (random() < 0.5 ? -1n : 1n);
    case 3:
      return random() < 0.5;
    case 4:
      return null;
    case 5:
    case 6:
      return randomBytes(random, random() < 0.05 ? BIG_BULK * 2 : 40);
    case 7: {
      const text = DOUBLES[int(random, DOUBLES.length)];
      return new RespDouble(
        text === "nan" ? NaN : text === "inf" ? Infinity : text === "-inf" ? -Infinity : Number(text),
        text,
      );
    }
    case 8:
      return new ErrorReply(
        ["ERR bad thing", "WRONGTYPE no", "MOVED 3999 127.0.0.1:6381", "LOADING"][int(random, 4)],
      );
    case 9:
      return new RespVerbatim(random() < 0.5 ? "txt" : "mkd", randomBytes(random, 20));
    case 10:
      return int(random, 1000);
    case 11:
    case 12:
      return items();
    case 13:
      return new RespMap(
        Array.from(
          { length: int(random, 4) },
          () => [randomValue(random, depth - 1), randomValue(random, depth - 1)],
        ),
      );
    case 14:
      return new RespSet(items());
    case 15:
      return new RespPush(items());
    default: {
      const attributes = new RespMap([[WORDS[int(random, WORDS.length)], randomValue(random, depth - 1)]]);
      return new RespAttributed(attributes, randomValue(random, depth - 1));
    }
  }
}
