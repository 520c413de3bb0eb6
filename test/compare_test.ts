/**
 * `riot compare` end to end against real servers: each kind of difference is planted on purpose and must
 * land in its own counter of `OK:n V:n >:n <:n T:n`, and nothing else may.
 */

import assert from "node:assert/strict";
import { type Command, type RespValue, toText } from "../resp/mod.ts";
import { riot, type Run } from "./_riot.ts";
import { connect } from "../src/redis/connect.ts";
import type { RedisConnection } from "../src/redis/connection.ts";
import { DEFAULT_CONNECTION } from "../src/redis/options.ts";
import { RedisServer, serverTest } from "./_server.ts";
import { TcpProxy } from "./_proxy.ts";

type Endpoint = { host: string; port: number };

/** `riot compare SOURCE_URI TARGET_URI --progress none ...extra`. */
function compare(source: Endpoint, target: Endpoint, ...extra: string[]): Promise<Run> {
  return riot([
    "compare",
    `redis://${source.host}:${source.port}`,
    `redis://${target.host}:${target.port}`,
    "--progress",
    "none",
    ...extra,
  ]);
}

/** The single JSON object a --json run prints on stdout. */
// deno-lint-ignore no-explicit-any
function jsonOf(run: Run): any {
  const lines = run.out.split("\n").filter((line) => line !== "");
  assert.equal(lines.length, 1, `one JSON line on stdout, got: ${run.out}`);
  return JSON.parse(lines[0]);
}

/** A raw connection to `server`; the caller closes it. */
function raw(server: Endpoint): Promise<RedisConnection> {
  return connect({ ...DEFAULT_CONNECTION, host: server.host, port: server.port, timeoutMs: 10_000 });
}

/** Runs the same commands on each server (one pipeline each); fails on any error reply. */
async function onEach(servers: Endpoint[], commands: Command[]): Promise<void> {
  for (const server of servers) {
    const connection = await raw(server);
    try {
      const replies = await connection.pipeline(commands);
      replies.forEach((reply, i) =>
        assert.ok(!(reply instanceof Error), `${commands[i].join(" ")}: ${reply}`)
      );
    } finally {
      connection.close();
    }
  }
}

/** DUMP payload of `key`. */
async function dumpOf(server: Endpoint, key: string): Promise<RespValue> {
  const connection = await raw(server);
  try {
    return await connection.call("DUMP", key);
  } finally {
    connection.close();
  }
}

/** Two empty servers, source and target. */
async function twoServers() {
  const source = await RedisServer.start();
  try {
    const target = await RedisServer.start();
    return {
      source,
      target,
      async [Symbol.asyncDispose]() {
        await Promise.all([source[Symbol.asyncDispose](), target[Symbol.asyncDispose]()]);
      },
    };
  } catch (error) {
    await source[Symbol.asyncDispose]();
    throw error;
  }
}

serverTest({
  name: "riot compare counts a value difference as V in full mode, and quick mode does not see it",
  async fn() {
    await using servers = await twoServers();
    const { source, target } = servers;
    await onEach([source, target], [["SET", "same", "1"], ["HSET", "hash", "f", "1", "g", "2"]]);
    await source.cli("SET", "changed", "before");
    await target.cli("SET", "changed", "after!");
    await source.cli("RPUSH", "list", "a", "b", "c");
    await target.cli("RPUSH", "list", "a", "c", "b");

    const quick = await compare(source, target);
    assert.equal(quick.code, 0, quick.err);
    assert.equal(quick.out, "OK:4 V:0 >:0 <:0 T:0\n");

    const full = await compare(source, target, "--mode", "full");
    assert.equal(full.code, 1, full.err);
    assert.equal(full.out, "OK:2 V:2 >:0 <:0 T:0\n");
    assert.match(full.err, /^ {2}V changed: string value differs$/m);
    assert.match(full.err, /^ {2}V list: list value differs$/m);
  },
});

serverTest({
  name: "riot compare counts a type difference as V in quick and full mode",
  async fn() {
    await using servers = await twoServers();
    const { source, target } = servers;
    await source.cli("SET", "shape", "text");
    await target.cli("RPUSH", "shape", "text");
    await onEach([source, target], [["SET", "same", "1"]]);

    for (const mode of ["quick", "full"]) {
      const run = await compare(source, target, "--mode", mode);
      assert.equal(run.code, 1, `${mode}: ${run.err}`);
      assert.equal(run.out, "OK:1 V:1 >:0 <:0 T:0\n", mode);
      assert.match(run.err, /^ {2}V shape: type string in source, list in target$/m, mode);
    }
  },
});

