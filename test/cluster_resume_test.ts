/**
 * `riot replicate --source-cluster --checkpoint FILE` stopped by SIGINT mid-snapshot and run again: the
 * checkpoint keeps one SCAN cursor per master, the second run continues from them (copying fewer keys than
 * the source holds), and the target ends identical to the cluster, read with our own connections.
 */
import assert from "node:assert/strict";
import { RedisCluster } from "./_cluster.ts";
import { RiotProcess, waitFor } from "./_promise_util.ts";
import { jsonOf, uri } from "./_replicate_util.ts";
import { RedisServer, redisServerMissing } from "./_server.ts";
import { assertSameContents, contentsOf, mastersOf, sampleCommands, writeTo } from "./_cluster_data.ts";

const TOTAL = 6000;

Deno.test({
  name:
    "replicate --source-cluster --checkpoint: SIGINT mid-snapshot, resumed per master: identical, fewer keys copied",
  ignore: !!redisServerMissing,
  async fn() {
    await using source = await RedisCluster.start({ masters: 3 });
    await using target = await RedisServer.start();
    await writeTo(source.nodes[0], true, sampleCommands(TOTAL));
    const masters = (await mastersOf(source)).map((node) => `${node.host}:${node.port}`).sort();
    const dir = await Deno.makeTempDir({ prefix: "riot-cluster-resume-" });
    const checkpoint = `${dir}/copy.json`;
    const args = [
      "replicate",
      uri(source.nodes[0]),
      uri(target),
      "--source-cluster",
      "--checkpoint",
      checkpoint,
      "--compare",
      "none",
      "--progress",
      "none",
      "--json",
    ];
    // Slowed down (keys per second), so that the stop lands mid-copy.
    const first = new RiotProcess([...args, "--rate", "2000"]);
    try {
      await waitFor("a quarter of the copy", async () => Number(await target.cli("DBSIZE")) >= TOTAL / 4);
      first.kill("SIGINT");
      const stopped = await first.done;
      assert.equal(stopped.code, 130, stopped.err);
      const firstWritten: number = jsonOf(stopped).replication.written;
      assert.ok(
        firstWritten > 0 && firstWritten < TOTAL,
        `the first run wrote ${firstWritten}: ${stopped.err}`,
      );
      const saved = JSON.parse(await Deno.readTextFile(checkpoint));
      assert.equal(saved.complete, false);
      // One cursor per master, named by its host:port, for each master with a batch fully written by then
      // (under load a master may have none yet: without an entry it starts from cursor 0 on resume, which
      // loses nothing); the copy was not done everywhere.
      const recorded = Object.keys(saved.cursors).sort();
      assert.ok(
        recorded.length > 0 && recorded.every((node) => masters.includes(node)),
        `cursors for ${recorded.join(", ")} of ${masters.join(", ")}`,
      );
      assert.ok(
        recorded.length < masters.length ||
          Object.values(saved.cursors).some((entry) => !(entry as { done: boolean }).done),
      );

      const second = new RiotProcess(args);
      const resumed = await second.done;
      assert.equal(resumed.code, 0, resumed.err);
      const json = jsonOf(resumed);
      assert.equal(json.resumed, true);
      assert.equal(json.copiedBefore, firstWritten);
      const again: number = json.copiedThisRun;
      assert.ok(again < TOTAL, `the second run copied ${again} of ${TOTAL} keys`);
      assert.ok(firstWritten + again >= TOTAL, `together the runs wrote ${firstWritten + again} keys`);
      assertSameContents(await contentsOf(await mastersOf(source)), await contentsOf([target]), "resumed");
      const done = JSON.parse(await Deno.readTextFile(checkpoint));
      assert.equal(done.complete, true);
    } finally {
      await first.abort();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
