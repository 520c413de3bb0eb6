/**
 * `riot generate` and its src/pipeline/ modules (generate_config.ts, data_generator.ts, prng.ts,
 * generate_data.ts): the key layout and repeatability (pure), then counts, sizes, seeds, TTLs, databases and
 * errors against real servers through `runMain`.
 */

import assert from "node:assert/strict";
import { riot, type Run } from "./_riot.ts";
import { connect } from "../src/redis/connect.ts";
import { DEFAULT_CONNECTION } from "../src/redis/options.ts";
import type { Command } from "../resp/mod.ts";
import { countsByType, DataGenerator } from "../src/generate/data_generator.ts";
import { parseTypes, resolveGenerateConfig } from "../src/generate/generate_config.ts";
import { generate } from "../src/generate/generate_data.ts";
import { Prng } from "../src/generate/prng.ts";
import { RedisServer, serverTest } from "./_server.ts";

const ALL_TYPES = "string,hash,list,set,zset,stream";

/** Runs riot with captured stdout and stderr. */
function riotWith(...args: string[]): Promise<Run> {
  return riot(args);
}

/** `riot -p PORT generate --json -q ARGS`; asserts exit 0 and returns the JSON summary. */
async function generateOn(server: RedisServer, ...args: string[]): Promise<Record<string, number>> {
  const result = await riotWith("-p", String(server.port), "generate", "--json", "-q", ...args);
  assert.equal(result.code, 0, result.err);
  return JSON.parse(result.out);
}

const text = (bytes: Uint8Array | string | number | bigint) =>
  bytes instanceof Uint8Array ? new TextDecoder().decode(bytes) : String(bytes);

Deno.test({
  name: "parseTypes() reads TYPE and TYPE:WEIGHT and names what it rejects",
  permissions: "none",
  fn() {
    assert.deepEqual(parseTypes(["string", "Hash:3"]), [
      { type: "string", weight: 1 },
      { type: "hash", weight: 3 },
    ]);
    assert.throws(() => parseTypes(["string", "blob"]), /unknown data type 'blob'/);
    assert.throws(() => parseTypes(["hash:0"]), /bad weight in 'hash:0'/);
    assert.throws(() => parseTypes(["set", "set"]), /'set' is listed twice/);
    assert.throws(() => parseTypes([]), /no data type/);
  },
});

Deno.test({
  name: "DataGenerator.keyName() numbers each type from 1 and interleaves types by weight",
  permissions: "none",
  fn() {
    const data = new DataGenerator(resolveGenerateConfig({ types: parseTypes(["string:2", "hash"]) }));
    const names = Array.from({ length: 7 }, (_, i) => data.keyName(i));
    assert.deepEqual(names, [
      "gen:string:1",
      "gen:hash:1",
      "gen:string:2",
      "gen:string:3",
      "gen:hash:2",
      "gen:string:4",
      "gen:string:5",
    ]);
    assert.deepEqual(countsByType(parseTypes(["string:2", "hash"]), 7), {
      string: 5,
      hash: 2,
      list: 0,
      set: 0,
      zset: 0,
      stream: 0,
    });
  },
});

Deno.test({
  name: "DataGenerator.commandsFor() depends only on the seed, the type and the key number",
  permissions: "none",
  fn() {
    const commands = (types: string[], seed: number, index: number) => {
      const out: Command[] = [];
      new DataGenerator(resolveGenerateConfig({ types: parseTypes(types), seed })).commandsFor(index, out);
      return out.map((command) => command.map(text));
    };
    // gen:hash:2 is key 3 with string,hash and key 1 with hash alone.
    assert.deepEqual(commands(["string", "hash"], 7, 3), commands(["hash"], 7, 1));
    assert.notDeepEqual(commands(["hash"], 7, 1), commands(["hash"], 8, 1));
    const [set] = commands(["string"], 7, 0);
    assert.deepEqual(set.slice(0, 2), ["SET", "gen:string:1"]);
    assert.match(set[2], /^[A-Za-z0-9_-]{100}$/);
    const a = new Prng(42);
    const b = new Prng(42);
    for (let i = 0; i < 100; i++) assert.equal(a.next(), b.next());
  },
});

