/**
 * `riot rdb-export` against real servers: riot connects as a replica and saves the snapshot, diskless
 * (Redis 7's default) and disk-based; the file is checked by importing it into a second server and
 * comparing key by key, and against redis-server's own loading of it; a user without replication
 * permission gets one line suggesting --live, and no file is left behind.
 */
import assert from "node:assert/strict";
import { assertSameData } from "./_digest.ts";
import { populate } from "./_rdb_fixtures.ts";
import { raw } from "./_replicate_util.ts";
import { riot } from "./_riot.ts";
import { RedisServer, serverTest } from "./_server.ts";

async function fill(server: RedisServer): Promise<void> {
  const conn = await raw(server);
  try {
    await populate(conn, { fieldTtls: false });
    await conn.call("SELECT", 4);
    for (let i = 0; i < 100; i++) await conn.call("SET", `db4:${i}`, `v${i}`, "PX", 900_000);
  } finally {
    conn.close();
  }
}

for (const diskless of ["yes", "no"]) {
  serverTest({
    name: `riot rdb-export saves a checked snapshot (repl-diskless-sync ${diskless}) that imports exactly`,
    async fn() {
      await using source = await RedisServer.start({
        args: ["--repl-diskless-sync", diskless, "--repl-diskless-sync-delay", "0"],
      });
      await using target = await RedisServer.start();
      await fill(source);
      const file = `${source.dir}/export.rdb`;
      const run = await riot(["rdb-export", file, "-p", String(source.port), "--progress", "none", "--json"]);
      assert.equal(run.code, 0, run.err);
      const result = JSON.parse(run.out).export;
      assert.equal(result.diskless, diskless === "yes");
      assert.equal(result.checksum, true);
      assert.equal(result.bytes, (await Deno.stat(file)).size);
      const imported = await riot(["rdb-import", file, "-p", String(target.port), "--progress", "none"]);
      assert.equal(imported.code, 0, imported.err);
      await assertSameData(source, target, { db: 0 });
      await assertSameData(source, target, { db: 4, count: 100 });
      // redis-server itself loads the file: it is a valid RDB file, not only to riot.
      await using loaded = await RedisServer.start({
        args: ["--dbfilename", "export.rdb", "--dir", source.dir],
      });
      await assertSameData(source, loaded, { db: 4, count: 100 });
    },
  });
}

serverTest({
  name: "riot rdb-export on a source that refuses PSYNC says so in one line, suggests --live, leaves no file",
  async fn() {
    await using source = await RedisServer.start({
      aclUsers: [{ name: "app", password: "pw", rules: "~* &* +@all -psync -sync" }],
    });
    const file = `${source.dir}/refused.rdb`;
    const run = await riot([
      "rdb-export",
      file,
      "-u",
      `redis://app:pw@127.0.0.1:${source.port}`,
      "--progress",
      "none",
    ]);
    assert.equal(run.code, 1, run.err);
    assert.match(run.err, /refuses to serve a replica \(PSYNC: NOPERM.*Use --live/);
    assert.doesNotMatch(run.err, /pw@/);
    await assert.rejects(() => Deno.stat(file));
    await assert.rejects(() => Deno.stat(`${file}.partial`));
  },
});
