/**
 * `riot -c replicate --mode sync` from a cluster source (3 masters) into a standalone target: one
 * replication link per master. While a writer changes keys on every master (through a cluster-aware
 * connection), `CLIENT KILL TYPE replica` on one master is followed by a partial resync of that link only
 * (sync_partial_ok moves on that master, not on the others) and the target ends identical to the union of
 * the masters. SIGINT, then a second run continues each master by its offset from the checkpoint. A
 * resharding during the sync stops the run with one line.
 */
import assert from "node:assert/strict";
import type { Command } from "../resp/mod.ts";
import { ClusterConnection } from "../src/redis/cluster/cluster_connection.ts";
import { RedisCluster } from "./_cluster.ts";
import { options } from "./_cluster_data.ts";
import { dataOf, type KeyState } from "./_digest.ts";
import { RiotProcess, waitFor } from "./_promise_util.ts";
import { uri } from "./_replicate_util.ts";
import { riot } from "./_riot.ts";
import { RedisServer, serverTest } from "./_server.ts";

const NODE_ARGS = ["--repl-diskless-sync-delay", "0", "--repl-backlog-size", "16mb"];

async function startCluster(): Promise<RedisCluster> {
  return await RedisCluster.start({ masters: 3, args: NODE_ARGS });
}

/** Resolves once every master lists riot as an online replica. */
async function streaming(masters: RedisServer[]): Promise<void> {
  await waitFor("riot online on every master", async () => {
    const infos = await Promise.all(masters.map((node) => node.cli("INFO", "replication")));
    return infos.every((info) => /slave0:.*state=online/.test(info));
  }, 20_000);
}

async function partialSyncs(node: RedisServer): Promise<number> {
  return Number(/sync_partial_ok:(\d+)/.exec(await node.cli("INFO", "stats"))![1]);
}

/** Writes keys of several types on every master until `stop()`; resolves with the rounds written. */
function writer(seed: RedisServer): { stop: () => void; done: Promise<number> } {
  let stopped = false;
  const done = (async () => {
    const cluster = await ClusterConnection.connect(options(seed));
    let round = 0;
    try {
      while (!stopped) {
        const i = round++ % 300;
        const commands: Command[] = [
          ["SET", `s:${i}`, `v${round}`, "PX", 3_600_000],
          ["INCR", `counter:${i % 10}`],
          ["HSET", `h:${i % 50}`, `f${round % 7}`, round],
          ["RPUSH", `l:${i % 20}`, round],
          ["ZADD", `z:${i % 20}`, round, `m${round % 30}`],
          ["DEL", `s:${(i + 150) % 300}`],
        ];
        await cluster.pipeline(commands);
      }
    } finally {
      cluster.close();
    }
    return round;
  })();
  return { stop: () => stopped = true, done };
}

/** Every key of the masters together. */
async function unionOf(masters: RedisServer[]): Promise<Map<string, KeyState>> {
  const all = new Map<string, KeyState>();
  for (const node of masters) for (const [id, state] of await dataOf(node)) all.set(id, state);
  return all;
}

async function assertIdentical(masters: RedisServer[], target: RedisServer): Promise<void> {
  const expected = await unionOf(masters);
  const actual = await dataOf(target);
  assert.ok(expected.size > 100, `only ${expected.size} keys`);
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
  for (const [id, state] of expected) assert.deepEqual(actual.get(id), state, id);
}

async function seed(cluster: RedisCluster): Promise<void> {
  const connection = await ClusterConnection.connect(options(cluster.nodes[0]));
  try {
    await connection.pipeline(Array.from({ length: 600 }, (_, i) => ["SET", `seed:${i}`, "x".repeat(50)]));
  } finally {
    connection.close();
  }
}

function syncArgs(seedNode: RedisServer, target: RedisServer, ...more: string[]): string[] {
  return [
    "-h",
    seedNode.host,
    "-p",
    String(seedNode.port),
    "-c",
    "replicate",
    uri(target),
    "--mode",
    "sync",
    "--progress",
    "none",
    ...more,
  ];
}

