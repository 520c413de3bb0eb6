/**
 * RIOT's stream options against real servers: `--no-stream-id` writes every stream by type with new IDs
 * (over a target stream whose IDs are newer than the source's), without groups, and the verification
 * compares entries and fields in order; `--stream-prune` drops empty streams (not copied, an older copy
 * deleted) and the verification counts them as OK. Checked with our own reads.
 */
import assert from "node:assert/strict";
import { compare, jsonOf, raw, replicate } from "./_replicate_util.ts";
import { RedisServer, serverTest } from "./_server.ts";

async function seedStreams(source: RedisServer): Promise<void> {
  const conn = await raw(source);
  try {
    await conn.pipeline([
      ["XADD", "s", "1-1", "f", "a", "g", "b"],
      ["XADD", "s", "2-1", "f", "c"],
      ["XGROUP", "CREATE", "s", "readers", "0"],
      ["XADD", "empty", "1-1", "f", "x"],
      ["XDEL", "empty", "1-1"],
      ["SET", "plain", "v"],
    ]);
  } finally {
    conn.close();
  }
}

for (const extra of [[], ["--struct"]]) {
  serverTest({
    name:
      `riot replicate --no-stream-id ${extra.join(" ")} adds entries with new IDs over a target with newer ` +
      "IDs, without groups; --compare full exits 0",
    async fn() {
      await using source = await RedisServer.start();
      await using target = await RedisServer.start();
      await seedStreams(source);
      await target.cli("XADD", "s", "9999999999999-0", "old", "entry");
      const run = await replicate(source, target, "--no-stream-id", "--compare", "full", "--json", ...extra);
      assert.equal(run.code, 0, run.err);
      const result = jsonOf(run);
      assert.equal(result.verify.ok, 3);
      const entries = (await target.cli("XRANGE", "s", "-", "+")).split("\n");
      assert.equal(entries.length, 8, entries.join(" ")); // two entries: id, f, a, g, b / id, f, c
      assert.deepEqual([entries[1], entries[2], entries[3], entries[4], entries[6], entries[7]], [
        "f",
        "a",
        "g",
        "b",
        "f",
        "c",
      ]);
      for (const id of [entries[0], entries[5]]) {
        assert.ok(Number(id.split("-")[0]) > 1_600_000_000_000, `a new ID from the target's clock: ${id}`);
      }
      assert.equal(await target.cli("XINFO", "GROUPS", "s"), "");
      assert.equal(await target.cli("XLEN", "empty"), "0"); // kept: no --stream-prune
      if (extra.length === 0) assert.ok(result.replication.typeBased.total >= 2, "streams went by type");
      // The IDs really differ: a compare that keeps them sees the value difference.
      const strict = jsonOf(await compare(source, target, "--mode", "full", "--json"));
      assert.equal(strict.value, 1);
      const relaxed = await compare(source, target, "--mode", "full", "--no-stream-ids", "--json");
      assert.equal(relaxed.code, 0, relaxed.out);
    },
  });
}

serverTest({
  name: "riot replicate --no-stream-id: a stream whose entries differ in order or fields is still V",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    await source.cli("XADD", "s", "1-1", "f", "a");
    await source.cli("XADD", "s", "1-2", "f", "b");
    await target.cli("XADD", "s", "5-1", "f", "b");
    await target.cli("XADD", "s", "5-2", "f", "a");
    const run = jsonOf(await compare(source, target, "--mode", "full", "--no-stream-id", "--json"));
    assert.equal(run.value, 1);
  },
});

for (const extra of [[], ["--struct"]]) {
  serverTest({
    name: `riot replicate --stream-prune ${
      extra.join(" ")
    } drops an empty stream (and deletes an older copy); the verification counts it OK`,
    async fn() {
      await using source = await RedisServer.start();
      await using target = await RedisServer.start();
      await seedStreams(source);
      await target.cli("XADD", "empty", "7-7", "stale", "copy");
      const run = await replicate(source, target, "--stream-prune", "--compare", "full", "--json", ...extra);
      assert.equal(run.code, 0, run.err);
      assert.equal(jsonOf(run).verify.ok, 3);
      assert.equal(await target.cli("EXISTS", "empty"), "0");
      assert.equal(await target.cli("XRANGE", "s", "-", "+"), "1-1\nf\na\ng\nb\n2-1\nf\nc"); // IDs kept
      assert.equal((await target.cli("XINFO", "GROUPS", "s")).split("\n")[1], "readers");
      const plain = jsonOf(await compare(source, target, "--json"));
      assert.equal(plain.missing, 1); // without the option the empty stream is a difference
    },
  });
}
