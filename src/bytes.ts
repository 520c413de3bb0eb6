/**
 * Bytes as map keys: a key's bytes as a string of char codes 0-255 (one char per byte, no decoding), so
 * two keys have the same id exactly when they have the same bytes. For Maps and Sets only, never to print.
 */
export function keyId(key: Uint8Array): string {
  let out = "";
  for (let i = 0; i < key.length; i += 4096) {
    out += String.fromCharCode.apply(null, key.subarray(i, i + 4096) as unknown as number[]);
  }
  return out;
}
