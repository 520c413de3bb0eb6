/**
 * Command lines pasted from RIOT's documentation work unchanged where riot has the feature: host:port
 * servers, `sync`, `gen`, `--mode scan`, `compare --quick`, bare `--show-diffs`, durations with units,
 * `--resp RESP3`, `--host`, several globs after one `--key-include`, `--read-from`. Checked against real
 * servers with our own reads of the target.
 */

import assert from "node:assert/strict";
import { riot } from "./_riot.ts";
import { keysOf } from "./_replicate_util.ts";
import { RedisServer, redisServerMissing } from "./_server.ts";

const ignore = !!redisServerMissing;

function hostPort(server: RedisServer): string {
  return `127.0.0.1:${server.port}`;
}

Deno.test({
  name: "riot gen, then sync host:port host:port --mode scan copies every key",
  ignore,
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    const gen = await riot([
      "gen",
      "--host",
      "127.0.0.1",
      "-p",
      String(source.port),
      "--count",
      "300",
      "--progress",
      "none",
    ]);
    assert.equal(gen.code, 0, gen.err);
    const sourceKeys = await keysOf(source);
    assert.equal(sourceKeys.length, 300);
    const sync = await riot([
      "sync",
      hostPort(source),
      hostPort(target),
      "--mode",
      "scan",
      "--timeout",
      "30s",
      "--resp",
      "RESP3",
      "--ttl-tolerance",
      "500ms",
      "--read-from",
      "REPLICA_PREFERRED",
      "--progress",
      "NONE",
    ]);
    assert.equal(sync.code, 0, sync.err);
    assert.deepEqual(await keysOf(target), sourceKeys);
  },
});

Deno.test({
  name: "replicate --key-include a* b* takes both globs, and SOURCE TARGET may follow them as URIs",
  ignore,
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    await source.cli("MSET", "a1", "x", "b1", "x", "c1", "x", "d1", "x");
    const run = await riot([
      "replicate",
      "--key-include",
      "a*",
      "b*",
      `redis://${hostPort(source)}`,
      `redis://${hostPort(target)}`,
      "--progress",
      "none",
    ]);
    assert.equal(run.code, 0, run.err);
    assert.deepEqual(await keysOf(target), ["a1", "b1"]);
    const excluded = await riot([
      "replicate",
      hostPort(source),
      hostPort(target),
      "--key-exclude",
      "a*",
      "b*",
      "--progress",
      "none",
    ]);
    assert.equal(excluded.code, 0, excluded.err);
    assert.deepEqual(await keysOf(target), ["a1", "b1", "c1", "d1"]);
  },
});

Deno.test({
  name: "compare --quick host:port host:port --show-diffs lists every difference",
  ignore,
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    const keys = Array.from({ length: 15 }, (_, i) => `only:${String(i).padStart(2, "0")}`);
    await source.cli("MSET", ...keys.flatMap((key) => [key, "v"]));
    const run = await riot([
      "compare",
      "--quick",
      hostPort(source),
      hostPort(target),
      "--show-diffs",
      "--progress",
      "none",
    ]);
    assert.equal(run.code, 1, run.err);
    assert.match(run.out, /OK:0 V:0 >:15 <:0 T:0/);
    const listed = run.err.split("\n").filter((line) => /^ {2}> only:\d\d: /.test(line));
    assert.equal(listed.length, 15, run.err);
    assert.ok(!run.err.includes("more (--show-diffs"), run.err);
  },
});

Deno.test({
  name: "RIOT 3's riot -h SRC -p N replicate -h TGT -p M --live --idle-timeout 1s runs and copies",
  ignore,
  async fn() {
    await using source = await RedisServer.start({ notifyKeyspaceEvents: "KA" });
    await using target = await RedisServer.start();
    await source.cli("SET", "k", "v");
    const run = await riot([
      "-h",
      "127.0.0.1",
      "-p",
      String(source.port),
      "replicate",
      "--host",
      "127.0.0.1",
      "-p",
      String(target.port),
      "--mode",
      "LIVE",
      "--idle-timeout",
      "1s",
      "--notification-queue",
      "5000",
      "--progress",
      "none",
    ]);
    assert.equal(run.code, 0, run.err);
    assert.deepEqual(await keysOf(target), ["k"]);
  },
});

Deno.test({
  name: "RIOT 3's --scan-match and --no-verify: only matching keys, and no verification",
  ignore,
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    await source.cli("MSET", "a1", "x", "b1", "x");
    const run = await riot([
      "replicate",
      hostPort(source),
      hostPort(target),
      "--scan-match",
      "a*",
      "--no-verify",
      "--progress",
      "none",
    ]);
    assert.equal(run.code, 0, run.err);
    assert.ok(!/OK:\d/.test(run.out), run.out);
    assert.deepEqual(await keysOf(target), ["a1"]);
  },
});
