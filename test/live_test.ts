/** Live replication end to end: runMain in-process (and main.ts as a process for SIGINT) against real servers. */

import assert from "node:assert/strict";
import { runMain } from "../src/cli/main.ts";
import { COMMANDS } from "./_riot.ts";
import { connect } from "../src/redis/connect.ts";
import type { RedisConnection } from "../src/redis/connection.ts";
import { DEFAULT_CONNECTION } from "../src/redis/options.ts";
import { freePort, RedisServer, serverTest } from "./_server.ts";
import { assertSameData } from "./_digest.ts";

const REPO = new URL("..", import.meta.url).pathname;

interface Run {
  code: number;
  out: string;
  err: string;
  ms: number;
}

/** runMain with captured output; `err` is live so callers can watch it while the run goes on. */
function riot(args: string[]): { done: Promise<Run>; output: { out: string; err: string } } {
  const output = { out: "", err: "" };
  const started = performance.now();
  const done = runMain(args, {
    out: (text) => output.out += text,
    err: (text) => output.err += text,
    env: { get: () => undefined },
  }, COMMANDS).then((code) => ({ code, out: output.out, err: output.err, ms: performance.now() - started }));
  return { done, output };
}

function liveArgs(src: RedisServer, tgt: RedisServer, ...extra: string[]): string[] {
  return ["-p", String(src.port), "replicate", "-p", String(tgt.port), "--progress", "none", ...extra];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function open(server: RedisServer): Promise<RedisConnection> {
  return await connect({ ...DEFAULT_CONNECTION, port: server.port });
}

async function dbsize(server: RedisServer): Promise<number> {
  return Number(await server.cli("DBSIZE"));
}

/** Polls `check` every 50 ms until it is true; fails after `timeoutMs`. */
async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** `count` string keys `prefix:i`, pipelined. */
async function preload(connection: RedisConnection, prefix: string, count: number): Promise<void> {
  const calls: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) calls.push(connection.call("SET", `${prefix}:${i}`, `v${i}`));
  await Promise.all(calls);
}

/**
 * Mixed writes on ~`keys` keys spread over ~`durationMs`: every type, DEL, short PX expiries and RENAME.
 * Chunks of commands are pipelined; returns once all were answered.
 */
async function writeMix(connection: RedisConnection, keys: number, durationMs: number): Promise<void> {
  const chunk = 100;
  const pause = durationMs / Math.ceil(keys / chunk);
  for (let start = 0; start < keys; start += chunk) {
    const calls: Promise<unknown>[] = [];
    for (let i = start; i < Math.min(keys, start + chunk); i++) {
      const k = `mix:${i % 400}`;
      switch (i % 9) {
        case 0:
          calls.push(connection.call("SET", `${k}:s`, `value-${i}`));
          break;
        case 1:
          calls.push(connection.call("HSET", `${k}:h`, "f1", `${i}`, "f2", "x"));
          break;
        case 2:
          calls.push(connection.call("LPUSH", `${k}:l`, `${i}`, "a", "b"));
          break;
        case 3:
          calls.push(connection.call("SADD", `${k}:t`, `${i}`, "m"));
          break;
        case 4:
          calls.push(connection.call("ZADD", `${k}:z`, i, `m${i}`));
          break;
        case 5:
          calls.push(connection.call("XADD", `${k}:x`, "*", "f", `${i}`));
          break;
        case 6:
          calls.push(connection.call("DEL", `mix:${(i + 200) % 400}:s`));
          break;
        case 7:
          calls.push(connection.call("SET", `${k}:e`, "short", "PX", 150));
          calls.push(connection.call("EXPIRE", `${k}:h`, 3600));
          break;
        case 8:
          calls.push(
            connection.call("SET", `${k}:r`, "renamed").then(() =>
              connection.call("RENAME", `${k}:r`, `${k}:r2`)
            ),
          );
          break;
      }
    }
    await Promise.all(calls);
    await sleep(pause);
  }
}