serverTest({
  name: "riot compare counts keys only in the source as > and keys only in the target as <",
  async fn() {
    await using servers = await twoServers();
    const { source, target } = servers;
    await onEach([source, target], [["SET", "both", "1"]]);
    await source.cli("SET", "source:only:1", "x");
    await source.cli("HSET", "source:only:2", "f", "v");
    await target.cli("SADD", "target:only", "m");

    for (const mode of ["quick", "full"]) {
      const run = await compare(source, target, "--mode", mode);
      assert.equal(run.code, 1, `${mode}: ${run.err}`);
      assert.equal(run.out, "OK:1 V:0 >:2 <:1 T:0\n", mode);
      assert.match(run.err, /^ {2}> source:only:1: only in source$/m);
      assert.match(run.err, /^ {2}> source:only:2: only in source$/m);
      assert.match(run.err, /^ {2}< target:only: only in target$/m);
    }
  },
});

serverTest({
  name: "riot compare counts a TTL off by more than --ttl-tolerance as T, and within it as OK",
  async fn() {
    await using servers = await twoServers();
    const { source, target } = servers;
    const base = Date.now() + 3_600_000;
    await onEach([source, target], [
      ["SET", "close", "v"],
      ["SET", "far", "v"],
      ["SET", "one-sided", "v"],
      ["SET", "exact", "v"],
      ["PEXPIREAT", "exact", base],
      ["SET", "none", "v"],
    ]);
    await onEach([source], [["PEXPIREAT", "close", base], ["PEXPIREAT", "far", base], [
      "PEXPIREAT",
      "one-sided",
      base,
    ]]);
    await onEach([target], [["PEXPIREAT", "close", base + 50], ["PEXPIREAT", "far", base + 5_000]]);

    for (const mode of ["quick", "full"]) {
      const run = await compare(source, target, "--mode", mode);
      assert.equal(run.code, 1, `${mode}: ${run.err}`);
      assert.equal(run.out, "OK:3 V:0 >:0 <:0 T:2\n", mode);
      assert.match(run.err, /^ {2}T far: TTL \d+ ms left in source, \d+ ms left in target$/m);
      assert.match(run.err, /^ {2}T one-sided: TTL \d+ ms left in source, none in target$/m);
    }
    const strict = await compare(source, target, "--ttl-tolerance", "10ms");
    assert.equal(strict.out, "OK:2 V:0 >:0 <:0 T:3\n");
    const lenient = await compare(source, target, "--ttl-tolerance", "6s");
    assert.equal(lenient.out, "OK:4 V:0 >:0 <:0 T:1\n", "a TTL against none is never within tolerance");
  },
});

serverTest({
  name: "riot compare --mode full counts equal data in different encodings as OK (RESP3 and RESP2)",
  async fn() {
    await using servers = await twoServers();
    const { source, target } = servers;
    // The target stores every collection in its non-compact encoding.
    for (
      const [name, value] of [
        ["hash-max-listpack-entries", "0"],
        ["zset-max-listpack-entries", "0"],
        ["set-max-intset-entries", "0"],
        ["list-max-listpack-size", "1"],
        ["stream-node-max-entries", "1"],
      ]
    ) {
      await target.cli("CONFIG", "SET", name, value);
    }
    const data: Command[] = [
      ["HSET", "hash", "b", "2", "a", "1", "c", "3"],
      ["HSET", "hash:other", "a", "1", "b", "2"],
      ["ZADD", "zset", "0.1", "a", "-inf", "b", "1e300", "c", "2", "d"],
      ["SADD", "set", "3", "1", "2"],
      ["RPUSH", "list", "x", "y", "z"],
      ["XADD", "stream", "1-1", "f", "1"],
      ["XADD", "stream", "2-1", "f", "2"],
      ["XADD", "stream", "3-1", "f", "3"],
      ["XGROUP", "CREATE", "stream", "group", "0"],
    ];
    await onEach([source, target], data);
    await source.cli("HSET", "hash:other", "b", "two");
    assert.equal(await source.cli("OBJECT", "ENCODING", "hash"), "listpack");
    assert.equal(await target.cli("OBJECT", "ENCODING", "hash"), "hashtable");
    assert.equal(await target.cli("OBJECT", "ENCODING", "zset"), "skiplist");
    assert.equal(await target.cli("OBJECT", "ENCODING", "set"), "hashtable");
    for (const key of ["hash", "zset", "set", "list", "stream"]) {
      assert.notDeepEqual(
        await dumpOf(source, key),
        await dumpOf(target, key),
        `${key}: DUMP payloads differ`,
      );
    }

    for (const resp of ["3", "2"]) {
      const run = await compare(
        source,
        target,
        "--mode",
        "full",
        "--source-resp",
        resp,
        "--target-resp",
        resp,
      );
      assert.equal(run.code, 1, `RESP${resp}: ${run.err}`);
      assert.equal(run.out, "OK:5 V:1 >:0 <:0 T:0\n", `RESP${resp}`);
      assert.match(run.err, /^ {2}V hash:other: hash value differs$/m);
    }
  },
});

