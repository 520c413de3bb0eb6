/**
 * The snapshot copy under real faults: both connections cut by a TCP proxy mid-copy, and a target busy
 * running a long script. The copy must continue from the SCAN cursor, resend only what was in flight, wait
 * out the busy server, and end with identical data (checked with DBSIZE and DEBUG DIGEST of both servers).
 */
import assert from "node:assert/strict";
import { riot } from "./_riot.ts";
import { jsonOf, raw, uri } from "./_replicate_util.ts";
import { TcpProxy } from "./_proxy.ts";
import { RedisServer, serverTest } from "./_server.ts";

/** Resolves once the server holds at least `keys` keys (polled on our own connection). */
async function untilHolds(server: RedisServer, keys: number, ms = 60_000): Promise<number> {
  const watcher = await raw(server);
  try {
    const deadline = performance.now() + ms;
    for (;;) {
      const size = await watcher.call("DBSIZE") as number;
      if (size >= keys) return size;
      if (performance.now() > deadline) throw new Error(`the server never held ${keys} keys`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    watcher.close();
  }
}

serverTest({
  name:
    "riot replicate: the source connections cut mid-reply and the target's mid-write, the copy continues from the cursor and resends only what was in flight",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    await using sourceProxy = await TcpProxy.start(source.host, source.port);
    await using targetProxy = await TcpProxy.start(target.host, target.port);
    const total = 200_000;
    await source.cli("DEBUG", "POPULATE", String(total), "key", "16");
    const running = riot([
      "replicate",
      `redis://127.0.0.1:${sourceProxy.port}`,
      `redis://127.0.0.1:${targetProxy.port}`,
      "--progress",
      "none",
      "--json",
      "--retry-backoff",
      "50",
    ]);
    const cutSourceAt = await untilHolds(target, 40_000);
    sourceProxy.cutAll();
    const cutTargetAt = await untilHolds(target, cutSourceAt + 40_000);
    targetProxy.cutAll();
    const run = await running;
    assert.equal(run.code, 0, run.err);
    assert.match(run.err, /continuing from cursor \d+|reconnecting, retry 1/);
    const json = jsonOf(run);
    const { scanned, resent, retries, written, failed } = json.replication;
    assert.equal(failed, 0);
    assert.ok(retries >= 1, `retries ${retries}`);
    // The target cut lost the batches in flight on its connections: those, and only those, went twice.
    assert.ok(resent > 0, "the batches in flight on the cut target connections were sent again");
    assert.ok(
      resent < cutTargetAt / 10,
      `${resent} keys sent twice, ${cutTargetAt} already copied when the target was cut`,
    );
    assert.equal(written, total, "a key counts as written once, when the target acknowledged it");
    // From the cursor, not from the beginning: SCAN did not walk the keys already copied again.
    assert.ok(scanned < total + cutSourceAt / 2, `scanned ${scanned} for ${total} keys`);
    assert.deepEqual(
      [json.verify.ok, json.verify.value, json.verify.missing, json.verify.extra, json.verify.ttl],
      [total, 0, 0, 0, 0],
    );
    assert.equal(Number(await target.cli("DBSIZE")), total);
    assert.equal(await target.cli("DEBUG", "DIGEST"), await source.cli("DEBUG", "DIGEST"));
  },
});

/** A script that keeps the server busy for `ms` milliseconds (by its own clock). */
const BUSY_SCRIPT = `
local t = redis.call('TIME')
local start = tonumber(t[1]) * 1000000 + tonumber(t[2])
while true do
  local now = redis.call('TIME')
  if tonumber(now[1]) * 1000000 + tonumber(now[2]) - start > tonumber(ARGV[1]) * 1000 then break end
end
return 1`;

serverTest({
  name:
    "riot replicate: a target busy with a long script for 2 s makes the copy wait and retry; it finishes with zero differences",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start({ args: ["--busy-reply-threshold", "100"] });
    const total = 150_000;
    await source.cli("DEBUG", "POPULATE", String(total), "key", "16");
    const running = riot(["replicate", uri(source), uri(target), "--progress", "none", "--json"]);
    await untilHolds(target, 10_000);
    const script = await raw(target);
    let busyFor: number;
    try {
      const started = performance.now();
      assert.equal(await script.call("EVAL", BUSY_SCRIPT, "0", "2000"), 1);
      busyFor = performance.now() - started;
    } finally {
      script.close();
    }
    assert.ok(busyFor >= 1900, `the script ran ${busyFor.toFixed(0)} ms`);
    const run = await running;
    assert.equal(run.code, 0, run.err);
    const json = jsonOf(run);
    assert.equal(json.replication.failed, 0, run.err);
    assert.ok(json.replication.retries >= 1, "the busy target was waited out with retries");
    assert.match(
      run.err,
      /BUSY Redis is busy running a script.*\(writing \d+ record\(s\)\); retry 1 of 10 in \d+ ms/,
    );
    assert.equal(json.replication.written, total);
    assert.deepEqual(
      [json.verify.ok, json.verify.value, json.verify.missing, json.verify.extra, json.verify.ttl],
      [total, 0, 0, 0, 0],
    );
    assert.equal(Number(await target.cli("DBSIZE")), total);
    assert.equal(await target.cli("DEBUG", "DIGEST"), await source.cli("DEBUG", "DIGEST"));
  },
});

serverTest({
  name:
    "riot replicate: a target that answers READONLY (a replica, promoted 1.5 s later as after a failover) is retried until it accepts",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    await using master = await RedisServer.start();
    const total = 20_000;
    await source.cli("DEBUG", "POPULATE", String(total), "key", "16");
    await target.cli("REPLICAOF", master.host, String(master.port));
    const running = riot([
      "replicate",
      uri(source),
      uri(target),
      "--progress",
      "none",
      "--json",
      "--retry-backoff",
      "100",
    ]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await target.cli("REPLICAOF", "NO", "ONE");
    const run = await running;
    assert.equal(run.code, 0, run.err);
    assert.match(run.err, /READONLY You can't write against a read only replica.*retry 1 of 10/);
    const json = jsonOf(run);
    assert.equal(json.replication.failed, 0);
    assert.ok(json.replication.retries >= 1);
    assert.equal(json.replication.written, total);
    assert.equal(json.verify.ok, total);
    assert.equal(await target.cli("DEBUG", "DIGEST"), await source.cli("DEBUG", "DIGEST"));
  },
});
