/**
 * The values the decoder produces. Plain JavaScript values where they are unambiguous (they are the hot
 * path), small classes where RESP3 says more than JavaScript can:
 *
 * | wire                 | value                                           |
 * |----------------------|-------------------------------------------------|
 * | `+` simple string    | `string`                                        |
 * | `$` bulk string      | `Uint8Array` (bytes, never decoded)             |
 * | `:` integer          | `number`, or `bigint` outside ±(2^53-1)         |
 * | `,` double           | {@link RespDouble}                              |
 * | `(` big number       | `bigint`                                        |
 * | `#` boolean          | `boolean`                                       |
 * | `_`, `$-1`, `*-1`    | `null`                                          |
 * | `-` / `!` error      | {@link ErrorReply} (a value, see errors.ts)     |
 * | `=` verbatim         | {@link RespVerbatim}                            |
 * | `*` array            | `RespValue[]`                                   |
 * | `%` map              | {@link RespMap}                                 |
 * | `~` set              | {@link RespSet}                                 |
 * | `>` push             | {@link RespPush}                                |
 * | `\|` attribute       | {@link RespAttributed} wrapping the next value  |
 */
import type { ErrorReply } from "./errors.ts";

export type RespValue =
  | string
  | Uint8Array
  | number
  | bigint
  | boolean
  | null
  | RespDouble
  | ErrorReply
  | RespVerbatim
  | RespValue[]
  | RespMap
  | RespSet
  | RespPush
  | RespAttributed;

/** A RESP3 double. `value` may be `Infinity`, `-Infinity` or `NaN`; `text` is what the server sent. */
export class RespDouble {
  constructor(readonly value: number, readonly text: string) {}
}

/** A RESP3 verbatim string: a three-letter format (`txt`, `mkd`) and its bytes. */
export class RespVerbatim {
  constructor(readonly format: string, readonly data: Uint8Array) {}
}

/** A RESP3 map, in wire order. Keys may be any value; `get` looks up by text key. */
export class RespMap {
  constructor(readonly entries: [RespValue, RespValue][]) {}

  /** The value whose key is the string (simple or bulk) `name`, or undefined. */
  get(name: string): RespValue | undefined {
    for (const [key, value] of this.entries) {
      if (key === name) return value;
      if (key instanceof Uint8Array && key.length === name.length && latin1(key) === name) return value;
    }
    return undefined;
  }
}

/** A RESP3 set, in wire order (duplicates are kept as sent). */
export class RespSet {
  constructor(readonly items: RespValue[]) {}
}

/** A RESP3 out-of-band push (`>`): pub/sub messages, invalidations, subscribe confirmations. */
export class RespPush {
  constructor(readonly items: RespValue[]) {}
}

/** A reply preceded by a RESP3 attribute map (`|`). */
export class RespAttributed {
  constructor(readonly attributes: RespMap, readonly value: RespValue) {}
}

/** Limits that bound what a peer can make the decoder allocate or wait for. */
export interface DecoderLimits {
  /** Largest bulk, verbatim or streamed string in bytes. Default 512 MiB (Redis' proto-max-bulk-len). */
  maxBulkLength: number;
  /** Largest element count of one array, set, map (pairs), push or attribute. Default 2^32 - 1. */
  maxAggregateLength: number;
  /** Deepest nesting of aggregates. Default 128. */
  maxDepth: number;
  /** Longest line (simple string, error, number, header) in bytes. Default 1 MiB. */
  maxLineLength: number;
}

export const DEFAULT_LIMITS: Readonly<DecoderLimits> = Object.freeze({
  maxBulkLength: 512 * 1024 * 1024,
  maxAggregateLength: 2 ** 32 - 1,
  maxDepth: 128,
  maxLineLength: 1024 * 1024,
});

/** Bytes as text, one char per byte (for printing and for comparing ASCII names). */
export function latin1(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    out += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192) as unknown as number[]);
  }
  return out;
}

const utf8Decoder = new TextDecoder();

/** Decode a reply to text for printing: bulk bytes as UTF-8 (lossy), other scalars as themselves. */
export function toText(value: RespValue): string {
  if (value instanceof Uint8Array) return utf8Decoder.decode(value);
  if (value instanceof RespVerbatim) return utf8Decoder.decode(value.data);
  if (value instanceof RespDouble) return value.text;
  return String(value);
}
