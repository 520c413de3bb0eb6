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
 * - An element cut by a chunk boundary is completed in a small "bridge" buffer (its start plus just the
 *   bytes of the next chunk it needs), so a stream of chunks is not re-copied chunk by chunk. An element
 *   that stays incomplete over many small chunks is appended in place to a buffer that grows geometrically,
 *   and the search for its line end resumes where it stopped: linear time, however the bytes are cut.
 * - A bulk that is complete inside one fed chunk is returned as a view of that chunk: zero copies. Callers
 *   that feed a large reused buffer should copy it first (the connection feeds fresh chunks).
 * - A {@link ProtocolError} is sticky: once thrown, every later `next()` and `feed()` throws it again.
 *
 * Hot path: integers, bulks, simple strings and array headers take small fast paths when they are complete,
 * well formed and within the limits; anything else (other types, partial input, limits, errors) goes
 * through `parseOne()`, the general and authoritative path. Bulk values are views made with
 * `new Uint8Array(buffer, offset, length)`, which V8 makes in a third of the time of `subarray`.
 *
 * Beside it: the wire bytes (`wire.ts`), scalar parsing (`scalars.ts`), whole-element values (`line_values.ts`), aggregate frames (`frames.ts`) and
 * chunk bridging (`bridge.ts`).
 */
import { BIG_BULK, BigBulk, BRIDGE_MIN, bridgeLength } from "./bridge.ts";
import { ProtocolError } from "./errors.ts";
import { build, concatChunks, decorate, type Frame, frame, pairsToMap, STREAMED_STRING } from "./frames.ts";
import { bulkValue, lineValue } from "./line_values.ts";
import { MAX_FAST_DIGITS, parseInteger, text } from "./scalars.ts";
import { type DecoderLimits, DEFAULT_LIMITS, latin1, type RespMap, type RespValue } from "./types.ts";
import { describe, TYPE_BYTES } from "./wire.ts";
import * as wire from "./wire.ts";

// Local copies of the wire bytes: V8 reads an imported binding through its module cell, with a TDZ
// check, on every use, but folds a local constant (the fast paths are measurably slower without these).
const ARRAY = wire.ARRAY;
const ATTRIBUTE = wire.ATTRIBUTE;
const BIG_NUMBER = wire.BIG_NUMBER;
const BOOLEAN = wire.BOOLEAN;
const BULK = wire.BULK;
const BULK_ERROR = wire.BULK_ERROR;
const CR = wire.CR;
const DOUBLE = wire.DOUBLE;
const ERROR = wire.ERROR;
const INTEGER = wire.INTEGER;
const LF = wire.LF;
const MAP = wire.MAP;
const MINUS = wire.MINUS;
const NULL = wire.NULL;
const PUSH = wire.PUSH;
const QUESTION = wire.QUESTION;
const SET = wire.SET;
const SIMPLE = wire.SIMPLE;
const STREAM_CHUNK = wire.STREAM_CHUNK;
const STREAM_END = wire.STREAM_END;
const VERBATIM = wire.VERBATIM;

/** The longest simple string the fast path looks for the end of. */
const FAST_LINE = 4096;

const EMPTY = new Uint8Array(0);
/** Sentinel: a fast path declined; the general path decides. */
const SLOW: unique symbol = Symbol("slow");
/** Sentinel: progress was made (an aggregate opened, a chunk stored) but there is no value to deliver. */
const SKIP: unique symbol = Symbol("skip");

