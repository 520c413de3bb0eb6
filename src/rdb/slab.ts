/**
 * Bump allocation of many small byte arrays as views of shared 256 KiB buffers: a million keys and DUMP
 * payloads cost V8's collector one small view object each instead of one ArrayBuffer each. A buffer is
 * freed once no view of it is alive (so a view kept long keeps its whole buffer: fine for records that
 * flow through a bounded queue). A request larger than a quarter of a buffer gets a buffer of its own.
 *
 * Contract: {@link Slab.reserve} returns the offset in {@link Slab.bytes} where `size` bytes are the
 * caller's, to write once and hand out as views; those bytes are never reused.
 */
const SLAB_BYTES = 256 * 1024;

export class Slab {
  bytes = new Uint8Array(SLAB_BYTES);
  #used = 0;

  reserve(size: number): number {
    if (size > SLAB_BYTES / 4) {
      this.bytes = new Uint8Array(size);
      this.#used = size; // all of it is the caller's: the next request gets a fresh buffer
      return 0;
    }
    if (this.#used + size > this.bytes.length) {
      this.bytes = new Uint8Array(SLAB_BYTES);
      this.#used = 0;
    }
    const at = this.#used;
    this.#used += size;
    return at;
  }
}
