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
  if (n < 10) return 1;
  if (n < 100) return 2;
  if (n < 1000) return 3;
  if (n < 10000) return 4;
  let digits = 5;
  for (n = Math.floor(n / 100000); n > 0; n = Math.floor(n / 10)) digits++;
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
  // Lengths and counts are mostly below 1000: digits without a loop or a division by float.
  if (n < 10) {
    out[at] = 48 + n;
    return at + 1;
  }
  if (n < 100) {
    out[at] = 48 + ((n / 10) | 0);
    out[at + 1] = 48 + (n % 10);
    return at + 2;
  }
  if (n < 1000) {
    out[at] = 48 + ((n / 100) | 0);
    out[at + 1] = 48 + (((n / 10) | 0) % 10);
    out[at + 2] = 48 + (n % 10);
    return at + 3;
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

/**
 * Per argument of the batch being encoded: its byte length, measured once (a string's UTF-8 length, a
 * number's decimal text) and reused by the fill pass. Grown as needed, never shrunk.
 */
let lengths = new Int32Array(4096);
/** Decimal texts of the number arguments of the batch being encoded, in argument order. */
let numberTexts: string[] = [];

/** Bytes the batch takes; leaves each argument's length in `lengths` (and number texts) for `fill`. */
function measure(commands: readonly Command[]): number {
  let args = 0;
  for (let c = 0; c < commands.length; c++) args += commands[c].length;
  if (lengths.length < args) lengths = new Int32Array(Math.max(args, 2 * lengths.length));
  numberTexts = [];
  let size = 0;
  let k = 0;
  for (let c = 0; c < commands.length; c++) {
    const command = commands[c];
    size += 3 + decimalLength(command.length);
    for (let a = 0; a < command.length; a++, k++) {
      const arg = command[a];
      let length: number;
      if (arg instanceof Uint8Array) length = arg.length;
      else if (typeof arg === "string") length = utf8Length(arg);
      else {
        const text = argText(arg);
        numberTexts.push(text);
        length = text.length;
      }
      lengths[k] = length;
      size += 5 + decimalLength(length) + length;
    }
  }
  return size;
}

/** Write the batch just measured into `out` from `at`; returns the offset after it. */
function fill(commands: readonly Command[], out: Uint8Array, at: number): number {
  let number = 0;
  let k = 0;
  for (let c = 0; c < commands.length; c++) {
    const command = commands[c];
    at = writeHeader(out, at, 0x2a, command.length);
    for (let a = 0; a < command.length; a++, k++) {
      const arg = command[a];
      const length = lengths[k];
      at = writeHeader(out, at, 0x24, length);
      if (arg instanceof Uint8Array) {
        // A short copy by hand beats TypedArray.set's call overhead (keys are mostly short).
        if (length < 48) { for (let i = 0; i < length; i++) out[at + i] = arg[i]; }
        else out.set(arg, at);
      } else {
        const text = typeof arg === "string" ? arg : numberTexts[number++];
        if (length === text.length) {
          for (let i = 0; i < length; i++) out[at + i] = text.charCodeAt(i);
        } else {
          encoder.encodeInto(text, out.subarray(at, at + length));
        }
      }
      at += length;
      out[at++] = 13;
      out[at++] = 10;
    }
  }
  return at;
}

/** Encode a batch of commands into one buffer, measured first and then filled. */
export function encodeCommands(commands: readonly Command[]): Uint8Array {
  const out = new Uint8Array(measure(commands));
  fill(commands, out, 0);
  return out;
}

/**
 * Slabs shared by `encodeCommandsShared`: a million small encodings as views of 256 KiB buffers cost V8's
 * collector one small object each instead of one ArrayBuffer each. A slab is freed once no view of it is
 * alive.
 */
const SLAB_BYTES = 256 * 1024;
let slab = new Uint8Array(SLAB_BYTES);
let slabUsed = 0;

/** Most bytes a number's decimal text takes ("-2.2250738585072014e-308"). */
const NUMBER_TEXT_MAX = 25;

/**
 * `encodeCommands`, as a view into a shared slab (an encoding that may take more than a quarter of a slab
 * gets its own buffer). For the many small encodings kept for a while (import records waiting for a
 * writer); the view must not be written to. One pass over the text: room is bounded first (3 bytes per
 * UTF-16 unit), then each string is copied as ASCII and measured only when it is not.
 */
export function encodeCommandsShared(commands: readonly Command[]): Uint8Array {
  let bound = 0;
  for (let c = 0; c < commands.length; c++) {
    const command = commands[c];
    bound += 3 + decimalLength(command.length);
    for (let a = 0; a < command.length; a++) {
      const arg = command[a];
      const most = arg instanceof Uint8Array
        ? arg.length
        : typeof arg === "string"
        ? 3 * arg.length
        : typeof arg === "number"
        ? NUMBER_TEXT_MAX
        : String(arg).length;
      bound += 5 + decimalLength(most) + most;
    }
  }
  if (bound > SLAB_BYTES / 4) return encodeCommands(commands);
  if (slabUsed + bound > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    slabUsed = 0;
  }
  const out = slab;
  const start = slabUsed;
  let at = start;
  for (let c = 0; c < commands.length; c++) {
    const command = commands[c];
    at = writeHeader(out, at, 0x2a, command.length);
    for (let a = 0; a < command.length; a++) {
      const arg = command[a];
      if (arg instanceof Uint8Array) {
        const length = arg.length;
        at = writeHeader(out, at, 0x24, length);
        if (length < 48) { for (let i = 0; i < length; i++) out[at + i] = arg[i]; }
        else out.set(arg, at);
        at += length;
      } else at = writeText(out, at, typeof arg === "string" ? arg : argText(arg));
      out[at++] = 13;
      out[at++] = 10;
    }
  }
  slabUsed = at; // only now: a command that threw (NaN) leaves the slab as it was
  return out.subarray(start, at);
}

/** `$len\r\n` and the text's UTF-8 at `at` (room checked by the caller); returns the offset after it. */
function writeText(out: Uint8Array, at: number, text: string): number {
  const head = at;
  const units = text.length;
  at = writeHeader(out, at, 0x24, units);
  for (let i = 0; i < units; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) {
      // Not ASCII after all: the header again with the UTF-8 length, then the text by the TextEncoder.
      const length = utf8Length(text);
      at = writeHeader(out, head, 0x24, length);
      encoder.encodeInto(text, out.subarray(at, at + length));
      return at + length;
    }
    out[at + i] = code;
  }
  return at + units;
}

