/**
 * CRC-64/Jones as Redis computes it for DUMP payloads and RDB files: polynomial 0xad93d23594c935a9,
 * reflected input and output, initial value 0, no final xor. Check value: crc64("123456789") is
 * 0xe9c6d914c4b8d9ca.
 *
 * The 64-bit register is kept as two unsigned 32-bit halves so the hot loop never touches a BigInt. Eight
 * bytes are folded per step with eight tables (slicing-by-8): table k maps a byte to its effect k bytes
 * further on; the tail is done a byte at a time.
 */

/** The polynomial bit-reversed (for the reflected, right-shifting form), split in halves. */
const POLY_REFLECTED_HI = 0x95ac9329;
const POLY_REFLECTED_LO = 0xac4bc9b5;

const TABLE_HI = new Uint32Array(256);
const TABLE_LO = new Uint32Array(256);
for (let byte = 0; byte < 256; byte++) {
  let hi = 0;
  let lo = byte;
  for (let bit = 0; bit < 8; bit++) {
    const carry = lo & 1;
    lo = ((lo >>> 1) | (hi << 31)) >>> 0;
    hi = hi >>> 1;
    if (carry) {
      hi = (hi ^ POLY_REFLECTED_HI) >>> 0;
      lo = (lo ^ POLY_REFLECTED_LO) >>> 0;
    }
  }
  TABLE_HI[byte] = hi;
  TABLE_LO[byte] = lo;
}

/** Slicing tables: entry `k * 256 + b` is byte b's effect after k more bytes (k = 0 is the table above). */
const SLICE_HI = new Uint32Array(256 * 8);
const SLICE_LO = new Uint32Array(256 * 8);
SLICE_HI.set(TABLE_HI);
SLICE_LO.set(TABLE_LO);
for (let k = 1; k < 8; k++) {
  for (let byte = 0; byte < 256; byte++) {
    const prevHi = SLICE_HI[(k - 1) * 256 + byte];
    const prevLo = SLICE_LO[(k - 1) * 256 + byte];
    const index = prevLo & 0xff;
    SLICE_LO[k * 256 + byte] = (((prevLo >>> 8) | (prevHi << 24)) ^ TABLE_LO[index]) >>> 0;
    SLICE_HI[k * 256 + byte] = ((prevHi >>> 8) ^ TABLE_HI[index]) >>> 0;
  }
}

/**
 * A running CRC64 as two unsigned 32-bit halves: {@link update} folds bytes in without a BigInt or a view
 * per call (the RDB reader checks a whole file, and seals one payload per key, with it).
 */
export class Crc64 {
  hi = 0;
  lo = 0;

  /** Starts again from 0 (a fresh checksum). */
  reset(): void {
    this.hi = 0;
    this.lo = 0;
  }

  /** Folds `bytes[from, to)` in. */
  update(bytes: Uint8Array, from = 0, to = bytes.length): void {
    let hi = this.hi;
    let lo = this.lo;
    const whole = to - ((to - from) % 8);
    for (let i = from; i < whole; i += 8) {
      const a = (lo ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24))) >>> 0;
      const b = (hi ^ (bytes[i + 4] | (bytes[i + 5] << 8) | (bytes[i + 6] << 16) | (bytes[i + 7] << 24))) >>>
        0;
      const i7 = 7 * 256 + (a & 0xff), i6 = 6 * 256 + ((a >>> 8) & 0xff);
      const i5 = 5 * 256 + ((a >>> 16) & 0xff), i4 = 4 * 256 + (a >>> 24);
      const i3 = 3 * 256 + (b & 0xff), i2 = 2 * 256 + ((b >>> 8) & 0xff);
      const i1 = 256 + ((b >>> 16) & 0xff), i0 = b >>> 24;
      lo = (SLICE_LO[i7] ^ SLICE_LO[i6] ^ SLICE_LO[i5] ^ SLICE_LO[i4] ^ SLICE_LO[i3] ^ SLICE_LO[i2] ^
        SLICE_LO[i1] ^ SLICE_LO[i0]) >>> 0;
      hi = (SLICE_HI[i7] ^ SLICE_HI[i6] ^ SLICE_HI[i5] ^ SLICE_HI[i4] ^ SLICE_HI[i3] ^ SLICE_HI[i2] ^
        SLICE_HI[i1] ^ SLICE_HI[i0]) >>> 0;
    }
    for (let i = whole; i < to; i++) {
      const index = (lo ^ bytes[i]) & 0xff;
      lo = (((lo >>> 8) | (hi << 24)) ^ TABLE_LO[index]) >>> 0;
      hi = ((hi >>> 8) ^ TABLE_HI[index]) >>> 0;
    }
    this.hi = hi;
    this.lo = lo;
  }

  /** Writes the CRC as 8 little-endian bytes at `out[at]`. */
  writeLE(out: Uint8Array, at: number): void {
    const { hi, lo } = this;
    out[at] = lo & 0xff;
    out[at + 1] = (lo >>> 8) & 0xff;
    out[at + 2] = (lo >>> 16) & 0xff;
    out[at + 3] = lo >>> 24;
    out[at + 4] = hi & 0xff;
    out[at + 5] = (hi >>> 8) & 0xff;
    out[at + 6] = (hi >>> 16) & 0xff;
    out[at + 7] = hi >>> 24;
  }

  get value(): bigint {
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }
}

const scratch = new Crc64();

/** The CRC64 of `bytes`, continuing from `crc` (0 for a fresh checksum). */
export function crc64(bytes: Uint8Array, crc = 0n): bigint {
  scratch.hi = Number(crc >> 32n) >>> 0;
  scratch.lo = Number(crc & 0xffffffffn) >>> 0;
  scratch.update(bytes);
  return scratch.value;
}

/** Seals `out[from, at)` with its CRC64, written little endian at `out[at, at + 8)`. */
export function writeCrc64(out: Uint8Array, at: number, from = 0): void {
  scratch.reset();
  scratch.update(out, from, at);
  scratch.writeLE(out, at);
}
