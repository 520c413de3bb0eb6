/**
 * Decimal text of numbers as bytes, for the integer-encoded strings, intset members, listpack integers and
 * zset scores the decoder turns into text. A plain loop: for these short ASCII strings it is several times
 * faster than TextEncoder, and a big value has millions of them.
 */

/** The bytes of `text`, which must be ASCII (digits, sign, '.', 'e', "inf"). */
export function asciiBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}