serverTest({
  name: "live: concurrent writers during snapshot and live phase end identical (quick and full compare)",
  async fn() {
    await using src = await RedisServer.start({ notifyKeyspaceEvents: "KA" });
    await using tgt = await RedisServer.start();
    const writer = await open(src);
    try {
      await preload(writer, "pre", 1000);
      const run = riot(liveArgs(src, tgt, "--live", "--idle-timeout", "1500"));
      await writeMix(writer, 2000, 1000);
      const result = await run.done;
      assert.equal(result.code, 0, result.err + result.out);
      assert.match(result.out, /V:0 >:0 <:0 T:0/);
      const compare = riot([
        "-p",
        String(src.port),
        "compare",
        "-p",
        String(tgt.port),
        "--mode",
        "full",
        "--progress",
        "none",
      ]);
      const compared = await compare.done;
      assert.equal(compared.code, 0, compared.err + compared.out);
      assert.match(compared.out, /V:0 >:0 <:0 T:0/);
      await assertSameData(src, tgt);
    } finally {
      writer.close();
    }
  },
});

serverTest({
  name: "live: a killed notification connection re-subscribes, re-scans and converges",
  async fn() {
    await using src = await RedisServer.start({ notifyKeyspaceEvents: "KA" });
    await using tgt = await RedisServer.start();
    const writer = await open(src);
    try {
      await preload(writer, "pre", 500);
      const run = riot(liveArgs(src, tgt, "--live", "--idle-timeout", "2000"));
      await waitFor("the snapshot", async () => await dbsize(tgt) === 500);
      await writeMix(writer, 300, 200);
      await src.cli("CLIENT", "KILL", "TYPE", "pubsub");
      await writeMix(writer, 600, 400);
      await preload(writer, "after", 100);
      const result = await run.done;
      assert.equal(result.code, 0, result.err + result.out);
      assert.match(result.err, /re-scan/i);
      assert.match(result.err, /notification connection/);
      assert.match(result.out, /V:0 >:0 <:0 T:0/);
      await assertSameData(src, tgt);
    } finally {
      writer.close();
    }
  },
});

serverTest({
  name: "live: notifications off -> exit 1 with advice; --config-set enables and restores them",
  async fn() {
    await using src = await RedisServer.start();
    await using tgt = await RedisServer.start();
    const original = await src.cli("CONFIG", "GET", "notify-keyspace-events");
    await src.cli("SET", "a", "1");
    const refused = await riot(liveArgs(src, tgt, "--live", "--idle-timeout", "500")).done;
    assert.equal(refused.code, 1, refused.err);
    assert.match(refused.err, /notify-keyspace-events/);
    assert.equal(await dbsize(tgt), 0, "nothing copied when refused");

    const run = riot(liveArgs(src, tgt, "--live", "--idle-timeout", "800", "--config-set"));
    await waitFor("the snapshot", async () => await dbsize(tgt) === 1);
    await src.cli("SET", "b", "2");
    const result = await run.done;
    assert.equal(result.code, 0, result.err + result.out);
    assert.equal(await tgt.cli("GET", "b"), "2");
    assert.equal(await src.cli("CONFIG", "GET", "notify-keyspace-events"), original);
  },
});

serverTest({
  name: "live: FLUSHDB on the source during the live phase is repaired by a re-scan",
  async fn() {
    await using src = await RedisServer.start({ notifyKeyspaceEvents: "KA" });
    await using tgt = await RedisServer.start();
    const writer = await open(src);
    try {
      await preload(writer, "pre", 300);
      const run = riot(liveArgs(src, tgt, "--live", "--idle-timeout", "2000"));
      await waitFor("the snapshot", async () => await dbsize(tgt) === 300);
      await src.cli("FLUSHDB");
      await preload(writer, "post", 5);
      const result = await run.done;
      assert.equal(result.code, 0, result.err + result.out);
      assert.match(result.err, /FLUSHDB/);
      await assertSameData(src, tgt, { count: 5 });
    } finally {
      writer.close();
    }
  },
});

