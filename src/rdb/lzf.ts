/**
 * LZF decompression, the format Redis uses for compressed RDB strings (learned from liblzf's lzf_d.c).
 *
 * The input is a sequence of runs, each starting with a control byte `c`:
 * - `c < 32`: a literal run of `c + 1` bytes copied from the input;
 * - otherwise a back reference: length `c >> 5` (7 means "7 + next byte"), plus 2; offset
 *   `((c & 0x1f) << 8) + next byte + 1` bytes back in the output. Copies may overlap their own output.
 *
 * The caller gives the exact decompressed length (the RDB stores it), so the output is allocated once (a
 * slab view when short, see small_bytes.ts) and every run is bounds-checked against both buffers.
 */
import { corrupt } from "./errors.ts";
import { smallBytes } from "./small_bytes.ts";

/**
 * Decompresses `input` into exactly `outputLength` bytes. Throws a `corrupt` PayloadError when a run reads
 * past the input, writes past the output, refers before the start, or the output length does not match.
 */
export function lzfDecompress(input: Uint8Array, outputLength: number): Uint8Array {
  const out = smallBytes(outputLength);
  let ip = 0;
  let op = 0;
  while (ip < input.length) {
    const control = input[ip++];
    if (control < 32) {
      const run = control + 1;
      if (ip + run > input.length) corrupt("LZF literal run reads past the compressed data");
      if (op + run > outputLength) corrupt("LZF literal run writes past the declared length");
      for (const end = ip + run; ip < end;) out[op++] = input[ip++]; // at most 32 bytes: no subarray
      continue;
    }
    let length = control >> 5;
    if (length === 7) {
      if (ip >= input.length) corrupt("LZF back reference is cut short");
      length += input[ip++];
    }
    length += 2;
    if (ip >= input.length) corrupt("LZF back reference is cut short");
    let ref = op - ((control & 0x1f) << 8) - 1 - input[ip++];
    if (ref < 0) corrupt("LZF back reference points before the start of the output");
    if (op + length > outputLength) corrupt("LZF back reference writes past the declared length");
    for (const end = op + length; op < end;) out[op++] = out[ref++];
  }
  if (op !== outputLength) corrupt(`LZF data decompresses to ${op} bytes, not the declared ${outputLength}`);
  return out;
}
