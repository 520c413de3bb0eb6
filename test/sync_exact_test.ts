/**
 * `riot replicate --mode sync` stays exact where a naive replica would not:
 * - the key filters apply to the stream's commands, not only to the snapshot: a writer changes matching and
 *   non-matching keys (multi-key commands among them) and the target ends with exactly the matching ones;
 * - with --key-type, a key that changes to another type on the source leaves the target;
 * - the target connection is cut again and again (test/_proxy.ts) while a writer runs INCR, LPUSH and
 *   APPEND: no batch is applied twice nor lost, the data ends identical.
 * StreamFilter's choices for multi-key commands are checked against a real server's COMMAND table.
 */
import assert from "node:assert/strict";
import { toText } from "../resp/mod.ts";
import { slotOfText } from "../src/redis/cluster/slots.ts";
import { CommandTable } from "../src/sync/command_table.ts";
import { StreamFilter } from "../src/sync/stream_filter.ts";
import { assertSameData } from "./_digest.ts";
import { TcpProxy } from "./_proxy.ts";
import { keysOf, raw, uri } from "./_replicate_util.ts";
import { riot } from "./_riot.ts";
import { RedisServer, serverTest } from "./_server.ts";

const SOURCE_ARGS = ["--repl-diskless-sync-delay", "0", "--repl-backlog-size", "64mb"];
const bytes = (text: string) => new TextEncoder().encode(text);

/** Runs `round(i)` pipelines on `server` until `stop` resolves; the number of rounds. */
async function writeUntil(
  server: RedisServer,
  stop: Promise<void>,
  round: (i: number) => (string | number)[][],
): Promise<number> {
  const conn = await raw(server);
  let done = false;
  stop.then(() => done = true);
  let i = 0;
  try {
    while (!done) await conn.pipeline(round(i++));
  } finally {
    conn.close();
  }
  return i;
}

/** Waits until riot is an online replica of `source` (it loaded the snapshot and acknowledged). */
async function streaming(source: RedisServer): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (/slave0:.*state=online/.test(await source.cli("INFO", "replication"))) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("riot never became an online replica");
}

function syncArgs(source: RedisServer, target: { host: string; port: number }, ...extra: string[]) {
  return [
    "replicate",
    uri(source),
    uri(target),
    "--mode",
    "sync",
    "--idle-timeout",
    "1500",
    "--progress",
    "none",
    "--json",
    ...extra,
  ];
}

serverTest({
  name: "riot replicate --mode sync --key-pattern --key-slots: the stream's commands are filtered too",
  async fn() {
    await using source = await RedisServer.start({ args: SOURCE_ARGS });
    await using target = await RedisServer.start();
    for (const prefix of ["keep", "drop"]) {
      await source.cli("EVAL", `for i=1,200 do redis.call('SET','${prefix}:s:'..i,i) end`, "0");
    }
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => stop = resolve);
    const run = riot(syncArgs(source, target, "--key-pattern", "keep:*", "--key-slots", "0-8191"));
    await streaming(source);
    const rounds = writeUntil(source, stopped, (i) => {
      const n = i % 200;
      return [
        ["SET", `keep:s:${n}`, `v${i}`],
        ["SET", `drop:s:${n}`, `v${i}`],
        ["INCR", "keep:c"],
        ["INCR", "drop:c"],
        ["HSET", `keep:h:${n % 20}`, `f${i % 5}`, i],
        ["HSET", `drop:h:${n % 20}`, `f${i % 5}`, i],
        ["RPUSH", "keep:l", i],
        ["RPUSH", "drop:l", i],
        ["MSET", `keep:m:${n}`, i, `drop:m:${n}`, i], // split: only the matching pair
        ["DEL", `keep:s:${(n + 50) % 200}`, `drop:s:${(n + 50) % 200}`], // split
        // Every key matches (one hash tag, slot 7761): applied.
        ["SUNIONSTORE", "keep:{v}:u", `keep:{v}:set:${n % 3}`, "keep:{v}:set:x"],
        ["SADD", `keep:{v}:set:${n % 3}`, i % 40],
        ["PEXPIRE", `keep:s:${(n + 7) % 200}`, 3_600_000],
      ];
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    stop();
    assert.ok(await rounds > 10);
    const result = await run;
    assert.equal(result.code, 0, result.err);
    const json = JSON.parse(result.out);
    assert.equal(json.replication.failed, 0);
    assert.ok(json.sync.commands > 0);
    const expected = (await keysOf(source)).filter((key) =>
      key.startsWith("keep:") && slotOfText(key) <= 8191
    );
    assert.ok(expected.length > 50, `${expected.length} matching keys`);
    assert.ok((await keysOf(source)).length > expected.length * 2);
    await assertSameData(source, target, { keys: expected });
    assert.equal(json.verify.ok, expected.length, "riot verified the filtered keys only");
  },
});

serverTest({
  name:
    "riot replicate --mode sync --key-type hash: a key that becomes a string on the source leaves the target",
  async fn() {
    await using source = await RedisServer.start({ args: SOURCE_ARGS });
    await using target = await RedisServer.start();
    await source.cli(
      "EVAL",
      "for i=1,50 do redis.call('HSET','h:'..i,'f',i) redis.call('SET','s:'..i,i) end",
      "0",
    );
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => stop = resolve);
    const run = riot(syncArgs(source, target, "--key-type", "hash"));
    await streaming(source);
    const rounds = writeUntil(source, stopped, (i) => [
      ["HSET", `h:${i % 50}`, "g", i],
      ["SET", `s:${i % 50}`, i],
      ["SET", `h:${(i % 10) + 40}`, "now a string"], // hash -> string: must leave the target
      ["DEL", `s:${i % 5}`],
      ["HSET", `s:${i % 5}`, "f", i], // string -> hash: must reach the target
    ]);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    stop();
    assert.ok(await rounds > 10);
    const result = await run;
    assert.equal(result.code, 0, result.err);
    const expected: string[] = [];
    for (const key of await keysOf(source)) {
      if (await source.cli("TYPE", key) === "hash") expected.push(key);
    }
    assert.ok(expected.includes("s:3") && !expected.includes("h:45"));
    await assertSameData(source, target, { keys: expected });
  },
});