export class RespDecoder {
  private buf: Uint8Array = EMPTY;
  private pos = 0;
  /** `buf.buffer` and `buf.byteOffset`, read once per chunk rather than once per bulk. */
  private bytes: ArrayBufferLike = EMPTY.buffer;
  private base = 0;
  /** Our own buffer that `buf` ends inside of, with room to append in place (see `append`). */
  private room: Uint8Array | null = null;
  /** While `searchedAt === pos`: the line at `pos` has no CR in its first `searched` bytes. */
  private searchedAt = -1;
  private searched = 0;
  /** Chunks (or a chunk's rest) waiting behind `buf`, in order (see `feed`). */
  private queued: Uint8Array[] = [];
  private stack: Frame[] = [];
  private big: BigBulk | null = null;
  private topAttributes: RespMap[] | null = null;
  private failure: ProtocolError | null = null;
  /** No reply under way (no open aggregate, big bulk or pending attribute) and no failure. */
  private idle = true;
  private readonly maxBulkLength: number;
  private readonly maxAggregateLength: number;
  private readonly maxDepth: number;
  private readonly maxLineLength: number;
  /** Digits the fast paths read: at most 15 (exact as a double), and a sign plus them fit in a line. */
  private readonly fastDigits: number;

  constructor(limits: Partial<DecoderLimits> = {}) {
    const all = { ...DEFAULT_LIMITS, ...limits };
    this.maxBulkLength = all.maxBulkLength;
    this.maxAggregateLength = all.maxAggregateLength;
    this.maxDepth = all.maxDepth;
    this.maxLineLength = all.maxLineLength;
    this.fastDigits = Math.max(0, Math.min(MAX_FAST_DIGITS, all.maxLineLength - 1));
  }

  /** Bytes fed but not yet consumed (an unfinished frame); 0 between complete replies. */
  get bufferedBytes(): number {
    let queued = 0;
    for (const chunk of this.queued) queued += chunk.length;
    return this.buf.length - this.pos + queued + (this.big ? this.big.filled : 0);
  }

  /** True when a reply has started but not finished. */
  get midReply(): boolean {
    return this.stack.length > 0 || this.big !== null || this.topAttributes !== null ||
      this.pos < this.buf.length || this.queued.length > 0;
  }

  /**
   * Append bytes. The chunk is not copied unless an unfinished element is pending; then only that element's
   * bytes are joined into a bridge (when they can be told from its header) and the chunk's rest is queued.
   */
  feed(chunk: Uint8Array): void {
    if (this.failure) throw this.failure;
    if (chunk.length === 0) return;
    if (this.queued.length > 0) this.queued.push(chunk);
    else this.append(chunk);
  }

  /**
   * Put `chunk` behind the unconsumed bytes: as is, or joined to them in a buffer of our own (a bridge with
   * the chunk's rest queued first). While an element stays incomplete the buffer grows geometrically and
   * new bytes are appended in place, so an element arriving in many tiny chunks costs linear time.
   */
  private append(chunk: Uint8Array): void {
    const rest = this.buf.length - this.pos;
    if (rest === 0) {
      this.use(chunk);
      return;
    }
    const pending = this.buf.subarray(this.pos);
    const take = rest + chunk.length > BRIDGE_MIN ? bridgeLength(pending, chunk) : chunk.length;
    const part = take === chunk.length ? chunk : chunk.subarray(0, take);
    const searched = this.searchedAt === this.pos ? this.searched : -1; // the memo moves with the bytes
    const room = this.room;
    const end = pending.byteOffset + rest;
    if (room !== null && pending.buffer === room.buffer && end + take <= room.byteOffset + room.length) {
      room.set(part, end - room.byteOffset);
      this.use(new Uint8Array(room.buffer, pending.byteOffset, rest + take));
      this.room = room;
    } else {
      // The element may still be incomplete when the whole chunk is taken: leave room to grow.
      const grown = new Uint8Array(take === chunk.length ? 2 * (rest + take) : rest + take);
      grown.set(pending, 0);
      grown.set(part, rest);
      this.use(grown.subarray(0, rest + take));
      this.room = grown;
    }
    if (searched >= 0) {
      this.searchedAt = 0;
      this.searched = searched;
    }
    if (take < chunk.length) this.queued.unshift(chunk.subarray(take));
  }

