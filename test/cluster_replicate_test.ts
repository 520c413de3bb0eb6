/**
 * replicate and compare with real clusters on either side (3 masters against 2, or a standalone server),
 * each target checked with our own reads node by node.
 */
import assert from "node:assert/strict";
import { RedisCluster } from "./_cluster.ts";
import { RedisServer, redisServerMissing } from "./_server.ts";
import { riot } from "./_riot.ts";
import { jsonOf, uri } from "./_replicate_util.ts";
import { assertSameContents, contentsOf, mastersOf, sampleCommands, writeTo } from "./_cluster_data.ts";

const ignore = !!redisServerMissing;

Deno.test({
  name:
    "replicate: cluster (3 masters) -> cluster (4 masters), then compare; keys land on the owning masters",
  ignore,
  async fn() {
    await using source = await RedisCluster.start({ masters: 3 });
    await using target = await RedisCluster.start({ masters: 4 });
    await writeTo(source.nodes[0], true, sampleCommands(3000));
    const dir = await Deno.makeTempDir({ prefix: "cluster-wiring-" });
    const checkpointFile = `${dir}/copy.json`;
    const copied = await riot([
      "replicate",
      uri(source.nodes[0]),
      uri(target.nodes[1]),
      "--source-cluster",
      "--target-cluster",
      "--checkpoint",
      checkpointFile,
      "--progress",
      "none",
      "--json",
    ]);
    assert.equal(copied.code, 0, copied.err);
    const result = jsonOf(copied);
    assert.equal(result.replication.written, 3000);
    assert.equal(result.verify.ok, 3000);
    const want = await contentsOf(await mastersOf(source));
    assert.equal(want.size, 3000);
    assertSameContents(want, await contentsOf(await mastersOf(target)), "source vs target");
    // The checkpoint keeps one cursor per source master, each scan finished.
    const saved = JSON.parse(await Deno.readTextFile(checkpointFile));
    await Deno.remove(dir, { recursive: true });
    const masterNames = (await mastersOf(source)).map((node) => `${node.host}:${node.port}`).sort();
    assert.deepEqual(Object.keys(saved.cursors).sort(), masterNames);
    assert.ok(Object.values(saved.cursors).every((entry) => (entry as { done: boolean }).done));

    // compare sees a change made on the target afterwards.
    await writeTo(target.nodes[0], true, [["SET", "k:1", "changed"], ["SET", "only-target", "x"]]);
    const compared = await riot([
      "compare",
      uri(source.nodes[1]),
      uri(target.nodes[0]),
      "--source-cluster",
      "--target-cluster",
      "--progress",
      "none",
      "--json",
    ]);
    assert.equal(compared.code, 1, compared.err);
    const diff = jsonOf(compared);
    assert.equal(diff.value, 1);
    assert.equal(diff.extra, 1);
    assert.equal(diff.ok, 2999);
  },
});

Deno.test({
  name: "replicate: standalone -> cluster and cluster -> standalone (-c before and after the command)",
  ignore,
  async fn() {
    await using cluster = await RedisCluster.start({ masters: 3 });
    await using standalone = await RedisServer.start();
    await using back = await RedisServer.start();
    await writeTo(standalone, false, sampleCommands(2000));
    const seed = cluster.nodes[2];
    const there = await riot([
      "-h",
      standalone.host,
      "-p",
      String(standalone.port),
      "replicate",
      "-h",
      seed.host,
      "-p",
      String(seed.port),
      "-c",
      "--progress",
      "none",
      "--json",
    ]);
    assert.equal(there.code, 0, there.err);
    assert.equal(jsonOf(there).verify.ok, 2000);
    const want = await contentsOf([standalone]);
    const onCluster = await contentsOf(await mastersOf(cluster));
    assertSameContents(want, onCluster, "standalone vs cluster");
    // Every master holds a share.
    for (const master of await mastersOf(cluster)) {
      assert.ok((await contentsOf([master])).size > 300, `${master.port} holds a share`);
    }

    const home = await riot([
      "-h",
      seed.host,
      "-p",
      String(seed.port),
      "-c",
      "replicate",
      "-h",
      back.host,
      "-p",
      String(back.port),
      "--progress",
      "none",
      "--json",
      "--compare",
      "full",
    ]);
    assert.equal(home.code, 0, home.err);
    assert.equal(jsonOf(home).verify.ok, 2000);
    assertSameContents(want, await contentsOf([back]), "cluster vs standalone");

    // compare in both directions sees one change.
    await writeTo(back, false, [["SET", "k:5", "changed"]]);
    for (
      const [a, b, flags] of [[cluster, back, ["--source-cluster"]], [back, cluster, ["--target-cluster"]]]
    ) {
      const left = a === cluster ? seed : back;
      const right = b === cluster ? seed : back;
      const compared = await riot([
        "compare",
        uri(left),
        uri(right),
        ...flags as string[],
        "--mode",
        "full",
        "--progress",
        "none",
        "--json",
      ]);
      assert.equal(compared.code, 1, compared.err);
      assert.equal(jsonOf(compared).value, 1);
      assert.equal(jsonOf(compared).ok, 1999);
    }
  },
});

