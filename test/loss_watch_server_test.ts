/**
 * LossWatch against a real source: each poll compares with the previous one, so a flush, a reset of the
 * statistics or a restart is reported once, at the first check after it, and quiet polls say nothing.
 */
import assert from "node:assert/strict";
import { LossWatch } from "../src/live/loss_watch.ts";
import type { RedisConnection } from "../src/redis/connection.ts";
import { raw } from "./_replicate_util.ts";
import { RedisServer, serverTest } from "./_server.ts";

serverTest({
  name: "LossWatch.check() reports a FLUSHDB, a CONFIG RESETSTAT and a restart once each, then nothing",
  async fn() {
    await using source = await RedisServer.start();
    let connection: RedisConnection = await raw(source);
    try {
      const watch = new LossWatch(() => connection);
      await watch.start();
      assert.equal(await watch.check(), undefined, "nothing happened");
      await source.cli("SET", "a", "1");
      assert.equal(await watch.check(), undefined, "a write is no loss");

      await source.cli("FLUSHDB");
      assert.match(await watch.check() ?? "", /FLUSHDB\/FLUSHALL ran on the source/);
      assert.equal(await watch.check(), undefined, "the same flush is not reported twice");
      await source.cli("FLUSHALL");
      assert.match(await watch.check() ?? "", /FLUSHDB\/FLUSHALL ran on the source/);

      await source.cli("CONFIG", "RESETSTAT");
      assert.match(await watch.check() ?? "", /command statistics were reset/);
      assert.equal(await watch.check(), undefined);

      await source.restart();
      connection.close();
      connection = await raw(source);
      assert.match(await watch.check() ?? "", /restarted \(its run_id changed\)/);
      assert.equal(await watch.check(), undefined, "the new run_id is the reference from now on");
    } finally {
      connection.close();
    }
  },
});
