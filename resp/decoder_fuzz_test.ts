/**
 * RespDecoder fuzzing: seeded random and mutated bytes only ever end in values, "need more", or a
 * ProtocolError. Pure: every test runs with `permissions: "none"`.
 */
import assert from "node:assert/strict";
import { type DecoderLimits, ProtocolError, RespDecoder } from "./mod.ts";
import { int, NONE, prng, randomValue, SEEDS, serialize, wire } from "./_decoder_test_util.ts";

const ALPHABET = wire("+-:$*_#,(!=%~|>;.?\r\n\r\n\r\n0123456789-tfinax");
const FUZZ_LIMITS: Partial<DecoderLimits> = { maxBulkLength: 64 * 1024, maxDepth: 16, maxLineLength: 256 };

/** Feed at random splits; every next() must return (value or undefined) or throw a ProtocolError. */
function fuzzOnce(bytes: Uint8Array, random: () => number): void {
  const decoder = new RespDecoder(FUZZ_LIMITS);
  let calls = 0;
  try {
    for (let at = 0; at < bytes.length;) {
      const size = 1 + int(random, 32);
      decoder.feed(bytes.subarray(at, at + size));
      at += size;
      // Each call returns: a value consumes at least 3 bytes, so there are fewer values than bytes.
      while (decoder.next() !== undefined) assert.ok(++calls <= bytes.length, "more values than bytes");
    }
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
  }
}

Deno.test({
  name: "RespDecoder.next() on random bytes throws only ProtocolError and always returns",
  ...NONE,
  fn() {
    for (const seed of SEEDS) {
      const random = prng(seed);
      for (let round = 0; round < 1500; round++) {
        const bytes = Uint8Array.from(
          { length: 1 + int(random, 64) },
          () => random() < 0.9 ? ALPHABET[int(random, ALPHABET.length)] : int(random, 256),
        );
        fuzzOnce(bytes, random);
      }
    }
  },
});

Deno.test({
  name: "RespDecoder.next() on mutated valid replies throws only ProtocolError and always returns",
  ...NONE,
  fn() {
    for (const seed of SEEDS) {
      const random = prng(seed);
      for (let round = 0; round < 800; round++) {
        const valid = wire(...serialize(randomValue(random, 3), random));
        const bytes = Array.from(valid);
        for (let edits = 1 + int(random, 4); edits > 0; edits--) {
          const at = int(random, bytes.length + 1);
          const byte = random() < 0.8 ? ALPHABET[int(random, ALPHABET.length)] : int(random, 256);
          const choice = int(random, 3);
          if (choice === 0) bytes[at] = byte;
          else if (choice === 1) bytes.splice(at, 0, byte);
          else bytes.splice(at, 1);
        }
        fuzzOnce(Uint8Array.from(bytes), random);
      }
    }
  },
});