Deno.test({
  name: "DataGenerator.batch() groups strings without a TTL into MSET and stops at the budget",
  permissions: "none",
  fn() {
    const data = new DataGenerator(resolveGenerateConfig({ types: parseTypes(["string", "list"]) }));
    const out: Command[] = [];
    const next = data.batch(0, 1000, 250, out);
    // A write is a command, or one key in an MSET: each list key takes two (DEL, RPUSH).
    const names = out.map((command) => text(command[0]));
    assert.equal(names.filter((name) => name === "DEL").length, names.filter((n) => n === "RPUSH").length);
    const msetKeys = out.filter((c) => text(c[0]) === "MSET").reduce((sum, c) => sum + (c.length - 1) / 2, 0);
    const writes = msetKeys + out.filter((c) => text(c[0]) !== "MSET").length;
    assert.ok(writes >= 250 && writes <= 251, `${writes} writes`); // the last key may go one over
    assert.equal(next, msetKeys + names.filter((name) => name === "DEL").length);
    assert.ok(out.every((command) => text(command[0]) !== "MSET" || command.length <= 201));
  },
});

serverTest({
  name: "riot generate writes --count keys spread over the types, with the configured sizes",
  async fn() {
    await using server = await RedisServer.start();
    const summary = await generateOn(server, "--count", "600", "--types", ALL_TYPES, "--seed", "1");
    assert.equal(summary.keys, 600);
    assert.equal(summary.errors, 0);
    assert.ok(summary.keysPerSecond > 0);
    assert.equal(await server.cli("DBSIZE"), "600");
    const sizeOf: Record<string, string> = {
      string: "STRLEN",
      hash: "HLEN",
      list: "LLEN",
      set: "SCARD",
      zset: "ZCARD",
      stream: "XLEN",
    };
    for (const type of ALL_TYPES.split(",")) {
      for (const n of [1, 57, 100]) {
        const key = `gen:${type}:${n}`;
        assert.equal(await server.cli("TYPE", key), type, key);
        assert.equal(await server.cli(sizeOf[type], key), type === "string" ? "100" : "10", key);
      }
      assert.equal(await server.cli("EXISTS", `gen:${type}:101`), "0");
    }
  },
});

serverTest({
  name: "riot generate --seed writes identical data (DEBUG DIGEST) and a different seed does not",
  async fn() {
    await using a = await RedisServer.start();
    await using b = await RedisServer.start();
    const args = ["--count", "300", "--types", ALL_TYPES, "--seed", "7", "--binary"];
    await generateOn(a, ...args, "--threads", "1", "--batch", "7");
    await generateOn(b, ...args, "--threads", "3");
    const digest = await a.cli("DEBUG", "DIGEST");
    assert.notEqual(digest, "0".repeat(40));
    assert.equal(await b.cli("DEBUG", "DIGEST"), digest);
    // Running again rewrites the same keys (collections are deleted first).
    await generateOn(a, ...args);
    assert.equal(await a.cli("DEBUG", "DIGEST"), digest);
    await b.cli("FLUSHALL");
    await generateOn(b, "--count", "300", "--types", ALL_TYPES, "--seed", "8", "--binary");
    assert.notEqual(await b.cli("DEBUG", "DIGEST"), digest);
  },
});

