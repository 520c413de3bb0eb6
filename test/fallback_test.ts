/**
 * The automatic type-based fallback against real servers: RESTORE refused for the payload's version (a
 * payload re-stamped newer in the test, CRC recomputed), RESTORE renamed away, a low proto-max-bulk-len, a
 * module payload nobody can decode, and across versions and engines when newer builds are on the machine.
 * Every test reads the target itself.
 */
import assert from "node:assert/strict";
import { toText } from "../resp/mod.ts";
import { NO_EXPIRY } from "../src/pipeline/record.ts";
import type { Reader } from "../src/pipeline/stages.ts";
import { ReplicationStats } from "../src/pipeline/stats.ts";
import { transfer } from "../src/pipeline/transfer.ts";
import { DumpReader } from "../src/readers/dump_reader.ts";
import { KeyListSource } from "../src/sources/key_list.ts";
import { payload as rdbPayload } from "../src/rdb/_test_util.ts";
import { payloadRdbVersion, rewritePayloadVersion } from "../src/rdb/version.ts";
import { FallbackWriter } from "../src/writers/fallback_writer.ts";
import { probeTarget, type TargetCaps } from "../src/writers/target_caps.ts";
import { assertSameData } from "./_digest.ts";
import { assertSnapshotsEqual, type Features, populate, serverSnapshot } from "./_rdb_fixtures.ts";
import { jsonOf, keysOf, raw, replicate } from "./_replicate_util.ts";
import { RedisServer, redisServerMissing, serverTest } from "./_server.ts";
import { serverBuild } from "./_servers.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const QUIET = { info() {}, warn() {}, error() {}, debug() {}, notice() {} };

/** A DumpReader whose payloads come back re-stamped with RDB version `version` (as a newer server's). */
function restamping(reader: Reader, version: number): Reader {
  return {
    async read(keys) {
      const result = await reader.read(keys);
      result.records = result.records.map((record) =>
        record.kind === "dump"
          ? { ...record, payload: rewritePayloadVersion(record.payload, version) }
          : record
      );
      return result;
    },
  };
}

/** Copies every key of `source` to `target` through FallbackWriter, payloads re-stamped to `version`. */
async function copyRestamped(
  source: RedisServer,
  target: RedisServer,
  version: number,
  caps: TargetCaps,
  keys: string[],
): Promise<ReplicationStats> {
  const src = await raw(source);
  const dst = await raw(target);
  try {
    const stats = new ReplicationStats();
    await transfer(
      {
        source: new KeyListSource(keys.map(bytes), 7),
        readers: [restamping(new DumpReader(() => src, { expireTime: true }), version)],
        writers: [new FallbackWriter(() => dst, { fallback: true, caps, stats, windowElements: 50 })],
      },
      { batch: 7, queueBatches: 4, queueBytes: 1 << 24, dryRun: false, log: QUIET },
      stats,
    );
    return stats;
  } finally {
    src.close();
    dst.close();
  }
}

serverTest({
  name:
    "FallbackWriter copies by type every key whose RESTORE is refused for a newer RDB version, and counts them",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    const src = await raw(source);
    const keys = await populate(src, { fieldTtls: false });
    await src.pipeline([["PEXPIRE", "hash:big", 600_000], ["PEXPIRE", "stream:full", 700_000]]);
    const own = payloadRdbVersion(await src.call("DUMP", "str:short") as Uint8Array);
    src.close();
    const dst = await raw(target);
    const caps = await probeTarget(dst, false); // rdbVersion unknown: every RESTORE is tried and refused
    dst.close();
    assert.equal(caps.rdbVersion, undefined);

    const stats = await copyRestamped(source, target, own + 1, caps, keys);
    assert.equal(stats.failed, 0, JSON.stringify(stats.failures));
    assert.equal(stats.written, keys.length);
    assert.deepEqual([...stats.typeBased], [[
      "RESTORE refused the payload's RDB version or checksum",
      keys.length,
    ]]);
    await assertSameData(source, target, { ttlToleranceMs: 0 });
    assert.deepEqual(await keysOf(target), await keysOf(source), "no temporary key left behind");
  },
});

