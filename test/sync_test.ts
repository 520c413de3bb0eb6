/**
 * `riot replicate --mode sync` against real servers: riot is a replica of the source. A full sync while a
 * writer changes keys of every type ends identical (checked key by key, expiries to the millisecond); a
 * `CLIENT KILL TYPE replica` during the stream is followed by a partial resync (the source's
 * sync_partial_ok counter moves) and the data stays identical; SIGINT and a second run with the same
 * checkpoint continue by offset; a source that refuses PSYNC gets one line suggesting --live. Newer sources
 * (RIOT_TEST_REDIS_SERVERS: Redis 8.0 and 7.4, RDB 12) into older targets (Valkey 8.0, Redis 7.0): the
 * snapshot goes by type, compared value by value; --no-fallback reports the keys instead.
 * Elsewhere: cluster sources (sync_cluster_source_test.ts), cluster targets (sync_cluster_test.ts),
 * filters and exactly-once batches (sync_exact_test.ts).
 */
import assert from "node:assert/strict";
import { assertSameByType } from "./_by_type.ts";
import { assertSameData } from "./_digest.ts";
import { populate } from "./_rdb_fixtures.ts";
import { raw, uri } from "./_replicate_util.ts";
import { riot } from "./_riot.ts";
import { RedisServer, serverTest } from "./_server.ts";
import { serverBuild } from "./_servers.ts";

const SOURCE_ARGS = ["--repl-diskless-sync-delay", "0", "--repl-backlog-size", "64mb"];

/** Writes keys of every type (with TTLs, deletes, two databases) until `stop` resolves. */
async function writer(source: RedisServer, stop: Promise<void>): Promise<number> {
  const conn = await raw(source);
  let done = false;
  stop.then(() => done = true);
  let round = 0;
  try {
    while (!done) {
      const i = round++ % 500;
      await conn.pipeline([
        ["SET", `s:${i}`, `v${round}`, "PX", 3_600_000],
        ["INCR", "counter"],
        ["HSET", `h:${i}`, `f${round % 7}`, round],
        ["RPUSH", `l:${i % 20}`, round],
        ["SADD", `set:${i % 20}`, round % 50],
        ["ZADD", `z:${i % 20}`, round / 3, `m${round % 30}`],
        ["XADD", `x:${i % 5}`, "*", "n", round],
        ["DEL", `s:${(i + 250) % 500}`],
        ["SELECT", 2],
        ["SET", `db2:${i}`, round],
        ["SELECT", 0],
      ]);
    }
  } finally {
    conn.close();
  }
  return round;
}

async function seed(source: RedisServer, keys: number): Promise<void> {
  await source.cli("EVAL", `for i=1,${keys} do redis.call('SET','seed:'..i,string.rep('x',100)) end`, "0");
}

async function partialSyncs(source: RedisServer): Promise<number> {
  return Number(/sync_partial_ok:(\d+)/.exec(await source.cli("INFO", "stats"))![1]);
}

serverTest({
  name: "riot replicate --mode sync: full sync while a writer changes every type, then identical",
  async fn() {
    await using source = await RedisServer.start({ args: SOURCE_ARGS });
    await using target = await RedisServer.start();
    await seed(source, 50_000);
    let stopWriter!: () => void;
    const writing = writer(source, new Promise((resolve) => stopWriter = resolve));
    setTimeout(stopWriter, 3000);
    const run = await riot([
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
    ]);
    const rounds = await writing;
    assert.equal(run.code, 0, run.err);
    assert.ok(rounds > 10, `the writer ran ${rounds} rounds`);
    const result = JSON.parse(run.out);
    assert.equal(result.sync.fullSyncs, 1);
    assert.ok(result.sync.commands > 0);
    await assertSameData(source, target, { db: 0 });
    await assertSameData(source, target, { db: 2 });
  },
});

