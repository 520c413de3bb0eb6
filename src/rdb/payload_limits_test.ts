/**
 * decodePayload() limits: elements and decompressed bytes are charged as they are read, so a payload at
 * limit N decodes and one at N+1 throws `limit` before allocating; a small LZF string declaring a huge
 * plain length is refused without allocating it.
 */
import assert from "node:assert/strict";
import { PayloadError } from "./errors.ts";
import { decodePayload } from "./payload.ts";
import { concat, le64, len, listpack, lzfStr, NONE, payload, str } from "./_test_util.ts";

const cases: { name: string; payload: Uint8Array; elements?: number; bytes?: number }[] = [
  {
    name: "a hashtable set of 3 members",
    payload: payload(2, concat(len(3), str("a"), str("b"), str("c"))),
    elements: 3,
  },
  {
    name: "a listpack hash of 2 fields (4 entries)",
    payload: payload(16, str(listpack(["f", "v", "g", "w"]))),
    elements: 4,
  },
  {
    name: "a skiplist zset of 2 members (member + score each)",
    payload: payload(5, concat(len(2), str("a"), le64(1, true), str("b"), le64(2, true))),
    elements: 4,
  },
  {
    name: "a 12-byte LZF string",
    payload: payload(0, lzfStr([2, 0x61, 0x62, 0x63, 0xe0, 0, 2], 12)),
    bytes: 12,
  },
  { name: "an int32 string (7 digits)", payload: payload(0, [0xc2, 0x60, 0x79, 0xfe, 0xff]), bytes: 7 },
];

for (const { name, payload: bytes, elements, bytes: decompressed } of cases) {
  Deno.test({
    name: `decodePayload() decodes ${name} at its limit N and throws 'limit' at N-1`,
    ...NONE,
    fn() {
      const limits = (n: number) => elements !== undefined ? { maxElements: n } : { maxDecompressedBytes: n };
      const n = (elements ?? decompressed)!;
      decodePayload(bytes, limits(n));
      assert.throws(() => decodePayload(bytes, limits(n - 1)), (error) => {
        assert.ok(error instanceof PayloadError);
        assert.equal(error.code, "limit");
        assert.match(error.message, /raise max/);
        return true;
      });
    },
  });
}

Deno.test({
  name: "decodePayload() takes a payload of maxPayloadBytes and refuses one byte more before reading it",
  ...NONE,
  fn() {
    const p = payload(0, str("hello"));
    decodePayload(p, { maxPayloadBytes: p.length });
    assert.throws(() => decodePayload(p, { maxPayloadBytes: p.length - 1 }), {
      name: "PayloadError",
      code: "limit",
    });
  },
});

Deno.test({
  name: "decodePayload() refuses an LZF string that declares 2^40 plain bytes before allocating them",
  ...NONE,
  fn() {
    const bomb = payload(0, concat([0xc3], len(2), len(2 ** 40, 64), [0, 0x61]));
    assert.throws(() => decodePayload(bomb), { name: "PayloadError", code: "corrupt" });
    // Within LZF's ratio but over the limit: refused by the limit, also before allocating.
    const big = payload(0, concat([0xc3], len(1000), len(80_000), new Uint8Array(1000)));
    assert.throws(() => decodePayload(big, { maxDecompressedBytes: 79_999 }), {
      name: "PayloadError",
      code: "limit",
    });
  },
});

Deno.test({
  name:
    "decodePayload() refuses an LZF string declaring more than 88 times its compressed size (LZF's maximum)",
  ...NONE,
  fn() {
    // 4 compressed bytes: a literal "a" and one maximal back reference give 1 + 264 = 265 bytes at most.
    const maximal = [0, 0x61, 0xe0, 0xff, 0];
    assert.equal(decodePayload(payload(0, lzfStr(maximal, 265))).value.type, "string");
    const lie = payload(0, lzfStr(maximal, maximal.length * 88 + 1));
    assert.throws(() => decodePayload(lie), {
      name: "PayloadError",
      code: "corrupt",
      message: /cannot decompress/,
    });
  },
});

Deno.test({
  name: "decodePayload() reads a collection claiming 2^50 elements only as far as its bytes go",
  ...NONE,
  fn() {
    const liar = payload(2, concat(len(2n ** 50n, 64), str("a")));
    assert.throws(() => decodePayload(liar), { name: "PayloadError", code: "truncated" });
  },
});
