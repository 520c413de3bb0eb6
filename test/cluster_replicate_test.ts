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
    const copied = await riot([
      "replicate",
      uri(source.nodes[0]),
      uri(target.nodes[1]),
      "--source-cluster",
      "--target-cluster",
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