/**
 * The commands of an `encodeCommands` output again, each argument a view of `bytes` (for a connection that
 * needs the arguments, such as a cluster routing by key). Only reads what this encoder writes.
 */
export function splitEncodedCommands(bytes: Uint8Array): Uint8Array[][] {
  const commands: Uint8Array[][] = [];
  let at = 0;
  const number = (): number => {
    let n = 0;
    at++; // '*' or '$'
    while (bytes[at] !== 13) n = n * 10 + bytes[at++] - 48;
    at += 2;
    return n;
  };
  while (at < bytes.length) {
    const args: Uint8Array[] = new Array(number());
    for (let a = 0; a < args.length; a++) {
      const length = number();
      args[a] = bytes.subarray(at, at + length);
      at += length + 2;
    }
    commands.push(args);
  }
  return commands;
}

/** Encode one command. */
export function encodeCommand(command: Command): Uint8Array {
  return encodeCommands([command]);
}

/**
 * For each key, one command per template: the template's words, then the key (`DUMP key`, `PTTL key`,
 * `MEMORY USAGE key`). Equal to `encodeCommands` of the same commands, without building them: the
 * templates' bytes are made once per call. Template words must be ASCII.
 */
export function encodeKeyCommands(
  templates: readonly (readonly string[])[],
  keys: readonly Uint8Array[],
): Uint8Array {
  // Every template's head (`*2\r\n$4\r\nDUMP\r\n`) in one buffer; head t ends at headEnds[t].
  let headText = "";
  const headEnds: number[] = [];
  for (const words of templates) {
    headText += `*${words.length + 1}\r\n`;
    for (const word of words) headText += `$${word.length}\r\n${word}\r\n`;
    headEnds.push(headText.length);
  }
  const heads = new Uint8Array(headText.length);
  for (let i = 0; i < headText.length; i++) heads[i] = headText.charCodeAt(i);
  const count = headEnds.length;
  let size = 0;
  for (let k = 0; k < keys.length; k++) {
    const length = keys[k].length;
    size += heads.length + count * (5 + decimalLength(length) + length);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k];
    const length = key.length;
    let h = 0;
    for (let t = 0; t < count; t++) {
      for (const end = headEnds[t]; h < end; h++) out[at++] = heads[h];
      at = writeHeader(out, at, 0x24, length);
      if (length < 48) { for (let i = 0; i < length; i++) out[at + i] = key[i]; }
      else out.set(key, at);
      at += length;
      out[at++] = 13;
      out[at++] = 10;
    }
  }
  return out;
}
