/**
 * RESP command encoder: commands are arrays of bulk strings (`*N\r\n$len\r\narg\r\n...`).
 *
 * Contract: `encodeCommands` measures every argument first, allocates exactly one `Uint8Array` for the
 * whole batch, then fills it. `Uint8Array` arguments are copied byte for byte (binary-safe, never decoded);
 * strings are written as UTF-8; numbers and bigints as their decimal text (numbers must be finite).
 */

export type CommandArg = string | Uint8Array | number | bigint;
export type Command = readonly CommandArg[];

const encoder = new TextEncoder();

/** Byte length of `text` in UTF-8 (lone surrogates count as U+FFFD, as TextEncoder writes them). */
function utf8Length(text: string): number {
  let length = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) length += 1;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        length += 2; // 4 bytes for 2 UTF-16 units
        i++;
      } else length += 2;
    } else length += 2;
  }
  return length;
}

function decimalLength(n: number): number {
  let digits = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    digits++;
  }
  return digits;
}

function argText(arg: number | bigint): string {
  if (typeof arg === "number" && !Number.isFinite(arg)) {
    throw new TypeError(`Cannot send ${arg} as a command argument`);
  }
  return String(arg);
}

/** Bytes one command takes on the wire. */
export function encodedLength(command: Command): number {
  let size = 1 + decimalLength(command.length) + 2;
  for (const arg of command) {
    let length: number;
    if (arg instanceof Uint8Array) length = arg.length;
    else if (typeof arg === "string") length = utf8Length(arg);
    else length = argText(arg).length;
    size += 1 + decimalLength(length) + 2 + length + 2;
  }
  return size;
}

/** Write `n` (non-negative integer) as decimal at `at`; returns the new offset. */
function writeDecimal(out: Uint8Array, at: number, n: number): number {
  if (n < 10) {
    out[at] = 48 + n;
    return at + 1;
  }
  const digits = decimalLength(n);
  const end = at + digits;
  for (let i = end - 1; i >= at; i--) {
    out[i] = 48 + (n % 10);
    n = Math.floor(n / 10);
  }
  return end;
}

function writeHeader(out: Uint8Array, at: number, type: number, n: number): number {
  out[at++] = type;
  at = writeDecimal(out, at, n);
  out[at++] = 13;
  out[at++] = 10;
  return at;
}

function writeCommand(out: Uint8Array, at: number, command: Command): number {
  at = writeHeader(out, at, 0x2a, command.length);
  for (const arg of command) {
    if (arg instanceof Uint8Array) {
      at = writeHeader(out, at, 0x24, arg.length);
      out.set(arg, at);
      at += arg.length;
    } else {
      const text = typeof arg === "string" ? arg : argText(arg);
      const length = typeof arg === "string" ? utf8Length(arg) : text.length;
      at = writeHeader(out, at, 0x24, length);
      if (length === text.length) {
        for (let i = 0; i < text.length; i++) out[at + i] = text.charCodeAt(i);
      } else {
        encoder.encodeInto(text, out.subarray(at, at + length));
      }
      at += length;
    }
    out[at++] = 13;
    out[at++] = 10;
  }
  return at;
}

/** Encode a batch of commands into one buffer, measured first and then filled. */
export function encodeCommands(commands: readonly Command[]): Uint8Array {
  let size = 0;
  for (const command of commands) size += encodedLength(command);
  const out = new Uint8Array(size);
  let at = 0;
  for (const command of commands) at = writeCommand(out, at, command);
  return out;
}

/** Encode one command. */
export function encodeCommand(command: Command): Uint8Array {
  return encodeCommands([command]);
}