serverTest({
  name: "live: --idle-timeout ends the run by itself",
  async fn() {
    await using src = await RedisServer.start({ notifyKeyspaceEvents: "KA" });
    await using tgt = await RedisServer.start();
    await src.cli("SET", "k", "v");
    const result = await riot(liveArgs(src, tgt, "--live", "--idle-timeout", "1000")).done;
    assert.equal(result.code, 0, result.err + result.out);
    assert.ok(result.ms >= 1000, `ran ${result.ms} ms`);
    assert.ok(result.ms < 5000, `ran ${result.ms} ms`);
    assert.match(result.out, /OK:1 V:0 >:0 <:0 T:0/);
  },
});

serverTest({
  name: "live: SIGINT to the CLI process stops following, verifies and exits 0",
  async fn() {
    await using src = await RedisServer.start({ notifyKeyspaceEvents: "KA" });
    await using tgt = await RedisServer.start();
    const writer = await open(src);
    try {
      await preload(writer, "pre", 200);
    } finally {
      writer.close();
    }
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--no-check",
        "main.ts",
        "-p",
        String(src.port),
        "replicate",
        "-p",
        String(tgt.port),
        "--live",
        "--progress",
        "none",
      ],
      cwd: REPO,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const output = child.output();
    try {
      await waitFor("the snapshot", async () => await dbsize(tgt) === 200, 20_000);
      await src.cli("SET", "live", "1");
      await waitFor("the live key", async () => await tgt.cli("EXISTS", "live") === "1");
    } catch (error) {
      child.kill("SIGKILL");
      await output;
      throw error;
    }
    child.kill("SIGINT");
    const result = await output;
    const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    assert.equal(result.code, 0, decode(result.stderr) + decode(result.stdout));
    assert.match(decode(result.stdout), /OK:201 V:0 >:0 <:0 T:0/);
  },
});

serverTest({
  name: "live: --metrics-port serves Prometheus metrics during the run",
  async fn() {
    await using src = await RedisServer.start({ notifyKeyspaceEvents: "KA" });
    await using tgt = await RedisServer.start();
    await src.cli("SET", "k", "v");
    const port = await freePort();
    const run = riot(liveArgs(src, tgt, "--live", "--idle-timeout", "3000", "--metrics-port", String(port)));
    let body = "";
    try {
      await waitFor("the metrics endpoint", async () => {
        try {
          const response = await fetch(`http://127.0.0.1:${port}/metrics`);
          body = await response.text();
          return response.ok;
        } catch {
          return false;
        }
      }, 2500);
      await src.cli("SET", "k2", "v2");
    } finally {
      const result = await run.done;
      assert.equal(result.code, 0, result.err + result.out);
    }
    assert.match(body, /riot_events_total/);
    assert.match(body, /riot_lag_milliseconds/);
  },
});

serverTest({
  name: "live: --mode liveonly copies only keys written after the start",
  async fn() {
    await using src = await RedisServer.start({ notifyKeyspaceEvents: "KA" });
    await using tgt = await RedisServer.start();
    const writer = await open(src);
    try {
      await preload(writer, "old", 50);
      const run = riot(
        liveArgs(src, tgt, "--mode", "liveonly", "--idle-timeout", "1000", "--compare", "none"),
      );
      await waitFor("the subscription", async () => Number(await src.cli("PUBSUB", "NUMPAT")) >= 1);
      await preload(writer, "new", 20);
      const result = await run.done;
      assert.equal(result.code, 0, result.err + result.out);
      assert.equal(await dbsize(tgt), 20);
      assert.equal(await tgt.cli("GET", "new:7"), "v7");
      assert.equal(await tgt.cli("EXISTS", "old:7"), "0");
    } finally {
      writer.close();
    }
  },
});