serverTest({
  name: "riot compare --mode full sees a stream whose consumer groups differ although its entries are equal",
  async fn() {
    await using servers = await twoServers();
    const { source, target } = servers;
    const entries: Command[] = [["XADD", "stream", "1-1", "f", "1"], ["XADD", "stream", "2-1", "f", "2"]];
    await onEach([source, target], [...entries, ["XGROUP", "CREATE", "stream", "group", "0"]]);
    await onEach([source, target], [["XADD", "groupless", "1-1", "f", "1"]]);
    await source.cli("XGROUP", "CREATE", "groupless", "lost", "0");
    // Same group, but the source has delivered one entry: its last-delivered-id and PEL differ.
    await source.cli("XREADGROUP", "GROUP", "group", "alice", "COUNT", "1", "STREAMS", "stream", ">");

    const run = await compare(source, target, "--mode", "full");
    assert.equal(run.code, 1, run.err);
    assert.equal(run.out, "OK:0 V:2 >:0 <:0 T:0\n");
    assert.match(run.err, /^ {2}V stream: stream value differs$/m);
    assert.match(run.err, /^ {2}V groupless: stream value differs$/m);
  },
});

serverTest({
  name: "riot compare puts one planted difference of each kind in its own counter",
  async fn() {
    await using servers = await twoServers();
    const { source, target } = servers;
    const base = Date.now() + 600_000;
    await onEach([source, target], [["SET", "ok:1", "v"], ["SET", "ttl", "v"], ["SET", "value", "v"]]);
    await onEach([source], [["SET", "ok:2", "v"], ["PEXPIREAT", "ttl", base], ["SET", "type", "v"]]);
    await onEach([source], [["SET", "missing", "v"]]);
    await onEach([target], [["SET", "ok:2", "v"], ["PEXPIREAT", "ttl", base + 1_000], ["SADD", "type", "v"]]);
    await onEach([target], [["SET", "extra", "v"], ["SET", "value", "w"]]);

    const run = await compare(source, target, "--mode", "full");
    assert.equal(run.code, 1, run.err);
    assert.equal(run.out, "OK:2 V:2 >:1 <:1 T:1\n");
  },
});

serverTest({
  name: "riot compare --show-diffs 2 lists two differing keys and says how many more there are",
  async fn() {
    await using servers = await twoServers();
    const { source, target } = servers;
    await onEach([source], Array.from({ length: 5 }, (_, i) => ["SET", `diff:${i}`, "source"] as Command));
    await onEach([target], Array.from({ length: 5 }, (_, i) => ["SET", `diff:${i}`, "target"] as Command));

    const run = await compare(source, target, "--mode", "full", "--show-diffs", "2");
    assert.equal(run.code, 1);
    assert.equal(run.out, "OK:0 V:5 >:0 <:0 T:0\n");
    const listed = run.err.split("\n").filter((line) => /^ {2}V diff:\d: string value differs$/.test(line));
    assert.equal(listed.length, 2, run.err);
    assert.match(run.err, /^warning: {3}\.\.\. 3 more \(--show-diffs N to list more\)$/m);

    const none = await compare(source, target, "--mode", "full", "--show-diffs", "0");
    assert.equal(none.err.split("\n").filter((line) => line.startsWith("  V")).length, 0, none.err);

    const json = jsonOf(await compare(source, target, "--mode", "full", "--show-diffs", "2", "--json"));
    assert.equal(json.value, 5);
    assert.equal(json.diffs.length, 2);
  },
});

