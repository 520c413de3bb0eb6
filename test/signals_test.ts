/**
 * Issue #7, promise 5: signals stop a run as promised and say what was done. riot runs as a child process
 * (`deno run main.ts`) so that SIGINT and SIGTERM are real; each case checks the exit code (130 for
 * SIGINT, 143 for SIGTERM, as in the README's table), the lines on stderr, and what the target holds.
 */
import assert from "node:assert/strict";
import { RiotProcess, waitFor } from "./_promise_util.ts";
import { TcpProxy } from "./_proxy.ts";
import { raw } from "./_replicate_util.ts";
import { RedisServer, serverTest } from "./_server.ts";

const KEYS = 300_000;

async function dbsize(server: RedisServer): Promise<number> {
  return Number(await server.cli("DBSIZE"));
}

/** `count` string keys `k:i` (about 100 bytes each), pipelined in chunks. */
async function load(server: RedisServer, count: number): Promise<void> {
  const connection = await raw(server);
  const value = "x".repeat(100);
  try {
    for (let start = 0; start < count; start += 10_000) {
      const calls: Promise<unknown>[] = [];
      for (let i = start; i < Math.min(count, start + 10_000); i++) {
        calls.push(connection.call("SET", `k:${i}`, value));
      }
      await Promise.all(calls);
    }
  } finally {
    connection.close();
  }
}

function spawn(src: RedisServer, tgt: RedisServer, ...extra: string[]): RiotProcess {
  return new RiotProcess([
    "-p",
    String(src.port),
    "replicate",
    "-p",
    String(tgt.port),
    "--progress",
    "none",
    ...extra,
  ]);
}

/** Runs `body` with the process; kills it (by its handle) when `body` fails, so no child outlives a test. */
async function withProcess<T>(riot: RiotProcess, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    await riot.abort();
    throw error;
  }
}

/** Waits until the copy to `tgt` is under way (some keys there, far from all). */
function copyStarted(tgt: RedisServer): Promise<void> {
  return waitFor("the copy to start", async () => await dbsize(tgt) > 0, 30_000);
}

/** "Stopped ... after N keys written (M scanned)": N and M. */
function stoppedAfter(err: string): { written: number; scanned: number } {
  const match = /after (\d+) keys written \((\d+) scanned\)/.exec(err);
  assert.ok(match, err);
  return { written: Number(match[1]), scanned: Number(match[2]) };
}

