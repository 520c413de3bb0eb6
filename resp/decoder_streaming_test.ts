/**
 * RespDecoder across chunk boundaries: seeded random value trees round-trip through a test-only serializer
 * at random split points, and replies cut by large chunks are bridged, fed one by one or all before next().
 * Pure: every test runs with `permissions: "none"`.
 */
import assert from "node:assert/strict";
import { BIG_BULK, RespDecoder, type RespValue } from "./mod.ts";
import {
  decodeAll,
  int,
  NONE,
  prng,
  randomValue,
  SEEDS,
  serialize,
  type Split,
  wire,
} from "./_decoder_test_util.ts";

Deno.test({
  name: "RespDecoder.next() round-trips random value trees at random split points",
  ...NONE,
  fn() {
    for (const seed of SEEDS) {
      const random = prng(seed);
      for (let round = 0; round < 40; round++) {
        const values = Array.from({ length: 1 + int(random, 6) }, () => randomValue(random, 4));
        const bytes = wire(...values.flatMap((value) => serialize(value, random)));
        const splits: Split[] = ["whole", seed * 1000 + round];
        if (bytes.length < 4000) splits.push("bytes");
        for (const split of splits) {
          assert.deepEqual(decodeAll(bytes, split), values, `seed ${seed} round ${round}`);
        }
      }
    }
  },
});

Deno.test({
  name: "RespDecoder.feed() bridges replies cut by large chunks, fed one by one or all before next()",
  ...NONE,
  fn() {
    for (const seed of SEEDS) {
      const random = prng(seed);
      const values = Array.from({ length: 300 }, () => randomValue(random, 3));
      const bytes = wire(...values.flatMap((value) => serialize(value, random)));
      for (const max of [5000, 70_000]) {
        assert.deepEqual(decodeAll(bytes, [seed, max]), values, `seed ${seed}, chunks up to ${max}`);
        assert.deepEqual(decodeAll(bytes, [seed, max], {}, true), values, `seed ${seed}, fed first`);
      }
    }
  },
});

Deno.test({
  name: "RespDecoder.feed() bridges bulks of every size around BIG_BULK cut at every offset",
  ...NONE,
  fn() {
    // A small reply fills most of a chunk, so the next reply's header or body is cut by the chunk end.
    for (const size of [0, 10, 4000, 5000, BIG_BULK - 1, BIG_BULK, BIG_BULK + 1]) {
      const body = Uint8Array.from({ length: size }, (_, i) => (i * 13) & 0xff);
      const bytes = wire(`+${"x".repeat(4100)}\r\n`, `$${size}\r\n`, body, "\r\n:7\r\n");
      for (let cut = 4100; cut < Math.min(bytes.length, 4100 + 24); cut++) {
        const decoder = new RespDecoder();
        const values: RespValue[] = [];
        for (const chunk of [bytes.slice(0, cut), bytes.slice(cut)]) {
          decoder.feed(chunk);
          for (let value = decoder.next(); value !== undefined; value = decoder.next()) values.push(value);
        }
        assert.deepEqual(values, ["x".repeat(4100), body, 7], `size ${size}, cut at ${cut}`);
      }
    }
  },
});
