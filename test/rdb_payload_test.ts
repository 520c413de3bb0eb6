/**
 * decodePayload() and writeCommands() against real servers: every type in every encoding a server writes is
 * DUMPed, decoded, checked against what the server's own read commands return, then rebuilt on a second
 * server from the generated commands (temp key + RENAME) and compared there with DEBUG DIGEST-VALUE and the
 * same reads. Runs on the redis-server on PATH and on the builds named in RIOT_TEST_REDIS_SERVERS.
 */
import assert from "node:assert/strict";
import { RespVerbatim } from "../resp/mod.ts";
import { connect } from "../src/redis/connect.ts";
import type { RedisConnection } from "../src/redis/connection.ts";
import { DEFAULT_CONNECTION } from "../src/redis/options.ts";
import { decodePayload, openPayload } from "../src/rdb/payload.ts";
import { RDB_TYPE_NAMES } from "../src/rdb/types.ts";
import { payloadRdbVersion, restorableOn, rewritePayloadVersion } from "../src/rdb/version.ts";
import { RedisServer, redisServerMissing } from "./_server.ts";
import { serverBuild } from "./_servers.ts";
import {
  assertSnapshotsEqual,
  decodedSnapshot,
  digest,
  type Features,
  populate,
  serverSnapshot,
  writeDecoded,
} from "./_rdb_fixtures.ts";

async function open(server: RedisServer): Promise<RedisConnection> {
  return await connect({ ...DEFAULT_CONNECTION, port: server.port });
}

/**
 * DUMPs every fixture key of `source`, checks the decoded value against the server's reads, writes it to
 * `target` and compares there. Returns "key: RDB type (name), version" lines for the report.
 */
async function roundTrip(
  source: RedisServer,
  target: RedisServer,
  sourceFeatures: Features,
  targetFeatures: Features,
): Promise<string[]> {
  const src = await open(source);
  const dst = await open(target);
  const observed: string[] = [];
  try {
    const sameVersion = await serverVersion(src) === await serverVersion(dst);
    const keys = await populate(src, sourceFeatures);
    for (const key of keys) {
      const payload = await src.call("DUMP", key) as Uint8Array;
      const decoded = decodePayload(payload);
      observed.push(
        `${key}: ${decoded.rdbType} (${RDB_TYPE_NAMES.get(decoded.rdbType)}), RDB ${decoded.rdbVersion}`,
      );
      const fromServer = await serverSnapshot(src, key, sourceFeatures);
      assertSnapshotsEqual(decodedSnapshot(decoded.value), fromServer, key);
      const hasFieldTtls = decoded.value.type === "hash" && decoded.value.fields.some((f) => f.expireAt);
      if (hasFieldTtls && !targetFeatures.fieldTtls) continue;
      await writeDecoded(dst, key, openPayload(payload).value); // members read from the payload as written
      // Zset digests hash the score's text, which Redis 7.2+ formats shorter than 7.0 ("%.17g"): across
      // versions only the reads below compare them (exact doubles).
      if (sameVersion || decoded.value.type !== "zset") {
        assert.equal(await digest(dst, key), await digest(src, key), `${key}: DEBUG DIGEST-VALUE differs`);
      }
      const features = { fieldTtls: sourceFeatures.fieldTtls && targetFeatures.fieldTtls };
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
  return observed;
}

async function serverVersion(conn: RedisConnection): Promise<string> {
  const reply = await conn.call("INFO", "server");
  const info = new TextDecoder().decode(reply instanceof RespVerbatim ? reply.data : reply as Uint8Array);
  return /(?:redis|valkey)_version:(\S+)/.exec(info)?.[1] ?? "unknown";
}

Deno.test({
  name: "decodePayload() and writeCommands() round-trip every type and encoding of the redis-server on PATH",
  ignore: !!redisServerMissing,
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    const observed = await roundTrip(source, target, { fieldTtls: false }, { fieldTtls: false });
    console.log(observed.join("\n"));
  },
});

for (const [name, fieldTtls] of [["redis-7.4", true], ["redis-8.0", true], ["valkey-8.0", false]] as const) {
  const { build, missing } = serverBuild(name);
  Deno.test({
    name: `decodePayload() and writeCommands() round-trip every type and encoding of ${name}${missing}`,
    ignore: !build,
    async fn() {
      await using source = await RedisServer.start({ binary: build!.binary });
      await using target = await RedisServer.start({ binary: build!.binary });
      const observed = await roundTrip(source, target, { fieldTtls }, { fieldTtls });
      console.log(`${name} (${build!.version}):\n${observed.join("\n")}`);
    },
  });

  Deno.test({
    name:
      `writeCommands() copies ${name} values to the redis-server on PATH (older, RESTORE refuses)${missing}`,
    ignore: !build || !!redisServerMissing,
    async fn() {
      await using source = await RedisServer.start({ binary: build!.binary });
      await using target = await RedisServer.start();
      await roundTrip(source, target, { fieldTtls }, { fieldTtls: false });
    },
  });
}

Deno.test({
  name: "writeCommands() sets the key's TTL with PEXPIREAT on the temporary key, and RENAME keeps it",
  ignore: !!redisServerMissing,
  async fn() {
    await using server = await RedisServer.start();
    const conn = await open(server);
    try {
      await conn.call("RPUSH", "src", "a", "b");
      const decoded = decodePayload(await conn.call("DUMP", "src") as Uint8Array);
      const expireAt = Date.now() + 600_000;
      await writeDecoded(conn, "copy", decoded.value, expireAt);
      assert.equal(await conn.call("PEXPIRETIME", "copy"), expireAt);
      assert.deepEqual(await conn.call("LRANGE", "copy", "0", "-1"), [Uint8Array.of(97), Uint8Array.of(98)]);
    } finally {
      conn.close();
    }
  },
});

Deno.test({
  name: "rewritePayloadVersion() makes a payload RESTORE refuses as too new; the decoded value still copies",
  ignore: !!redisServerMissing,
  async fn() {
    await using server = await RedisServer.start();
    const conn = await open(server);
    try {
      await conn.call("HSET", "src", "f", "v");
      const payload = await conn.call("DUMP", "src") as Uint8Array;
      const own = payloadRdbVersion(payload);
      assert.equal(restorableOn(payload, own), true);
      // Re-stamped with its own version, the CRC is recomputed right: RESTORE takes it.
      assert.equal(await conn.call("RESTORE", "same", "0", rewritePayloadVersion(payload, own)), "OK");
      const newer = rewritePayloadVersion(payload, own + 1);
      assert.equal(restorableOn(newer, own), false);
      await assert.rejects(
        conn.call("RESTORE", "refused", "0", newer),
        /payload version or checksum are wrong/,
      );
      const decoded = decodePayload(rewritePayloadVersion(payload, 12));
      await writeDecoded(conn, "copied", decoded.value);
      assert.equal(await digest(conn, "copied"), await digest(conn, "src"));
    } finally {
      conn.close();
    }
  },
});
