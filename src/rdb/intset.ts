/**
 * Intsets (learned from Redis' intset.c): a 4-byte little-endian element width (2, 4 or 8), a 4-byte
 * little-endian count, then the sorted signed integers, little endian. Members come out as decimal text,
 * the form SADD takes and SMEMBERS returns.
 */
import { corrupt } from "./errors.ts";
import { asciiBytes } from "./ascii.ts";
import type { Budget } from "./limits.ts";

const HEADER_SIZE = 8;

/** The members of intset `blob` as decimal text; each is charged as one element and its bytes. */
export function readIntset(blob: Uint8Array, budget: Budget): Uint8Array[] {
  if (blob.length < HEADER_SIZE) corrupt(`Intset of ${blob.length} bytes is shorter than its header`);
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const width = view.getUint32(0, true);
  const count = view.getUint32(4, true);
  if (width !== 2 && width !== 4 && width !== 8) corrupt(`Intset element width ${width} is not 2, 4 or 8`);
  if (blob.length !== HEADER_SIZE + width * count) {
    corrupt(`Intset of ${count} elements of ${width} bytes cannot be ${blob.length} bytes long`);
  }
  budget.elements(count);
  const members: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const at = HEADER_SIZE + i * width;
    const value = width === 2
      ? view.getInt16(at, true)
      : width === 4
      ? view.getInt32(at, true)
      : view.getBigInt64(at, true);
    const text = asciiBytes(String(value));
    budget.bytes(text.length);
    members.push(text);
  }
  return members;
}
