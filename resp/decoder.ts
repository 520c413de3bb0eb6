/**
 * Incremental RESP2/RESP3 decoder.
 *
 * Contract: `feed(chunk)` appends bytes; `next()` returns the next complete top-level value, or `undefined`
 * when more bytes are needed ("need more" is a normal answer, not an error). Values come out in wire order.
 *
 * - Aggregates are built on an explicit stack, so a reply split across many chunks is parsed once: bytes
 *   already turned into elements are dropped, only an unfinished line or small bulk is kept for the next
 *   chunk. Bulks larger than {@link BIG_BULK} that do not fit the current chunk are copied straight into
 *   their final buffer as chunks arrive, so a 100 MB bulk in 64 KB chunks costs one copy, in linear time.
 * - A bulk that is complete inside one fed chunk is returned as a view (`subarray`) of that chunk: zero
 *   copies. Callers that feed a large reused buffer should copy it first (the connection feeds fresh chunks).
 * - A {@link ProtocolError} is sticky: once thrown, every later `next()` and `feed()` throws it again.
 */
import { ErrorReply, ProtocolError } from "./errors.ts";
import {
  type DecoderLimits,
  DEFAULT_LIMITS,
  latin1,
  RespAttributed,
  RespDouble,
  RespMap,
  RespPush,
  RespSet,
  type RespValue,
  RespVerbatim,
} from "./types.ts";

// Wire type bytes, named once.
const SIMPLE = 0x2b; // +
const ERROR = 0x2d; // -
const INTEGER = 0x3a; // :
const BULK = 0x24; // $
const ARRAY = 0x2a; // *
const NULL = 0x5f; // _
const BOOLEAN = 0x23; // #
const DOUBLE = 0x2c; // ,
const BIG_NUMBER = 0x28; // (
const BULK_ERROR = 0x21; // !
const VERBATIM = 0x3d; // =
const MAP = 0x25; // %
const SET = 0x7e; // ~
const ATTRIBUTE = 0x7c; // |
const PUSH = 0x3e; // >
const STREAM_CHUNK = 0x3b; // ;
const STREAM_END = 0x2e; // .
const QUESTION = 0x3f; // ?
const CR = 13;
const LF = 10;

/** Bulks at least this large that straddle chunks are assembled in place instead of re-buffered. */
export const BIG_BULK = 16 * 1024;

const EMPTY = new Uint8Array(0);
/** Sentinel: more bytes are needed. */
const NEED: unique symbol = Symbol("need");
/** Sentinel: an aggregate header was read and pushed; keep parsing its elements. */
const OPENED: unique symbol = Symbol("opened");
/** Internal frame type for a streamed string (`$?` followed by `;len` chunks). */
const STREAMED_STRING = -1;

interface Frame {
  type: number; // ARRAY, MAP, SET, PUSH, ATTRIBUTE or STREAMED_STRING
  items: RespValue[];
  remaining: number; // elements still expected (maps: 2 per pair); ignored when streamed
  streamed: boolean;
  attributes: RespMap | null; // attribute waiting for the next element of this frame
}

interface BigBulk {
  type: number; // BULK, VERBATIM, BULK_ERROR or STREAM_CHUNK
  dest: Uint8Array;
  filled: number;
}

const utf8 = new TextDecoder();

export class RespDecoder {
  private buf: Uint8Array = EMPTY;
  private pos = 0;
  private stack: Frame[] = [];
  private big: BigBulk | null = null;
  private topAttributes: RespMap | null = null;
  private failure: ProtocolError | null = null;
  private readonly limits: DecoderLimits;