serverTest({
  name:
    "riot replicate --mode sync: CLIENT KILL TYPE replica is followed by a partial resync, data identical",
  async fn() {
    await using source = await RedisServer.start({ args: SOURCE_ARGS });
    await using target = await RedisServer.start();
    await seed(source, 1000);
    const before = await partialSyncs(source);
    let stopWriter!: () => void;
    const writing = writer(source, new Promise((resolve) => stopWriter = resolve));
    const killer = (async () => {
      // Kill once riot is streaming and has acknowledged some commands, then let the writer go on a little.
      for (let i = 0; i < 200; i++) {
        const acked = /slave0:.*state=online,offset=(\d+)/.exec(await source.cli("INFO", "replication"));
        if (acked && Number(acked[1]) > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await source.cli("CLIENT", "KILL", "TYPE", "replica");
      await new Promise((resolve) => setTimeout(resolve, 1000));
      stopWriter();
    })();
    const run = await riot([
      "replicate",
      uri(source),
      uri(target),
      "--mode",
      "sync",
      "--idle-timeout",
      "2500",
      "--progress",
      "none",
      "--json",
    ]);
    await Promise.all([writing, killer]);
    assert.equal(run.code, 0, run.err);
    const result = JSON.parse(run.out);
    assert.equal(result.sync.fullSyncs, 1, run.err);
    assert.ok(result.sync.partialResyncs >= 1, run.err);
    assert.ok(await partialSyncs(source) > before, "sync_partial_ok moved");
    await assertSameData(source, target, { db: 0 });
    await assertSameData(source, target, { db: 2 });
  },
});

serverTest({
  name: "riot replicate --mode sync on a source that refuses PSYNC: one line that suggests --live",
  async fn() {
    await using source = await RedisServer.start({
      aclUsers: [{ name: "app", password: "pw", rules: "~* &* +@all -psync -sync" }],
    });
    await using target = await RedisServer.start();
    const run = await riot([
      "replicate",
      `redis://app:pw@${source.host}:${source.port}`,
      uri(target),
      "--mode",
      "sync",
      "--progress",
      "none",
    ]);
    assert.equal(run.code, 1, run.err);
    assert.match(run.err, /refuses to serve a replica \(PSYNC: NOPERM.*Use --live/);
    assert.equal(run.err.trim().split("\n").length, 1, run.err);
  },
});

serverTest({
  name: "riot replicate --mode sync: SIGINT, then a second run with the checkpoint continues by offset",
  async fn() {
    await using source = await RedisServer.start({ args: SOURCE_ARGS });
    await using target = await RedisServer.start();
    await seed(source, 1000);
    const checkpoint = `${source.dir}/sync.checkpoint`;
    const args = [
      "run",
      "-A",
      new URL("../main.ts", import.meta.url).pathname,
      "replicate",
      uri(source),
      uri(target),
      "--mode",
      "sync",
      "--checkpoint",
      checkpoint,
      "--progress",
      "none",
      "--compare",
      "none",
    ];
    const first = new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "piped" }).spawn();
    for (let i = 0; i < 200; i++) {
      if (/slave0:.*state=online/.test(await source.cli("INFO", "replication"))) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await source.cli("SET", "during", "1");
    await new Promise((resolve) => setTimeout(resolve, 1500)); // an ACK and a checkpoint after it
    first.kill("SIGINT");
    const firstOut = await first.output();
    assert.equal(firstOut.code, 0, new TextDecoder().decode(firstOut.stderr));
    assert.equal(await target.cli("GET", "during"), "1");
    const saved = JSON.parse(await Deno.readTextFile(checkpoint));
    assert.match(saved.replid, /^[0-9a-f]{40}$/);

    await source.cli("SET", "while-stopped", "2");
    await source.cli("INCRBY", "counter", "5");
    const before = await partialSyncs(source);
    const second = await riot([...args.slice(3), "--idle-timeout", "1500", "--compare", "full", "--json"]);
    assert.equal(second.code, 0, second.err);
    const result = JSON.parse(second.out);
    assert.equal(result.sync.resumed, true);
    assert.equal(result.sync.fullSyncs, 0, second.err);
    assert.equal(result.sync.partialResyncs, 1);
    assert.ok(await partialSyncs(source) > before);
    assert.equal(await target.cli("GET", "while-stopped"), "2");
    await assertSameData(source, target, { db: 0 });
  },
});

/** [source build, target build (undefined: the redis-server on PATH, 7.0), the target's RDB version]. */
const CROSS: [string, string | undefined, number][] = [["redis-8.0", "valkey-8.0", 11], [
  "redis-7.4",
  undefined,
  10,
]];
for (const [from, to, rdbVersion] of CROSS) {
  const source = serverBuild(from);
  const target = to === undefined ? { build: { binary: undefined }, missing: "" } : serverBuild(to);
  serverTest({
    name: `riot replicate --mode sync from ${from} into ${
      to ?? "Redis 7.0"
    }: the snapshot goes by type, then the stream${source.missing || target.missing}`,
    ignore: !source.build || !target.build,
    fn: () => crossVersionSync(source.build!.binary, target.build!.binary, rdbVersion),
  });
}

async function crossVersionSync(from: string, to: string | undefined, rdbVersion: number): Promise<void> {
  await using source = await RedisServer.start({ binary: from, args: SOURCE_ARGS });
  await using target = await RedisServer.start({ binary: to });
  const conn = await raw(source);
  try {
    await populate(conn, { fieldTtls: false });
    await conn.call("PEXPIRE", "str:short", 3_600_000);
  } finally {
    conn.close();
  }
  let stopWriter!: () => void;
  const writing = writer(source, new Promise((resolve) => stopWriter = resolve));
  setTimeout(stopWriter, 2000);
  const run = await riot([
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
  ]);
  await writing;
  assert.equal(run.code, 0, run.err);
  const result = JSON.parse(run.out);
  assert.equal(result.replication.failed, 0);
  assert.ok(result.replication.typeBased.total > 0, "the snapshot went by type");
  assert.match(
    Object.keys(result.replication.typeBased.reasons)[0],
    new RegExp(`reads RDB version ${rdbVersion} at most, the source's payloads are version 12`),
  );
  assert.ok(result.sync.commands > 0);
  for (const db of [0, 2]) await assertSameByType(source, target, db, { fieldTtls: false });
}

const redis74 = serverBuild("redis-7.4");
serverTest({
  name:
    `riot replicate --mode sync --no-fallback from redis-7.4 into Redis 7.0 reports the keys${redis74.missing}`,
  ignore: !redis74.build,
  async fn() {
    await using source = await RedisServer.start({ binary: redis74.build!.binary, args: SOURCE_ARGS });
    await using target = await RedisServer.start();
    await source.cli("SET", "a", "1");
    await source.cli("RPUSH", "l", "x", "y");
    const run = await riot([
      "replicate",
      uri(source),
      uri(target),
      "--mode",
      "sync",
      "--no-fallback",
      "--idle-timeout",
      "500",
      "--compare",
      "none",
      "--progress",
      "none",
    ]);
    assert.equal(run.code, 1, run.err);
    assert.match(run.err, /2 key\(s\) not copied: .*payload version/i);
    assert.equal(await target.cli("DBSIZE"), "0");
  },
});
