/** formatScore() / parseScoreText(): the text of every score reads back as exactly the same double. */
import assert from "node:assert/strict";
import { PayloadError } from "./errors.ts";
import { formatScore, parseScoreText } from "./score.ts";
import { bytes, NONE, prng, SEEDS } from "./_test_util.ts";

const cases: [number, string][] = [
  [-0, "-0"],
  [0, "0"],
  [1e-300, "1e-300"],
  [0.1, "0.1"],
  [2 ** 53 + 2, "9007199254740994"],
  [Infinity, "inf"],
  [-Infinity, "-inf"],
  [Number.MIN_VALUE, "5e-324"],
  [Number.MAX_VALUE, "1.7976931348623157e+308"],
  [-2.5e10, "-25000000000"],
  [1e21, "1e+21"],
];

Deno.test({
  name: "formatScore() writes the shortest text that strtod reads back exactly, -0 and ±inf included",
  ...NONE,
  fn() {
    for (const [score, expected] of cases) {
      assert.equal(formatScore(score), expected);
      assert.ok(Object.is(parseScoreText(bytes(expected)), score), expected);
    }
    // 2^53 + 1 is not a double: ZADD 9007199254740993 stores 2^53, and so does the decoder.
    assert.equal(formatScore(parseScoreText(bytes("9007199254740993"))), "9007199254740992");
  },
});

Deno.test({
  name: "formatScore() round-trips random doubles of every magnitude exactly",
  ...NONE,
  fn() {
    const view = new DataView(new ArrayBuffer(8));
    for (const seed of SEEDS) {
      const random = prng(seed);
      for (let i = 0; i < 2000; i++) {
        view.setUint32(0, Math.floor(random() * 2 ** 32));
        view.setUint32(4, Math.floor(random() * 2 ** 32));
        const score = view.getFloat64(0);
        if (Number.isNaN(score)) continue;
        assert.ok(Object.is(parseScoreText(bytes(formatScore(score))), score), String(score));
      }
    }
  },
});

Deno.test({
  name: "parseScoreText() reads what Redis 7.0 wrote (%.17g) and rejects NaN, hex and spaces as corrupt",
  ...NONE,
  fn() {
    assert.equal(parseScoreText(bytes("0.10000000000000001")), 0.1);
    assert.equal(parseScoreText(bytes("-inf")), -Infinity);
    for (const bad of ["nan", "0x10", " 1", "", "1e", "--1"]) {
      assert.throws(() => parseScoreText(bytes(bad)), PayloadError, bad);
    }
    assert.throws(() => formatScore(NaN), PayloadError);
  },
});
