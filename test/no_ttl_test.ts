/** `riot replicate --no-ttl`: keys arrive without their TTL in every write path, and verification agrees. */
import assert from "node:assert/strict";
import { jsonOf, raw, replicate } from "./_replicate_util.ts";
import { RedisServer, serverTest } from "./_server.ts";

for (
  const extra of [[], ["--struct"], ["--big-key-threshold", "1kb"], [
    "--struct",
    "--big-key-threshold",
    "1kb",
  ]]
) {
  serverTest({
    name: `riot replicate --no-ttl ${
      extra.join(" ")
    } writes every key without its TTL; --compare full exits 0`,
    async fn() {
      await using source = await RedisServer.start();
      await using target = await RedisServer.start({ args: ["--rename-command", "RESTORE", ""] });
      const conn = await raw(source);
      const fields = Array.from({ length: 2000 }, (_, i) => [`f${i}`, `v${i}`]).flat();
      await conn.pipeline([
        ["SET", "s", "v", "PX", 600_000],
        ["HSET", "big", ...fields],
        ["PEXPIRE", "big", 600_000],
        ["RPUSH", "l", "a", "b"],
        ["PEXPIRE", "l", 600_000],
      ]);
      conn.close();
      const run = await replicate(source, target, "--no-ttl", "--compare", "full", "--json", ...extra);
      assert.equal(run.code, 0, run.err);
      assert.equal(jsonOf(run).verify.ok, 3);
      for (const key of ["s", "big", "l"]) assert.equal(await target.cli("PEXPIRETIME", key), "-1", key);
      assert.equal(await target.cli("HLEN", "big"), "2000");
    },
  });
}

serverTest({
  name: "riot replicate --no-ttl through RESTORE writes ttl 0",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    await source.cli("SET", "s", "v", "PX", "600000");
    const run = await replicate(source, target, "--no-ttl");
    assert.equal(run.code, 0, run.err);
    assert.equal(await target.cli("PEXPIRETIME", "s"), "-1");
    assert.equal(await target.cli("GET", "s"), "v");
  },
});
