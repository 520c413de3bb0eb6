/**
 * `riot replicate --mode sync` into a cluster target: the snapshot routed by slot, then the stream applied
 * per slot (one MULTI/EXEC per slot and batch, src/sync/cluster_applier.ts) while a writer runs INCR,
 * LPUSH, cross-slot MSET and DEL (cut by slot) and a same-slot SUNIONSTORE, and riot's connections to the
 * masters are cut 20 times mid-stream (each node announces a TCP proxy as its address): nothing applied
 * twice nor lost. A RENAME across slots is reported.
 */
import assert from "node:assert/strict";
import { RedisCluster } from "./_cluster.ts";
import { dataOf } from "./_digest.ts";
import { TcpProxy } from "./_proxy.ts";
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

/**
 * A TCP proxy in front of each node, announced by the node as its port (CONFIG SET cluster-announce-port),
 * so that a client that follows the topology talks to the nodes through the proxies only. Resolves once
 * every node lists the proxies' ports.
 */
async function behindProxies(cluster: RedisCluster): Promise<TcpProxy[]> {
  const proxies = await Promise.all(cluster.nodes.map((node) => TcpProxy.start(node.host, node.port)));
  for (const [i, node] of cluster.nodes.entries()) {
    await node.cli("CONFIG", "SET", "cluster-announce-port", String(proxies[i].port));
  }
  const ports = proxies.map((proxy) => String(proxy.port));
  for (let i = 0; i < 200; i++) {
    const views = await Promise.all(cluster.nodes.map((node) => node.cli("CLUSTER", "NODES")));
    if (views.every((view) => ports.every((port) => view.includes(`:${port}@`)))) return proxies;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("The nodes never announced their proxies");
}

/** Every key of the cluster's masters, by id, with type, digest and expiry. */
async function clusterData(cluster: RedisCluster) {
  const all = new Map();
  for (const node of cluster.nodes) for (const [id, state] of await dataOf(node)) all.set(id, state);
  return all;
}

serverTest({
  name:
    "riot replicate --mode sync --target-cluster: per-slot transactions survive cut connections, identical",
  async fn() {
    await using source = await RedisServer.start({ args: SOURCE_ARGS });
    await using cluster = await RedisCluster.start({ masters: 3 });
    await source.cli("EVAL", "for i=1,500 do redis.call('SET','seed:'..i,i) end", "0");
    const proxies = await behindProxies(cluster);
    const run = riot([
      "replicate",
      uri(source),
      `redis://127.0.0.1:${proxies[0].port}`,
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
    // Cut riot's target connections over and over, so that some die with a transaction in flight.
    for (let cut = 0; cut < 20; cut++) {
      await new Promise((resolve) => setTimeout(resolve, 60));
      proxies[cut % 3].cutAll();
    }
    await new Promise((resolve) => setTimeout(resolve, 400));
    await source.cli("SET", "a", "1");
    await source.cli("RENAME", "a", "b"); // a and b are in different slots: reported, not applied
    done = true;
    await writing;
    conn.close();
    const result = await run;
    for (const proxy of proxies) await proxy.close();
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