Deno.test({
  name:
    "replicate --partition: 0/2 + 1/2 into one target, and 0/4 ... 3/4 into four: disjoint shares, union = source",
  ignore,
  async fn() {
    await using source = await RedisCluster.start({ masters: 3 });
    await using whole = await RedisServer.start();
    const quarters = [
      await RedisServer.start(),
      await RedisServer.start(),
      await RedisServer.start(),
      await RedisServer.start(),
    ];
    try {
      await writeTo(source.nodes[0], true, sampleCommands(2000));
      const want = await contentsOf(await mastersOf(source));
      let verified = 0;
      for (const part of ["0/2", "1/2"]) {
        const run = await riot([
          "replicate",
          uri(source.nodes[0]),
          uri(whole),
          "--source-cluster",
          "--partition",
          part,
          "--progress",
          "none",
          "--json",
        ]);
        assert.equal(run.code, 0, run.err);
        const result = jsonOf(run);
        assert.equal(result.verify.extra, 0, "the other share on the target is not counted");
        verified += result.verify.ok;
      }
      assert.equal(verified, 2000);
      assertSameContents(want, await contentsOf([whole]), "two partitions");

      const runs = await Promise.all(quarters.map((target, i) =>
        riot([
          "replicate",
          uri(source.nodes[i % 3]),
          uri(target),
          "--source-cluster",
          "--partition",
          `${i}/4`,
          "--progress",
          "none",
          "--json",
        ])
      ));
      runs.forEach((run) => assert.equal(run.code, 0, run.err));
      // A quarter of the slots lies on one or two of the three masters: only those are scanned.
      const scanned = runs.map((run) => jsonOf(run).replication.scanned as number);
      assert.ok(scanned.every((count) => count < 1500), `scanned per run: ${scanned}`);
      const union = new Map<string, string>();
      for (const target of quarters) {
        const share = await contentsOf([target]);
        assert.ok(share.size > 200, `each quarter holds a share (${share.size})`);
        for (const [key, value] of share) {
          assert.ok(!union.has(key), `${key} copied by two partitions`);
          union.set(key, value);
        }
      }
      assertSameContents(want, union, "four partitions");
    } finally {
      for (const server of quarters) await server[Symbol.asyncDispose]();
    }
  },
});

Deno.test({
  name: "replicate --read-from replica scans the replicas; live cluster (3) -> cluster (4) follows changes",
  ignore,
  async fn() {
    await using source = await RedisCluster.start({ masters: 3, replicas: 1 });
    await using target = await RedisCluster.start({ masters: 4 });
    for (const node of source.nodes) await node.cli("CONFIG", "SET", "notify-keyspace-events", "KEA");
    await writeTo(source.nodes[0], true, sampleCommands(1500));
    for (const master of await mastersOf(source)) {
      await new Deno.Command("redis-cli", { args: ["-p", String(master.port), "WAIT", "1", "5000"] })
        .output();
    }
    const fromReplicas = await riot([
      "replicate",
      uri(source.nodes[0]),
      uri(target.nodes[0]),
      "--source-cluster",
      "--target-cluster",
      "--read-from",
      "replica",
      "--progress",
      "none",
      "--json",
    ]);
    assert.equal(fromReplicas.code, 0, fromReplicas.err);
    assert.equal(jsonOf(fromReplicas).verify.ok, 1500);
    const replicaPorts = new Set<number>();
    for (const master of await source.masters()) {
      for (const replica of await source.replicasOf(master.id)) replicaPorts.add(replica.port);
    }
    assert.equal(replicaPorts.size, 3);
    // The replicas served the reads: their command statistics show DUMP calls, the masters' none.
    for (const node of source.nodes) {
      const stats = await node.cli("INFO", "commandstats");
      assert.equal(/cmdstat_dump:/.test(stats), replicaPorts.has(node.port), `DUMP on ${node.port}`);
    }

    const live = riot([
      "replicate",
      uri(source.nodes[1]),
      uri(target.nodes[2]),
      "--source-cluster",
      "--target-cluster",
      "--live",
      "--idle-timeout",
      "1500",
      "--progress",
      "none",
      "--json",
    ]);
    const masters = (await source.masters()).map((master) => master.node);
    const deadline = Date.now() + 20_000;
    for (const master of masters) {
      while (Number(await master.cli("PUBSUB", "NUMPAT")) < 1) {
        assert.ok(Date.now() < deadline, "a subscription on every master");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    await writeTo(source.nodes[0], true, [
      ["SET", "live:a", "1"],
      ["DEL", "k:1"],
      ["HSET", "live:h", "f", "v"],
      ["EXPIRE", "k:2", "1000"],
      ...sampleCommands(300, "during"),
    ]);
    const run = await live;
    assert.equal(run.code, 0, run.err);
    assert.ok(jsonOf(run).live.events >= 304);
    const want = await contentsOf(await mastersOf(source));
    assert.ok(want.has("live:a") && !want.has("k:1"));
    assertSameContents(want, await contentsOf(await mastersOf(target)), "live cluster -> cluster");
  },
});