serverTest({
  name:
    "FallbackWriter goes type-based from the first key when the probe says the target's RDB version is older",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    const src = await raw(source);
    const keys = await populate(src, { fieldTtls: false });
    src.close();
    const dst = await raw(target);
    const caps = await probeTarget(dst, true);
    assert.equal(caps.restore, true);
    await dst.call("SET", "own", "x");
    assert.equal(caps.rdbVersion, payloadRdbVersion(await dst.call("DUMP", "own") as Uint8Array));
    await dst.call("DEL", "own");
    await dst.call("CONFIG", "RESETSTAT");
    const stats = await copyRestamped(source, target, caps.rdbVersion! + 2, caps, keys);
    assert.equal(stats.failed, 0, JSON.stringify(stats.failures));
    const [[reason, count]] = [...stats.typeBased];
    assert.equal(count, keys.length);
    assert.match(reason, new RegExp(`^Redis \\S+ reads RDB version ${caps.rdbVersion} at most`));
    assert.doesNotMatch(
      toText(await dst.call("INFO", "commandstats")),
      /cmdstat_restore/i,
      "no RESTORE tried",
    );
    dst.close();
    assert.deepEqual(await keysOf(target), await keysOf(source), "the probe wrote nothing");
    await assertSameData(source, target);
  },
});

serverTest({
  name: "riot replicate copies by type when RESTORE is renamed away; --no-fallback reports every key instead",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start({ args: ["--rename-command", "RESTORE", ""] });
    const src = await raw(source);
    await src.pipeline([
      ["SET", "s", "v", "PX", 900_000],
      ["RPUSH", "l", "a", "b", "a"],
      ["ZADD", "z", "-0", "neg-zero", "1e-300", "tiny", "9007199254740993", "big", "-inf", "ninf"],
      ["SADD", "set", Uint8Array.of(0, 255, 10)],
      ["HSET", "h", "f", Uint8Array.of(0, 1, 2)],
      ["XADD", "x", "1-1", "f", "v"],
      ["XGROUP", "CREATE", "x", "g", "0"],
      ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "x", ">"],
    ]);
    src.close();
    const refused = jsonOf(await replicate(source, target, "--json", "--no-fallback"));
    assert.equal(refused.replication.failed, 6);
    assert.equal(refused.replication.typeBased.total, 0);
    assert.match(refused.replication.failures[0].reason, /unknown command 'RESTORE'/);
    assert.deepEqual(await keysOf(target), []);

    const run = await replicate(source, target, "--json", "--compare", "full");
    assert.equal(run.code, 0, run.err);
    const result = jsonOf(run);
    assert.equal(result.replication.failed, 0);
    assert.equal(result.replication.typeBased.total, 6);
    assert.match(
      Object.keys(result.replication.typeBased.reasons)[0],
      /^the target refuses RESTORE \(ERR unknown command/,
    );
    assert.equal(result.verify.ok, 6);
    await assertSameData(source, target, { ttlToleranceMs: 0 });

    const text = await replicate(source, target);
    assert.match(text.err, /6 key\(s\) copied by type instead of RESTORE \(6: the target refuses RESTORE/);
  },
});

serverTest({
  name:
    "riot replicate copies payloads longer than the target's proto-max-bulk-len by type; one member too long fails its key alone",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start({ args: ["--proto-max-bulk-len", "1mb"] });
    const noise = (size: number, seed: number) => {
      let x = seed * 2654435761 + 1;
      return Uint8Array.from({ length: size }, () => {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        return x & 0xff;
      });
    };
    const src = await raw(source);
    await src.pipeline([
      ["SET", "big:string", noise(3_000_000, 1)],
      ["RPUSH", "big:list", ...Array.from({ length: 3000 }, (_, i) => noise(1000, i))],
      ["HSET", "big:member", "f", noise(1_500_000, 2)],
      ["HSET", "big:hash", ...Array.from({ length: 2000 }, (_, i) => [`f${i}`, noise(1000, i)]).flat()],
      ["SET", "small", "v"],
    ]);
    src.close();
    const run = await replicate(source, target, "--json");
    assert.equal(run.code, 1, run.err);
    const result = jsonOf(run).replication;
    // A string cannot grow past proto-max-bulk-len on the target at all (APPEND says so); a member cannot
    // be sent. Both fail alone, and the connection survives for the rest.
    const failures = Object.fromEntries(result.failures.map((f: { key: string }) => [f.key, f]));
    assert.equal(result.failed, 2, JSON.stringify(result.failures));
    assert.match(failures["big:string"].reason, /string exceeds maximum allowed size/);
    assert.match(
      failures["big:member"].reason,
      /longer \(1500000 bytes\) than the target's proto-max-bulk-len \(1048576\)/,
    );
    assert.equal(result.typeBased.total, 2);
    assert.deepEqual(await keysOf(target), ["big:hash", "big:list", "small"]);
    await assertSameData(source, target, { keys: ["big:hash", "big:list", "small"] });

    const strict = jsonOf(await replicate(source, target, "--json", "--no-fallback")).replication;
    assert.equal(strict.failed, 4, "refused without being sent: the connection survives for the small key");
    assert.equal(strict.written, 1);
  },
});