serverTest({
  name: "riot compare --json prints one object with the counters, rounds, seconds and diffs",
  async fn() {
    await using servers = await twoServers();
    const { source, target } = servers;
    await onEach([source, target], [["SET", "same", "1"]]);
    await source.cli("SET", "gone", "1");

    const run = await compare(source, target, "--json");
    assert.equal(run.code, 1);
    assert.equal(run.err, "", "nothing but the JSON object");
    const json = jsonOf(run);
    assert.deepEqual(Object.keys(json), [
      "ok",
      "value",
      "missing",
      "extra",
      "ttl",
      "expired",
      "unstableModulePayloads",
      "skipped",
      "rounds",
      "seconds",
      "diffs",
    ]);
    assert.deepEqual(
      { ...json, seconds: typeof json.seconds },
      {
        ok: 1,
        value: 0,
        missing: 1,
        extra: 0,
        ttl: 0,
        expired: 0,
        unstableModulePayloads: 0,
        skipped: 0,
        rounds: 1,
        seconds: "number",
        diffs: [{ key: "gone", kind: "missing", detail: "only in source" }],
      },
    );

    await target.cli("SET", "gone", "1");
    const equal = await compare(source, target, "--json");
    assert.equal(equal.code, 0);
    assert.deepEqual({ ...jsonOf(equal), seconds: 0 }, {
      ok: 2,
      value: 0,
      missing: 0,
      extra: 0,
      ttl: 0,
      expired: 0,
      unstableModulePayloads: 0,
      skipped: 0,
      rounds: 1,
      seconds: 0,
      diffs: [],
    });
  },
});

serverTest({
  name: "riot compare --rounds re-checks a key fixed during the pause and ends with no difference",
  async fn() {
    await using servers = await twoServers();
    const { source, target } = servers;
    await onEach([source, target], [["SET", "steady", "1"]]);
    await source.cli("SET", "moving", "new");
    await target.cli("SET", "moving", "old");

    const once = await compare(source, target, "--mode", "full", "--rounds", "1");
    assert.equal(once.out, "OK:1 V:1 >:0 <:0 T:0\n", "one round sees the difference");

    await target.cli("CONFIG", "RESETSTAT");
    const running = compare(source, target, "--mode", "full", "--rounds", "3", "--pause", "500", "--json");
    // Round 1 ends with the value comparison (GET on both sides); fix the target while riot pauses.
    const watcher = await raw(target);
    try {
      const deadline = Date.now() + 5_000;
      while (!/cmdstat_get:calls=/.test(toText(await watcher.call("INFO", "commandstats")))) {
        assert.ok(Date.now() < deadline, "round 1 did not compare the value");
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await watcher.call("SET", "moving", "new");
    } finally {
      watcher.close();
    }
    const run = await running;
    assert.equal(run.code, 0, run.err);
    const json = jsonOf(run);
    assert.deepEqual(
      [json.ok, json.value, json.missing, json.extra, json.ttl, json.rounds],
      [2, 0, 0, 0, 0, 2],
      "round 2 found the key equal and no third round was needed",
    );
    assert.deepEqual(json.diffs, []);
  },
});

serverTest({
  name:
    "riot compare whose source connection is cut mid-way exits 1 with the reason, never with partial counts",
  async fn() {
    await using servers = await twoServers();
    const { source, target } = servers;
    await using proxy = await TcpProxy.start(source.host, source.port);
    await source.cli("DEBUG", "POPULATE", "20000", "key", "16");
    await target.cli("DEBUG", "POPULATE", "20000", "key", "16");
    proxy.setDelay(20);
    const running = compare({ host: "127.0.0.1", port: proxy.port }, target, "--batch", "100");
    await new Promise((resolve) => setTimeout(resolve, 300));
    proxy.cutAll();
    const run = await running;
    assert.equal(run.code, 1, run.out + run.err);
    assert.doesNotMatch(run.out, /OK:/);
    assert.match(run.err, /127\.0\.0\.1:\d+/);
  },
});
