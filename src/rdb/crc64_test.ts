/** crc64(): the CRC-64/Jones check value Redis' crc64.c documents, and chaining. */
import assert from "node:assert/strict";
import { Crc64, crc64, writeCrc64 } from "./crc64.ts";
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

/** The plain one-byte-a-step form, to check the sliced one against. */
function crc64Bitwise(data: Uint8Array): bigint {
  const poly = 0x95ac9329ac4bc9b5n;
  let crc = 0n;
  for (const byte of data) {
    crc ^= BigInt(byte);
    for (let bit = 0; bit < 8; bit++) crc = crc & 1n ? (crc >> 1n) ^ poly : crc >> 1n;
  }
  return crc;
}

Deno.test({
  name:
    "crc64() (sliced by 8) equals the bitwise CRC on every length 0..40 and random data, chained at any split",
  ...NONE,
  fn() {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    for (let length = 0; length <= 40; length++) {
      const data = Uint8Array.from({ length }, random);
      const expected = crc64Bitwise(data);
      assert.equal(crc64(data), expected, `length ${length}`);
      for (let split = 0; split <= length; split++) {
        assert.equal(crc64(data.subarray(split), crc64(data.subarray(0, split))), expected);
      }
    }
  },
});

Deno.test({
  name: "Crc64 over a range equals crc64() of that range; writeCrc64() seals a payload in place",
  ...NONE,
  fn() {
    const data = bytes("The quick brown fox jumps over the lazy dog");
    const running = new Crc64();
    running.update(data, 3, 20);
    running.update(data, 20, 41);
    assert.equal(running.value, crc64(data.subarray(3, 41)));
    const sealed = new Uint8Array(data.length + 8);
    sealed.set(data);
    writeCrc64(sealed, data.length);
    assert.equal(new DataView(sealed.buffer).getBigUint64(data.length, true), crc64(data));
  },
});