serverTest({
  name: "riot -c replicate --mode sync: one link per master, a killed link resyncs partially, identical",
  async fn() {
    await using cluster = await startCluster();
    await using target = await RedisServer.start();
    await seed(cluster);
    const masters = (await cluster.masters()).map((master) => master.node);
    const victim = masters[1];
    const before = await Promise.all(masters.map(partialSyncs));
    const run = riot(syncArgs(cluster.nodes[0], target, "--idle-timeout", "1500", "--json"));
    await streaming(masters);
    const writing = writer(cluster.nodes[0]);
    await new Promise((resolve) => setTimeout(resolve, 700)); // writes flowing on every link
    await victim.cli("CLIENT", "KILL", "TYPE", "replica");
    await waitFor(
      "riot back on the victim",
      async () => await partialSyncs(victim) > before[1],
      10_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 500)); // more writes after the resync
    writing.stop();
    assert.ok(await writing.done > 50);
    const result = await run;
    assert.equal(result.code, 0, result.err);
    const json = JSON.parse(result.out);
    assert.equal(json.sync.masters.length, 3);
    assert.equal(json.sync.fullSyncs, 3, result.err);
    assert.equal(json.sync.partialResyncs, 1, result.err);
    const victimName = `${victim.host}:${victim.port}`;
    for (const master of json.sync.masters) {
      assert.equal(master.partialResyncs, master.master === victimName ? 1 : 0, master.master);
      assert.match(master.replid, /^[0-9a-f]{40}$/);
    }
    const after = await Promise.all(masters.map(partialSyncs));
    assert.deepEqual(after.map((n, i) => n - before[i]), masters.map((node) => node === victim ? 1 : 0));
    assert.equal(
      json.verify.missing + json.verify.extra + json.verify.value + json.verify.ttl,
      0,
      result.out,
    );
    assert.ok(json.verify.ok > 100, result.out);
    await assertIdentical(masters, target);
  },
});

serverTest({
  name: "riot -c replicate --mode sync: SIGINT, then a second run continues every master by its offset",
  async fn() {
    await using cluster = await startCluster();
    await using target = await RedisServer.start();
    await seed(cluster);
    const masters = (await cluster.masters()).map((master) => master.node);
    const checkpoint = `${target.dir}/sync-cluster.checkpoint`;
    const args = syncArgs(cluster.nodes[0], target, "--checkpoint", checkpoint);
    const first = new RiotProcess([...args, "--compare", "none"]);
    try {
      await streaming(masters);
      const writing = writer(cluster.nodes[0]);
      await new Promise((resolve) => setTimeout(resolve, 500));
      writing.stop();
      await writing.done;
      // Each master's entry reaches its master's offset (riot acknowledged everything written).
      await waitFor("the checkpoint at every master's offset", async () => {
        const saved = await Deno.readTextFile(checkpoint).then(JSON.parse).catch(() => undefined);
        if (!saved) return false;
        const offsets = await Promise.all(
          masters.map(async (node) =>
            Number(/master_repl_offset:(\d+)/.exec(await node.cli("INFO", "replication"))![1])
          ),
        );
        return masters.every((node, i) => saved.masters[`${node.host}:${node.port}`]?.offset === offsets[i]);
      }, 10_000);
      first.kill("SIGINT");
      const stopped = await first.done;
      assert.equal(stopped.code, 0, stopped.err);
    } finally {
      await first.abort();
    }
    const writing = writer(cluster.nodes[0]);
    await new Promise((resolve) => setTimeout(resolve, 300)); // written while riot is away
    writing.stop();
    await writing.done;
    const before = await Promise.all(masters.map(partialSyncs));
    const second = await riot([...args, "--idle-timeout", "1000", "--compare", "full", "--json"]);
    assert.equal(second.code, 0, second.err);
    const json = JSON.parse(second.out);
    assert.equal(json.sync.resumed, true);
    assert.equal(json.sync.fullSyncs, 0, second.err);
    assert.equal(json.sync.partialResyncs, 3, second.err);
    const after = await Promise.all(masters.map(partialSyncs));
    assert.deepEqual(after.map((n, i) => n - before[i]), [1, 1, 1]);
    await assertIdentical(masters, target);
  },
});

