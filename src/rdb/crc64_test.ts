/** crc64(): the CRC-64/Jones check value Redis' crc64.c documents, and chaining. */
import assert from "node:assert/strict";
import { crc64 } from "./crc64.ts";
import { bytes, NONE } from "./_test_util.ts";

Deno.test({
  name: 'crc64() of "123456789" is the Jones check value 0xe9c6d914c4b8d9ca',
  ...NONE,
  fn() {
    assert.equal(crc64(bytes("123456789")), 0xe9c6d914c4b8d9can);
  },
});

Deno.test({
  name: "crc64() of nothing is 0, and continuing from a partial CRC equals one pass",
  ...NONE,
  fn() {
    assert.equal(crc64(new Uint8Array(0)), 0n);
    const data = bytes("The quick brown fox jumps over the lazy dog");
    for (const split of [0, 1, 9, data.length]) {
      assert.equal(crc64(data.subarray(split), crc64(data.subarray(0, split))), crc64(data));
    }
  },
});
