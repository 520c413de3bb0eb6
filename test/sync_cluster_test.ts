/**
 * `riot replicate --mode sync` into a cluster target: the snapshot routed by slot, then the stream applied
 * per slot (one MULTI/EXEC per slot and batch, src/sync/cluster_applier.ts) while a writer runs INCR,
 * LPUSH, cross-slot MSET and DEL (cut by slot) and a same-slot SUNIONSTORE, and riot's connections to the
 * masters are killed 30 times mid-stream: nothing applied twice nor lost. A RENAME across slots is reported.
 * (CLIENT KILL seldom lands while a transaction is in flight, so this test shows routing and recovery; the
 * exactly-once proof under a cut mid-batch is sync_exact_test.ts, through a proxy, for one server.)
 */
import assert from "node:assert/strict";
import { RedisCluster } from "./_cluster.ts";
import { dataOf } from "./_digest.ts";
import { raw, uri } from "./_replicate_util.ts";
import { riot } from "./_riot.ts";
import { RedisServer, serverTest } from "./_server.ts";

const SOURCE_ARGS = ["--repl-diskless-sync-delay", "0", "--repl-backlog-size", "64mb"];

async function streaming(source: RedisServer): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (/slave0:.*state=online/.test(await source.cli("INFO", "replication"))) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("riot never became an online replica");
}

/** Every key of the cluster's masters, by id, with type, digest and expiry. */
async function clusterData(cluster: RedisCluster) {
  const all = new Map();
  for (const node of cluster.nodes) for (const [id, state] of await dataOf(node)) all.set(id, state);
  return all;
}

serverTest({
  name:
    "riot replicate --mode sync --target-cluster: per-slot transactions survive killed connections, identical",
  async fn() {
    await using source = await RedisServer.start({ args: SOURCE_ARGS });
    await using cluster = await RedisCluster.start({ masters: 3 });
    await source.cli("EVAL", "for i=1,500 do redis.call('SET','seed:'..i,i) end", "0");
    const [node] = cluster.nodes;
    const run = riot([
      "replicate",
      uri(source),
      uri(node),
      "--target-cluster",
      "--mode",
      "sync",
      "--idle-timeout",
      "1500",
      "--progress",
      "none",
      "--json",
    ]);
    await streaming(source);
    const conn = await raw(source);
    let done = false;
    const writing = (async () => {
      for (let i = 0; !done; i++) {
        await conn.pipeline([
          ["INCR", "counter"],
          ["LPUSH", `list:${i % 7}`, i],
          ["MSET", `m:${i % 50}`, i, `n:${i % 50}`, i],
          ["DEL", `seed:${i % 500}`, `m:${(i + 25) % 50}`],
          ["SADD", `{t}:s:${i % 3}`, i % 20],
          ["SUNIONSTORE", "{t}:u", "{t}:s:0", "{t}:s:1", "{t}:s:2"],
          ["HINCRBY", `h:${i % 9}`, "f", 1],
        ]);
      }
    })();
    // Kill riot's target connections over and over, so that some die with a transaction in flight.
    for (let kill = 0; kill < 30; kill++) {
      await new Promise((resolve) => setTimeout(resolve, 30));
      await cluster.nodes[kill % 3].cli("CLIENT", "KILL", "TYPE", "normal");
    }
    await new Promise((resolve) => setTimeout(resolve, 400));
    await source.cli("SET", "a", "1");
    await source.cli("RENAME", "a", "b"); // a and b are in different slots: reported, not applied
    done = true;
    await writing;
    conn.close();
    const result = await run;
    assert.equal(result.code, 1, result.err);
    const json = JSON.parse(result.out);
    assert.equal(json.replication.failed, 1, result.err);
    assert.match(result.err, /RENAME has keys in several slots/);
    const expected = await dataOf(source);
    const actual = await clusterData(cluster);
    // The one difference: the RENAME that a cluster cannot run (a is still there, b is missing).
    expected.delete("b");
    actual.delete("a");
    assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
    for (const [id, state] of expected) assert.deepEqual(actual.get(id), state, id);
  },
});