serverTest({
  name: "riot replicate --mode sync: target connections cut during INCR/LPUSH/APPEND, nothing applied twice",
  async fn() {
    await using source = await RedisServer.start({ args: SOURCE_ARGS });
    await using target = await RedisServer.start();
    await using proxy = await TcpProxy.start(target.host, target.port);
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => stop = resolve);
    const run = riot(syncArgs(source, { host: "127.0.0.1", port: proxy.port }, "--retry-backoff", "50"));
    await streaming(source);
    const rounds = writeUntil(source, stopped, (i) => [
      ["INCR", "counter"],
      ["LPUSH", "list", i],
      ["APPEND", "text", `${i % 10}`],
      ["INCRBY", `c:${i % 7}`, i],
    ]);
    for (let cut = 0; cut < 8; cut++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      proxy.cutAll();
    }
    stop();
    assert.ok(await rounds > 100);
    const result = await run;
    assert.equal(result.code, 0, result.err);
    assert.equal(await target.cli("GET", "counter"), await source.cli("GET", "counter"));
    await assertSameData(source, target);
  },
});

serverTest({
  name:
    "riot replicate --mode sync: SIGKILL under INCR load, then a resumed run continues where the target is",
  async fn() {
    await using source = await RedisServer.start({ args: SOURCE_ARGS });
    await using target = await RedisServer.start();
    const checkpoint = `${source.dir}/sync.checkpoint`;
    const args = syncArgs(source, target, "--checkpoint", checkpoint);
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("../main.ts", import.meta.url).pathname, ...args],
      stdout: "null",
      stderr: "null",
    }).spawn();
    await streaming(source);
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => stop = resolve);
    const rounds = writeUntil(source, stopped, (i) => [["INCR", "counter"], ["RPUSH", "list", i]]);
    // Killed between two checkpoints (written every second): the target is ahead of the checkpoint.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    child.kill("SIGKILL");
    await child.status;
    stop();
    assert.ok(await rounds > 100);
    const saved = JSON.parse(await Deno.readTextFile(checkpoint));
    assert.match(saved.marker, /^riot:sync:applied:/);
    const second = await riot(args);
    assert.equal(second.code, 0, second.err);
    assert.equal(JSON.parse(second.out).sync.fullSyncs, 0, second.err);
    assert.equal(await target.cli("GET", "counter"), await source.cli("GET", "counter"));
    await assertSameData(source, target);
  },
});

