/**
 * CRC-64/Jones as Redis computes it for DUMP payloads and RDB files: polynomial 0xad93d23594c935a9,
 * reflected input and output, initial value 0, no final xor. Check value: crc64("123456789") is
 * 0xe9c6d914c4b8d9ca.
 *
 * The 64-bit register is kept as two unsigned 32-bit halves so the hot loop never touches a BigInt.
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

/** The CRC64 of `bytes`, continuing from `crc` (0 for a fresh checksum). */
export function crc64(bytes: Uint8Array, crc = 0n): bigint {
  let hi = Number(crc >> 32n) >>> 0;
  let lo = Number(crc & 0xffffffffn) >>> 0;
  for (let i = 0; i < bytes.length; i++) {
    const index = (lo ^ bytes[i]) & 0xff;
    lo = (((lo >>> 8) | (hi << 24)) ^ TABLE_LO[index]) >>> 0;
    hi = ((hi >>> 8) ^ TABLE_HI[index]) >>> 0;
  }
  return (BigInt(hi) << 32n) | BigInt(lo);
}
