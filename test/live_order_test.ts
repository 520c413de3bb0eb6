/**
 * The live follower's ordering rule, watched on the servers themselves: a key is never in two batches at
 * once, so each `DUMP hot` on the source comes after the target has applied the `RESTORE hot` of the
 * previous batch. Both servers are watched with MONITOR (timestamps of one machine clock) while one key is
 * changed every few milliseconds and the source is slowed by a proxy, so that batches stay in flight long
 * enough for a second batch to want the same key.
 */
import assert from "node:assert/strict";
import { riot } from "./_riot.ts";
import { TcpProxy } from "./_proxy.ts";
import { raw, uri } from "./_replicate_util.ts";
import { RedisServer, serverTest } from "./_server.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 20 ms until it is true; fails after 15 s. */
async function waitFor(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** A `redis-cli MONITOR` child on `server`; `stop()` ends it (by its own handle) and returns its lines. */
function monitor(server: RedisServer): { stop(): Promise<string[]> } {
  const child = new Deno.Command("redis-cli", {
    args: ["-h", server.host, "-p", String(server.port), "MONITOR"],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const text = new Response(child.stdout).text();
  return {
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      return (await text).split("\n");
    },
  };
}

/** Times (seconds, as MONITOR prints them) at which `command key` ran, in order. */
function timesOf(lines: string[], command: string, key: string): number[] {
  const pattern = new RegExp(`^(\\d+\\.\\d+) \\[\\d+ [^\\]]+\\] "${command}" "${key}"`, "i");
  return lines.flatMap((line) => {
    const match = pattern.exec(line);
    return match ? [Number(match[1])] : [];
  });
}

serverTest({
  name: "live: a key in flight is never read for a second batch before its RESTORE reached the target",
  async fn() {
    await using source = await RedisServer.start({ notifyKeyspaceEvents: "KA" });
    await using target = await RedisServer.start();
    await using proxy = await TcpProxy.start(source.host, source.port);
    const sourceWatch = monitor(source);
    const targetWatch = monitor(target);
    await waitFor("MONITOR on both servers", async () => {
      const lists = await Promise.all([source.cli("CLIENT", "LIST"), target.cli("CLIENT", "LIST")]);
      return lists.every((list) => / flags=O /.test(list));
    });

    const run = riot([
      "replicate",
      `redis://127.0.0.1:${proxy.port}`,
      uri(target),
      "--progress",
      "none",
      "--mode",
      "liveonly",
      "--idle-timeout",
      "1000",
      "--flush-interval",
      "5",
      "--threads",
      "4",
    ]);
    // Wait for riot's subscription before writing: changes made earlier would leave no event.
    await waitFor("riot's subscription", async () => Number(await source.cli("PUBSUB", "NUMPAT")) >= 1);
    proxy.setDelay(25);
    const writer = await raw(source);
    try {
      for (let i = 0; i < 150; i++) {
        await writer.call("SET", "hot", `value ${i}`);
        if (i % 3 === 0) await writer.call("SET", `cold:${i}`, "x");
        await sleep(4);
      }
    } finally {
      writer.close();
    }
    const result = await run;
    proxy.setDelay(0);
    const [sourceLines, targetLines] = [await sourceWatch.stop(), await targetWatch.stop()];
    assert.equal(result.code, 0, result.err);
    assert.equal(await target.cli("GET", "hot"), "value 149", "the newest value won");

    const dumps = timesOf(sourceLines, "DUMP", "hot");
    const restores = timesOf(targetLines, "RESTORE", "hot");
    assert.ok(dumps.length >= 3, `several batches read the hot key (${dumps.length})`);
    assert.equal(restores.length, dumps.length, "each read of the hot key was written once");
    for (let i = 1; i < dumps.length; i++) {
      const applied = restores.some((at) => at > dumps[i - 1] && at < dumps[i]);
      assert.ok(applied, `DUMP hot #${i + 1} was sent before the RESTORE of #${i} reached the target`);
    }
  },
});