  /** The next complete value, or undefined when more bytes are needed. Throws a sticky ProtocolError. */
  next(): RespValue | undefined {
    if (this.idle) {
      // Between replies: a top-level scalar that is all here is decoded without entering parse().
      const buf = this.buf;
      const pos = this.pos;
      if (pos < buf.length) {
        const type = buf[pos];
        const value = type === INTEGER
          ? this.fastInteger(buf, pos)
          : type === BULK
          ? this.fastBulk(buf, pos)
          : type === SIMPLE
          ? this.fastSimple(buf, pos)
          : SLOW;
        if (value !== SLOW) return value;
      } else if (this.queued.length === 0) {
        this.use(EMPTY); // drop the consumed chunk
        return undefined;
      }
    } else if (this.failure !== null) {
      throw this.failure;
    }
    try {
      const value = this.parse();
      this.idle = this.stack.length === 0 && this.big === null && this.topAttributes === null;
      return value;
    } catch (error) {
      if (error instanceof ProtocolError) {
        this.failure = error;
        this.idle = false;
        this.use(EMPTY);
        this.queued = [];
        this.stack = [];
        this.big = null;
      }
      throw error;
    }
  }

  /** Parse from the start of `buf`; its ArrayBuffer and offset are kept for making views cheaply. */
  private use(buf: Uint8Array): void {
    this.buf = buf;
    this.pos = 0;
    this.bytes = buf.buffer;
    this.base = buf.byteOffset;
    this.room = null;
    this.searchedAt = -1;
  }

  /** Bring the next queued chunk in behind what is left of `buf`. False when nothing is queued. */
  private advance(): boolean {
    const chunk = this.queued.shift();
    if (chunk === undefined) return false;
    this.append(chunk);
    return true;
  }

  /**
   * Fast paths: a complete, well-formed element at `pos` that is within the limits is decoded and `pos`
   * moves past it; anything else returns SLOW and `parseOne` decides (need more, or a ProtocolError).
   * Callers make sure the element is not inside a streamed string.
   */
  private fastInteger(buf: Uint8Array, pos: number): number | typeof SLOW {
    const len = buf.length;
    let i = pos + 1;
    const negative = buf[i] === MINUS;
    if (negative) i++;
    const first = i;
    const stop = Math.min(len, first + this.fastDigits + 1);
    let digit = 0;
    let n = 0;
    for (; i < stop; i++) {
      digit = buf[i] - 48;
      if (digit >>> 0 > 9) break;
      n = n * 10 + digit;
    }
    // digit is CR - 48 when the loop stopped on a CR
    if (digit !== CR - 48 || i === first || i + 1 >= len || buf[i + 1] !== LF) return SLOW;
    this.pos = i + 2;
    return negative ? 0 - n : n; // 0 - 0 is +0: ":-0" is 0
  }

  private fastBulk(buf: Uint8Array, pos: number): Uint8Array | typeof SLOW {
    const len = buf.length;
    let i = pos + 1;
    const stop = Math.min(len, i + this.fastDigits + 1);
    let digit = 0;
    let n = 0;
    for (; i < stop; i++) {
      digit = buf[i] - 48;
      if (digit >>> 0 > 9) break;
      n = n * 10 + digit;
    }
    const start = i + 2;
    const end = start + n;
    if (
      digit !== CR - 48 || i === pos + 1 || end + 1 >= len || buf[i + 1] !== LF || buf[end] !== CR ||
      buf[end + 1] !== LF || n > this.maxBulkLength
    ) return SLOW;
    this.pos = end + 2;
    return new Uint8Array(this.bytes, this.base + start, n);
  }

  private fastSimple(buf: Uint8Array, pos: number): string | typeof SLOW {
    if (this.searchedAt === pos) return SLOW; // a long line, still incomplete: lineEnd goes on from there
    const len = buf.length;
    const start = pos + 1;
    // The CR, with room for the LF; longer lines take the general path (it remembers how far it looked).
    const stop = Math.min(len - 1, start + Math.min(this.maxLineLength, FAST_LINE) + 1);
    let i = start;
    while (i < stop && buf[i] !== CR) i++;
    if (i >= stop || buf[i + 1] !== LF) return SLOW;
    this.pos = i + 2;
    return text(buf, start, i);
  }

