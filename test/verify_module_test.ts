/**
 * Module values in a verification: when their payloads differ, riot cannot compare them as data (no module
 * server is available to these tests, so the classification is tested on its own, and the report by its
 * shape): they count as `unstable`, never as V, and do not make the run differ.
 */
import assert from "node:assert/strict";
import { differs, unequalKind, type VerifyResult } from "../src/verify/verify.ts";
import { reportVerify, verifyJson } from "../src/ui/report.ts";

Deno.test({
  name: "unequalKind() counts Redis' own types as value differences and module types apart",
  permissions: "none",
  fn() {
    for (const type of ["string", "list", "set", "zset", "hash", "stream"]) {
      assert.equal(unequalKind(type), "value", type);
    }
    for (const type of ["ReJSON-RL", "MBbloom--", "TSDB-TYPE", "CMSk-TYPE", "vectorset"]) {
      assert.equal(unequalKind(type), "module", type);
    }
  },
});

Deno.test({
  name: "An unstable module payload is reported apart, in --json too, and does not make the run differ",
  permissions: "none",
  fn() {
    const result: VerifyResult = {
      ok: 3,
      value: 0,
      missing: 0,
      extra: 0,
      ttl: 0,
      expired: 0,
      unstable: 1,
      skipped: 0,
      diffs: [{ key: new TextEncoder().encode("doc"), kind: "module", detail: "ReJSON-RL payloads differ" }],
      rounds: 1,
      seconds: 0,
    };
    assert.equal(differs(result), false);
    assert.equal(verifyJson(result, 10).unstableModulePayloads, 1);
    let out = "";
    const notices: string[] = [];
    const log = { notice: (m: string) => notices.push(m), warn: (m: string) => notices.push(m) };
    reportVerify(result, 10, log as never, (text) => out += text);
    assert.match(out, /^OK:3 V:0 >:0 <:0 T:0\nUnstable module payloads: 1 /);
    assert.match(notices.join("\n"), /~ doc: ReJSON-RL payloads differ/);
  },
});
