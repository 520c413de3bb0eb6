/**
 * Aggregate frames: what the decoder keeps on its explicit stack while an array, map, set, push, attribute
 * or streamed string is being filled, and how a finished frame becomes its value.
 */
import { RespAttributed, RespMap, RespPush, RespSet, type RespValue } from "./types.ts";
import { ARRAY, MAP, PUSH, SET } from "./wire.ts";

/** Internal frame type for a streamed string (`$?` followed by `;len` chunks). */
export const STREAMED_STRING = -1;
/** Aggregates up to this many elements get their array allocated at full size up front. */
const PREALLOCATE = 4096;

/**
 * An aggregate being filled. For counted aggregates `count` is the number of items expected (maps and
 * attributes: 2 per pair); for a streamed string it is the byte total so far. `attributes` are waiting
 * to decorate this frame's next element, in wire order.
 */
export interface Frame {
  type: number; // ARRAY, MAP, SET, PUSH, ATTRIBUTE or STREAMED_STRING
  items: RespValue[];
  filled: number;
  count: number;
  streamed: boolean;
  attributes: RespMap[] | null;
}

/** A new, empty frame; `count` as in {@link Frame} (0 for a streamed aggregate or string). */
export function frame(type: number, count: number, streamed: boolean): Frame {
  const items = count <= PREALLOCATE ? new Array<RespValue>(count) : [];
  return { type, items, filled: 0, count, streamed, attributes: null };
}

/** The value a finished frame stands for; null for an attribute (it decorates the next value instead). */
export function build(frame: Frame): RespValue | null {
  switch (frame.type) {
    case ARRAY:
      return frame.items;
    case SET:
      return new RespSet(frame.items);
    case PUSH:
      return new RespPush(frame.items);
    case MAP:
      return pairsToMap(frame.items);
    default:
      return null; // ATTRIBUTE
  }
}

/** `[k1, v1, k2, v2, ...]` as a RespMap of `[k, v]` entries, in wire order. */
export function pairsToMap(items: RespValue[]): RespMap {
  const entries: [RespValue, RespValue][] = new Array(items.length >> 1);
  for (let i = 0; i < items.length; i += 2) entries[i >> 1] = [items[i], items[i + 1]];
  return new RespMap(entries);
}

/** Wrap `value` in its attributes, the first one read outermost. */
export function decorate(attributes: RespMap[], value: RespValue): RespValue {
  for (let i = attributes.length - 1; i >= 0; i--) value = new RespAttributed(attributes[i], value);
  return value;
}

/** The first `count` chunks of a streamed string, `length` bytes in all, joined into one buffer. */
export function concatChunks(chunks: Uint8Array[], count: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (let i = 0; i < count; i++) {
    out.set(chunks[i], at);
    at += chunks[i].length;
  }
  return out;
}