  /**
   * Parse until a top-level value completes (returned) or the bytes run out (undefined). Scalars and array
   * headers take the fast paths when they can; `parseOne` handles the rest.
   */
  private parse(): RespValue | undefined {
    for (;;) {
      let value: RespValue | typeof SKIP | typeof SLOW | undefined = SLOW;
      if (this.big !== null) {
        value = this.continueBig();
      } else {
        const buf = this.buf;
        const pos = this.pos;
        if (pos >= buf.length) {
          if (this.advance()) continue;
          this.use(EMPTY);
          return undefined;
        }
        const top = this.stack.length === 0 ? undefined : this.stack[this.stack.length - 1];
        if (top === undefined || top.type !== STREAMED_STRING) {
          const type = buf[pos];
          if (type === BULK) {
            // Inside an aggregate, take a run of bulks in one go (all but the last element: that one
            // takes the general route, which completes the aggregate).
            if (
              top !== undefined && top.filled + 1 < top.count && top.attributes === null && this.fill(top)
            ) {
              continue;
            }
            value = this.fastBulk(buf, pos);
          } else if (type === INTEGER) value = this.fastInteger(buf, pos);
          else if (type === SIMPLE) value = this.fastSimple(buf, pos);
          else if (type === ARRAY && this.fastArray(buf, pos)) continue;
        }
        if (value === SLOW) value = this.parseOne();
      }
      if (value === undefined) {
        if (this.advance()) continue;
        if (this.pos >= this.buf.length) this.use(EMPTY);
        return undefined;
      }
      if (value === SKIP) continue;
      // Deliver the value to the innermost open aggregate, closing every aggregate it completes.
      for (;;) {
        const depth = this.stack.length;
        if (depth === 0) {
          if (this.topAttributes !== null) {
            value = decorate(this.topAttributes, value);
            this.topAttributes = null;
          }
          return value;
        }
        const top = this.stack[depth - 1];
        if (top.attributes !== null) {
          value = decorate(top.attributes, value);
          top.attributes = null;
        }
        top.items[top.filled++] = value;
        if (top.streamed) {
          const pairs = top.type === MAP ? (top.filled + 1) >> 1 : top.filled;
          if (pairs > this.maxAggregateLength) this.tooMany(pairs);
          break;
        }
        if (top.filled < top.count) break;
        this.stack.pop();
        const built = build(top);
        if (built === null) {
          // A finished attribute: it decorates the next value at the level it appeared in.
          const parent = this.stack[this.stack.length - 1];
          const map = pairsToMap(top.items);
          if (parent === undefined) (this.topAttributes ??= []).push(map);
          else (parent.attributes ??= []).push(map);
          break;
        }
        value = built;
      }
    }
  }

  /**
   * The commonest aggregate body: bulks back to back. Stores those that are complete and well formed into
   * `top`, up to all but its last element; true when it stored any.
   */
  private fill(top: Frame): boolean {
    const buf = this.buf;
    const len = buf.length;
    const items = top.items;
    const last = top.count - 1;
    const bytes = this.bytes;
    const base = this.base;
    const digits = this.fastDigits + 1;
    const maxBulkLength = this.maxBulkLength;
    const from = top.filled;
    let filled = from;
    let pos = this.pos;
    while (filled < last && pos < len && buf[pos] === BULK) {
      let i = pos + 1;
      const stop = Math.min(len, i + digits);
      let digit = 0;
      let n = 0;
      for (; i < stop; i++) {
        digit = buf[i] - 48;
        if (digit >>> 0 > 9) break;
        n = n * 10 + digit;
      }
      const start = i + 2;
      const end = start + n;
      if (
        digit !== CR - 48 || i === pos + 1 || end + 1 >= len || buf[i + 1] !== LF || buf[end] !== CR ||
        buf[end + 1] !== LF || n > maxBulkLength
      ) break;
      items[filled++] = new Uint8Array(bytes, base + start, n);
      pos = end + 2;
    }
    this.pos = pos;
    top.filled = filled;
    return filled > from;
  }

