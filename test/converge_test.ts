/**
 * `riot replicate --converge N`: keys that still differ after the verification are copied again and
 * verified again, up to N rounds. Keys are made to differ after the copy without racing riot: a key only on
 * the target (the snapshot copy never deletes target keys), and keys a `--mode liveonly` run copied and
 * the test then changed on the target before the run's idle timeout. The servers are compared by our own reads
 * (DEBUG DIGEST-VALUE and PEXPIRETIME per key), not by riot's verification line.
 */
import assert from "node:assert/strict";
import { assertSameData } from "./_digest.ts";
import { jsonOf, replicate, uri } from "./_replicate_util.ts";
import { riot } from "./_riot.ts";
import { RedisServer, serverTest } from "./_server.ts";

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
  name: "riot replicate --converge 1 repairs keys that differ after a liveonly run copied them, TTLs too",
  async fn() {
    await using source = await RedisServer.start({ notifyKeyspaceEvents: "KA" });
    await using target = await RedisServer.start();
    await source.cli("DEBUG", "POPULATE", "200", "key", "10");
    const at = Date.now() + 3_600_777;

    // The run copies the keys changed while it follows; the test then spoils two of them on the target
    // (a value, and a whole hash with its TTL) before the run's idle timeout ends the live phase.
    const spoiled = async (converge: string[]) => {
      const run = riot([
        "replicate",
        uri(source),
        uri(target),
        "--progress",
        "none",
        "--mode",
        "liveonly",
        "--idle-timeout",
        "1500",
        "--compare",
        "full",
        ...converge,
      ]);
      await until(async () => Number(await source.cli("PUBSUB", "NUMPAT")) >= 1);
      await source.cli("SET", "key:7", "changed");
      await source.cli("HSET", "hash", "a", "1", "b", "2");
      await source.cli("PEXPIREAT", "hash", String(at));
      await until(async () => await target.cli("PEXPIRETIME", "hash") === String(at));
      await target.cli("SET", "key:7", "a different value");
      await target.cli("DEL", "hash");
      return await run;
    };

    const missed = await spoiled([]);
    assert.equal(missed.code, 1, missed.err);
    assert.equal(missed.out, "OK:0 V:1 >:1 <:0 T:0\n");

    const run = await spoiled(["--converge", "1"]);
    assert.equal(run.code, 0, run.err);
    assert.equal(run.out, "OK:2 V:0 >:0 <:0 T:0\n");
    assert.match(run.err, /^warning: Converge round 1: re-copying 2 differing key\(s\)$/m);
    await assertSameData(source, target, { keys: ["key:7", "hash"] });
    assert.equal(await target.cli("PEXPIRETIME", "hash"), String(at));
  },
});

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

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

// The converge loop used to drop the failures of its re-copy: a command the target refused during
// converge was neither counted nor named. Converge now runs through the transfer engine.
serverTest({
  name: "riot replicate --converge reports a command the target refuses during converge, with the reason",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start({
      aclUsers: [{ name: "nodel", password: "nodel-pw", rules: "~* &* +@all -del -unlink" }],
    });
    await source.cli("SET", "a", "1");
    await target.cli("SET", "stale", "x");
    const run = await riot([
      "replicate",
      uri(source),
      `redis://nodel:nodel-pw@${target.host}:${target.port}`,
      "--progress",
      "none",
      "--converge",
      "1",
      "--json",
    ]);
    assert.equal(run.code, 1, run.err);
    const json = jsonOf(run);
    assert.equal(json.converged, 1, "the converge round ran");
    assert.equal(json.verify.extra, 1);
    assert.equal(json.replication.failed, 1, "the refusal is counted");
    assert.equal(json.replication.failures[0].stage, "write");
    assert.match(json.replication.failures[0].reason, /^NOPERM .*del/i);
    assert.match(json.replication.failures[0].advice, /\+del/);
    assert.equal(await target.cli("EXISTS", "stale"), "1");
  },
});
