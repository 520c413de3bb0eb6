/**
 * The verification skips the scan of the target for keys only there when DBSIZE proves there are none
 * (src/verify/verify.ts, `targetPassSkipped`), says so in debug output, and never misses a key that is
 * only on the target — also when both sides hold as many keys.
 */
import assert from "node:assert/strict";
import { compare, replicate } from "./_replicate_util.ts";
import { RedisServer, serverTest } from "./_server.ts";

const SKIPPED = /Verification: the target was not scanned for keys only there: its DBSIZE \(2000\)/;
const SCANNED = /Verification: scanning the target for keys only there/;

serverTest({
  name: "verification: identical sides skip the target scan and say so with -d; an extra key is still found",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    await source.cli("DEBUG", "POPULATE", "2000", "key", "8");
    const copy = await replicate(source, target, "-d");
    assert.equal(copy.code, 0, copy.err);
    assert.equal(copy.out, "OK:2000 V:0 >:0 <:0 T:0\n");
    // replicate checks the keys its copy scanned (test/verify_key_log_test.ts); compare scans.
    assert.match(copy.err, /Verification: checked the 2000 keys the copy scanned instead of scanning again/);

    const same = await compare(source, target, "-d");
    assert.equal(same.out, "OK:2000 V:0 >:0 <:0 T:0\n");
    assert.match(same.err, SKIPPED);

    await target.cli("SET", "only-on-target", "x");
    const extra = await compare(source, target, "-d");
    assert.equal(extra.code, 1);
    assert.equal(extra.out, "OK:2000 V:0 >:0 <:1 T:0\n");
    assert.match(extra.err, SCANNED);
    assert.match(extra.err, /< only-on-target: only in target/);
  },
});

serverTest({
  name:
    "verification: a key only in the target is found when both sides hold as many keys (one missing there)",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    await source.cli("DEBUG", "POPULATE", "2000", "key", "8");
    const copy = await replicate(source, target);
    assert.equal(copy.code, 0, copy.err);
    await target.cli("DEL", "key:7");
    await target.cli("SET", "only-on-target", "x");
    assert.equal(await source.cli("DBSIZE"), await target.cli("DBSIZE"));
    for (const mode of ["quick", "full"]) {
      const run = await compare(source, target, "--mode", mode, "-d");
      assert.equal(run.code, 1);
      assert.equal(run.out, "OK:1999 V:0 >:1 <:1 T:0\n", mode);
      assert.match(run.err, SCANNED);
      assert.match(run.err, /< only-on-target: only in target/);
      assert.match(run.err, /> key:7: only in source/);
    }
  },
});
