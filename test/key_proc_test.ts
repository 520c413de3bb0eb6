/**
 * `riot replicate --key-proc` and `riot compare --key-proc` against real servers: every write path (RESTORE,
 * --struct, big keys in windows, live changes and deletes) writes the renamed keys, checked with our own
 * reads; the verification compares each source key with its image and still finds target keys that no
 * source key maps to; a bad template is a usage error naming the column; a cluster target takes each
 * renamed key on the master that owns its slot.
 */
import assert from "node:assert/strict";
import { compare, jsonOf, keysOf, raw, replicate, uri } from "./_replicate_util.ts";
import { RedisServer, redisServerMissing, serverTest } from "./_server.ts";
import { RedisCluster } from "./_cluster.ts";
import { assertSameContents, contentsOf, mastersOf, sampleCommands, writeTo } from "./_cluster_data.ts";
import { riot } from "./_riot.ts";
import { waitFor } from "./_promise_util.ts";

/** One key of each type, a binary key and one with a TTL. */
async function seed(server: RedisServer): Promise<void> {
  const conn = await raw(server);
  try {
    await conn.pipeline([
      ["SET", "s", "v", "PX", 600_000],
      ["SET", new Uint8Array([0xff, 0x00, 0x7b]), "binary"],
      ["RPUSH", "l", "a", "b", "c"],
      ["SADD", "set", "x", "y"],
      ["ZADD", "z", "0.1", "m", "-inf", "n"],
      ["HSET", "h", "f", "v"],
      ["XADD", "x", "1-1", "f", "v"],
    ]);
  } finally {
    conn.close();
  }
}

const TYPED = ["hash:h", "list:l", "set:set", "stream:x", "string:s", "string:\xff\x00{", "zset:z"];

/** Every key of the server, each byte as one latin1 character (binary keys stay exact), sorted. */
async function latinKeysOf(server: RedisServer): Promise<string[]> {
  const conn = await raw(server);
  try {
    const [, keys] = await conn.call("SCAN", "0", "COUNT", "1000") as [unknown, Uint8Array[]];
    return keys.map((key) => new TextDecoder("latin1").decode(key)).sort();
  } finally {
    conn.close();
  }
}

for (const extra of [[], ["--struct"], ["--big-key-threshold", "1b"]]) {
  serverTest({
    name:
      `riot replicate --key-proc '#{type}:#{key}' ${extra.join(" ")} writes every key under its new name; ` +
      "--compare full finds no difference",
    async fn() {
      await using source = await RedisServer.start();
      await using target = await RedisServer.start();
      await seed(source);
      const run = await replicate(
        source,
        target,
        "--key-proc",
        "#{type}:#{key}",
        "--compare",
        "full",
        "--json",
        ...extra,
      );
      assert.equal(run.code, 0, run.err);
      const result = jsonOf(run);
      assert.equal(result.verify.ok, 7);
      assert.equal(result.verify.extra + result.verify.missing + result.verify.value, 0);
      assert.deepEqual(await latinKeysOf(target), TYPED.sort());
      assert.equal(await target.cli("LRANGE", "list:l", "0", "-1"), "a\nb\nc");
      assert.equal(await target.cli("ZSCORE", "zset:z", "n"), "-inf");
      assert.equal(await target.cli("XRANGE", "stream:x", "-", "+"), "1-1\nf\nv");
      const ttl = Number(await target.cli("PTTL", "string:s"));
      assert.ok(ttl > 500_000 && ttl <= 600_000, `TTL kept: ${ttl}`);
    },
  });
}

serverTest({
  name: "riot compare --key-proc finds target keys no source key maps to, and a changed image",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    await seed(source);
    const copied = await replicate(source, target, "--key-proc", "#{type}:#{key}");
    assert.equal(copied.code, 0, copied.err);
    // An image of a source key that does not exist, one of the wrong type, a key the template cannot make.
    await target.cli("SET", "string:ghost", "1");
    await target.cli("SET", "list:s", "wrong type");
    await target.cli("SET", "unrelated", "1");
    await target.cli("HSET", "hash:h", "f", "changed");
    const compared = await compare(
      source,
      target,
      "--key-proc",
      "#{type}:#{key}",
      "--mode",
      "full",
      "--json",
    );
    assert.equal(compared.code, 1, compared.err);
    const diff = jsonOf(compared);
    assert.deepEqual(
      { ok: diff.ok, value: diff.value, extra: diff.extra, missing: diff.missing },
      { ok: 6, value: 1, extra: 3, missing: 0 },
    );
    const changed = diff.diffs.find((d: { kind: string }) => d.kind === "value");
    assert.deepEqual(changed, { key: "h", targetKey: "hash:h", kind: "value", detail: "hash value differs" });
    // Without --key-proc every key differs: the template is what makes them line up.
    const plain = jsonOf(await compare(source, target, "--json"));
    assert.equal(plain.missing, 7);
    // --converge deletes the keys only in the target by their own name and copies the changed one again.
    const converged = await replicate(
      source,
      target,
      "--key-proc",
      "#{type}:#{key}",
      "--compare",
      "full",
      "--converge",
      "1",
      "--json",
    );
    assert.equal(converged.code, 0, converged.err);
    assert.equal(await target.cli("EXISTS", "string:ghost", "list:s", "unrelated"), "0");
    assert.equal(await target.cli("HGET", "hash:h", "f"), "v");
  },
});

