/**
 * Bytes <-> text for formats that hold text (JSON, XML), so that any bytes survive a round trip and text
 * stays readable as text. Pure: no I/O.
 *
 * The scheme is "surrogate escape" (Python's PEP 383): bytes are decoded as UTF-8; every byte that is not
 * part of a valid UTF-8 sequence becomes the lone surrogate U+DC00 + byte (U+DC80..U+DCFF). Valid UTF-8
 * never decodes to a lone surrogate, so the mapping is one to one: `bytesOf(textOf(b))` equals `b` for
 * every `b`. In JSON, JSON.stringify writes a lone surrogate as the escape `\udcXX`, so the file stays
 * valid, ASCII-safe JSON: `"caf\u00e9"` is text, `"\u0000\udcff"` is the two bytes 00 FF.
 *
 * `bytesOf` refuses text that no bytes map to (a lone surrogate outside U+DC80..U+DCFF) with a RangeError.
 */

const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/** The text for `bytes`: UTF-8 where valid, U+DC00 + byte for each byte that is not. */
export function textOf(bytes: Uint8Array): string {
  if (isAscii(bytes)) return latin1(bytes);
  try {
    return strict.decode(bytes);
  } catch {
    return escapeDecode(bytes);
  }
}

/** The bytes `text` stands for (the inverse of textOf). */
export function bytesOf(text: string): Uint8Array {
  if (text.isWellFormed()) return encoder.encode(text);
  const out: number[] = [];
  let run = "";
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        run += text[i] + text[i + 1];
        i++;
        continue;
      }
    }
    if (unit >= 0xd800 && unit <= 0xdfff) {
      if (unit < 0xdc80 || unit > 0xdcff) {
        throw new RangeError(
          `text holds the lone surrogate \\u${
            unit.toString(16)
          }, which stands for no byte (escaped bytes are \\udc80 to \\udcff)`,
        );
      }
      for (const byte of encoder.encode(run)) out.push(byte);
      run = "";
      out.push(unit - 0xdc00);
      continue;
    }
    run += text[i];
  }
  for (const byte of encoder.encode(run)) out.push(byte);
  return Uint8Array.from(out);
}

/** True when `text` came from bytes that are valid UTF-8 (it holds no escaped byte). */
export function isPlainText(text: string): boolean {
  return text.isWellFormed();
}

function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] >= 0x80) return false;
  return true;
}

function latin1(bytes: Uint8Array): string {
  let out = "";
  for (let at = 0; at < bytes.length; at += 8192) {
    out += String.fromCharCode(...bytes.subarray(at, at + 8192));
  }
  return out;
}

/** Length of the valid UTF-8 sequence starting at `i`, or 0 when the byte there starts none. */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i];
  if (b0 < 0x80) return 1;
  let length: number;
  let low = 0x80;
  let high = 0xbf;
  if (b0 >= 0xc2 && b0 <= 0xdf) length = 2;
  else if (b0 >= 0xe0 && b0 <= 0xef) {
    length = 3;
    if (b0 === 0xe0) low = 0xa0; // no overlong forms
    if (b0 === 0xed) high = 0x9f; // no encoded surrogates
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    length = 4;
    if (b0 === 0xf0) low = 0x90;
    if (b0 === 0xf4) high = 0x8f; // nothing above U+10FFFF
  } else return 0;
  if (i + length > bytes.length) return 0;
  const b1 = bytes[i + 1];
  if (b1 < low || b1 > high) return 0;
  for (let k = 2; k < length; k++) {
    const b = bytes[i + k];
    if (b < 0x80 || b > 0xbf) return 0;
  }
  return length;
}

function escapeDecode(bytes: Uint8Array): string {
  let out = "";
  let start = 0;
  let i = 0;
  while (i < bytes.length) {
    const length = sequenceLength(bytes, i);
    if (length > 0) {
      i += length;
      continue;
    }
    if (i > start) out += strict.decode(bytes.subarray(start, i));
    out += String.fromCharCode(0xdc00 + bytes[i]);
    i++;
    start = i;
  }
  if (i > start) out += strict.decode(bytes.subarray(start, i));
  return out;
}
