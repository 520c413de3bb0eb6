/**
 * `riot replicate --struct` against real servers: every type and encoding read with type commands from a
 * source whose DUMP is renamed away, rebuilt on the target through a temporary key and RENAME, compared with
 * the type's own reads (and DEBUG DIGEST-VALUE on the same version); across versions when newer builds exist.
 */
import assert from "node:assert/strict";
import { assertSameData } from "./_digest.ts";
import { assertSnapshotsEqual, type Features, populate, serverSnapshot } from "./_rdb_fixtures.ts";
import { jsonOf, keysOf, raw, replicate } from "./_replicate_util.ts";
import { RedisServer, serverTest } from "./_server.ts";
import { serverBuild } from "./_servers.ts";

async function assertSameByReads(
  source: RedisServer,
  target: RedisServer,
  keys: string[],
  features: Features,
) {
  const src = await raw(source);
  const dst = await raw(target);
  try {
    for (const key of keys) {
      assertSnapshotsEqual(
        await serverSnapshot(dst, key, features),
        await serverSnapshot(src, key, features),
        key,
      );
    }
  } finally {
    src.close();
    dst.close();
  }
}

serverTest({
  name:
    "riot replicate --struct copies every type from a source without DUMP: exact scores, groups, PELs, TTLs",
  async fn() {
    await using source = await RedisServer.start({ args: ["--rename-command", "DUMP", ""] });
    await using target = await RedisServer.start();
    const src = await raw(source);
    const keys = await populate(src, { fieldTtls: false });
    await src.pipeline([
      // Past 128 members a zset is a skiplist on both sides, which keeps -0.0 (a listpack stores it as 0).
      ["ZADD", "zset:skiplist", ...Array.from({ length: 200 }, (_, i) => [String(i / 3), `m${i}`]).flat()],
      ["ZADD", "zset:skiplist", "-0", "nzero", "0.1", "tenth", "1e-300", "tiny", "-inf", "ninf"],
      ["ZADD", "zset:skiplist", "9007199254740993", "two53p1", "5e-324", "denormal"],
      ["SADD", "set:binary", Uint8Array.of(0, 255, 13, 10), Uint8Array.of(0x80), ""],
      ["HSET", "hash:binary", Uint8Array.of(0, 1), Uint8Array.of(255, 0)],
      ["PEXPIRE", "hash:big", 600_000],
      ["PEXPIRE", "stream:full", 700_000],
      ["PEXPIREAT", "str:short", Date.now() + 800_123],
    ]);
    keys.push("zset:skiplist", "set:binary", "hash:binary");
    src.close();
    const dst = await raw(target);
    // Lists and sets are replaced, not appended to; a key of another type is replaced too.
    await dst.pipeline([["RPUSH", "list:small", "old"], ["SADD", "set:small", "old"], [
      "SET",
      "hash:big",
      "x",
    ]]);
    dst.close();

    const run = await replicate(source, target, "--struct", "--json");
    assert.equal(run.code, 0, run.err);
    const result = jsonOf(run);
    assert.equal(result.replication.written, keys.length);
    assert.equal(result.replication.typeBased.total, 0, "--struct is not a fallback");
    assert.equal(result.verify.ok, keys.length);
    await assertSameData(source, target, { ttlToleranceMs: 0 });
    await assertSameByReads(source, target, keys, { fieldTtls: false });
    assert.equal(await target.cli("ZSCORE", "zset:skiplist", "nzero"), "-0");
    assert.equal(await target.cli("ZSCORE", "zset:skiplist", "two53p1"), "9007199254740992");
    assert.equal(await target.cli("ZSCORE", "zset:skiplist", "denormal"), "4.9406564584124654e-324");
    assert.equal(await target.cli("XLEN", "stream:empty"), "0");
    assert.deepEqual(await keysOf(target), [...keys].sort(), "no temporary key left behind");
  },
});

serverTest({
  name: "riot --type struct (RIOT's form) equals --struct; --type dump is the default",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    await source.cli("RPUSH", "l", "a", "b");
    const run = await replicate(source, target, "--type", "STRUCT", "--json");
    assert.equal(run.code, 0, run.err);
    assert.deepEqual(await target.cli("LRANGE", "l", "0", "-1"), "a\nb");
    const dump = await replicate(source, target, "--type", "dump");
    assert.equal(dump.code, 0, dump.err);
  },
});

const redis74 = serverBuild("redis-7.4");
const redis8 = serverBuild("redis-8.0");
const valkey = serverBuild("valkey-8.0");

Deno.test({
  name: `riot replicate --struct Redis 7.4 -> Redis 8 keeps hash field TTLs (HPEXPIRETIME -> HPEXPIREAT)${
    redis74.missing || redis8.missing
  }`,
  ignore: !redis74.build || !redis8.build,
  async fn() {
    await using source = await RedisServer.start({ binary: redis74.build!.binary });
    await using target = await RedisServer.start({ binary: redis8.build!.binary });
    const src = await raw(source);
    const keys = await populate(src, { fieldTtls: true });
    src.close();
    const run = await replicate(source, target, "--struct", "--json");
    assert.equal(run.code, 0, run.err);
    assert.equal(jsonOf(run).replication.fieldTtlsDropped, 0);
    await assertSameByReads(source, target, keys, { fieldTtls: true });
    assert.match(await target.cli("HPEXPIRETIME", "hash:ttl-small", "FIELDS", "1", "a"), /^\d{13}$/);
  },
});

Deno.test({
  name: `riot replicate --struct Redis 8 -> Valkey 8 counts the field TTLs Valkey cannot keep${
    redis8.missing || valkey.missing
  }`,
  ignore: !redis8.build || !valkey.build,
  async fn() {
    await using source = await RedisServer.start({ binary: redis8.build!.binary });
    await using target = await RedisServer.start({ binary: valkey.build!.binary });
    const src = await raw(source);
    const keys = await populate(src, { fieldTtls: true });
    src.close();
    const run = await replicate(source, target, "--struct", "--json");
    assert.equal(run.code, 1, "field TTLs lost: exit 1");
    assert.equal(jsonOf(run).replication.fieldTtlsDropped, 5);
    assert.equal(jsonOf(run).replication.failed, 0);
    await assertSameByReads(source, target, keys, { fieldTtls: false });
  },
});
