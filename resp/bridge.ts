/**
 * Chunk bridging for the decoder: when an element is cut by a chunk boundary, how many bytes of the next
 * chunk complete it, and the sizes that decide between joining, bridging and assembling a bulk in place (BigBulk).
 */
import { MAX_FAST_DIGITS } from "./scalars.ts";
import { BULK, BULK_ERROR, CR, LF, STREAM_CHUNK, VERBATIM } from "./wire.ts";

/** Bulks at least this large that straddle chunks are assembled in place instead of re-buffered. */
export const BIG_BULK = 16 * 1024;

/**
 * A bulk of at least BIG_BULK bytes copied into its final buffer as chunks arrive: one copy however it is
 * cut. `take` copies what a chunk holds of the rest and says how many bytes it took.
 */
export class BigBulk {
  readonly dest: Uint8Array;
  filled = 0;

  /** `type`: BULK, VERBATIM, BULK_ERROR or STREAM_CHUNK. */
  constructor(readonly type: number, length: number) {
    this.dest = new Uint8Array(length);
  }

  get complete(): boolean {
    return this.filled === this.dest.length;
  }

  take(buf: Uint8Array, pos: number): number {
    const count = Math.min(this.dest.length - this.filled, buf.length - pos);
    this.dest.set(pos === 0 && count === buf.length ? buf : buf.subarray(pos, pos + count), this.filled);
    this.filled += count;
    return count;
  }
}

/** Below this many pending + new bytes, `feed` simply joins them; above it, it builds a bridge. */
export const BRIDGE_MIN = 4096;

/**
 * How many bytes of `chunk` complete the element that `pending` starts: the rest of its line, plus the
 * body and CRLF of a small bulk. A guess is safe: the parser joins in the rest of the chunk when the bridge
 * ends mid-element. `chunk.length` (join everything) when the element's end cannot be told.
 */
export function bridgeLength(pending: Uint8Array, chunk: Uint8Array): number {
  const type = pending[0];
  if (type !== BULK && type !== VERBATIM && type !== BULK_ERROR && type !== STREAM_CHUNK) {
    const lf = chunk.indexOf(LF); // a line ends at the chunk's first LF
    return lf === -1 ? chunk.length : lf + 1;
  }
  // A bulk header is short: look for its CR in the first bytes only.
  const limit = Math.min(pending.length, MAX_FAST_DIGITS + 4);
  let cr = 1;
  while (cr < limit && pending[cr] !== CR) cr++;
  let header: number; // bytes of the header line with its CRLF
  if (cr + 1 < limit) {
    header = cr + 2;
  } else if (cr + 1 === pending.length) {
    header = cr + 2; // the CR is the last pending byte; its LF starts the chunk
  } else if (pending.length > limit) {
    return chunk.length; // no header: the parser will say why
  } else {
    const lf = chunk.indexOf(LF);
    if (lf === -1) return chunk.length;
    header = pending.length + lf + 1;
  }
  // The body length, read across the two buffers.
  let n = 0;
  for (let i = 1; i < header - 2; i++) {
    const c = i < pending.length ? pending[i] : chunk[i - pending.length];
    if (c < 48 || c > 57 || i > MAX_FAST_DIGITS) return clamp(header - pending.length, chunk.length); // null, '?', bad
    n = n * 10 + c - 48;
  }
  if (n >= BIG_BULK) return clamp(header - pending.length, chunk.length); // assembled in place
  return clamp(header + n + 2 - pending.length, chunk.length);
}

/** `n` within [1, max]: a bridge always takes at least one byte, so parsing always moves on. */
function clamp(n: number, max: number): number {
  return n < 1 ? 1 : n > max ? max : n;
}