serverTest({
  name:
    "StreamFilter: split per-key commands, refuse linked keys across the filter, DEL keys of another type",
  async fn() {
    await using server = await RedisServer.start();
    const conn = await raw(server);
    try {
      const table = CommandTable.fromCommandReply(await conn.call("COMMAND"));
      const getKeys = async (args: Uint8Array[]) =>
        (await conn.call("COMMAND", "GETKEYS", ...args)) as Uint8Array[];
      const byName = new StreamFilter(table, { key: (key) => toText(key).startsWith("a") }, getKeys);
      const show = async (filter: StreamFilter, ...args: string[]) => {
        const verdict = await filter.decide(args.map(bytes));
        if (verdict.action === "apply") {
          return verdict.command.map((arg) => toText(arg as Uint8Array)).join(" ");
        }
        return verdict.action === "refuse" ? `refuse ${verdict.keys.map(toText).join(",")}` : "skip";
      };
      assert.equal(await show(byName, "MSET", "a1", "x", "b1", "y", "a2", "z"), "MSET a1 x a2 z");
      assert.equal(await show(byName, "MSETNX", "b1", "y", "a2", "z"), "MSET a2 z");
      assert.equal(await show(byName, "DEL", "b1", "a2"), "DEL a2");
      assert.equal(await show(byName, "SET", "b1", "v"), "skip");
      assert.equal(await show(byName, "RENAME", "b1", "a1"), "refuse a1");
      assert.equal(await show(byName, "ZUNIONSTORE", "a1", "2", "a2", "b2"), "refuse a1,a2"); // movable keys
      assert.equal(await show(byName, "ZUNIONSTORE", "a1", "2", "a2", "a3"), "ZUNIONSTORE a1 2 a2 a3");
      assert.equal(await show(byName, "XGROUP", "CREATE", "a1", "g", "$"), "XGROUP CREATE a1 g $");
      assert.equal(await show(byName, "XGROUP", "CREATE", "b1", "g", "$"), "skip");
      assert.match(await show(byName, "FLUSHDB"), /^refuse/);
      assert.equal(await show(byName, "SELECT", "3"), "SELECT 3");
      const byType = new StreamFilter(table, { type: "hash" }, getKeys);
      assert.equal(await show(byType, "HSET", "k", "f", "v"), "HSET k f v");
      assert.equal(await show(byType, "SET", "k", "v"), "DEL k");
      assert.equal(await show(byType, "PFADD", "k", "x"), "DEL k");
      assert.equal(await show(byType, "EXPIRE", "k", "10"), "EXPIRE k 10");
    } finally {
      conn.close();
    }
  },
});

serverTest({
  name: "riot replicate --mode sync into a target user without MULTI: one line before anything is written",
  async fn() {
    await using source = await RedisServer.start({ args: SOURCE_ARGS });
    await using target = await RedisServer.start({
      aclUsers: [{ name: "app", password: "pw", rules: "~* &* +@all -multi" }],
    });
    await source.cli("SET", "k", "v");
    const run = await riot([
      "replicate",
      uri(source),
      `redis://app:pw@${target.host}:${target.port}`,
      "--mode",
      "sync",
      "--progress",
      "none",
    ]);
    assert.equal(run.code, 1, run.err);
    assert.match(run.err, /refuses what --mode sync needs to apply each batch once \(MULTI\/EXEC .*NOPERM/);
    assert.equal(await target.cli("DBSIZE"), "0");
  },
});

serverTest({
  name: "riot replicate --mode sync never cuts a source transaction: the target shows it whole or not at all",
  async fn() {
    await using source = await RedisServer.start({ args: SOURCE_ARGS });
    await using target = await RedisServer.start();
    const run = riot(syncArgs(source, target));
    await streaming(source);
    const writer = await raw(source);
    const reader = await raw(target);
    const seen = new Set<string>();
    let done = false;
    const watching = (async () => {
      while (!done) {
        const [a, b] = await reader.call("MGET", "a", "b") as (Uint8Array | null)[];
        seen.add(`${a && toText(a)}/${b && toText(b)}`);
      }
    })();
    try {
      // 2500 commands per transaction: more than one batch (1000) and than one read from the socket.
      for (let round = 0; round < 8; round++) {
        await writer.pipeline([
          ["MULTI"],
          ...Array.from({ length: 1250 }, () => ["INCR", "a"]),
          ...Array.from({ length: 1250 }, () => ["INCR", "b"]),
          ["EXEC"],
        ]);
      }
      for (let i = 0; i < 200 && await target.cli("GET", "b") !== "10000"; i++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    } finally {
      done = true;
      await watching;
      writer.close();
      reader.close();
    }
    const result = await run;
    assert.equal(result.code, 0, result.err);
    const torn = [...seen].filter((pair) => pair.split("/")[0] !== pair.split("/")[1]);
    assert.deepEqual(torn, [], "a and b always equal on the target");
    assert.ok(seen.has("10000/10000"));
  },
});
