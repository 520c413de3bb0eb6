/**
 * The generator behind `riot generate`'s data: mulberry32 (`Prng`), and `keySeed()`, which gives every key its
 * own seed from (seed, type, n, purpose). Pure.
 */

/** A 32-bit mixing bijection (murmur3's finalizer). */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Seed of the generator of key n (from 1) of type index `type`, for one purpose (`salt`). */
export function keySeed(seed: number, type: number, n: number, salt: number): number {
  const high = Math.floor(n / 0x1_0000_0000);
  return mix32((mix32(mix32(seed ^ salt) ^ (n >>> 0)) + Math.imul(high + 1, 0x9e3779b1) + type) >>> 0);
}

/** mulberry32: a small, fast 32-bit PRNG; the same seed gives the same sequence everywhere. */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The next unsigned 32-bit value. */
  next(): number {
    const t0 = (this.state = (this.state + 0x6d2b79f5) | 0);
    let t = Math.imul(t0 ^ (t0 >>> 15), t0 | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A float in [0, 1). */
  float(): number {
    return this.next() / 0x1_0000_0000;
  }

  /** Fill `out[from, to)`: any byte when `binary`, else 5 characters of TEXT_ALPHABET per 32 bits. */
  fill(out: Uint8Array, from: number, to: number, binary: boolean): void {
    let i = from;
    if (binary) {
      while (i + 4 <= to) {
        const r = this.next();
        out[i] = r;
        out[i + 1] = r >>> 8;
        out[i + 2] = r >>> 16;
        out[i + 3] = r >>> 24;
        i += 4;
      }
      if (i < to) {
        let r = this.next();
        while (i < to) {
          out[i++] = r;
          r >>>= 8;
        }
      }
      return;
    }
    while (i < to) {
      let r = this.next();
      const end = Math.min(to, i + 5);
      while (i < end) {
        out[i++] = TEXT_ALPHABET[r & 63];
        r >>>= 6;
      }
    }
  }
}

const TEXT_ALPHABET = new TextEncoder().encode(
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
);
