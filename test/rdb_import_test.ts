/**
 * `riot rdb-import` against real servers: files SAVEd by the test's own redis-server (every type and
 * encoding, TTLs, several databases, a function library) and made by `redis-cli --rdb` are restored
 * exactly, checked key by key with the test's own reads; filters, --key-proc and -n; gzip and stdin; a
 * truncated and a bit-flipped file fail with the byte offset. Newer builds from RIOT_TEST_REDIS_SERVERS
 * (Redis 8.0: RDB 12 with hash field TTLs; Valkey 8.0: RDB 11) run the same round trip.
 */
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { assertSameByType } from "./_by_type.ts";
import { assertSameData, dataOf } from "./_digest.ts";
import { RedisCluster } from "./_cluster.ts";
import { populate } from "./_rdb_fixtures.ts";
import { raw } from "./_replicate_util.ts";
import { riot } from "./_riot.ts";
import { RedisServer, serverTest } from "./_server.ts";
import { serverBuild } from "./_servers.ts";

const FUNCTION_CODE = "#!lua name=riotlib\nredis.register_function('riot_one', function() return 1 end)";
const DBS = [0, 2, 5];

/** Fills `server` (every type and encoding in db 0, TTL'd keys in dbs 2 and 5, a function), then SAVEs. */
async function savedFile(server: RedisServer, fieldTtls: boolean): Promise<string> {
  const conn = await raw(server);
  try {
    await populate(conn, { fieldTtls });
    await conn.call("PEXPIRE", "str:short", 3_600_000);
    await conn.call("FUNCTION", "LOAD", FUNCTION_CODE);
    for (const db of [2, 5]) {
      await conn.call("SELECT", db);
      for (let i = 0; i < 50; i++) {
        await conn.pipeline([
          ["SET", `db${db}:s:${i}`, `v${i}`, "PX", 600_000 + i],
          ["HSET", `db${db}:h:${i}`, "f", i],
          ["EXPIREAT", `db${db}:h:${i}`, 2_000_000_000 + i],
        ]);
      }
    }
  } finally {
    conn.close();
  }
  await server.cli("SAVE");
  return `${server.dir}/dump.rdb`;
}

async function assertImported(source: RedisServer, target: RedisServer): Promise<void> {
  for (const db of DBS) await assertSameData(source, target, { db });
  assert.match(await target.cli("FUNCTION", "LIST"), /riotlib/);
}

async function importRoundTrip(binary?: string, fieldTtls = false): Promise<void> {
  await using source = await RedisServer.start({ binary });
  await using target = await RedisServer.start({ binary });
  const file = await savedFile(source, fieldTtls);
  const run = await riot(["rdb-import", file, "-p", String(target.port), "--progress", "none"]);
  assert.equal(run.code, 0, run.err);
  assert.match(run.err, /Count check: \d+ keys and libraries in the file after the filters, \d+ written: OK/);
  await assertImported(source, target);
}

serverTest({
  name: "riot rdb-import restores a SAVEd file (every type and encoding, TTLs, 3 databases, a function)",
  fn: () => importRoundTrip(),
});

for (const [name, fieldTtls] of [["redis-8.0", true], ["valkey-8.0", false]] as const) {
  const { build, missing } = serverBuild(name);
  serverTest({
    name: `riot rdb-import restores a file SAVEd by ${name} into ${name}${missing}`,
    ignore: !build,
    fn: () => importRoundTrip(build!.binary, fieldTtls),
  });
}

serverTest({
  name: "riot rdb-import reads redis-cli --rdb output, gzipped, from a file and from stdin",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    await savedFile(source, false);
    const file = `${source.dir}/cli.rdb`;
    await source.cli("--rdb", file);
    const gz = `${source.dir}/cli.rdb.gz`;
    await Deno.writeFile(gz, gzipSync(await Deno.readFile(file)));
    const run = await riot(["rdb-import", gz, "-p", String(target.port), "--progress", "none", "--json"]);
    assert.equal(run.code, 0, run.err);
    const result = JSON.parse(run.out);
    assert.equal(result.check.ok, true);
    assert.equal(result.file.checksum, true);
    await assertImported(source, target);

    await target.cli("FLUSHALL");
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("../main.ts", import.meta.url).pathname,
        "rdb-import",
        "-",
        "-p",
        String(target.port),
        "--progress",
        "none",
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(await Deno.readFile(gz));
    await writer.close();
    const out = await child.output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    await assertImported(source, target);
  },
});

serverTest({
  name: "riot rdb-import applies --key-include, --key-type, --key-proc and -n (all keys into one database)",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    const file = await savedFile(source, false);
    const run = await riot([
      "rdb-import",
      file,
      "-p",
      String(target.port),
      "-n",
      "3",
      "--key-include",
      "db2:*",
      "--key-type",
      "hash",
      "--key-proc",
      "copy:#{key}",
      "--progress",
      "none",
    ]);
    assert.equal(run.code, 0, run.err);
    const keys = (await target.cli("-n", "3", "--scan")).split("\n").sort();
    assert.deepEqual(keys, Array.from({ length: 50 }, (_, i) => `copy:db2:h:${i}`).sort());
    assert.equal(await target.cli("-n", "3", "HGET", "copy:db2:h:7", "f"), "7");
    assert.equal(await target.cli("-n", "3", "EXPIRETIME", "copy:db2:h:7"), "2000000007");
    assert.equal(await target.cli("DBSIZE"), "0");
  },
});

