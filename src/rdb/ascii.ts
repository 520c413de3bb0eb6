/**
 * Decimal text of numbers as bytes, for the integer-encoded strings, intset members, listpack integers and
 * zset scores the decoder turns into text. A plain loop: for these short ASCII strings it is several times
 * faster than TextEncoder, and a big value has millions of them.
 */

import { smallLatin1 } from "./small_bytes.ts";

/** The bytes of `text`, which must be ASCII (digits, sign, '.', 'e', "inf"), as a view of a shared slab. */
export function asciiBytes(text: string): Uint8Array {
  return smallLatin1(text);
}
