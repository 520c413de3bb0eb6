/**
 * The sync checkpoint of a cluster source (one position per master, src/jobs/sync_checkpoint.ts) and the
 * topology comparison that stops a cluster sync (src/jobs/sync_cluster.ts), without servers.
 */
import assert from "node:assert/strict";
import { ClusterPositionFile, singlePositionFile } from "../src/jobs/sync_checkpoint.ts";
import { describeChange } from "../src/jobs/sync_cluster.ts";
import { OptionError } from "../src/redis/options.ts";

const A = "a".repeat(40);
const B = "b".repeat(40);

Deno.test("cluster sync checkpoint: one entry per master, a promoted replica takes its old master's over", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sync-checkpoint-" });
  try {
    const path = `${dir}/cp.json`;
    const file = await ClusterPositionFile.open(path);
    await file.forMaster("h:1").write({ replid: A, offset: 10, db: 0, marker: "m1" });
    await file.forMaster("h:2").write({ replid: B, offset: 20, db: 0 });
    const again = await ClusterPositionFile.open(path);
    assert.deepEqual(await again.forMaster("h:2").read(), {
      replid: B,
      offset: 20,
      db: 0,
      marker: undefined,
    });
    // h:3 now serves h:1's slots; its master_replid2 is h:1's replid. h:2 is still a master: never taken.
    assert.equal(again.takeOver("h:3", ["c".repeat(40), B], ["h:2", "h:3"]), undefined);
    assert.equal(again.takeOver("h:3", ["c".repeat(40), A], ["h:2", "h:3"]), "h:1");
    assert.equal((await again.forMaster("h:3").read())?.offset, 10);
    assert.equal(await again.forMaster("h:1").read(), undefined);
    // A file of the other kind is one line, both ways.
    await assert.rejects(() => singlePositionFile(path).read(), OptionError);
    await singlePositionFile(`${dir}/single.json`).write({ replid: A, offset: 1, db: 0 });
    await assert.rejects(
      () => ClusterPositionFile.open(`${dir}/single.json`),
      /made by a sync of a standalone/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cluster sync: a failover, a new master and moved slots are changes; the same view is none", () => {
  const before = new Map([["h:1", "0-8191"], ["h:2", "8192-16383"]]);
  assert.equal(describeChange(before, new Map(before)), undefined);
  assert.match(
    describeChange(before, new Map([["h:3", "0-8191"], ["h:2", "8192-16383"]]))!,
    /h:1 is no longer a master/,
  );
  assert.match(
    describeChange(before, new Map([["h:1", "0-8190"], ["h:2", "8191-16383"]]))!,
    /slots of master h:1 changed from 0-8191 to 0-8190/,
  );
  assert.match(
    describeChange(before, new Map([...before, ["h:4", "100"]]))!,
    /h:4 became a master/,
  );
});
