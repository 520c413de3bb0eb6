/**
 * Scalar parsing for the decoder: integers (`:` and lengths), doubles (`,`) and simple-string text (`+`),
 * each from bytes already known to form one complete line.
 */
import { ProtocolError } from "./errors.ts";
import { latin1 } from "./types.ts";

/** The most digits parsed inline: any 15-digit number is exact as a double. */
export const MAX_FAST_DIGITS = 15;

const utf8 = new TextDecoder();

/**
 * A signed decimal integer in buf[start, end): a number when it is a safe integer, a bigint beyond that,
 * undefined when the text is not an integer.
 */
export function parseInteger(buf: Uint8Array, start: number, end: number): number | bigint | undefined {
  let i = start;
  let negative = false;
  if (buf[i] === 0x2d) {
    negative = true;
    i++;
  } else if (buf[i] === 0x2b) {
    i++;
  }
  if (i >= end) return undefined;
  if (end - i <= MAX_FAST_DIGITS) {
    let n = 0;
    for (; i < end; i++) {
      const digit = buf[i] - 48;
      if (digit < 0 || digit > 9) return undefined;
      n = n * 10 + digit;
    }
    return negative ? 0 - n : n; // 0 - 0 is +0: ":-0" is 0
  }
  for (let j = i; j < end; j++) {
    if (buf[j] < 48 || buf[j] > 57) return undefined;
  }
  const big = BigInt(latin1(buf.subarray(i, end)));
  const signed = negative ? -big : big;
  return signed >= -9007199254740991n && signed <= 9007199254740991n ? Number(signed) : signed;
}

/** The value of a RESP3 double's text (`inf`, `-inf` and `nan` included); throws a ProtocolError otherwise. */
export function parseDouble(raw: string): number {
  switch (raw) {
    case "inf":
    case "+inf":
      return Infinity;
    case "-inf":
      return -Infinity;
    case "nan":
    case "-nan":
      return NaN;
  }
  const value = Number(raw);
  if (raw === "" || Number.isNaN(value) || /[^0-9eE.+-]/.test(raw)) {
    throw new ProtocolError(`Invalid double ${raw}`);
  }
  return value;
}

/** The last short simple string decoded: replies repeat ("OK", "PONG", "QUEUED"), strings are immutable. */
let lastText = "OK";

/** Simple-string text: ASCII fast path ("OK" above all), UTF-8 otherwise. */
export function text(buf: Uint8Array, start: number, end: number): string {
  if (end - start === 2 && buf[start] === 0x4f && buf[start + 1] === 0x4b) return "OK";
  if (end - start <= 16) {
    // Short ASCII: compare with the last one, else build it char by char (cheaper than apply + subarray).
    const n = end - start;
    if (n === lastText.length) {
      let i = 0;
      while (i < n && buf[start + i] === lastText.charCodeAt(i)) i++;
      if (i === n) return lastText;
    }
    let out = "";
    for (let i = start; i < end; i++) {
      const byte = buf[i];
      if (byte >= 0x80) return utf8.decode(buf.subarray(start, end));
      out += String.fromCharCode(byte);
    }
    return lastText = out;
  }
  if (end - start <= 64) {
    let ascii = true;
    for (let i = start; i < end; i++) {
      if (buf[i] >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) return String.fromCharCode.apply(null, buf.subarray(start, end) as unknown as number[]);
  }
  return utf8.decode(buf.subarray(start, end));
}