  /** `*<n>\r\n` with 0 < n within the limits: opens the array frame and returns true. */
  private fastArray(buf: Uint8Array, pos: number): boolean {
    const len = buf.length;
    let i = pos + 1;
    const stop = Math.min(len, i + this.fastDigits + 1);
    let digit = 0;
    let n = 0;
    for (; i < stop; i++) {
      digit = buf[i] - 48;
      if (digit >>> 0 > 9) break;
      n = n * 10 + digit;
    }
    if (
      digit !== CR - 48 || i + 1 >= len || buf[i + 1] !== LF || n === 0 || n > this.maxAggregateLength ||
      this.stack.length >= this.maxDepth
    ) return false;
    this.pos = i + 2;
    this.stack.push(frame(ARRAY, n, false));
    return true;
  }

  /**
   * Index of the CR ending the line that starts at `from`, or -1 when the line is not complete yet.
   * Throws when the line is already longer than maxLineLength or has a CR without LF.
   */
  private lineEnd(from: number): number {
    const buf = this.buf;
    const limit = this.maxLineLength;
    const stop = Math.min(buf.length, from + limit + 1);
    let cr = this.searchedAt === this.pos ? Math.max(from, this.pos + this.searched) : from;
    while (cr < stop && buf[cr] !== CR) cr++;
    if (cr === stop) {
      if (buf.length - from > limit) {
        throw new ProtocolError(`Line longer than the limit of ${limit} bytes`);
      }
      this.searchedAt = this.pos;
      this.searched = cr - this.pos;
      return -1;
    }
    if (cr + 1 >= buf.length) {
      this.searchedAt = this.pos;
      this.searched = cr - this.pos;
      return -1;
    }
    if (buf[cr + 1] !== LF) throw new ProtocolError("CR not followed by LF");
    return cr;
  }