serverTest({
  name: "riot generate --ttl-ratio 0.5 puts a TTL within --ttl-min..--ttl-max on about half the keys",
  async fn() {
    await using server = await RedisServer.start();
    const args = ["--count", "1000", "--types", "string,hash,stream", "--ttl-ratio", "0.5"];
    await generateOn(server, ...args, "--ttl-min", "100s", "--ttl-max", "200s");
    const connection = await connect({ ...DEFAULT_CONNECTION, port: server.port });
    try {
      const keys = await connection.call("KEYS", "gen:*") as Uint8Array[];
      assert.equal(keys.length, 1000);
      const ttls = await connection.pipeline(keys.map((key) => ["PTTL", key])) as number[];
      const withTtl = ttls.filter((ttl) => ttl !== -1);
      assert.ok(withTtl.length > 400 && withTtl.length < 600, `${withTtl.length} keys with a TTL`);
      for (const ttl of withTtl) assert.ok(ttl > 90_000 && ttl <= 200_000, `PTTL ${ttl}`);
      const types = new Set(
        keys.filter((_key, i) => ttls[i] !== -1).map((key) => text(key).split(":")[1]),
      );
      assert.deepEqual([...types].sort(), ["hash", "stream", "string"]);
    } finally {
      connection.close();
    }
  },
});

serverTest({
  name: "riot generate -n writes to that database; options after the command override those before",
  async fn() {
    await using server = await RedisServer.start();
    const result = await riotWith(
      "-p",
      String(server.port),
      "-n",
      "1",
      "generate",
      "-n",
      "2",
      "--count",
      "50",
      "--progress",
      "none",
    );
    assert.equal(result.code, 0, result.err);
    assert.match(result.err, /^Generated 50 keys \(\d+ commands\) in .*keys\/s, seed \d+\n$/);
    assert.equal(await server.cli("-n", "2", "DBSIZE"), "50");
    assert.equal(await server.cli("-n", "1", "DBSIZE"), "0");
    assert.equal(await server.cli("-n", "0", "DBSIZE"), "0");
  },
});

serverTest({
  name: "riot generate counts error replies, prints the first few and exits 1",
  async fn() {
    await using server = await RedisServer.start({ args: ["--maxmemory", "2mb"] });
    const result = await riotWith(
      "-p",
      String(server.port),
      "generate",
      "-q",
      "--count",
      "20000",
      "--types",
      "string",
    );
    assert.equal(result.code, 1);
    const lines = result.err.trimEnd().split("\n");
    assert.match(lines[0], /^error: MSET gen:string:\d+ \.\.\.: OOM /);
    assert.match(lines.at(-1)!, /^error: [\d,]+ of [\d,]+ commands failed/);
    assert.ok(lines.length <= 6, result.err);
  },
});

Deno.test({
  name: "riot generate --types with an unknown type is a usage error naming it",
  permissions: "none",
  async fn() {
    const result = await riotWith("generate", "--types", "string,blob");
    assert.equal(result.code, 2);
    assert.equal(result.out, "");
    assert.equal(result.err.split("\n").length, 2, result.err); // one line and its newline
    assert.match(result.err, /^error: Invalid --types: unknown data type 'blob'/);
    const bad = await riotWith("generate", "--ttl-min", "2h", "--ttl-max", "1h");
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--ttl-max \(1h00m\) must not be shorter than --ttl-min \(2h00m\)/);
  },
});

serverTest({
  name: "generate() rejects with the connection error when the server cannot be reached",
  async fn() {
    const server = await RedisServer.start();
    const port = server.port;
    await server[Symbol.asyncDispose]();
    await assert.rejects(
      generate({ ...DEFAULT_CONNECTION, port }, { count: 10 }),
      /Cannot connect to 127\.0\.0\.1:\d+: connection refused/,
    );
  },
});

Deno.test("riot generate keeps within -m/--pool: more --threads than the pool is a usage error naming both", async () => {
  // Port 1 is never listened on: the check must refuse before any connection is tried.
  const run = await riot(["generate", "-p", "1", "-m", "2", "--threads", "3", "--count", "10"]);
  assert.equal(run.code, 2, run.err);
  assert.match(run.err, /--threads 3 needs 3 connections, above -m\/--pool 2/);
});