serverTest({
  name: "riot rdb-import fails with the byte offset on a truncated file and on a bit-flipped one",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    const file = await savedFile(source, false);
    const bytes = await Deno.readFile(file);
    const cut = `${source.dir}/cut.rdb`;
    await Deno.writeFile(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const truncated = await riot(["rdb-import", cut, "-p", String(target.port), "--progress", "none"]);
    assert.equal(truncated.code, 1, truncated.err);
    assert.match(truncated.err, /The RDB file ends early: the item at offset \d+/);

    const flipped = bytes.slice();
    flipped[bytes.length - 100] ^= 0x10; // inside the last values: only the checksum can tell
    const bad = `${source.dir}/flipped.rdb`;
    await Deno.writeFile(bad, flipped);
    const corrupt = await riot(["rdb-import", bad, "-p", String(target.port), "--progress", "none"]);
    assert.equal(corrupt.code, 1, corrupt.err);
    // Where the flipped bit lands depends on the saved data: the checksum, or a length or encoding that no
    // longer fits, catches it; every such error names the byte offset.
    assert.match(corrupt.err, /offset \d+/i);

    const missing = await riot(["rdb-import", `${source.dir}/none.rdb`, "-p", String(target.port)]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /Cannot read the RDB file .*none\.rdb/);
  },
});

for (const name of ["redis-8.0", "redis-7.4"]) {
  const newer = serverBuild(name);
  serverTest({
    name:
      `riot rdb-import writes an RDB 12 file (${name}) into Redis 7.0 by type, identical; --no-fallback reports${newer.missing}`,
    ignore: !newer.build,
    async fn() {
      await using source = await RedisServer.start({ binary: newer.build!.binary });
      await using target = await RedisServer.start();
      const file = await savedFile(source, false);
      const refused = await riot([
        "rdb-import",
        file,
        "-p",
        String(target.port),
        "--progress",
        "none",
        "--no-fallback",
      ]);
      assert.equal(refused.code, 1, refused.err);
      assert.match(
        refused.err,
        /key\(s\) not copied: .*payload version or checksum are wrong.*What to do: /i,
      );
      assert.match(
        refused.err,
        /Count check: .* written, \d+ failed: the target does not have the whole file/,
      );

      await target.cli("FLUSHALL");
      const run = await riot(["rdb-import", file, "-p", String(target.port), "--progress", "none", "--json"]);
      assert.equal(run.code, 0, run.err);
      const result = JSON.parse(run.out);
      assert.equal(result.file.version, 12);
      assert.equal(result.check.ok, true);
      assert.equal(result.import.failed, 0);
      assert.equal(result.import.typeBased.total, result.file.keys, "every key by type, from the first");
      assert.deepEqual(Object.keys(result.import.typeBased.reasons).length, 1);
      assert.match(
        Object.keys(result.import.typeBased.reasons)[0],
        /Redis 7\.0\.\d+ reads RDB version 10 at most, the source's payloads are version 12/,
      );
      let keys = 0;
      for (const db of DBS) keys += await assertSameByType(source, target, db, { fieldTtls: false });
      assert.equal(keys, result.file.keys);
      assert.match(await target.cli("FUNCTION", "LIST"), /riotlib/);

      await target.cli("FLUSHALL");
      const text = await riot(["rdb-import", file, "-p", String(target.port), "--progress", "none"]);
      assert.equal(text.code, 0, text.err);
      assert.match(text.err, /\d+ key\(s\) copied by type instead of RESTORE \(\d+: Redis 7\.0/);
    },
  });
}

serverTest({
  name:
    "riot rdb-import -c into a 3-master cluster: every key by its slot, all databases into 0, the function on every master",
  async fn() {
    await using source = await RedisServer.start();
    await using cluster = await RedisCluster.start({ masters: 3 });
    const file = await savedFile(source, false);
    const [node] = cluster.nodes;
    const run = await riot([
      "rdb-import",
      file,
      "-h",
      node.host,
      "-p",
      String(node.port),
      "-c",
      "--progress",
      "none",
    ]);
    assert.equal(run.code, 0, run.err);
    assert.match(run.err, /200 key\(s\) of databases 2, 5 of the file went to database 0 of the cluster/);
    const expected = new Map();
    for (const db of DBS) for (const [id, state] of await dataOf(source, db)) expected.set(id, state);
    const actual = new Map();
    for (const master of cluster.nodes) {
      for (const [id, state] of await dataOf(master)) actual.set(id, state);
      assert.match(await master.cli("FUNCTION", "LIST"), /riotlib/);
    }
    assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
    for (const [id, state] of expected) assert.deepEqual(actual.get(id), state, id);
  },
});
