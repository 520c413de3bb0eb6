/**
 * Short byte strings made in bulk (zset score texts, integer texts and short LZF strings of payloads,
 * temporary key names) as views of shared slabs: a Uint8Array of its own costs V8 an ArrayBuffer and a
 * backing store to allocate and later finalize; a view of a slab costs one small object. A slab is freed
 * once no view of it is alive, so a view kept for long keeps its whole slab (64 KiB): for bytes that live
 * as long as a batch, not for caches.
 *
 * Contract: `smallBytes(n)` returns n zeroed bytes that no other view shares; the caller fills them once.
 */
const SLAB_BYTES = 64 * 1024;
/** Longer strings get a buffer of their own. */
const LARGEST = 1024;

let slab = new Uint8Array(SLAB_BYTES);
let used = 0;

export function smallBytes(length: number): Uint8Array {
  if (length > LARGEST) return new Uint8Array(length);
  if (used + length > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    used = 0;
  }
  const out = new Uint8Array(slab.buffer, used, length);
  used += length;
  return out;
}

/** The bytes of an ASCII (or Latin-1) text, one byte per char, as a slab view. */
export function smallLatin1(text: string): Uint8Array {
  const out = smallBytes(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}
