/**
 * `riot replicate` when things go wrong during the copy: keys deleted mid-run, a connection cut mid-copy,
 * keys too big to fetch many at a time. Real servers, a real TCP proxy for the faults.
 */

import assert from "node:assert/strict";
import { riot } from "./_riot.ts";
import { compare, jsonOf, raw, uri } from "./_replicate_util.ts";
import { TcpProxy } from "./_proxy.ts";
import { RedisServer, serverTest } from "./_server.ts";
import { assertSameData } from "./_digest.ts";

serverTest({
  name: "riot replicate counts keys deleted during the copy as vanished and copies every other key",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    await using proxy = await TcpProxy.start(source.host, source.port);
    const total = 50_000;
    await source.cli("DEBUG", "POPULATE", String(total), "key", "16");

    const running = riot([
      "replicate",
      `redis://127.0.0.1:${proxy.port}`,
      uri(target),
      "--progress",
      "none",
      "--json",
      "--compare",
      "full",
    ]);
    // Once the first batch has landed, hold riot's source traffic, delete every odd key, then let go:
    // keys already scanned but not yet dumped are gone when their DUMP arrives.
    const watcher = await raw(target);
    const deleter = await raw(source);
    let deletedIndexes: number[];
    try {
      while (await watcher.call("DBSIZE") === 0) await new Promise((resolve) => setTimeout(resolve, 2));
      proxy.pause();
      deletedIndexes = Array.from({ length: total / 2 }, (_, i) => 2 * i + 1);
      const replies = await deleter.pipeline(deletedIndexes.map((i) => ["DEL", `key:${i}`]));
      assert.ok(replies.every((reply) => reply === 1));
      proxy.resume();
    } finally {
      proxy.resume();
      deleter.close();
    }
    const run = await running;
    let copiedThenDeleted: number;
    try {
      const exists = await watcher.pipeline(deletedIndexes.map((i) => ["EXISTS", `key:${i}`]));
      copiedThenDeleted = exists.filter((reply) => reply === 1).length;
    } finally {
      watcher.close();
    }
    const json = jsonOf(run);
    assert.equal(json.replication.failed, 0, run.err);
    assert.ok(json.replication.vanished > 0, `vanished ${json.replication.vanished}`);
    assert.ok(json.replication.vanished + copiedThenDeleted <= total / 2);
    // Keys deleted after they were copied stay on the target (a snapshot does not follow deletions): they
    // are the only differences, and every key still on the source arrived intact.
    assert.deepEqual(
      [json.verify.ok, json.verify.value, json.verify.missing, json.verify.extra, json.verify.ttl],
      [total / 2, 0, 0, copiedThenDeleted, 0],
    );
    assert.equal(run.code, copiedThenDeleted > 0 ? 1 : 0);
    const check = await compare(source, target, "--mode", "full");
    assert.equal(check.out, `OK:${total / 2} V:0 >:0 <:${copiedThenDeleted} T:0\n`);
    assert.equal(check.code, copiedThenDeleted > 0 ? 1 : 0, check.err);
  },
});

serverTest({
  name:
    "riot replicate reconnects and continues from the SCAN cursor when the source connection is cut mid-copy",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    await using proxy = await TcpProxy.start(source.host, source.port);
    const total = 50_000;
    await source.cli("DEBUG", "POPULATE", String(total), "key", "16");
    const running = riot([
      "replicate",
      `redis://127.0.0.1:${proxy.port}`,
      uri(target),
      "--progress",
      "none",
      "--batch",
      "200",
      "-o",
      "10",
    ]);
    const watcher = await raw(target);
    try {
      while (await watcher.call("DBSIZE") === 0) await new Promise((resolve) => setTimeout(resolve, 2));
      proxy.cutAll();
    } finally {
      watcher.close();
    }
    const run = await running;
    assert.equal(run.code, 0, run.err);
    assert.match(
      run.err,
      /closed the connection \((reading|scanning)\); (reconnecting, retry 1 of 10|continuing from cursor)/,
    );
    assert.doesNotMatch(run.err, /from the start/);
    assert.equal(run.out, `OK:${total} V:0 >:0 <:0 T:0\n`);
    await assertSameData(source, target, { count: total });
  },
});

serverTest({
  name:
    "riot replicate sizes DUMP round trips by payload bytes, so a run of big keys stays within --queue-bytes",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    const big = 200 * 1024;
    const connection = await raw(source);
    try {
      const value = new Uint8Array(big).fill(0x61);
      await connection.pipeline(Array.from({ length: 150 }, (_, i) => ["SET", `big:${i}`, value]));
    } finally {
      connection.close();
    }
    // One connection per side: 2 reader loops share 4 MiB, 2 MiB per round trip (about 10 such keys).
    const run = await riot([
      "replicate",
      uri(source),
      uri(target),
      "--threads",
      "1",
      "--queue-bytes",
      "4mb",
      "--json",
      "--progress",
      "none",
    ]);
    assert.equal(run.code, 0, run.err);
    const json = jsonOf(run);
    assert.equal(json.replication.written, 150);
    assert.ok(json.replication.maxRoundTripBytes > 0);
    assert.ok(
      json.replication.maxRoundTripBytes <= 2 * 1024 * 1024 + big,
      `one round trip brought ${json.replication.maxRoundTripBytes} bytes`,
    );
    assert.equal(json.verify.ok, 150);
    await assertSameData(source, target, { count: 150 });
  },
});
