/** lzfDecompress(): literal runs, overlapping back references, and every malformed run as `corrupt`. */
import assert from "node:assert/strict";
import { PayloadError } from "./errors.ts";
import { lzfDecompress } from "./lzf.ts";
import { bytes, NONE, text } from "./_test_util.ts";

const cases: { name: string; input: number[]; length: number; output: string }[] = [
  { name: "one literal run", input: [2, 0x61, 0x62, 0x63], length: 3, output: "abc" },
  // "abc" then a reference 3 back of length 9 (7 + extra 0, + 2): overlaps its own output.
  {
    name: "an overlapping long reference",
    input: [2, 0x61, 0x62, 0x63, 0xe0, 0, 2],
    length: 12,
    output: "abcabcabcabc",
  },
  // A short reference: length field 1 (+2 = 3), offset 1: repeats the last byte three times.
  { name: "a short reference", input: [0, 0x78, 0x20, 0], length: 4, output: "xxxx" },
];

for (const { name, input, length, output } of cases) {
  Deno.test({
    name: `lzfDecompress() decodes ${name}`,
    ...NONE,
    fn() {
      assert.equal(text(lzfDecompress(Uint8Array.from(input), length)), output);
    },
  });
}

const malformed: { name: string; input: number[]; length: number; message: RegExp }[] = [
  { name: "a literal past the input", input: [5, 0x61], length: 6, message: /literal run reads past/ },
  { name: "a literal past the declared length", input: [2, 1, 2, 3], length: 2, message: /writes past/ },
  { name: "a reference before the start", input: [0, 0x61, 0x20, 5], length: 4, message: /before the start/ },
  {
    name: "a reference past the declared length",
    input: [0, 0x61, 0x20, 0],
    length: 3,
    message: /writes past/,
  },
  { name: "a reference cut after its control byte", input: [0, 0x61, 0x20], length: 4, message: /cut short/ },
  {
    name: "a long reference cut before its length byte",
    input: [0, 0x61, 0xe0],
    length: 12,
    message: /cut short/,
  },
  { name: "output shorter than declared", input: [0, 0x61], length: 2, message: /not the declared 2/ },
];

for (const { name, input, length, message } of malformed) {
  Deno.test({
    name: `lzfDecompress() rejects ${name} as corrupt`,
    ...NONE,
    fn() {
      assert.throws(() => lzfDecompress(Uint8Array.from(input), length), (error) => {
        assert.ok(error instanceof PayloadError);
        assert.equal(error.code, "corrupt");
        assert.match(error.message, message);
        return true;
      });
    },
  });
}

Deno.test({
  name: "lzfDecompress() of an empty input and length 0 is empty",
  ...NONE,
  fn() {
    assert.deepEqual(lzfDecompress(bytes(""), 0), new Uint8Array(0));
  },
});