serverTest({
  name: "live: where CONFIG is refused, a probe proves notifications arrive (or the run stops with advice)",
  async fn() {
    const noConfig = [{ name: "app", password: "app-secret", rules: "~* &* +@all -config" }];
    await using src = await RedisServer.start({ notifyKeyspaceEvents: "KA", aclUsers: noConfig });
    await using silent = await RedisServer.start({ aclUsers: noConfig });
    await using tgt = await RedisServer.start();
    await src.cli("SET", "a", "1");
    const auth = ["--user", "app", "-a", "app-secret"];
    const ok = await riot([...auth, ...liveArgs(src, tgt, "--live", "--idle-timeout", "500")]).done;
    assert.equal(ok.code, 0, ok.err + ok.out);
    assert.match(ok.err, /CONFIG is refused/);
    assert.match(ok.err, /notifications arrive/);
    assert.doesNotMatch(ok.err, /app-secret/);
    assert.equal(await tgt.cli("GET", "a"), "1");

    const refused = await riot([...auth, ...liveArgs(silent, tgt, "--live", "--idle-timeout", "500")]).done;
    assert.equal(refused.code, 1, refused.err);
    assert.match(refused.err, /No keyspace notification arrived/);
  },
});

serverTest({
  name: "live: an overflowing --event-queue is repaired by a re-scan, never dropped silently",
  async fn() {
    await using src = await RedisServer.start({ notifyKeyspaceEvents: "KA" });
    await using tgt = await RedisServer.start();
    const writer = await open(src);
    try {
      await preload(writer, "pre", 10);
      const run = riot(liveArgs(src, tgt, "--live", "--idle-timeout", "1500", "--event-queue", "5"));
      await waitFor("the snapshot", async () => await dbsize(tgt) === 10);
      await preload(writer, "burst", 2000);
      const result = await run.done;
      assert.equal(result.code, 0, result.err + result.out);
      assert.match(result.err, /event queue is full/);
      assert.match(result.out, /OK:2010 V:0 >:0 <:0 T:0/);
      await assertSameData(src, tgt, { count: 2010 });
    } finally {
      writer.close();
    }
  },
});

serverTest({
  name: "live: --json reports the live counters and lag next to the replication and verification",
  async fn() {
    await using src = await RedisServer.start({ notifyKeyspaceEvents: "KA" });
    await using tgt = await RedisServer.start();
    const writer = await open(src);
    try {
      const run = riot(liveArgs(src, tgt, "--live", "--idle-timeout", "800", "--json"));
      await waitFor("the subscription", async () => Number(await src.cli("PUBSUB", "NUMPAT")) >= 1);
      await preload(writer, "j", 20);
      const result = await run.done;
      assert.equal(result.code, 0, result.err + result.out);
      const parsed = JSON.parse(result.out);
      assert.ok(parsed.live.events >= 20, result.out);
      assert.equal(parsed.live.rescans, 0);
      assert.ok(parsed.live.lagP99 >= parsed.live.lagP50);
      assert.equal(parsed.verify.ok, 20);
    } finally {
      writer.close();
    }
  },
});

serverTest({
  name: "live: a restart of the source or the target is survived: reconnect, re-scan, converge",
  async fn() {
    await using src = await RedisServer.start({ notifyKeyspaceEvents: "KA" });
    await using tgt = await RedisServer.start();
    for (const restarted of ["source", "target"] as const) {
      let writer = await open(src);
      await preload(writer, `${restarted}:before`, 100);
      writer.close();
      const run = riot(liveArgs(src, tgt, "--live", "--idle-timeout", "2500", "-o", "20"));
      await waitFor("the snapshot", async () => await dbsize(tgt) === await dbsize(src));
      await (restarted === "source" ? src : tgt).restart(); // no persistence: the restarted side is empty
      writer = await open(src);
      await preload(writer, `${restarted}:after`, 10);
      writer.close();
      const result = await run.done;
      assert.equal(result.code, 0, result.err + result.out);
      assert.match(result.err, /reconnect/i);
      assert.match(result.err, /Re-scanning/);
      await assertSameData(src, tgt); // both sides hold the same data after the restart
      assert.match(result.out, /V:0 >:0 <:0 T:0/);
    }
  },
});
