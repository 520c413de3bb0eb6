/**
 * The live follower's idle timeout counts only time spent listening: a re-scan (run because events may
 * have been lost) restarts the idle clock. Before, a run whose subscription was lost for longer than the
 * idle timeout (a cluster failover: no events from the failed master, writers blocked) ended as soon as the
 * repair was over, and a change made just after it was never copied while riot exited 0.
 */
import assert from "node:assert/strict";
import { toText } from "../resp/mod.ts";
import { LiveFollower } from "../src/live/follower.ts";
import { SILENT_LOG } from "../src/log.ts";
import { Endpoint } from "../src/redis/endpoint.ts";
import { DEFAULT_CONNECTION } from "../src/redis/options.ts";
import { RedisServer, serverTest } from "./_server.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const IDLE_MS = 800;

serverTest({
  name: "live: the idle clock starts again after a re-scan, so a change made just after it is still copied",
  async fn() {
    await using source = await RedisServer.start({ notifyKeyspaceEvents: "KEA" });
    const endpoint = await Endpoint.open({ ...DEFAULT_CONNECTION, port: source.port }, "source", 1);
    const copied: string[] = [];
    let rescans = 0;
    let rescanDone!: () => void;
    const afterRescan = new Promise<void>((resolve) => rescanDone = resolve);
    const follower = new LiveFollower(endpoint, {
      idleTimeoutMs: IDLE_MS,
      flushIntervalMs: 10,
      eventQueue: 1000,
      batch: 50,
      scan: { count: 100 },
      configSet: false,
      parallel: 1,
    }, {
      copyKeys: (keys) => {
        copied.push(...keys.map(toText));
        return Promise.resolve();
      },
      // A re-scan that takes longer than the idle timeout (a large source, or a slow cluster failover).
      rescan: async () => {
        rescans++;
        await sleep(IDLE_MS + 400);
        rescanDone();
      },
    }, SILENT_LOG);
    try {
      await follower.subscribe();
      const following = follower.follow();
      // Drop riot's subscription: events may be lost, so the follower re-subscribes and re-scans.
      assert.equal(await source.cli("CLIENT", "KILL", "TYPE", "pubsub"), "1");
      await afterRescan;
      await sleep(200);
      await source.cli("SET", "after-rescan", "1");
      await following;
      assert.equal(rescans, 1, "one re-scan for the lost subscription");
      assert.deepEqual(copied, ["after-rescan"], "the change made after the re-scan was copied");
    } finally {
      await follower.close();
      endpoint.close();
    }
  },
});
