/**
 * RESP wire bytes, each named once: the type bytes that start an element, the line terminator, and
 * `describe()` for naming an unexpected byte in a ProtocolError. The decoder switches on these numbers,
 * never on decoded strings.
 */

export const SIMPLE = 0x2b; // +
export const ERROR = 0x2d; // -
export const INTEGER = 0x3a; // :
export const BULK = 0x24; // $
export const ARRAY = 0x2a; // *
export const NULL = 0x5f; // _
export const BOOLEAN = 0x23; // #
export const DOUBLE = 0x2c; // ,
export const BIG_NUMBER = 0x28; // (
export const BULK_ERROR = 0x21; // !
export const VERBATIM = 0x3d; // =
export const MAP = 0x25; // %
export const SET = 0x7e; // ~
export const ATTRIBUTE = 0x7c; // |
export const PUSH = 0x3e; // >
export const STREAM_CHUNK = 0x3b; // ;
export const STREAM_END = 0x2e; // .
export const QUESTION = 0x3f; // ?
export const MINUS = 0x2d; // -
export const CR = 13;
export const LF = 10;

/** Every byte that may start an element: anything else fails at once, without waiting for a line end. */
export const TYPE_BYTES = new Uint8Array(256);
for (const type of [SIMPLE, ERROR, INTEGER, BULK, ARRAY, NULL, BOOLEAN, DOUBLE, BIG_NUMBER]) {
  TYPE_BYTES[type] = 1;
}
for (const type of [BULK_ERROR, VERBATIM, MAP, SET, ATTRIBUTE, PUSH, STREAM_CHUNK, STREAM_END]) {
  TYPE_BYTES[type] = 1;
}

/** A byte as it reads in an error message: `byte 0x2b '+'`, or `end of input` for undefined. */
export function describe(byte: number | undefined): string {
  if (byte === undefined) return "end of input";
  const shown = byte >= 0x20 && byte < 0x7f ? ` '${String.fromCharCode(byte)}'` : "";
  return `byte 0x${byte.toString(16).padStart(2, "0")}${shown}`;
}
