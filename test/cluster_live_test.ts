/**
 * Live mode and resharding with real clusters: one subscription per source master, a source resharded
 * while the live phase follows it, a target resharded during the snapshot; each ends with zero
 * differences, checked with our own reads node by node.
 */
import assert from "node:assert/strict";
import type { Command } from "../resp/mod.ts";
import { runMain } from "../src/cli/main.ts";
import { ClusterConnection } from "../src/redis/cluster/cluster_connection.ts";
import { connect } from "../src/redis/connect.ts";
import type { Commands } from "../src/redis/commands.ts";
import { RedisCluster } from "./_cluster.ts";
import { RedisServer, redisServerMissing } from "./_server.ts";
import { COMMANDS, type Run } from "./_riot.ts";
import { jsonOf, uri } from "./_replicate_util.ts";
import {
  type Address,
  assertSameContents,
  contentsOf,
  mastersOf,
  options,
  sampleCommands,
  writeTo,
} from "./_cluster_data.ts";

const ignore = !!redisServerMissing;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** runMain in the background; `output.err` can be watched while it runs. */
function start(args: string[]): { done: Promise<Run>; output: { out: string; err: string } } {
  const output = { out: "", err: "" };
  const done = runMain(args, {
    out: (text) => output.out += text,
    err: (text) => output.err += text,
    env: { get: () => undefined },
  }, COMMANDS).then((code) => ({ code, out: output.out, err: output.err }));
  return { done, output };
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** True once every node given has at least one pattern subscriber (riot's keyspace subscription). */
async function subscribedOn(nodes: RedisServer[]): Promise<boolean> {
  for (const node of nodes) if (Number(await node.cli("PUBSUB", "NUMPAT")) < 1) return false;
  return true;
}

/** Writes, deletes and expiries on `keys` keys for about `durationMs`, through `connection`. */
async function churn(connection: Commands, keys: number, durationMs: number, tag = "c"): Promise<void> {
  const until = performance.now() + durationMs;
  for (let round = 0; performance.now() < until; round++) {
    const commands: Command[] = [];
    for (let i = 0; i < 100; i++) {
      const key = `${tag}:${(round * 100 + i) % keys}`;
      if (i % 7 === 0) commands.push(["DEL", key]);
      else if (i % 11 === 0) commands.push(["HSET", key + ":h", "f", `${round}`]);
      else commands.push(["SET", key, `r${round}`]);
    }
    await connection.pipeline(commands);
    await sleep(20);
  }
}

Deno.test({
  name: "live: cluster (3 masters) -> standalone, one subscription per master, source resharded meanwhile",
  ignore,
  async fn() {
    await using source = await RedisCluster.start({ masters: 3 });
    await using target = await RedisServer.start();
    for (const node of source.nodes) await node.cli("CONFIG", "SET", "notify-keyspace-events", "KEA");
    await writeTo(source.nodes[0], true, sampleCommands(1000));
    const run = start([
      "replicate",
      uri(source.nodes[0]),
      uri(target),
      "--source-cluster",
      "--live",
      "--idle-timeout",
      "2500",
      "--progress",
      "none",
      "--json",
    ]);
    const writer = await ClusterConnection.connect(options(source.nodes[0]));
    try {
      await waitFor("a subscription on every master", () => subscribedOn(source.nodes));
      const [from, to] = await source.masters();
      const writes = churn(writer, 500, 4000);
      await source.reshard(from.id, to.id, 1000, 20);
      await writes;
      const result = await run.done;
      assert.equal(result.code, 0, result.err);
      const json = jsonOf(result);
      assert.ok(json.live.events > 0, "events arrived");
      const want = await contentsOf(await mastersOf(source));
      assert.ok(want.size > 1000);
      assertSameContents(want, await contentsOf([target]), "source cluster vs target after live");
    } finally {
      writer.close();
      await run.done.catch(() => {});
    }
  },
});

Deno.test({
  name: "live: standalone -> cluster (3 masters) follows sets, deletes and expiries",
  ignore,
  async fn() {
    await using source = await RedisServer.start({ args: ["--notify-keyspace-events", "KEA"] });
    await using target = await RedisCluster.start({ masters: 3 });
    await writeTo(source, false, sampleCommands(500));
    const run = start([
      "replicate",
      uri(source),
      uri(target.nodes[1]),
      "--target-cluster",
      "--live",
      "--idle-timeout",
      "1500",
      "--progress",
      "none",
      "--json",
    ]);
    const writer = await connect(options(source));
    try {
      await waitFor("the subscription", () => subscribedOn([source]));
      await churn(writer, 300, 1500);
      const result = await run.done;
      assert.equal(result.code, 0, result.err);
      assertSameContents(await contentsOf([source]), await contentsOf(await mastersOf(target)), "live");
    } finally {
      writer.close();
      await run.done.catch(() => {});
    }
  },
});

Deno.test({
  name: "snapshot: cluster -> cluster (3 -> 3) while the target is resharded; zero differences",
  ignore,
  async fn() {
    await using source = await RedisCluster.start({ masters: 3 });
    await using target = await RedisCluster.start({ masters: 3 });
    await writeTo(source.nodes[0], true, sampleCommands(20_000, "big"));
    const [from, to] = await target.masters();
    const moving = target.reshard(from.id, to.id, 2000, 50);
    const copied = await (start([
      "replicate",
      uri(source.nodes[0]),
      uri(target.nodes[0]),
      "--source-cluster",
      "--target-cluster",
      "--progress",
      "none",
      "--json",
      "--batch",
      "200",
    ]).done);
    await moving;
    assert.equal(copied.code, 0, copied.err);
    assert.equal(jsonOf(copied).verify.ok, 20_000);
    const where: Address[] = await mastersOf(target);
    assertSameContents(
      await contentsOf(await mastersOf(source)),
      await contentsOf(where),
      "resharded target",
    );
  },
});

Deno.test({
  name:
    "live: a cluster source that refuses CONFIG: a probe per master (a key in its own slots) proves events",
  ignore,
  async fn() {
    await using source = await RedisCluster.start({ masters: 3 });
    await using target = await RedisServer.start();
    for (const node of source.nodes) {
      await node.cli("CONFIG", "SET", "notify-keyspace-events", "KA");
      await node.cli("ACL", "SETUSER", "app", "on", ">app-secret", "~*", "&*", "+@all", "-config");
    }
    await writeTo(source.nodes[0], true, sampleCommands(300));
    const seed = source.nodes[0];
    const run = await start([
      "replicate",
      `redis://app:app-secret@${seed.host}:${seed.port}`,
      uri(target),
      "--source-cluster",
      "--live",
      "--idle-timeout",
      "800",
      "--progress",
      "none",
    ]).done;
    assert.equal(run.code, 0, run.err);
    assert.match(run.err, /CONFIG is refused/);
    assert.doesNotMatch(run.err, /MOVED|app-secret/);
    assertSameContents(await contentsOf(await mastersOf(source)), await contentsOf([target]), "probed live");
  },
});

Deno.test({
  name:
    "live: a target master restarts empty (no persistence); riot sees its new run_id, re-scans, ends equal",
  ignore,
  async fn() {
    await using source = await RedisServer.start({ args: ["--notify-keyspace-events", "KEA"] });
    await using target = await RedisCluster.start({ masters: 3 });
    await writeTo(source, false, sampleCommands(500));
    const run = start([
      "replicate",
      uri(source),
      uri(target.nodes[0]),
      "--target-cluster",
      "--live",
      "--idle-timeout",
      "1500",
      "--compare",
      "full",
      "--progress",
      "none",
    ]);
    const writer = await connect(options(source));
    try {
      await waitFor("the subscription", () => subscribedOn([source]));
      const masters = (await target.masters()).map((master) => master.node);
      const keysOn = async (node: RedisServer) => Number(await node.cli("DBSIZE"));
      await waitFor("the snapshot on the target", async () => {
        let total = 0;
        for (const node of masters) total += await keysOn(node);
        return total === 500;
      });
      const victim = masters[1];
      const held = await keysOn(victim);
      assert.ok(held > 0, "the restarted master held keys");
      const runId = /run_id:(\w+)/.exec(await victim.cli("INFO", "server"))?.[1];
      // Changes keep coming while the master restarts (its keys are gone: no persistence).
      const churning = churn(writer, 200, 4000);
      await victim.restart();
      assert.notEqual(/run_id:(\w+)/.exec(await victim.cli("INFO", "server"))?.[1], runId, "a new process");
      await target.waitHealthy();
      // riot copies the master's keys again (the churn adds c:* keys, so at least as many as before).
      await waitFor("the restarted master's keys again", async () => await keysOn(victim) >= held);
      await churning;
      const result = await run.done;
      assert.equal(result.code, 0, result.err);
      assert.match(result.err, /a master of the target cluster restarted/);
      assertSameContents(await contentsOf([source]), await contentsOf(await mastersOf(target)), "restart");
    } finally {
      writer.close();
      await run.done.catch(() => {});
    }
  },
});

Deno.test({
  name: "snapshot: a target master restarts empty mid-copy; riot sees its new run_id and copies again",
  ignore,
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisCluster.start({ masters: 3 });
    const total = 6000;
    await writeTo(source, false, sampleCommands(total));
    // Slowed down (keys per second), so that the restart lands mid-copy.
    const run = start([
      "replicate",
      uri(source),
      uri(target.nodes[0]),
      "--target-cluster",
      "--rate",
      "2000",
      "--compare",
      "full",
      "--progress",
      "none",
    ]);
    try {
      const masters = (await target.masters()).map((master) => master.node);
      await waitFor("a quarter of the copy", async () => {
        let keys = 0;
        for (const node of masters) keys += Number(await node.cli("DBSIZE"));
        return keys >= total / 4;
      });
      await masters[2].restart();
      const result = await run.done;
      assert.equal(result.code, 0, result.err);
      assert.match(result.err, /The target restarted during the copy/);
      assertSameContents(await contentsOf([source]), await contentsOf(await mastersOf(target)), "snapshot");
    } finally {
      await run.done.catch(() => {});
    }
  },
});

Deno.test({
  name:
    "live: a target master fails over (CLUSTER FAILOVER); riot sees the masters change, re-scans, ends equal",
  ignore,
  async fn() {
    await using source = await RedisServer.start({ args: ["--notify-keyspace-events", "KEA"] });
    await using target = await RedisCluster.start({ masters: 3, replicas: 1 });
    await writeTo(source, false, sampleCommands(300));
    const run = start([
      "replicate",
      uri(source),
      uri(target.nodes[0]),
      "--target-cluster",
      "--live",
      "--idle-timeout",
      "1500",
      "--compare",
      "full",
      "--progress",
      "none",
    ]);
    const writer = await connect(options(source));
    try {
      await waitFor("the subscription", () => subscribedOn([source]));
      const [, master] = await target.masters();
      const [replica] = await target.replicasOf(master.id);
      const churning = churn(writer, 200, 4000);
      await replica.cli("CLUSTER", "FAILOVER");
      await waitFor("the replica's promotion", async () => (await replica.cli("ROLE")).startsWith("master"));
      await churning;
      const result = await run.done;
      assert.equal(result.code, 0, result.err);
      assert.match(result.err, /the target cluster's masters changed/);
      assertSameContents(await contentsOf([source]), await contentsOf(await mastersOf(target)), "failover");
    } finally {
      writer.close();
      await run.done.catch(() => {});
    }
  },
});