serverTest({
  name: "riot compare --key-proc with --key-pattern counts only target keys that in-scope source keys map to",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    await source.cli("MSET", "a:1", "1", "b:1", "1");
    assert.equal((await replicate(source, target, "--key-proc", "c:#{key}", "--key-pattern", "a:*")).code, 0);
    await target.cli("MSET", "c:a:2", "1", "c:b:2", "1", "other", "1");
    const diff = jsonOf(
      await compare(source, target, "--key-proc", "c:#{key}", "--key-pattern", "a:*", "--json"),
    );
    assert.deepEqual({ ok: diff.ok, extra: diff.extra }, { ok: 1, extra: 1 }); // c:a:2 only
  },
});

serverTest({
  name:
    "riot replicate --key-proc with a bad template exits 2 and names the column; --mode sync refuses the options",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    const unknown = await replicate(source, target, "--key-proc", "new:#{name}");
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /unknown placeholder #\{name\} at column 5/);
    for (const option of [["--key-proc", "x:#{key}"], ["--no-stream-id"], ["--stream-prune"]]) {
      const sync = await replicate(source, target, "--mode", "sync", ...option);
      assert.equal(sync.code, 2, option.join(" "));
      assert.match(sync.err, /not yet with --mode sync/);
    }
    const constant = await compare(source, target, "--key-proc", "#{type}");
    assert.equal(constant.code, 2);
    assert.match(constant.err, /has no #\{key\}/);
  },
});

/** `riot replicate --live --key-proc '#{type}:#{key}' --json` for 1.5 s of idle time (not awaited). */
function liveByType(source: RedisServer, target: RedisServer) {
  return riot([
    "replicate",
    uri(source),
    uri(target),
    "--live",
    "--idle-timeout",
    "1500",
    "--key-proc",
    "#{type}:#{key}",
    "--progress",
    "none",
    "--json",
  ]);
}

serverTest({
  name: "riot replicate --live --key-proc copies changes and deletes under the new names",
  async fn() {
    await using source = await RedisServer.start({ notifyKeyspaceEvents: "KA" });
    await using target = await RedisServer.start();
    await source.cli("SET", "before", "1");
    const run = liveByType(source, target);
    await waitFor("the snapshot", async () => await target.cli("EXISTS", "string:before") === "1");
    await source.cli("HSET", "after", "f", "v");
    await waitFor("the live change", async () => await target.cli("EXISTS", "hash:after") === "1");
    await source.cli("DEL", "before");
    await waitFor("the live delete", async () => await target.cli("EXISTS", "string:before") === "0");
    const done = await run;
    assert.equal(done.code, 0, done.err);
    assert.equal(jsonOf(done).verify.ok, 1);
    assert.deepEqual(await keysOf(target), ["hash:after"]);
  },
});

serverTest({
  name:
    "riot replicate --live --key-proc '#{type}:#{key}': a key that changes type leaves no image under its old type",
  async fn() {
    await using source = await RedisServer.start({ notifyKeyspaceEvents: "KA" });
    await using target = await RedisServer.start();
    await source.cli("SET", "k", "1");
    const run = liveByType(source, target);
    await waitFor("the snapshot", async () => await target.cli("EXISTS", "string:k") === "1");
    // One atomic change of type: the string k becomes a hash (no delete event for k).
    await source.cli("HSET", "staging", "f", "v");
    await source.cli("RENAME", "staging", "k");
    await waitFor("the live change", async () => await target.cli("EXISTS", "hash:k") === "1");
    const done = await run;
    assert.equal(done.code, 0, done.err);
    assert.deepEqual(await keysOf(target), ["hash:k"], "the string image of k is gone");
    assert.equal(jsonOf(done).verify.ok, 1);
  },
});

Deno.test({
  name: "riot replicate --key-proc onto a cluster: each renamed key lands on the master owning its slot",
  ignore: !!redisServerMissing,
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisCluster.start({ masters: 3 });
    await writeTo(source, false, sampleCommands(300));
    const run = await riot([
      "replicate",
      uri(source),
      uri(target.nodes[0]),
      "--target-cluster",
      "--key-proc",
      "copy:#{key}",
      "--compare",
      "full",
      "--progress",
      "none",
      "--json",
    ]);
    assert.equal(run.code, 0, run.err);
    assert.equal(jsonOf(run).verify.ok, 300);
    const want = new Map([...await contentsOf([source])].map(([key, value]) => [`copy:${key}`, value]));
    assertSameContents(want, await contentsOf(await mastersOf(target)), "renamed source vs cluster");
  },
});

serverTest({
  name:
    "riot replicate --live --key-proc: a re-scan prunes target keys no source key maps to, and keeps images",
  async fn() {
    await using source = await RedisServer.start({ notifyKeyspaceEvents: "KA" });
    await using target = await RedisServer.start();
    await source.cli("MSET", "a", "1", "b", "2");
    await target.cli("SET", "copy:ghost", "no source key maps here");
    const run = riot([
      "replicate",
      uri(source),
      uri(target),
      "--live",
      "--idle-timeout",
      "2000",
      "--key-proc",
      "copy:#{key}",
      "--progress",
      "none",
    ]);
    await waitFor("the snapshot", async () => await target.cli("EXISTS", "copy:a", "copy:b") === "2");
    await source.cli("CLIENT", "KILL", "TYPE", "pubsub"); // lost events: the follower re-scans
    await source.cli("SET", "c", "3");
    const done = await run;
    assert.equal(done.code, 0, done.err + done.out);
    assert.match(done.err, /re-scan/i);
    assert.equal(await target.cli("EXISTS", "copy:ghost"), "0", "pruned: no source key maps to it");
    assert.deepEqual(await keysOf(target), ["copy:a", "copy:b", "copy:c"]);
  },
});
