/**
 * Live replication from a sentinel service (redis-sentinel:// URI): the source is resolved to its master,
 * and a failover during the live phase moves the job to the new master, which it re-scans; the target
 * ends equal to the new master (read back with our own connections). And to a sentinel service: a failover
 * of the target during the live phase moves the writes to its new master, which ends equal to the source.
 */
import assert from "node:assert/strict";
import { runMain } from "../src/cli/main.ts";
import { connect } from "../src/redis/connect.ts";
import { RedisServer, redisServerMissing } from "./_server.ts";
import { SentinelSetup } from "./_sentinel.ts";
import { COMMANDS } from "./_riot.ts";
import { uri } from "./_replicate_util.ts";
import { assertSameContents, contentsOf, options, writeTo } from "./_cluster_data.ts";

const ignore = !!redisServerMissing;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `check` until it is true. A check that throws counts as "not yet": a sentinel promoting a replica
 * or demoting a master ends the normal clients of that server (CLIENT KILL TYPE normal), probes included.
 */
async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last: unknown;
  while (!(await check().catch((error) => (last = error, false)))) {
    if (performance.now() > deadline) throw new Error(`Timed out waiting for ${what}`, { cause: last });
    await sleep(50);
  }
}

Deno.test({
  name: "live from redis-sentinel://: a failover moves the job to the new master, which is re-scanned",
  ignore,
  async fn() {
    await using setup = await SentinelSetup.start();
    await using target = await RedisServer.start();
    for (const node of [setup.master, setup.replica]) {
      await node.cli("CONFIG", "SET", "notify-keyspace-events", "KEA");
    }
    await writeTo(
      setup.master,
      false,
      Array.from({ length: 200 }, (_, i) => ["SET", `before:${i}`, `v${i}`]),
    );
    let err = "";
    const done = runMain(
      [
        "replicate",
        setup.uri(),
        uri(target),
        "--live",
        "--idle-timeout",
        "4000",
        "--progress",
        "none",
      ],
      { out: () => {}, err: (text) => err += text, env: { get: () => undefined } },
      COMMANDS,
    );
    try {
      await waitFor("the subscription", async () => Number(await setup.master.cli("PUBSUB", "NUMPAT")) >= 1);
      await waitFor("the snapshot", async () => Number(await target.cli("DBSIZE")) === 200);
      await setup.master.cli("SET", "live:1", "on the old master");
      // SENTINEL FAILOVER promotes the replica as it is: it must hold every write first.
      await setup.replicaCaughtUp();
      await setup.sentinels[1].cli("SENTINEL", "FAILOVER", setup.service);
      await waitFor("the new master", async () => (await setup.replica.cli("ROLE")).startsWith("master"));
      await waitFor("the job on the new master", () => Promise.resolve(err.includes("master changed")));
      const writer = await connect(options(setup.replica));
      try {
        await writer.call("SET", "live:2", "on the new master");
        await writer.call("DEL", "before:7");
      } finally {
        writer.close();
      }
      const code = await done;
      assert.equal(code, 0, err);
      assert.match(err, /master changed to 127\.0\.0\.1:\d+/);
      const want = await contentsOf([setup.replica]);
      assert.ok(want.has("live:2") && want.has("live:1") && !want.has("before:7"));
      assertSameContents(want, await contentsOf([target]), "new master vs target");

      // --sentinel-master with -p naming one sentinel: a snapshot from the (new) master.
      await using second = await RedisServer.start();
      let err2 = "";
      const snapshot = await runMain(
        [
          "-p",
          String(setup.sentinels[2].port),
          "replicate",
          "--sentinel-master",
          setup.service,
          "-p",
          String(second.port),
          "--progress",
          "none",
        ],
        { out: () => {}, err: (text) => err2 += text, env: { get: () => undefined } },
        COMMANDS,
      );
      assert.equal(snapshot, 0, err2);
      assertSameContents(want, await contentsOf([second]), "--sentinel-master snapshot");
    } finally {
      await done.catch(() => {});
    }
  },
});

Deno.test({
  name: "live to redis-sentinel://: the target fails over while riot follows; writes go on to the new master",
  ignore,
  async fn() {
    await using source = await RedisServer.start({ notifyKeyspaceEvents: "KEA" });
    await using setup = await SentinelSetup.start();
    await writeTo(source, false, Array.from({ length: 200 }, (_, i) => ["SET", `before:${i}`, `v${i}`]));
    let err = "";
    const done = runMain(
      [
        "replicate",
        uri(source),
        setup.uri(),
        "--live",
        "--idle-timeout",
        "2000",
        "--compare",
        "full",
        "--progress",
        "none",
      ],
      { out: () => {}, err: (text) => err += text, env: { get: () => undefined } },
      COMMANDS,
    );
    const writer = await connect(options(source));
    let writing = true;
    let rounds = 0;
    const writes = (async () => {
      for (; writing; rounds++) {
        await writer.pipeline([
          ["SET", `w:${rounds % 50}`, `r${rounds}`],
          ["HSET", `h:${rounds % 20}`, "f", `r${rounds}`],
          ["DEL", `before:${rounds % 200}`],
        ]);
        await sleep(20);
      }
    })();
    try {
      await waitFor("the subscription", async () => Number(await source.cli("PUBSUB", "NUMPAT")) >= 1);
      await waitFor(
        "live writes on the target's master",
        async () => Number(await setup.master.cli("EXISTS", "w:1")) === 1,
      );
      await setup.sentinels[0].cli("SENTINEL", "FAILOVER", setup.service);
      await waitFor("the new master", async () => (await setup.replica.cli("ROLE")).startsWith("master"));
      await waitFor("riot on the new master", () => Promise.resolve(/target's master changed/.test(err)));
      // Changes after the move must reach the new master.
      const after = rounds;
      await waitFor("writes after the failover", () => Promise.resolve(rounds >= after + 30));
      writing = false;
      await writes;
      const code = await done;
      assert.equal(code, 0, err);
      assert.match(err, /The target's master changed to 127\.0\.0\.1:\d+/);
      assertSameContents(
        await contentsOf([source]),
        await contentsOf([setup.replica]),
        "source vs new master",
      );
    } finally {
      writing = false;
      await writes.catch(() => {});
      writer.close();
      await done.catch(() => {});
    }
  },
});