serverTest({
  name: "FallbackWriter reports a module payload the target cannot RESTORE with advice naming the engine",
  async fn() {
    await using target = await RedisServer.start();
    const dst = await raw(target);
    try {
      const caps = await probeTarget(dst, true);
      const stats = new ReplicationStats();
      const writer = new FallbackWriter(() => dst, { fallback: true, caps, stats });
      const module = rdbPayload(7, [0x81, 1, 2, 3, 4, 5, 6, 7, 8, 0x02, 0x05], caps.rdbVersion);
      const result = await writer.write([
        { kind: "dump", key: bytes("bloom"), payload: module, expireAt: NO_EXPIRY },
        {
          kind: "dump",
          key: bytes("fine"),
          payload: rdbPayload(0, [1, 0x61], caps.rdbVersion),
          expireAt: NO_EXPIRY,
        },
      ]);
      assert.equal(result.written, 1);
      assert.equal(result.failures.length, 1);
      const [failure] = result.failures;
      assert.match(
        failure.reason,
        /module type, which only DUMP\/RESTORE can copy \(RESTORE said: .*Bad data format/,
      );
      assert.match(
        failure.advice,
        /^load the module on Redis 7\.\S+ \(Redis 8 has Bloom, JSON and TimeSeries built in/,
      );
      assert.equal(await target.cli("EXISTS", "bloom"), "0");
      assert.equal(await target.cli("GET", "fine"), "a");
      assert.equal(stats.typeBasedTotal, 0);
    } finally {
      dst.close();
    }
  },
});

/** Populates `from`, replicates to `to` and compares every key with the type's own reads. */
async function crossVersion(
  from: RedisServer,
  to: RedisServer,
  features: Features,
  targetFeatures: Features,
) {
  const src = await raw(from);
  const dst = await raw(to);
  try {
    const keys = await populate(src, features);
    const run = await replicate(from, to, "--json");
    const result = jsonOf(run);
    assert.equal(result.replication.failed, 0, JSON.stringify(result.replication.failures));
    assert.equal(result.replication.typeBased.total, keys.length, "every key by type, from the first");
    const reasons = Object.keys(result.replication.typeBased.reasons);
    assert.equal(reasons.length, 1);
    assert.match(reasons[0], /reads RDB version \d+ at most, the source's payloads are version \d+/);
    const compared = { fieldTtls: features.fieldTtls && targetFeatures.fieldTtls };
    for (const key of keys) {
      assertSnapshotsEqual(
        await serverSnapshot(dst, key, compared),
        await serverSnapshot(src, key, compared),
        key,
      );
    }
    return { run, result };
  } finally {
    src.close();
    dst.close();
  }
}

const valkey = serverBuild("valkey-8.0");
const redis8 = serverBuild("redis-8.0");

Deno.test({
  name: `riot replicate Valkey 8 -> Redis 7.0 goes by type from the first key${valkey.missing}`,
  ignore: !valkey.build || !!redisServerMissing,
  async fn() {
    await using source = await RedisServer.start({ binary: valkey.build!.binary });
    await using target = await RedisServer.start();
    const { run } = await crossVersion(source, target, { fieldTtls: false }, { fieldTtls: false });
    assert.equal(run.code, 0, run.err);
  },
});

Deno.test({
  name: `riot replicate Redis 8 -> Valkey 8 goes by type and counts the hash field TTLs Valkey cannot keep${
    redis8.missing || valkey.missing
  }`,
  ignore: !redis8.build || !valkey.build,
  async fn() {
    await using source = await RedisServer.start({ binary: redis8.build!.binary });
    await using target = await RedisServer.start({ binary: valkey.build!.binary });
    const { run, result } = await crossVersion(source, target, { fieldTtls: true }, { fieldTtls: false });
    assert.equal(run.code, 1, "field TTLs lost: exit 1");
    assert.equal(result.replication.fieldTtlsDropped, 5);
    const text = await replicate(source, target, "--compare", "none");
    assert.match(
      text.err,
      /5 hash field TTL\(s\) could not be kept: .*keys: hash:ttl-(small|big), hash:ttl-(small|big)\)/,
    );
  },
});
