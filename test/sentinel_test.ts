/** sentinel.ts against a real set-up: one master, one replica, three sentinels on loopback. */

import assert from "node:assert/strict";
import { toText } from "../resp/mod.ts";
import { connect } from "../src/redis/connect.ts";
import { ConnectionError } from "../src/redis/errors.ts";
import { DEFAULT_CONNECTION } from "../src/redis/options.ts";
import {
  followMaster,
  resolveMaster,
  resolveReplicas,
  SentinelError,
  SwitchMasterWatch,
} from "../src/redis/sentinel.ts";
import { parseSentinelUri } from "../src/redis/sentinel_uri.ts";
import { freePort, redisServerMissing } from "./_server.ts";
import { SentinelSetup } from "./_sentinel.ts";

const ignore = !!redisServerMissing;
const base = { ...DEFAULT_CONNECTION, timeoutMs: 5_000 };

Deno.test({
  name: "resolveMaster() and resolveReplicas() ask the sentinels; SwitchMasterWatch sees SENTINEL FAILOVER",
  ignore,
  async fn() {
    await using setup = await SentinelSetup.start();
    const config = parseSentinelUri(setup.uri("/0"));
    const master = await resolveMaster(config, base);
    assert.equal(master.port, setup.master.port);
    const replicas = await resolveReplicas(config, base);
    assert.deepEqual(replicas.map((r) => r.port), [setup.replica.port]);

    // Write through the resolved master; the replica acknowledges it (WAIT) before the failover, which
    // promotes the replica as it is: a write still in flight would be lost.
    const connection = await connect(master);
    try {
      await connection.call("SET", "before", "1");
      assert.equal(await connection.call("WAIT", "1", "10000"), 1, "the replica acknowledged the write");
    } finally {
      connection.close();
    }

    const watch = await SwitchMasterWatch.open(config, base);
    try {
      const next = watch.next();
      await setup.sentinels[1].cli("SENTINEL", "FAILOVER", setup.service);
      const change = await next;
      assert.equal(change.service, "mymaster");
      assert.equal(change.from.port, setup.master.port);
      assert.equal(change.to.port, setup.replica.port);
    } finally {
      watch.close();
    }
    // The sentinels now name the promoted replica, and it holds the data.
    const promoted = await resolveMaster(config, base);
    assert.equal(promoted.port, setup.replica.port);
    const after = await connect(promoted);
    try {
      assert.equal(toText(await after.call("GET", "before")), "1");
      assert.equal(await after.call("SET", "after", "2"), "OK");
    } finally {
      after.close();
    }
  },
});

Deno.test({
  name: "resolveMaster() gives one line for an unknown service and for sentinels that do not answer",
  ignore,
  async fn() {
    await using setup = await SentinelSetup.start();
    const unknown = parseSentinelUri(setup.uri().replace("/mymaster", "/nosuch"));
    await assert.rejects(resolveMaster(unknown, base), (error: Error) => {
      assert.ok(error instanceof SentinelError);
      assert.match(error.message, /^The sentinels at .* do not know the service 'nosuch' .*: check the name/);
      assert.ok(!error.message.includes("\n"));
      return true;
    });
    const dead = parseSentinelUri(`redis-sentinel://:topsecret@127.0.0.1:${await freePort()}/mymaster`);
    await assert.rejects(resolveMaster(dead, base), (error: Error) => {
      assert.ok(error instanceof SentinelError);
      assert.match(
        error.message,
        /^No sentinel answered for 'mymaster' \(127\.0\.0\.1:\d+: Cannot connect.*refused/,
      );
      assert.ok(!error.message.includes("topsecret"));
      return true;
    });
    // A dead sentinel first in the list: the next one answers.
    const mixed = parseSentinelUri(
      setup.uri().replace("redis-sentinel://", `redis-sentinel://127.0.0.1:${await freePort()},`),
    );
    assert.equal((await resolveMaster(mixed, base)).port, setup.master.port);
  },
});

Deno.test({
  name: "SwitchMasterWatch.next() rejects when its sentinel goes away, so the caller re-resolves",
  ignore,
  async fn() {
    await using setup = await SentinelSetup.start();
    // Only the first sentinel is named: the watch subscribes there.
    const config = parseSentinelUri(`redis-sentinel://127.0.0.1:${setup.sentinels[0].port}/mymaster`);
    const watch = await SwitchMasterWatch.open(config, base);
    try {
      const next = assert.rejects(watch.next(), (error: Error) => error instanceof ConnectionError);
      await setup.sentinels[0][Symbol.asyncDispose]();
      await next;
      await assert.rejects(watch.next(), ConnectionError);
    } finally {
      watch.close();
    }
  },
});

Deno.test({
  name: "followMaster() yields each new master, across a failover, a lost sentinel and a failover back",
  ignore,
  async fn() {
    await using setup = await SentinelSetup.start();
    const config = parseSentinelUri(setup.uri());
    const abort = new AbortController();
    const changes = followMaster(config, base, { host: "127.0.0.1", port: setup.master.port }, abort.signal);
    try {
      // Subscribed before the failover: the first change comes from +switch-master.
      const first = changes.next();
      await setup.sentinels[0].waitFor((out) => / sub=1 /.test(out), "CLIENT", "LIST");
      await setup.sentinels[1].cli("SENTINEL", "FAILOVER", setup.service);
      assert.equal((await first).value?.port, setup.replica.port);

      // The watched sentinel goes away; a failover back is still seen (through another sentinel).
      const second = changes.next();
      await setup.sentinels[0][Symbol.asyncDispose]();
      const remaining = setup.sentinels[1];
      await remaining.waitFor(
        (out) => out.includes("master-link-status\nok"),
        "SENTINEL",
        "REPLICAS",
        setup.service,
      );
      const deadline = Date.now() + 30_000;
      while (true) {
        try {
          await remaining.cli("SENTINEL", "FAILOVER", setup.service);
          break;
        } catch (error) {
          // INPROG or NOGOODSLAVE while the previous failover settles.
          if (Date.now() > deadline) throw error;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
      assert.equal((await second).value?.port, setup.master.port);
    } finally {
      abort.abort();
      assert.equal((await changes.next()).done, true);
    }
  },
});
