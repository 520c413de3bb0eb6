/** writeRecords() against a real target: refusals are per key, with the server's words and what to do. */
import assert from "node:assert/strict";
import { connect } from "../src/redis/connect.ts";
import { DEFAULT_CONNECTION } from "../src/redis/options.ts";
import { NO_EXPIRY } from "../src/pipeline/record.ts";
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
