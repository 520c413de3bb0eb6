/**
 * Every write operation against a real server, through `riot file-import` (JSON lines fixtures written by
 * the test): what arrived is read back with our own connection.
 */
import assert from "node:assert/strict";
import { connect } from "../src/redis/connect.ts";
import type { RedisConnection } from "../src/redis/connection.ts";
import { DEFAULT_CONNECTION } from "../src/redis/options.ts";
import { toText } from "../resp/mod.ts";
import { riot } from "./_riot.ts";
import { RedisServer, serverTest } from "./_server.ts";

const ROWS = [
  {
    id: 1,
    name: "Ada",
    team: "x",
    score: 10,
    lon: -0.1276,
    lat: 51.5072,
    ttl: 60000,
    ts: 1700000000000,
    v: 1.5,
  },
  {
    id: 2,
    name: "Grace",
    team: "y",
    score: 20.5,
    lon: 2.3522,
    lat: 48.8566,
    ttl: 0,
    ts: 1700000001000,
    v: 2.5,
  },
  {
    id: 3,
    name: "Linus",
    team: "x",
    score: 30,
    lon: 13.405,
    lat: 52.52,
    ttl: 120000,
    ts: 1700000002000,
    v: 3,
  },
];

async function withImport(
  operations: string[],
  check: (connection: RedisConnection, out: { code: number; err: string; out: string }) => Promise<void>,
  rows: unknown[] = ROWS,
  extra: string[] = [],
) {
  await using server = await RedisServer.start();
  const dir = await Deno.makeTempDir({ prefix: "riot-ops-" });
  const file = `${dir}/rows.jsonl`;
  await Deno.writeTextFile(file, rows.map((row) => JSON.stringify(row)).join("\n") + "\n");
  const connection = await connect({ ...DEFAULT_CONNECTION, port: server.port, resp: 2 });
  try {
    const run = await riot(["file-import", "-p", String(server.port), file, ...extra, ...operations]);
    await check(connection, run);
  } finally {
    connection.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const text = (value: unknown) => toText(value as Uint8Array);
/** An array reply (RESP2) as text. */
const texts = (value: unknown): string[] => (value as Uint8Array[]).map(text);

serverTest({
  name: "hset writes every field (null fields left out), --include / --exclude pick fields",
  fn: () =>
    withImport(
      [
        "hset",
        "--keyspace",
        "user",
        "--key",
        "id",
        "hset",
        "--keyspace",
        "slim",
        "--key",
        "id",
        "--include",
        "name",
      ],
      async (c, run) => {
        assert.equal(run.code, 0, run.err);
        assert.deepEqual(texts(await c.call("HGETALL", "user:1")).slice(0, 4), ["id", "1", "name", "Ada"]);
        assert.equal(await c.call("HLEN", "user:1"), 9);
        assert.deepEqual(texts(await c.call("HGETALL", "slim:2")), ["name", "Grace"]);
      },
    ),
});

serverTest({
  name: "hset --exclude, several --key fields joined by --key-separator",
  fn: () =>
    withImport(
      [
        "hset",
        "--keyspace",
        "t",
        "--key",
        "team",
        "--key",
        "id",
        "--key-separator",
        "/",
        "--exclude",
        "lon",
        "lat",
      ],
      async (c, run) => {
        assert.equal(run.code, 0, run.err);
        assert.equal(await c.call("HEXISTS", "t/x/3", "lon"), 0);
        assert.equal(await c.call("HEXISTS", "t/x/3", "lat"), 0);
        assert.equal(text(await c.call("HGET", "t/y/2", "name")), "Grace");
      },
    ),
});

serverTest({
  name: "set writes the record as JSON, or the raw --field",
  fn: () =>
    withImport(
      [
        "set",
        "--keyspace",
        "doc",
        "--key",
        "id",
        "set",
        "--keyspace",
        "name",
        "--key",
        "id",
        "--field",
        "name",
      ],
      async (c, run) => {
        assert.equal(run.code, 0, run.err);
        assert.deepEqual(JSON.parse(text(await c.call("GET", "doc:2"))), ROWS[1]);
        assert.equal(text(await c.call("GET", "name:3")), "Linus");
      },
    ),
});

serverTest({
  name: "rpush, lpush and sadd add --member fields (with --member-space) in record order",
  fn: () =>
    withImport(
      [
        "rpush",
        "--keyspace",
        "r",
        "--member",
        "name",
        "lpush",
        "--keyspace",
        "l",
        "--member",
        "name",
        "sadd",
        "--keyspace",
        "team",
        "--key",
        "team",
        "--member-space",
        "user",
        "--member",
        "id",
      ],
      async (c, run) => {
        assert.equal(run.code, 0, run.err);
        assert.deepEqual(texts(await c.call("LRANGE", "r", 0, -1)), ["Ada", "Grace", "Linus"]);
        assert.deepEqual(texts(await c.call("LRANGE", "l", 0, -1)), ["Linus", "Grace", "Ada"]);
        assert.deepEqual(texts(await c.call("SMEMBERS", "team:x")).sort(), ["user:1", "user:3"]);
      },
    ),
});

serverTest({
  name: "zadd takes --score (a non-number fails the record with its line), --score-default for missing ones",
  fn: () =>
    withImport(
      ["zadd", "--keyspace", "board", "--member", "name", "--score", "score", "--score-default", "-1"],
      async (c, run) => {
        assert.equal(run.code, 1);
        assert.match(run.err, /rows\.jsonl:2: zadd: the score 'lots' \(field 'score'\) is not a number/);
        assert.match(run.err, /failed 1/);
        assert.deepEqual(texts(await c.call("ZRANGE", "board", 0, -1, "WITHSCORES")), [
          "Nobody",
          "-1",
          "Ada",
          "10",
        ]);
      },
      [{ name: "Ada", score: 10 }, { name: "Bad", score: "lots" }, { name: "Nobody" }],
    ),
});

serverTest({
  name: "xadd appends the --include fields as an entry, trimmed with --maxlen",
  fn: () =>
    withImport(
      ["xadd", "--keyspace", "events", "--include", "id", "name", "--maxlen", "2"],
      async (c, run) => {
        assert.equal(run.code, 0, run.err);
        const entries = (await c.call("XRANGE", "events", "-", "+")) as [Uint8Array, Uint8Array[]][];
        assert.equal(entries.length, 2);
        assert.deepEqual(texts(entries[1][1]), ["id", "3", "name", "Linus"]);
      },
    ),
});

serverTest({
  name: "geoadd takes --lon and --lat; a latitude out of range fails its record",
  fn: () =>
    withImport(
      ["geoadd", "--keyspace", "cities", "--member", "name", "--lon", "lon", "--lat", "lat"],
      async (c, run) => {
        assert.equal(run.code, 1);
        assert.match(run.err, /rows\.jsonl:2: geoadd: the latitude 91/);
        const [pos] = (await c.call("GEOPOS", "cities", "Ada")) as [Uint8Array, Uint8Array][];
        assert.ok(Math.abs(Number(text(pos[0])) - -0.1276) < 1e-4);
        assert.equal(await c.call("ZCARD", "cities"), 1);
      },
      [{ name: "Ada", lon: -0.1276, lat: 51.5072 }, { name: "Bad", lon: 1, lat: 91 }],
    ),
});

serverTest({
  name: "expire sets --ttl ms, a --ttl-field per record (0 leaves no expiry), or absolute times with --abs",
  fn: () =>
    withImport(
      [
        "hset",
        "--keyspace",
        "a",
        "--key",
        "id",
        "expire",
        "--keyspace",
        "a",
        "--key",
        "id",
        "--ttl",
        "3600000",
        "set",
        "--keyspace",
        "b",
        "--key",
        "id",
        "--field",
        "name",
        "expire",
        "--keyspace",
        "b",
        "--key",
        "id",
        "--ttl-field",
        "ttl",
        "set",
        "--keyspace",
        "c",
        "--key",
        "id",
        "--field",
        "name",
        "expire",
        "--keyspace",
        "c",
        "--key",
        "id",
        "--ttl-field",
        "at",
        "--abs",
      ],
      async (c, run) => {
        assert.equal(run.code, 0, run.err);
        const pttl = Number(await c.call("PTTL", "a:1"));
        assert.ok(pttl > 3_500_000 && pttl <= 3_600_000, String(pttl));
        assert.ok(Number(await c.call("PTTL", "b:1")) > 50_000);
        assert.equal(await c.call("PTTL", "b:2"), -1);
        assert.equal(await c.call("PEXPIRETIME", "c:1"), 4102444800000);
      },
      [{ id: 1, name: "x", ttl: 60000, at: 4102444800000 }, { id: 2, name: "y", ttl: 0, at: 4102444800000 }],
    ),
});

serverTest({
  name: "del deletes each record's key (after the operations before it in the chain)",
  async fn() {
    await withImport(
      [
        "hset",
        "--keyspace",
        "user",
        "--key",
        "id",
        "del",
        "--keyspace",
        "user",
        "--key",
        "id",
        "sadd",
        "--keyspace",
        "seen",
        "--member",
        "id",
      ],
      async (c, run) => {
        assert.equal(run.code, 0, run.err);
        assert.equal(await c.call("EXISTS", "user:1", "user:2", "user:3"), 0);
        assert.equal(await c.call("SCARD", "seen"), 3);
      },
    );
  },
});

serverTest({
  name: "json.set and ts.add: a target without the module refuses them, each record reported with its line",
  fn: () =>
    withImport(
      [
        "json.set",
        "--keyspace",
        "j",
        "--key",
        "id",
        "ts.add",
        "--keyspace",
        "ts",
        "--timestamp",
        "ts",
        "--value",
        "v",
      ],
      async (c, run) => {
        assert.equal(run.code, 1);
        assert.match(run.err, /rows\.jsonl:1: ERR unknown command 'JSON\.SET'/i);
        assert.match(run.err, /3 record\(s\) not written: ERR unknown command 'JSON\.SET'\. What to do/);
        assert.equal(await c.call("DBSIZE"), 0);
      },
    ),
});

serverTest({
  name: "--ignore-missing skips an operation whose field is missing; without it the record fails",
  fn: () =>
    withImport(
      [
        "hset",
        "--keyspace",
        "u",
        "--key",
        "id",
        "sadd",
        "--keyspace",
        "mails",
        "--member",
        "mail",
        "--ignore-missing",
        "hset",
        "--keyspace",
        "v",
        "--key",
        "nick",
      ],
      async (c, run) => {
        assert.equal(run.code, 1);
        assert.match(run.err, /rows\.jsonl:2: hset: the key field 'nick' is missing/);
        assert.deepEqual(texts(await c.call("SMEMBERS", "mails")), ["a@x"]);
        assert.equal(await c.call("EXISTS", "u:1", "v:ada"), 2);
        assert.equal(await c.call("EXISTS", "u:2"), 0);
      },
      [{ id: 1, mail: "a@x", nick: "ada" }, { id: 2 }],
    ),
});
