/**
 * decodePayload() on payloads as data: real ones from Redis 7.0 and 7.4 and hand-built ones for every
 * other encoding, each fed whole and checked; every truncation of each (footer recomputed) is a typed
 * error; footers, unsupported and unknown types fail with the right code.
 */
import assert from "node:assert/strict";
import { PayloadError, type PayloadErrorCode } from "./errors.ts";
import { decodePayload } from "./payload.ts";
import { CASES, plain } from "./_payload_cases.ts";
import { concat, le64, len, NONE, payload, str } from "./_test_util.ts";

for (const testCase of CASES) {
  Deno.test({
    name: `decodePayload() decodes ${testCase.name}`,
    ...NONE,
    fn() {
      const decoded = decodePayload(testCase.payload);
      assert.equal(decoded.rdbType, testCase.rdbType);
      assert.equal(decoded.rdbVersion, testCase.rdbVersion);
      assert.deepStrictEqual(plain(decoded.value), testCase.value);
    },
  });
}

Deno.test({
  name: "decodePayload() on every truncation of every case (footer recomputed) throws truncated or corrupt",
  ...NONE,
  fn() {
    for (const { name, payload: whole } of CASES) {
      const type = whole[0];
      const body = whole.subarray(1, whole.length - 10);
      for (let cut = 0; cut < body.length; cut++) {
        assertFails(
          () => decodePayload(payload(type, body.subarray(0, cut))),
          ["truncated", "corrupt"],
          `${name} @${cut}`,
        );
      }
    }
  },
});

Deno.test({
  name: "decodePayload() checks the footer: CRC mismatch, newer RDB version, too short",
  ...NONE,
  fn() {
    const good = payload(0, str("hello"), 12);
    const badCrc = good.slice();
    badCrc[badCrc.length - 1] ^= 1;
    assertFails(() => decodePayload(badCrc), ["checksum"]);
    const flipped = good.slice();
    flipped[2] ^= 1;
    assertFails(() => decodePayload(flipped), ["checksum"]);
    assertFails(() => decodePayload(payload(0, str("hello"), 13)), ["version"]);
    assertFails(() => decodePayload(good.subarray(0, 10)), ["truncated"]);
    assertFails(() => decodePayload(new Uint8Array(0)), ["truncated"]);
  },
});

Deno.test({
  name:
    "decodePayload() says 'unsupported' for ziplists, zipmaps, old quicklists and modules, naming the type",
  ...NONE,
  fn() {
    for (
      const [type, name] of [
        [6, "MODULE_PRE_GA"],
        [7, "MODULE_2"],
        [9, "HASH_ZIPMAP"],
        [10, "LIST_ZIPLIST"],
        [12, "ZSET_ZIPLIST"],
        [13, "HASH_ZIPLIST"],
        [14, "LIST_QUICKLIST"],
      ] as const
    ) {
      const error = assertFails(() => decodePayload(payload(type, str("x"))), ["unsupported"]);
      assert.match(error.message, new RegExp(`RDB type ${type} \\(${name}\\).*DUMP/RESTORE`));
    }
  },
});

Deno.test({
  name:
    "decodePayload() rejects unknown types, trailing bytes, empty collections, bad lengths and NaN scores",
  ...NONE,
  fn() {
    assertFails(() => decodePayload(payload(30, [])), ["corrupt"]);
    assertFails(() => decodePayload(payload(0, concat(str("a"), [0]))), ["corrupt"]);
    assertFails(() => decodePayload(payload(2, len(0))), ["corrupt"]);
    assertFails(() => decodePayload(payload(0, [0x82])), ["corrupt"]);
    assertFails(() => decodePayload(payload(0, [0xc4])), ["corrupt"]);
    const nan = new Uint8Array(8);
    new DataView(nan.buffer).setFloat64(0, NaN, true);
    assertFails(() => decodePayload(payload(5, concat(len(1), str("m"), nan))), ["corrupt"]);
    assertFails(() => decodePayload(payload(3, concat(len(1), str("m"), [253]))), ["corrupt"]);
    assertFails(() => decodePayload(payload(18, concat(len(1), len(3), str("x")))), ["corrupt"]);
  },
});

function assertFails(fn: () => unknown, codes: PayloadErrorCode[], context = ""): PayloadError {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof PayloadError)) throw error;
    assert.ok(codes.includes(error.code), `${context}: ${error.code}: ${error.message}`);
    return error;
  }
  assert.fail(`${context}: no error, expected ${codes.join(" or ")}`);
}

Deno.test({
  name: "decodePayload() rejects a stream group PEL out of order or past the stream's last ID",
  ...NONE,
  fn() {
    const raw = (ms: number) => {
      const out = new Uint8Array(16);
      new DataView(out.buffer).setBigUint64(0, BigInt(ms), false);
      return out;
    };
    const stream = (...pelMs: number[]) =>
      payload(
        15,
        concat(
          concat(len(0), len(0), len(9), len(0), len(1), str("g"), len(9), len(0), len(pelMs.length)),
          ...pelMs.map((ms) => concat(raw(ms), le64(1n), len(1))),
          len(0),
        ),
      );
    assert.equal(decodePayload(stream(1, 2)).value.type, "stream");
    assert.match(assertFails(() => decodePayload(stream(2, 1)), ["corrupt"]).message, /out of order/);
    assert.match(assertFails(() => decodePayload(stream(1, 1)), ["corrupt"]).message, /out of order/);
    assert.match(assertFails(() => decodePayload(stream(1, 10)), ["corrupt"]).message, /after the last ID/);
  },
});
