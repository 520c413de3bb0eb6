/**
 * decodePayload() fuzzing: mutated valid payloads (bit flips, byte changes, insertions, deletions, cuts,
 * with the footer recomputed so the mutation reaches the decoder) and random bytes only ever decode or throw
 * a PayloadError, quickly, within small limits. Pure: `permissions: "none"`.
 */
import assert from "node:assert/strict";
import { PayloadError } from "./errors.ts";
import type { PayloadLimits } from "./limits.ts";
import { writeCommands } from "./commands.ts";
import { decodePayload, openPayload } from "./payload.ts";
import { CASES } from "./_payload_cases.ts";
import { int, NONE, payload, prng, SEEDS } from "./_test_util.ts";

const KEY = new Uint8Array(1);
const FUZZ_LIMITS: PayloadLimits = {
  maxPayloadBytes: 4096,
  maxElements: 10_000,
  maxDecompressedBytes: 256 * 1024,
};

/**
 * Decodes `bytes` whole, then again lazily through every write command; returns the error code, or "ok".
 * Anything but a PayloadError fails the test, and both paths must agree.
 */
function decodeOnce(bytes: Uint8Array): string {
  const whole = attempt(() => decodePayload(bytes, FUZZ_LIMITS));
  const lazy = attempt(() => {
    for (const _ of writeCommands(openPayload(bytes, FUZZ_LIMITS).value, { key: KEY })) continue;
  });
  assert.equal(lazy, whole, "openPayload + writeCommands and decodePayload disagree");
  return whole;
}

function attempt(fn: () => unknown): string {
  try {
    fn();
    return "ok";
  } catch (error) {
    if (error instanceof PayloadError) return error.code;
    throw new Error("A non-PayloadError escaped the decoder", { cause: error });
  }
}

function mutate(body: Uint8Array, random: () => number): Uint8Array {
  const bytes = Array.from(body);
  for (let edits = 1 + int(random, 4); edits > 0; edits--) {
    const at = int(random, bytes.length + 1);
    switch (int(random, 5)) {
      case 0:
        bytes[at] = (bytes[at] ?? 0) ^ (1 << int(random, 8));
        break;
      case 1:
        bytes[at] = int(random, 256);
        break;
      case 2:
        bytes.splice(at, 0, int(random, 256));
        break;
      case 3:
        bytes.splice(at, 1);
        break;
      default:
        bytes.length = Math.min(bytes.length, at);
    }
  }
  return Uint8Array.from(bytes.filter((b) => b !== undefined));
}

Deno.test({
  name: "decodePayload() on mutated valid payloads (footer recomputed) decodes or throws only PayloadError",
  ...NONE,
  fn() {
    const codes = new Map<string, number>();
    const started = performance.now();
    for (const seed of SEEDS) {
      const random = prng(seed);
      for (let round = 0; round < 2000; round++) {
        const { payload: whole } = CASES[int(random, CASES.length)];
        const type = random() < 0.95 ? whole[0] : int(random, 32);
        const body = mutate(whole.subarray(1, whole.length - 10), random);
        const code = decodeOnce(payload(type, body, 10 + int(random, 3)));
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }
    }
    // The mutations must reach the decoder's checks, not just the footer's.
    assert.ok((codes.get("corrupt") ?? 0) + (codes.get("truncated") ?? 0) > 5000, JSON.stringify([...codes]));
    assert.ok(
      performance.now() - started < 30_000,
      "fuzzing took too long: a mutation made the decoder crawl",
    );
  },
});

Deno.test({
  name: "decodePayload() on mutated payloads with the old footer kept throws checksum",
  ...NONE,
  fn() {
    for (const seed of SEEDS) {
      const random = prng(seed);
      for (let round = 0; round < 300; round++) {
        const { payload: whole } = CASES[int(random, CASES.length)];
        const bytes = whole.slice();
        const at = int(random, bytes.length);
        bytes[at] ^= 1 << int(random, 8);
        const code = decodeOnce(bytes);
        assert.ok(["checksum", "version"].includes(code), `flip at ${at}: ${code}`);
      }
    }
  },
});

Deno.test({
  name: "decodePayload() on random bytes with a valid footer decodes or throws only PayloadError",
  ...NONE,
  fn() {
    for (const seed of SEEDS) {
      const random = prng(seed);
      for (let round = 0; round < 1000; round++) {
        const body = Uint8Array.from({ length: int(random, 80) }, () => int(random, 256));
        decodeOnce(payload(int(random, 27), body, 10 + int(random, 3)));
      }
    }
  },
});