  /** Parse one element starting at `pos`: a value, SKIP, or undefined when more bytes are needed. */
  private parseOne(): RespValue | typeof SKIP | undefined {
    const buf = this.buf;
    const start = this.pos;
    const type = buf[start];
    if (TYPE_BYTES[type] === 0) {
      throw new ProtocolError(`Unexpected ${describe(type)} where a RESP type byte was expected`);
    }
    const top = this.stack[this.stack.length - 1];
    if (top !== undefined && top.type === STREAMED_STRING && type !== STREAM_CHUNK) {
      throw new ProtocolError(`Expected a ';' chunk inside a streamed string, got ${describe(type)}`);
    }
    const end = this.lineEnd(start + 1);
    if (end === -1) return undefined;
    const next = end + 2;
    switch (type) {
      case BULK:
      case VERBATIM:
      case BULK_ERROR:
      case STREAM_CHUNK: {
        if (type === BULK && end === start + 2 && buf[start + 1] === QUESTION) {
          this.pos = next;
          this.stack.push(frame(STREAMED_STRING, 0, true));
          return SKIP;
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
        if (length > this.maxBulkLength) {
          throw new ProtocolError(`Bulk of ${length} bytes exceeds the limit of ${this.maxBulkLength}`);
        }
        if (type === STREAM_CHUNK) {
          if (top === undefined || top.type !== STREAMED_STRING) {
            throw new ProtocolError("Streamed string chunk ';' outside a streamed string");
          }
          const total = top.count + length;
          if (total > this.maxBulkLength) {
            throw new ProtocolError(
              `Streamed string of ${total}+ bytes exceeds the limit of ${this.maxBulkLength}`,
            );
          }
          if (length === 0) {
            this.pos = next;
            this.stack.pop();
            return concatChunks(top.items as Uint8Array[], top.filled, top.count);
          }
        }
        if (next + length + 2 <= buf.length) {
          if (buf[next + length] !== CR || buf[next + length + 1] !== LF) {
            throw new ProtocolError("Bulk string not terminated by CRLF");
          }
          this.pos = next + length + 2;
          return this.finishBulk(type, buf.subarray(next, next + length));
        }
        if (length < BIG_BULK) return undefined; // keep the header; re-read when the whole bulk is here
        this.big = new BigBulk(type, length);
        this.pos = next + this.big.take(buf, next);
        return undefined;
      }
      case SIMPLE:
      case ERROR:
      case INTEGER:
      case NULL:
      case BOOLEAN:
      case DOUBLE:
      case BIG_NUMBER: {
        const value = lineValue(type, buf, start + 1, end);
        this.pos = next;
        return value;
      }
      case ARRAY:
      case MAP:
      case SET:
      case PUSH:
      case ATTRIBUTE: {
        if (end === start + 2 && buf[start + 1] === QUESTION && type !== ATTRIBUTE && type !== PUSH) {
          if (this.stack.length >= this.maxDepth) this.tooDeep();
          this.pos = next;
          this.stack.push(frame(type, 0, true));
          return SKIP;
        }
        const count = parseInteger(buf, start + 1, end);
        if (typeof count !== "number" || count < -1 || (count === -1 && type !== ARRAY)) {
          throw new ProtocolError(
            `Invalid length ${latin1(buf.subarray(start + 1, end))} for ${describe(type)}`,
          );
        }
        this.pos = next;
        if (count === -1) return null;
        if (count > this.maxAggregateLength) this.tooMany(count);
        if (this.stack.length >= this.maxDepth) this.tooDeep();
        if (count === 0) {
          // An empty attribute decorates nothing: skip it.
          return type === ATTRIBUTE ? SKIP : build(frame(type, 0, false))!;
        }
        this.stack.push(frame(type, type === MAP || type === ATTRIBUTE ? count * 2 : count, false));
        return SKIP;
      }
      case STREAM_END: {
        if (top === undefined || !top.streamed || top.type === STREAMED_STRING || end !== start + 1) {
          throw new ProtocolError("Stream end '.' outside a streamed aggregate");
        }
        if (top.type === MAP && top.filled % 2 !== 0) {
          throw new ProtocolError("Streamed map ended after a key without its value");
        }
        if (top.attributes !== null) {
          throw new ProtocolError("Streamed aggregate ended after an attribute without its value");
        }
        this.pos = next;
        this.stack.pop();
        return build(top)!;
      }
      default:
        throw new ProtocolError(`Unexpected ${describe(type)} where a RESP type byte was expected`);
    }
  }

  private tooDeep(): never {
    throw new ProtocolError(`Nesting deeper than the limit of ${this.maxDepth}`);
  }

  private tooMany(count: number): never {
    throw new ProtocolError(`Aggregate of ${count} elements exceeds the limit of ${this.maxAggregateLength}`);
  }

  /** Copy more bytes into the big bulk being assembled; its value once complete (and CRLF-terminated). */
  private continueBig(): RespValue | typeof SKIP | undefined {
    const big = this.big!;
    const buf = this.buf;
    if (!big.complete) {
      this.pos += big.take(buf, this.pos);
      if (!big.complete) return undefined;
    }
    if (buf.length - this.pos < 2) return undefined;
    if (buf[this.pos] !== CR || buf[this.pos + 1] !== LF) {
      throw new ProtocolError("Bulk string not terminated by CRLF");
    }
    this.pos += 2;
    this.big = null;
    return this.finishBulk(big.type, big.dest);
  }

  private finishBulk(type: number, bytes: Uint8Array): RespValue | typeof SKIP {
    if (type !== STREAM_CHUNK) return bulkValue(type, bytes);
    // A chunk of a streamed string: collect it, the string completes at ';0'.
    const top = this.stack[this.stack.length - 1];
    top.items[top.filled++] = bytes;
    top.count += bytes.length;
    return SKIP;
  }
}
