/**
 * `riot replicate --converge N`: keys that still differ after the verification are copied again and
 * verified again, up to N rounds. Keys are made to differ after the copy without racing riot: a key only on
 * the target (the snapshot copy never deletes target keys), and keys that a `--mode liveonly` run never
 * copies because they did not change while it followed. The servers are compared by our own reads
 * (DEBUG DIGEST-VALUE and PEXPIRETIME per key), not by riot's verification line.
 */
import assert from "node:assert/strict";
import { assertSameData } from "./_digest.ts";
import { jsonOf, keysOf, replicate, uri } from "./_replicate_util.ts";
import { riot } from "./_riot.ts";
import { RedisServer, serverTest } from "./_server.ts";

/** A liveonly run that follows nothing (no writes): it ends after 300 ms idle and leaves the target as is. */
const IDLE_LIVEONLY = ["--mode", "liveonly", "--idle-timeout", "300"];

serverTest({
  name: "riot replicate --converge 1 deletes a key found only on the target after the copy",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    await source.cli("DEBUG", "POPULATE", "50", "key", "10");
    await target.cli("SET", "stale", "left over");

    const without = await replicate(source, target);
    assert.equal(without.code, 1, without.err);
    assert.equal(without.out, "OK:50 V:0 >:0 <:1 T:0\n", "the copy alone leaves the stale key");
    assert.equal(await target.cli("EXISTS", "stale"), "1");

    const run = await replicate(source, target, "--converge", "1", "--json");
    assert.equal(run.code, 0, run.err);
    const json = jsonOf(run);
    assert.equal(json.converged, 1);
    assert.deepEqual([json.verify.ok, json.verify.extra], [50, 0]);
    assert.equal(await target.cli("EXISTS", "stale"), "0");
    await assertSameData(source, target, { count: 50 });
  },
});

serverTest({
  name: "riot replicate --converge 1 repairs keys a liveonly run missed or left different, TTLs too",
  async fn() {
    await using source = await RedisServer.start({ notifyKeyspaceEvents: "KA" });
    await using target = await RedisServer.start();
    await source.cli("DEBUG", "POPULATE", "200", "key", "10");
    await source.cli("HSET", "hash", "a", "1", "b", "2");
    await source.cli("ZADD", "zset", "1.5", "a", "-inf", "b");
    const at = Date.now() + 3_600_777;
    await source.cli("PEXPIREAT", "hash", String(at));
    await target.cli("SET", "key:7", "a different value");

    // Without --converge the keys the liveonly run never saw stay missing, and the run says so.
    const missed = await riot([
      "replicate",
      uri(source),
      uri(target),
      "--progress",
      "none",
      ...IDLE_LIVEONLY,
      "--compare",
      "full",
    ]);
    assert.equal(missed.code, 1, missed.err);
    assert.equal(missed.out, "OK:0 V:1 >:201 <:0 T:0\n");

    const run = await riot([
      "replicate",
      uri(source),
      uri(target),
      "--progress",
      "none",
      ...IDLE_LIVEONLY,
      "--compare",
      "full",
      "--converge",
      "1",
    ]);
    assert.equal(run.code, 0, run.err);
    assert.equal(run.out, "OK:202 V:0 >:0 <:0 T:0\n");
    assert.match(run.err, /^warning: Converge round 1: re-copying 202 differing key\(s\)$/m);
    await assertSameData(source, target, { count: 202 });
    assert.equal(await target.cli("PEXPIRETIME", "hash"), String(at));
    assert.equal((await keysOf(target)).length, 202);
  },
});

serverTest({
  name: "riot replicate --converge 2 runs at most 2 rounds, then exits 1 as a key still differs",
  async fn() {
    await using source = await RedisServer.start();
    // DEL is refused on the target, so the stale key can never be repaired.
    await using target = await RedisServer.start({
      aclUsers: [{ name: "nodel", password: "nodel-pw", rules: "~* &* +@all -del -unlink" }],
    });
    await source.cli("SET", "a", "1");
    await target.cli("SET", "stale", "x");
    const targetUri = `redis://nodel:nodel-pw@${target.host}:${target.port}`;
    const converge = (rounds: string) =>
      riot(["replicate", uri(source), targetUri, "--progress", "none", "--converge", rounds, "--json"]);

    const none = await converge("0");
    assert.equal(none.code, 1, none.err);
    assert.equal(jsonOf(none).converged, 0, "--converge 0 re-copies nothing");

    const two = await converge("2");
    assert.equal(two.code, 1, two.err);
    const json = jsonOf(two);
    assert.equal(json.converged, 2);
    assert.deepEqual([json.verify.ok, json.verify.extra], [1, 1]);
    assert.equal(await target.cli("EXISTS", "stale"), "1");
    assert.equal(await target.cli("GET", "a"), "1");
  },
});

// The converge loop drops the failures of its re-copy (src/jobs/replicate.ts: the result of
// writeRecords is only counted as written/deleted): a RESTORE the target refuses during converge is
// neither counted nor named, so the run ends with ">:N" and no reason. The lead fixes it in the engine;
// enable this test then.
serverTest({
  name: "riot replicate --converge reports a RESTORE the target refuses during converge, with the reason" +
    " (ignored: the converge loop drops its failures today)",
  ignore: true,
  async fn() {
    await using source = await RedisServer.start({ notifyKeyspaceEvents: "KA" });
    await using target = await RedisServer.start({
      aclUsers: [{ name: "copier", password: "copier-pw", rules: "~* &* +@all -restore" }],
    });
    await source.cli("SET", "a", "1");
    await source.cli("SET", "b", "2");
    const run = await riot([
      "replicate",
      uri(source),
      `redis://copier:copier-pw@${target.host}:${target.port}`,
      "--progress",
      "none",
      ...IDLE_LIVEONLY,
      "--converge",
      "1",
      "--json",
    ]);
    assert.equal(run.code, 1, run.err);
    const json = jsonOf(run);
    assert.equal(json.converged, 1, "the converge round ran");
    assert.equal(json.verify.missing, 2);
    assert.equal(json.replication.failed, 2, "both refusals are counted");
    assert.equal(json.replication.failures[0].stage, "write");
    assert.match(json.replication.failures[0].reason, /^NOPERM .*restore/i);
    assert.match(json.replication.failures[0].advice, /\+restore/);
    assert.equal(await target.cli("DBSIZE"), "0");
  },
});
