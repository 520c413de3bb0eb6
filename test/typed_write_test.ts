/**
 * writeTyped against a real server: items written by one command are renamed in the same chunk (no safety
 * TTL, no phase 2), others through the temporary key's safety TTL and phase 2. Whole or untouched either
 * way, checked on the target with redis-cli.
 */
import assert from "node:assert/strict";
import { NO_EXPIRY } from "../src/pipeline/record.ts";
import type { RdbValueStream } from "../src/rdb/value.ts";
import { type TypedItem, writeTyped } from "../src/writers/typed_write.ts";
import { keysOf, raw } from "./_replicate_util.ts";
import { RedisServer, serverTest } from "./_server.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const OPTIONS = { maxBulk: 512 * 1024 * 1024, fieldTtls: false };

function item(key: string, value: RdbValueStream, expireAt = NO_EXPIRY): TypedItem {
  return { key: bytes(key), expireAt, open: () => value };
}

serverTest({
  name: "writeTyped: one-command and many-command keys end whole, with their TTLs, and no temporary key",
  async fn() {
    await using server = await RedisServer.start();
    const connection = await raw(server);
    try {
      await server.cli("SET", "list", "old"); // another type: RENAME replaces it
      const inAnHour = Date.now() + 3_600_000;
      const outcomes = await writeTyped(connection, [
        item("string", { type: "string", value: bytes("v") }),
        item("list", { type: "list", elements: [bytes("a"), bytes("b")] }, inAnHour),
        item("zset", {
          type: "zset",
          entries: [{ member: bytes("m"), score: 0.1, scoreText: bytes("0.1") }, {
            member: bytes("z"),
            score: -0,
            scoreText: bytes("-0"),
          }],
        }),
        item("stream", {
          type: "stream",
          length: 1,
          lastId: { ms: 5n, seq: 0n },
          entries: [{ id: { ms: 5n, seq: 0n }, fieldsAndValues: [bytes("f"), bytes("v")] }],
          groups: [],
        }, inAnHour),
      ], OPTIONS);
      assert.deepEqual(outcomes.map((o) => o.failure), [undefined, undefined, undefined, undefined]);
      assert.deepEqual(await keysOf(server), ["list", "stream", "string", "zset"]);
      assert.equal(await server.cli("GET", "string"), "v");
      assert.equal(await server.cli("LRANGE", "list", "0", "-1"), "a\nb");
      assert.equal(
        await server.cli("ZRANGE", "zset", "0", "-1", "WITHSCORES"),
        "z\n0\nm\n0.10000000000000001",
      );
      assert.equal(await server.cli("XRANGE", "stream", "-", "+"), "5-0\nf\nv");
      assert.equal(await server.cli("PTTL", "string"), "-1");
      assert.equal(await server.cli("PTTL", "zset"), "-1");
      assert.ok(Number(await server.cli("PTTL", "list")) > 3_500_000);
      assert.ok(Number(await server.cli("PTTL", "stream")) > 3_500_000);
    } finally {
      connection.close();
    }
  },
});

serverTest({
  name: "writeTyped: a refused one-command key leaves the real key untouched, reported, and nothing behind",
  async fn() {
    await using server = await RedisServer.start();
    const connection = await raw(server);
    try {
      await server.cli("SET", "kept", "old");
      await server.cli("SET", "kept-ttl", "old");
      await server.cli("CONFIG", "SET", "maxmemory-policy", "noeviction");
      await server.cli("CONFIG", "SET", "maxmemory", "1"); // every write that may grow memory is refused
      const outcomes = await writeTyped(connection, [
        item("kept", { type: "list", elements: [bytes("a")] }),
        item("kept-ttl", { type: "set", members: [bytes("a")] }, Date.now() + 3_600_000),
      ], OPTIONS);
      await server.cli("CONFIG", "SET", "maxmemory", "0");
      for (const outcome of outcomes) assert.match(outcome.failure?.reason ?? "", /OOM/);
      assert.deepEqual(await keysOf(server), ["kept", "kept-ttl"]);
      assert.equal(await server.cli("GET", "kept"), "old");
      assert.equal(await server.cli("GET", "kept-ttl"), "old");
      assert.equal(await server.cli("PTTL", "kept-ttl"), "-1");
    } finally {
      connection.close();
    }
  },
});

serverTest({
  name: "writeTyped: a one-command key whose expiry passes before its RENAME deletes the real key",
  async fn() {
    await using server = await RedisServer.start();
    const connection = await raw(server);
    try {
      await server.cli("SET", "short", "old");
      // Writes wait behind the pause; the expiry (in the future when the item is written) has passed when
      // they run, so PEXPIREAT deletes the temporary key and RENAME finds nothing.
      await server.cli("CLIENT", "PAUSE", "800", "WRITE");
      const outcomes = await writeTyped(connection, [
        item("short", { type: "list", elements: [bytes("a")] }, Date.now() + 200),
      ], OPTIONS);
      assert.equal(outcomes[0].failure, undefined);
      assert.deepEqual(await keysOf(server), []);
    } finally {
      connection.close();
    }
  },
});

serverTest({
  name: "writeTyped: a key of several commands whose last one fills the chunk still loses the safety TTL",
  async fn() {
    await using server = await RedisServer.start();
    const connection = await raw(server);
    try {
      // SET + 3 APPENDs of 1 MiB: the last one brings the chunk to its 4 MiB, then PERSIST must follow.
      const value = new Uint8Array(4 * 1024 * 1024).fill(0x61);
      const outcomes = await writeTyped(connection, [item("big", { type: "string", value })], {
        ...OPTIONS,
        windowBytes: 1024 * 1024,
      });
      assert.equal(outcomes[0].failure, undefined);
      assert.equal(await server.cli("STRLEN", "big"), String(value.length));
      assert.equal(await server.cli("PTTL", "big"), "-1");
      assert.deepEqual(await keysOf(server), ["big"]);
    } finally {
      connection.close();
    }
  },
});