  constructor(limits: Partial<DecoderLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** Bytes fed but not yet consumed (an unfinished frame); 0 between complete replies. */
  get bufferedBytes(): number {
    return this.buf.length - this.pos + (this.big ? this.big.filled : 0);
  }

  /** True when a reply has started but not finished. */
  get midReply(): boolean {
    return this.stack.length > 0 || this.big !== null || this.pos < this.buf.length;
  }

  /** Append bytes. The chunk is not copied unless an unfinished frame is pending. */
  feed(chunk: Uint8Array): void {
    if (this.failure) throw this.failure;
    if (chunk.length === 0) return;
    if (this.pos >= this.buf.length) {
      this.buf = chunk;
    } else {
      const rest = this.buf.length - this.pos;
      const joined = new Uint8Array(rest + chunk.length);
      joined.set(this.buf.subarray(this.pos), 0);
      joined.set(chunk, rest);
      this.buf = joined;
    }
    this.pos = 0;
  }

  /** The next complete value, or undefined when more bytes are needed. Throws a sticky ProtocolError. */
  next(): RespValue | undefined {
    if (this.failure) throw this.failure;
    try {
      return this.parse();
    } catch (error) {
      if (error instanceof ProtocolError) {
        this.failure = error;
        this.buf = EMPTY;
        this.stack = [];
      }
      throw error;
    }
  }

  private parse(): RespValue | undefined {
    for (;;) {
      let value: RespValue | typeof NEED | typeof OPENED;
      if (this.big !== null) {
        value = this.continueBig();
      } else if (this.pos >= this.buf.length) {
        this.release();
        return undefined;
      } else {
        value = this.parseOne();
      }
      if (value === NEED) {
        this.release();
        return undefined;
      }
      if (value === OPENED) continue;
      const done = this.deliver(value);
      if (done !== NEED) return done;
    }
  }

  /** Drop the reference to a fully consumed chunk so it can be collected. */
  private release(): void {
    if (this.pos >= this.buf.length) {
      this.buf = EMPTY;
      this.pos = 0;
    }
  }

  /**
   * Hand a finished value to the innermost open aggregate. Returns the value when it completes a top-level
   * reply, or NEED when the enclosing aggregate still expects elements.
   */
  private deliver(value: RespValue): RespValue | typeof NEED {
    for (;;) {
      const top = this.stack[this.stack.length - 1];
      if (top === undefined) {
        if (this.topAttributes !== null) {
          value = new RespAttributed(this.topAttributes, value);
          this.topAttributes = null;
        }
        return value;
      }
      if (top.attributes !== null) {
        value = new RespAttributed(top.attributes, value);
        top.attributes = null;
      }
      top.items.push(value);
      if (top.streamed || --top.remaining > 0) return NEED;
      this.stack.pop();
      const built = build(top);
      if (built === null) {
        // A finished attribute: it decorates the next value at the level it appeared in.
        const parent = this.stack[this.stack.length - 1];
        const map = attributeMap(top.items);
        if (parent === undefined) this.topAttributes = map;
        else parent.attributes = map;
        return NEED;
      }
      value = built;
    }
  }

  /** Index of the CR ending the line that starts at `from`, or -1 when the line is not complete yet. */
  private lineEnd(from: number): number {
    const buf = this.buf;
    const cr = buf.indexOf(CR, from);
    if (cr === -1 || cr + 1 >= buf.length) {
      if (buf.length - from > this.limits.maxLineLength) {
        throw new ProtocolError(`Line longer than the limit of ${this.limits.maxLineLength} bytes`);
      }
      return -1;
    }
    if (buf[cr + 1] !== LF) throw new ProtocolError("CR not followed by LF");
    if (cr - from > this.limits.maxLineLength) {
      throw new ProtocolError(`Line longer than the limit of ${this.limits.maxLineLength} bytes`);
    }
    return cr;
  }

  /** Parse one element starting at `pos`: a scalar, NEED, or OPENED for an aggregate header. */
  private parseOne(): RespValue | typeof NEED | typeof OPENED {
    const buf = this.buf;
    const start = this.pos;
    const type = buf[start];
    const top = this.stack[this.stack.length - 1];
    if (top !== undefined && top.type === STREAMED_STRING && type !== STREAM_CHUNK) {
      throw new ProtocolError(`Expected a ';' chunk inside a streamed string, got ${describe(type)}`);
    }
    const end = this.lineEnd(start + 1);
    if (end === -1) return NEED;
    const next = end + 2;
    switch (type) {
      case BULK:
      case VERBATIM:
      case BULK_ERROR:
      case STREAM_CHUNK: {
        if (type === BULK && end === start + 2 && buf[start + 1] === QUESTION) {
          this.pos = next;
          return this.open(STREAMED_STRING, 0, true);
        }
        const length = parseInteger(buf, start + 1, end);
        if (typeof length !== "number" || length < -1 || (length === -1 && type !== BULK)) {
          throw new ProtocolError(
            `Invalid length ${latin1(buf.subarray(start + 1, end))} for ${describe(type)}`,
          );
        }
        if (length === -1) {
          this.pos = next;
          return null;
        }
        if (length > this.limits.maxBulkLength) {
          throw new ProtocolError(
            `Bulk of ${length} bytes exceeds the limit of ${this.limits.maxBulkLength}`,
          );
        }
        if (type === STREAM_CHUNK) {
          if (top === undefined || top.type !== STREAMED_STRING) {
            throw new ProtocolError("Streamed string chunk ';' outside a streamed string");
          }
          if (length === 0) {
            this.pos = next;
            this.stack.pop();
            return concatChunks(top.items as Uint8Array[], this.limits.maxBulkLength);
          }
        }
        if (next + length + 2 <= buf.length) {
          if (buf[next + length] !== CR || buf[next + length + 1] !== LF) {
            throw new ProtocolError("Bulk string not terminated by CRLF");
          }
          this.pos = next + length + 2;
          return this.finishBulk(type, buf.subarray(next, next + length));
        }
        if (length < BIG_BULK) return NEED; // keep the header; re-read when the whole bulk is here
        const dest = new Uint8Array(length);
        const have = Math.min(length, buf.length - next);
        dest.set(buf.subarray(next, next + have));
        this.big = { type, dest, filled: have };
        this.pos = next + have;
        return NEED;
      }
      case SIMPLE:
        this.pos = next;
        return text(buf, start + 1, end);
      case ERROR:
        this.pos = next;
        return new ErrorReply(utf8.decode(buf.subarray(start + 1, end)));
      case INTEGER: {
        const value = parseInteger(buf, start + 1, end);
        if (value === undefined) {
          throw new ProtocolError(`Invalid integer ${latin1(buf.subarray(start + 1, end))}`);
        }
        this.pos = next;
        return value;
      }
      case NULL:
        if (end !== start + 1) throw new ProtocolError("Null '_' followed by data");
        this.pos = next;
        return null;
      case BOOLEAN: {
        const flag = end === start + 2 ? buf[start + 1] : 0;
        if (flag !== 0x74 && flag !== 0x66) throw new ProtocolError("Boolean must be '#t' or '#f'");
        this.pos = next;
        return flag === 0x74;
      }
      case DOUBLE: {
        const raw = latin1(buf.subarray(start + 1, end));
        this.pos = next;
        return new RespDouble(parseDouble(raw), raw);
      }
      case BIG_NUMBER: {
        const raw = latin1(buf.subarray(start + 1, end));
        if (!/^[-+]?[0-9]+$/.test(raw)) throw new ProtocolError(`Invalid big number ${raw}`);
        this.pos = next;
        return BigInt(raw);
      }
      case ARRAY:
      case MAP:
      case SET:
      case PUSH:
      case ATTRIBUTE: {
        if (end === start + 2 && buf[start + 1] === QUESTION && type !== ATTRIBUTE && type !== PUSH) {
          this.pos = next;
          return this.open(type, 0, true);
        }
        const count = parseInteger(buf, start + 1, end);
        if (typeof count !== "number" || count < -1 || (count === -1 && type !== ARRAY)) {
          throw new ProtocolError(
            `Invalid length ${latin1(buf.subarray(start + 1, end))} for ${describe(type)}`,
          );
        }
        this.pos = next;
        if (count === -1) return null;
        if (count > this.limits.maxAggregateLength) {
          throw new ProtocolError(
            `Aggregate of ${count} elements exceeds the limit of ${this.limits.maxAggregateLength}`,
          );
        }
        if (count === 0) {
          if (this.stack.length >= this.limits.maxDepth) this.tooDeep();
          const frame: Frame = { type, items: [], remaining: 0, streamed: false, attributes: null };
          const built = build(frame);
          if (built !== null) return built;
          return OPENED; // an empty attribute decorates nothing: skip it
        }
        return this.open(type, type === MAP || type === ATTRIBUTE ? count * 2 : count, false);
      }
      case STREAM_END: {
        if (top === undefined || !top.streamed || top.type === STREAMED_STRING || end !== start + 1) {
          throw new ProtocolError("Stream end '.' outside a streamed aggregate");
        }
        this.pos = next;
        this.stack.pop();
        if (top.type === MAP && top.items.length % 2 !== 0) {
          throw new ProtocolError("Streamed map ended after a key without its value");
        }
        return build(top) as RespValue;
      }
      default:
        throw new ProtocolError(`Unexpected ${describe(type)} where a RESP type byte was expected`);
    }
  }

  private open(type: number, remaining: number, streamed: boolean): typeof OPENED {
    if (this.stack.length >= this.limits.maxDepth) this.tooDeep();
    this.stack.push({ type, items: [], remaining, streamed, attributes: null });
    return OPENED;
  }

  private tooDeep(): never {
    throw new ProtocolError(`Nesting deeper than the limit of ${this.limits.maxDepth}`);
  }

  /** Copy more bytes into the big bulk being assembled; its value once complete (and CRLF-terminated). */
  private continueBig(): RespValue | typeof NEED | typeof OPENED {
    const big = this.big!;
    const buf = this.buf;
    if (big.filled < big.dest.length) {
      const take = Math.min(big.dest.length - big.filled, buf.length - this.pos);
      big.dest.set(buf.subarray(this.pos, this.pos + take), big.filled);
      big.filled += take;
      this.pos += take;
      if (big.filled < big.dest.length) return NEED;
    }
    if (buf.length - this.pos < 2) return NEED;
    if (buf[this.pos] !== CR || buf[this.pos + 1] !== LF) {
      throw new ProtocolError("Bulk string not terminated by CRLF");
    }
    this.pos += 2;
    this.big = null;
    return this.finishBulk(big.type, big.dest);
  }

  private finishBulk(type: number, bytes: Uint8Array): RespValue | typeof OPENED {
    switch (type) {
      case BULK:
        return bytes;
      case BULK_ERROR:
        return new ErrorReply(utf8.decode(bytes));
      case VERBATIM:
        if (bytes.length < 4 || bytes[3] !== 0x3a) {
          throw new ProtocolError("Verbatim string without a 'fmt:' prefix");
        }
        return new RespVerbatim(latin1(bytes.subarray(0, 3)), bytes.subarray(4));
      default: {
        // A chunk of a streamed string: collect it, the string completes at ';0'.
        const top = this.stack[this.stack.length - 1];
        top.items.push(bytes);
        return OPENED;
      }
    }
  }
}

function build(frame: Frame): RespValue | null {
  switch (frame.type) {
    case ARRAY:
      return frame.items;
    case SET:
      return new RespSet(frame.items);
    case PUSH:
      return new RespPush(frame.items);
    case MAP:
      return attributeMap(frame.items);
    default:
      return null; // ATTRIBUTE
  }
}

function attributeMap(items: RespValue[]): RespMap {
  const entries: [RespValue, RespValue][] = new Array(items.length / 2);
  for (let i = 0; i < items.length; i += 2) entries[i / 2] = [items[i], items[i + 1]];
  return new RespMap(entries);
}

function concatChunks(chunks: Uint8Array[], limit: number): Uint8Array {
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  if (length > limit) {
    throw new ProtocolError(`Streamed string of ${length} bytes exceeds the limit of ${limit}`);
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

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
  if (end - i <= 15) {
    let n = 0;
    for (; i < end; i++) {
      const digit = buf[i] - 48;
      if (digit < 0 || digit > 9) return undefined;
      n = n * 10 + digit;
    }
    return negative ? -n : n;
  }
  for (let j = i; j < end; j++) {
    if (buf[j] < 48 || buf[j] > 57) return undefined;
  }
  const big = BigInt(latin1(buf.subarray(i, end)));
  const signed = negative ? -big : big;
  return signed >= -9007199254740991n && signed <= 9007199254740991n ? Number(signed) : signed;
}

function parseDouble(raw: string): number {
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

/** Simple-string text: ASCII fast path ("OK" above all), UTF-8 otherwise. */
function text(buf: Uint8Array, start: number, end: number): string {
  if (end - start === 2 && buf[start] === 0x4f && buf[start + 1] === 0x4b) return "OK";
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

function describe(byte: number | undefined): string {
  if (byte === undefined) return "end of input";
  const shown = byte >= 0x20 && byte < 0x7f ? ` '${String.fromCharCode(byte)}'` : "";
  return `byte 0x${byte.toString(16).padStart(2, "0")}${shown}`;
}
