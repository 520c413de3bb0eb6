/** payloadRdbVersion(), restorableOn() and rewritePayloadVersion(): footers read, compared, re-stamped. */
import assert from "node:assert/strict";
import { decodePayload } from "./payload.ts";
import { payloadRdbVersion, peekRdbVersion, restorableOn, rewritePayloadVersion } from "./version.ts";
import { NONE, payload, str } from "./_test_util.ts";

Deno.test({
  name: "restorableOn() is true up to the payload's own RDB version and false below it",
  ...NONE,
  fn() {
    const p = payload(0, str("v"), 11);
    assert.equal(payloadRdbVersion(p), 11);
    assert.equal(restorableOn(p, 12), true);
    assert.equal(restorableOn(p, 11), true);
    assert.equal(restorableOn(p, 10), false);
  },
});

Deno.test({
  name: "rewritePayloadVersion() stamps a new version with a valid CRC and leaves the input alone",
  ...NONE,
  fn() {
    const p = payload(0, str("v"), 10);
    const newer = rewritePayloadVersion(p, 12);
    assert.equal(payloadRdbVersion(newer), 12);
    assert.equal(payloadRdbVersion(p), 10);
    assert.deepEqual(decodePayload(newer).value, decodePayload(p).value);
    assert.throws(() => decodePayload(rewritePayloadVersion(p, 13)), {
      name: "PayloadError",
      code: "version",
    });
    assert.throws(() => rewritePayloadVersion(p, 70000), { name: "PayloadError", code: "version" });
    const broken = p.slice();
    broken[1] ^= 1;
    assert.throws(() => rewritePayloadVersion(broken, 12), { name: "PayloadError", code: "checksum" });
  },
});

Deno.test({
  name: "peekRdbVersion() reads the footer's version without the CRC, undefined for a payload too short",
  ...NONE,
  fn() {
    const p = payload(0, str("v"), 12);
    assert.equal(peekRdbVersion(p), 12);
    const damaged = p.slice();
    damaged[damaged.length - 1] ^= 0xff; // CRC broken: still the version it claims
    assert.equal(peekRdbVersion(damaged), 12);
    assert.equal(peekRdbVersion(p.subarray(p.length - 11)), 12);
    assert.equal(peekRdbVersion(p.subarray(p.length - 10)), undefined);
  },
});
