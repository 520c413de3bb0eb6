/** readListpack(): every entry encoding at its boundaries, backlen widths, and malformed listpacks. */
import assert from "node:assert/strict";
import { PayloadError } from "./errors.ts";
import { Budget } from "./limits.ts";
import { entryBytes, entryInteger, readListpack } from "./listpack.ts";
import { concat, listpack, NONE, text } from "./_test_util.ts";

const INTEGERS = [
  0n,
  127n, // 7-bit
  128n,
  -1n,
  4095n,
  -4096n, // 13-bit
  4096n,
  -32768n, // 16-bit
  32768n,
  -(1n << 23n), // 24-bit
  1n << 23n,
  -(1n << 31n), // 32-bit
  1n << 31n,
  -(1n << 63n),
  (1n << 63n) - 1n, // 64-bit
];
const STRINGS = [
  "",
  "a",
  "x".repeat(63),
  "y".repeat(64),
  "z".repeat(4095),
  "w".repeat(4096),
  "v".repeat(20000),
];

Deno.test({
  name: "readListpack() decodes integers of every width and strings of every length class",
  ...NONE,
  fn() {
    const entries = [...INTEGERS, ...STRINGS];
    const decoded = readListpack(listpack(entries), new Budget());
    assert.equal(decoded.length, entries.length);
    decoded.forEach((entry, i) => {
      const expected = entries[i];
      if (typeof expected === "bigint") assert.equal(entryInteger(entry, "test"), expected);
      else assert.equal(text(entry as Uint8Array), expected);
    });
  },
});

Deno.test({
  name: "entryBytes() turns integer entries into their decimal text and keeps strings as views",
  ...NONE,
  fn() {
    const budget = new Budget();
    assert.equal(text(entryBytes(-4096, budget)), "-4096");
    assert.equal(text(entryBytes(-(1n << 63n), budget)), "-9223372036854775808");
    const lp = listpack(["abc"]);
    const [entry] = readListpack(lp, budget);
    assert.equal((entryBytes(entry, budget) as Uint8Array).buffer, lp.buffer);
  },
});

Deno.test({
  name: "readListpack() accepts the 'unknown' element count 65535",
  ...NONE,
  fn() {
    assert.equal(readListpack(listpack(["a", 1n], 0xffff), new Budget()).length, 2);
  },
});

const good = listpack(["hello", 300n]);
const malformed: { name: string; lp: Uint8Array; message: RegExp }[] = [
  {
    name: "shorter than its header",
    lp: Uint8Array.of(7, 0, 0, 0, 0, 0),
    message: /shorter than its header/,
  },
  { name: "a wrong total size", lp: concat(good, [0]), message: /says \d+ bytes/ },
  { name: "a wrong element count", lp: listpack(["a", "b"], 3), message: /says 3 entries but has 2/ },
  {
    name: "no terminator",
    lp: withSize(good.subarray(0, good.length - 1)),
    message: /runs past|no terminator/,
  },
  {
    name: "a string running past the end",
    lp: withSize(concat(good.subarray(0, 6), [0x85, 0x61, 0xff])),
    message: /runs past/,
  },
  { name: "a bad backlen", lp: flip(good, 12), message: /backlen/ },
  {
    name: "an invalid encoding byte",
    lp: withSize(concat(good.subarray(0, 6), [0xf5, 1, 0xff])),
    message: /encoding byte 0xf5/,
  },
  {
    name: "bytes after the terminator",
    lp: withSize(concat(good.subarray(0, good.length - 1), [0xff, 0xff])),
    message: /after its terminator/,
  },
];

for (const { name, lp, message } of malformed) {
  Deno.test({
    name: `readListpack() rejects a listpack with ${name} as corrupt`,
    ...NONE,
    fn() {
      assert.throws(() => readListpack(lp, new Budget()), (error) => {
        assert.ok(error instanceof PayloadError, String(error));
        assert.equal(error.code, "corrupt");
        assert.match(error.message, message);
        return true;
      });
    },
  });
}

Deno.test({
  name: "readListpack() charges one element per entry: a limit of N passes N entries and stops N+1",
  ...NONE,
  fn() {
    const lp = listpack(["a", "b", "c"]);
    assert.equal(readListpack(lp, new Budget({ maxElements: 3 })).length, 3);
    assert.throws(() => readListpack(lp, new Budget({ maxElements: 2 })), {
      name: "PayloadError",
      code: "limit",
    });
  },
});

/** `lp` with its total-size header rewritten to its real length. */
function withSize(lp: Uint8Array): Uint8Array {
  const out = lp.slice();
  new DataView(out.buffer).setUint32(0, out.length, true);
  return out;
}

function flip(lp: Uint8Array, at: number): Uint8Array {
  const out = lp.slice();
  out[at] ^= 0x01;
  return out;
}
