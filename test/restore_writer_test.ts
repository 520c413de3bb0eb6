/** writeRecords() against a real target: refusals are per key, with the server's words and what to do. */
import assert from "node:assert/strict";
import { connect } from "../src/redis/connect.ts";
import { DEFAULT_CONNECTION } from "../src/redis/options.ts";
import { type KeyRecord, NO_EXPIRY } from "../src/pipeline/record.ts";
import type { Commands } from "../src/redis/commands.ts";
import { type Command, encodeCommandsShared } from "../resp/mod.ts";
import { writeRecords } from "../src/writers/restore_writer.ts";
import { RedisServer, serverTest } from "./_server.ts";

const encoder = new TextEncoder();

serverTest({
  name: "writeRecords() reports a payload the target cannot read (version or checksum) per key, with advice",
  async fn() {
    await using server = await RedisServer.start();
    const connection = await connect({ ...DEFAULT_CONNECTION, port: server.port });
    try {
      await connection.call("SET", "model", "value");
      const good = (await connection.call("DUMP", "model")) as Uint8Array;
      // The footer holds the RDB version and a CRC64: a payload from a newer Redis fails the same check.
      const newer = good.slice();
      newer[newer.length - 10] = 0xff;
      await connection.call("SET", "old", "x");
      const result = await writeRecords(connection, [
        { kind: "dump", key: encoder.encode("copied"), payload: good, expireAt: NO_EXPIRY },
        { kind: "dump", key: encoder.encode("refused"), payload: newer, expireAt: NO_EXPIRY },
        { kind: "delete", key: encoder.encode("old") },
      ]);
      assert.equal(result.written, 1);
      assert.equal(result.deleted, 1);
      assert.equal(result.failures.length, 1);
      const [failure] = result.failures;
      assert.equal(new TextDecoder().decode(failure.key), "refused");
      assert.match(failure.reason, /payload version or checksum are wrong/);
      assert.match(
        failure.advice,
        /older than the source's.*drop --no-fallback so that riot copies such keys by type/,
      );
      assert.equal(await connection.call("EXISTS", "refused"), 0);
      assert.equal(await connection.call("EXISTS", "old"), 0);
      assert.deepEqual(await connection.call("GET", "copied"), encoder.encode("value"));
    } finally {
      connection.close();
    }
  },
});

serverTest({
  name: "writeRecords() sends encoded records as their bytes, between plain ones, or split when it must",
  async fn() {
    await using server = await RedisServer.start();
    const connection = await connect({ ...DEFAULT_CONNECTION, port: server.port });
    try {
      const encoded = (key: string, ...commands: Command[]): KeyRecord => ({
        kind: "encoded",
        key: encoder.encode(key),
        bytes: encodeCommandsShared(commands),
        count: commands.length,
        origin: `line of ${key}`,
      });
      const records = (prefix: string): KeyRecord[] => [
        encoded(`${prefix}h`, ["HSET", `${prefix}h`, "f", "v"], ["PEXPIRE", `${prefix}h`, 60_000]),
        { kind: "commands", key: encoder.encode(`${prefix}s`), commands: [["SET", `${prefix}s`, "1"]] },
        encoded(`${prefix}bad`, ["HSET", `${prefix}s`, "f", "v"]), // WRONGTYPE: refused, with its origin
        encoded(`${prefix}n`, ["RPUSH", `${prefix}n`, "a", "b"]),
        {
          db: 2,
          kind: "commands",
          key: encoder.encode(`${prefix}d`),
          commands: [["SET", `${prefix}d`, "2"]],
        },
        { db: 2, ...encoded(`${prefix}e`, ["SET", `${prefix}e`, "3"]) },
      ];
      // A connection without pipelineEncoded (a cluster's) gets the encoded records back as commands.
      const routed: Commands = {
        endpoint: connection.endpoint,
        pipeline: (commands) => connection.pipeline(commands),
        pipelineKeys: (templates, keys) => connection.pipelineKeys(templates, keys),
        call: (...command) => connection.call(...command),
      };
      for (const [prefix, target] of [["a:", connection], ["b:", routed]] as const) {
        const result = await writeRecords(target, records(prefix));
        assert.equal(result.written, 5, prefix);
        assert.deepEqual(result.failures.map((f) => [new TextDecoder().decode(f.key), f.origin]), [
          [`${prefix}bad`, `line of ${prefix}bad`],
        ]);
        assert.deepEqual(await connection.call("HGET", `${prefix}h`, "f"), encoder.encode("v"));
        assert.ok((await connection.call("PTTL", `${prefix}h`) as number) > 0);
        assert.deepEqual(await connection.call("LRANGE", `${prefix}n`, 0, -1), [
          encoder.encode("a"),
          encoder.encode("b"),
        ]);
        assert.equal(await connection.call("EXISTS", `${prefix}d`, `${prefix}e`), 0); // db 0: not here
        await connection.call("SELECT", 2);
        assert.equal(await connection.call("EXISTS", `${prefix}d`, `${prefix}e`), 2);
        await connection.call("SELECT", 0);
      }
    } finally {
      connection.close();
    }
  },
});