serverTest({
  name: "signals: SIGINT and SIGTERM during a snapshot copy stop it, say how far, exit 130/143",
  async fn() {
    await using src = await RedisServer.start();
    await using tgt = await RedisServer.start();
    await load(src, KEYS);
    const cases = [
      { signals: ["SIGINT"] as Deno.Signal[], code: 130, json: false },
      { signals: ["SIGTERM"] as Deno.Signal[], code: 143, json: true },
    ];
    for (const { signals, code, json } of cases) {
      await tgt.cli("FLUSHALL");
      const riot = spawn(src, tgt, ...(json ? ["--json"] : []));
      const result = await withProcess(riot, async () => {
        await copyStarted(tgt);
        for (const signal of signals) {
          riot.kill(signal);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        return await riot.done;
      });
      const label = `${signals.join("+")}: ${result.err}${result.out}`;
      assert.equal(result.code, code, label);
      const first = signals[0];
      assert.match(
        result.err,
        new RegExp(
          `^warning: ${first}: finishing in-flight writes, then stopping \\(${first} again aborts\\)$`,
          "m",
        ),
        label,
      );
      assert.doesNotMatch(result.out, /OK:\d+/, `not verified: ${label}`);
      const keys = await dbsize(tgt);
      assert.ok(keys > 0 && keys < KEYS, `stopped mid-copy with ${keys} keys on the target`);
      assert.match(
        result.err,
        new RegExp(
          `^warning: Stopped by ${first} during the copy after \\d+ keys written \\(\\d+ scanned\\); not verified: run it again to copy from the start \\(add --checkpoint FILE to resume instead\\)$`,
          "m",
        ),
        label,
      );
      const { written, scanned } = stoppedAfter(result.err);
      assert.equal(written, keys, "every write counted is on the target: in-flight writes finished");
      assert.ok(scanned >= written);
      if (json) {
        const parsed = JSON.parse(result.out);
        assert.deepEqual(parsed.stopped, { phase: "copying", signal: "SIGTERM" });
        assert.equal(parsed.replication.written, keys);
        assert.equal(parsed.verify, undefined);
      }
    }
  },
});

serverTest({
  name: "signals: a second signal while in-flight writes finish aborts at once and says so (130/143)",
  async fn() {
    await using src = await RedisServer.start();
    await using tgt = await RedisServer.start();
    await using proxy = await TcpProxy.start(tgt.host, tgt.port);
    await load(src, 50_000);
    for (const [second, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
      await tgt.cli("FLUSHALL");
      const riot = new RiotProcess([
        "-p",
        String(src.port),
        "replicate",
        "-p",
        String(proxy.port),
        "--progress",
        "none",
      ]);
      const result = await withProcess(riot, async () => {
        await copyStarted(tgt);
        proxy.pause(); // in-flight writes cannot finish: the first stop waits for them
        riot.kill("SIGINT");
        await riot.waitForErr(/SIGINT: finishing in-flight writes/);
        riot.kill(second);
        return await riot.done;
      });
      const label = `SIGINT+${second}: ${result.err}${result.out}`;
      assert.equal(result.code, code, label);
      const named = second === "SIGINT" ? "SIGINT again" : "SIGTERM after SIGINT";
      assert.match(
        result.err,
        new RegExp(
          `^error: ${named}: aborting now; in-flight writes may be lost \\(RESTORE is safe to repeat\\)$`,
          "m",
        ),
        label,
      );
      assert.doesNotMatch(result.out, /OK:\d+/, label);
      // Writes held by the paused proxy reach the target when it resumes: let them land before the next run.
      proxy.resume();
      await waitFor("the aborted run's connections to close", () => Promise.resolve(proxy.connections === 0));
    }
  },
});

serverTest({
  name: "signals: SIGINT during the verification ends it early: exit 130, the copy is complete, not verified",
  async fn() {
    await using src = await RedisServer.start();
    await using tgt = await RedisServer.start();
    await load(src, KEYS);
    const riot = spawn(src, tgt, "--compare", "full");
    const result = await withProcess(riot, async () => {
      await waitFor("the copy to end", async () => await dbsize(tgt) === KEYS, 60_000);
      riot.kill("SIGINT");
      return await riot.done;
    });
    assert.equal(result.code, 130, result.err + result.out);
    assert.match(
      result.err,
      new RegExp(
        `^warning: Stopped by SIGINT during the verification: the copy is complete \\(${KEYS} keys written\\) but was not fully verified; run riot compare to verify$`,
        "m",
      ),
    );
    assert.doesNotMatch(result.out, /OK:\d+/, "no summary line for a partial verification");
    assert.equal(await dbsize(tgt), KEYS);
  },
});

serverTest({
  name: "signals: SIGINT during the snapshot phase of --live stops the run there (exit 130), no live phase",
  async fn() {
    await using src = await RedisServer.start(); // notifications off: --config-set turns them on, then back off
    await using tgt = await RedisServer.start();
    await load(src, KEYS);
    const riot = spawn(src, tgt, "--live", "--config-set");
    let signalledAt = 0;
    const result = await withProcess(riot, async () => {
      await copyStarted(tgt);
      riot.kill("SIGINT");
      signalledAt = performance.now();
      return await riot.done;
    });
    assert.equal(result.code, 130, result.err + result.out);
    assert.ok(
      performance.now() - signalledAt < 15_000,
      "it stopped rather than carrying on into the live phase",
    );
    assert.match(
      result.err,
      /^warning: SIGINT: finishing in-flight writes, then stopping \(SIGINT again aborts\)$/m,
    );
    assert.match(
      result.err,
      /^warning: Stopped by SIGINT during the copy after \d+ keys written .*not verified/m,
    );
    assert.doesNotMatch(result.err, /^Live:/m);
    assert.doesNotMatch(result.out, /OK:\d+/);
    const { written } = stoppedAfter(result.err);
    assert.equal(await dbsize(tgt), written);
    assert.ok(written < KEYS);
    assert.equal(
      (await src.cli("CONFIG", "GET", "notify-keyspace-events")).split("\n")[1] ?? "",
      "",
      "restored",
    );
  },
});

serverTest({
  name: "signals: SIGINT during the live phase ends it and verifies (exit by the verification); twice aborts",
  async fn() {
    await using src = await RedisServer.start({ notifyKeyspaceEvents: "KA" });
    await using tgt = await RedisServer.start();
    await load(src, 500);
    // Once: the live phase ends, the verification runs, exit 0.
    let riot = spawn(src, tgt, "--live");
    let result = await withProcess(riot, async () => {
      await waitFor("the snapshot", async () => await dbsize(tgt) === 500);
      await src.cli("SET", "live", "1");
      await waitFor("the live key", async () => await tgt.cli("EXISTS", "live") === "1");
      riot.kill("SIGINT");
      return await riot.done;
    });
    assert.equal(result.code, 0, result.err + result.out);
    assert.match(
      result.err,
      /^warning: SIGINT: ending the live phase, then verifying \(SIGINT again aborts\)$/m,
    );
    assert.match(result.err, /^Live: \d+ events, 0 re-scan\(s\)/m);
    assert.match(result.out, /^OK:501 V:0 >:0 <:0 T:0$/m);
    assert.equal(await tgt.cli("GET", "live"), "1");

    // SIGTERM in the live phase, while the target differs: the verification decides, exit 1.
    await tgt.cli("SET", "only-in-target", "1");
    riot = spawn(src, tgt, "--live");
    result = await withProcess(riot, async () => {
      await waitFor("the subscription", async () => Number(await src.cli("PUBSUB", "NUMPAT")) >= 1, 30_000);
      await waitFor("the live phase", async () => {
        await src.cli("SET", "tick", String(Date.now()));
        return await tgt.cli("EXISTS", "tick") === "1";
      }, 30_000);
      riot.kill("SIGTERM");
      return await riot.done;
    });
    assert.equal(result.code, 1, result.err + result.out);
    assert.match(result.err, /^warning: SIGTERM: ending the live phase, then verifying/m);
    assert.match(result.out, /^OK:502 V:0 >:0 <:1 T:0$/m);

    // Twice: the second SIGINT comes while the verification waits on a target held by a paused proxy.
    await using proxy = await TcpProxy.start(tgt.host, tgt.port);
    riot = new RiotProcess([
      "-p",
      String(src.port),
      "replicate",
      "-p",
      String(proxy.port),
      "--progress",
      "none",
      "--live",
    ]);
    result = await withProcess(riot, async () => {
      // Live once a second value of "tock" reached the target (the first may come from the snapshot). The
      // value set in this round can only be compared in a later round: the copy takes a flush interval.
      const seen = new Set<string>();
      let round = 0;
      await waitFor("the live phase", async () => {
        const copied = await tgt.cli("GET", "tock");
        if (copied !== "") seen.add(copied);
        await src.cli("SET", "tock", String(++round));
        return seen.size >= 2;
      }, 30_000);
      proxy.pause();
      riot.kill("SIGINT");
      await riot.waitForErr(/SIGINT: ending the live phase/);
      riot.kill("SIGINT");
      return await riot.done;
    });
    proxy.resume();
    assert.equal(result.code, 130, result.err + result.out);
    assert.match(result.err, /^error: SIGINT again: aborting now/m);
  },
});

serverTest({
  name:
    "signals: SIGINT while a server is down (copy, live phase) stops at once, not after the retries: exit 130",
  async fn() {
    // The copy: the target goes away mid-copy; the writes retry with backoff (about a minute by default).
    {
      await using src = await RedisServer.start();
      await using tgt = await RedisServer.start();
      await load(src, 20_000);
      const riot = spawn(src, tgt, "--rate", "2000");
      let signalledAt = 0;
      const result = await withProcess(riot, async () => {
        await copyStarted(tgt);
        await tgt.stop();
        await riot.waitForErr(/reconnecting, retry 1 of/);
        riot.kill("SIGINT");
        signalledAt = performance.now();
        return await riot.done;
      });
      const seconds = (performance.now() - signalledAt) / 1000;
      assert.equal(result.code, 130, result.err + result.out);
      assert.ok(seconds < 10, `stopped ${seconds.toFixed(1)} s after SIGINT`);
      // The last failure is the lost connection or a refused reconnect, whichever the stop interrupted.
      assert.match(
        result.err,
        /^error: (Cannot connect to 127\.0\.0\.1:\d+: connection refused|127\.0\.0\.1:\d+ closed the connection)/m,
      );
      assert.match(
        result.err,
        /^warning: Stopped by SIGINT during the copy after \d+ keys written \(\d+ scanned\), without waiting for the server to come back; not verified: run it again/m,
      );
      assert.ok(stoppedAfter(result.err).written < 20_000);
    }
    // The live phase: the source goes away; re-subscribing and the loss checks retry the same way.
    {
      await using src = await RedisServer.start({ notifyKeyspaceEvents: "KA" });
      await using tgt = await RedisServer.start();
      await load(src, 100);
      const riot = spawn(src, tgt, "--live", "--json");
      let signalledAt = 0;
      const result = await withProcess(riot, async () => {
        await waitFor("the snapshot", async () => await dbsize(tgt) === 100);
        await waitFor("the live phase", async () => {
          await src.cli("SET", "tick", String(Date.now()));
          return await tgt.cli("EXISTS", "tick") === "1";
        }, 30_000);
        await src.stop();
        await riot.waitForErr(/reconnect/);
        riot.kill("SIGINT");
        signalledAt = performance.now();
        return await riot.done;
      });
      const seconds = (performance.now() - signalledAt) / 1000;
      assert.equal(result.code, 130, result.err + result.out);
      assert.ok(seconds < 10, `stopped ${seconds.toFixed(1)} s after SIGINT`);
      assert.match(result.err, /^warning: SIGINT: ending the live phase, then verifying/m);
      assert.match(
        result.err,
        /^warning: Stopped by SIGINT during the live phase after \d+ keys written .*run riot compare to verify$/m,
      );
      const parsed = JSON.parse(result.out);
      assert.deepEqual(parsed.stopped, { phase: "live", signal: "SIGINT" });
      assert.match(parsed.error.message, /connection refused|closed the connection/);
      assert.equal(parsed.error.exitCode, 130);
      assert.equal(await dbsize(tgt), 101);
    }
  },
});

serverTest({
  name:
    "signals: SIGINT mid-copy with --checkpoint says how to resume; the same command resumes and verifies",
  async fn() {
    await using src = await RedisServer.start();
    await using tgt = await RedisServer.start();
    await load(src, 100_000);
    const dir = await Deno.makeTempDir({ prefix: "riot-signals-" });
    try {
      const file = `${dir}/copy.checkpoint`;
      const riot = spawn(src, tgt, "--checkpoint", file, "--rate", "20000");
      const stopped = await withProcess(riot, async () => {
        await copyStarted(tgt);
        riot.kill("SIGINT");
        return await riot.done;
      });
      assert.equal(stopped.code, 130, stopped.err + stopped.out);
      assert.match(
        stopped.err,
        new RegExp(
          `^warning: Stopped by SIGINT during the copy after \\d+ keys written \\(\\d+ scanned\\); not verified: run the same command again to resume from checkpoint ${file}$`,
          "m",
        ),
      );
      const { written } = stoppedAfter(stopped.err);
      assert.ok(written < 100_000);
      assert.equal(await dbsize(tgt), written);

      const resumed = await spawn(src, tgt, "--checkpoint", file).done;
      assert.equal(resumed.code, 0, resumed.err + resumed.out);
      assert.match(resumed.err, /Resum/);
      assert.match(resumed.out, /^OK:100000 V:0 >:0 <:0 T:0$/m);
      assert.equal(await dbsize(tgt), 100_000);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

serverTest({
  name: "signals: SIGINT during the live phase of --mode liveonly verifies the changed keys and exits 0",
  async fn() {
    await using src = await RedisServer.start({ notifyKeyspaceEvents: "KA" });
    await using tgt = await RedisServer.start();
    await load(src, 100);
    const riot = spawn(src, tgt, "--mode", "liveonly");
    const result = await withProcess(riot, async () => {
      await waitFor("the subscription", async () => Number(await src.cli("PUBSUB", "NUMPAT")) >= 1, 30_000);
      await src.cli("SET", "changed", "1");
      await waitFor("the changed key", async () => await tgt.cli("EXISTS", "changed") === "1");
      riot.kill("SIGINT");
      return await riot.done;
    });
    assert.equal(result.code, 0, result.err + result.out);
    assert.match(result.err, /^warning: SIGINT: ending the live phase, then verifying/m);
    assert.match(result.err, /Verified the 1 key\(s\) changed during the live phase/);
    assert.match(result.out, /^OK:1 V:0 >:0 <:0 T:0$/m);
    assert.equal(await dbsize(tgt), 1);
  },
});

Deno.test("README's exit code table says 130 for SIGINT and 143 for SIGTERM, as riot exits", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  assert.match(readme, /^\| 130 +\| interrupted by SIGINT/m);
  assert.match(readme, /^\| 143 +\| terminated by SIGTERM/m);
});