serverTest({
  name: "riot -c replicate --mode sync: a resharding during the sync stops every link with one line",
  async fn() {
    await using cluster = await startCluster();
    await using target = await RedisServer.start();
    await seed(cluster);
    const masters = await cluster.masters();
    const run = riot(syncArgs(cluster.nodes[0], target));
    await streaming(masters.map((master) => master.node));
    await cluster.reshard(masters[0].id, masters[1].id, 1);
    const result = await run;
    assert.equal(result.code, 1, result.err);
    assert.match(
      result.err,
      /topology changed during the sync: the slots of master \S+ changed from .* \(resharding\); all links stopped/,
    );
  },
});

serverTest({
  name:
    "riot -c replicate --mode sync: a CLUSTER FAILOVER stops every link with one line; run again, the new master continues by offset",
  async fn() {
    await using cluster = await RedisCluster.start({ masters: 3, replicas: 1, args: NODE_ARGS });
    await using target = await RedisServer.start();
    await seed(cluster);
    const masters = await cluster.masters();
    const args = syncArgs(cluster.nodes[0], target, "--checkpoint", `${target.dir}/failover.checkpoint`);
    const run = riot(args);
    // Each master has its cluster replica and riot.
    await waitFor("riot online on every master", async () => {
      const infos = await Promise.all(masters.map(({ node }) => node.cli("INFO", "replication")));
      return infos.every((info) => (info.match(/slave\d+:.*state=online/g) ?? []).length === 2);
    }, 20_000);
    const [replica] = await cluster.replicasOf(masters[2].id);
    await replica.cli("CLUSTER", "FAILOVER");
    const result = await run;
    assert.equal(result.code, 1, result.err);
    const old = `${masters[2].node.host}:${masters[2].node.port}`;
    assert.match(
      result.err,
      new RegExp(
        `topology changed during the sync: ${old} is no longer a master .*run the same command again`,
        "i",
      ),
    );
    assert.equal(result.err.trim().split("\n").filter((line) => /topology/.test(line)).length, 1, result.err);
    // Run again: the promoted replica takes the old master's checkpoint entry over (psync2) and continues it.
    await cluster.waitHealthy();
    const writing = writer(cluster.nodes[0]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    writing.stop();
    await writing.done;
    const again = await riot([...args, "--idle-timeout", "1000", "--json"]);
    assert.equal(again.code, 0, again.err);
    assert.match(again.err, new RegExp(`took over from ${old} \\(failover\\)`));
    const json = JSON.parse(again.out);
    assert.equal(json.sync.fullSyncs, 0, again.err);
    assert.equal(json.sync.partialResyncs, 3, again.err);
    await assertIdentical((await cluster.masters()).map((master) => master.node), target);
  },
});

serverTest({
  name: "riot -c replicate --mode sync --target-cluster: every master's stream into a cluster, identical",
  async fn() {
    await using cluster = await startCluster();
    await using target = await RedisCluster.start({ masters: 3 });
    await seed(cluster);
    const masters = (await cluster.masters()).map((master) => master.node);
    const run = riot(
      syncArgs(cluster.nodes[0], target.nodes[0], "--target-cluster", "--idle-timeout", "1500", "--json"),
    );
    await streaming(masters);
    const writing = writer(cluster.nodes[0]);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    writing.stop();
    assert.ok(await writing.done > 50);
    const result = await run;
    assert.equal(result.code, 0, result.err);
    assert.equal(JSON.parse(result.out).sync.fullSyncs, 3);
    const expected = await unionOf(masters);
    const actual = await unionOf((await target.masters()).map((master) => master.node));
    assert.ok(expected.size > 100, `only ${expected.size} keys`);
    assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
    for (const [id, state] of expected) assert.deepEqual(actual.get(id), state, id);
  },
});
