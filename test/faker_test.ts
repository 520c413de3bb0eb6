/** riot faker: seeded fake records through the write operations; the same seed writes the same data. */
import assert from "node:assert/strict";
import { assertSameData } from "./_digest.ts";
import { jsonOf, raw, uri } from "./_replicate_util.ts";
import { riot } from "./_riot.ts";
import { RedisServer, serverTest } from "./_server.ts";

const FIELDS = [
  "id=index",
  "name=person.fullName",
  "first=name.firstName",
  "email=internet.email",
  'age=number.int({"min": 18, "max": 99})',
  "phone=numerify('###-####')",
];

serverTest({
  name: "faker: records through hset and zadd, the same seed gives identical data on two servers",
  async fn() {
    await using a = await RedisServer.start();
    await using b = await RedisServer.start();
    for (const server of [a, b]) {
      const run = await riot([
        "faker",
        "-u",
        uri(server),
        ...FIELDS,
        "--count",
        "500",
        "--seed",
        "42",
        "--json",
        "hset",
        "--keyspace",
        "person",
        "--key",
        "id",
        "zadd",
        "--keyspace",
        "ages",
        "--member",
        "id",
        "--score",
        "age",
      ], {});
      assert.equal(run.code, 0, run.err);
      assert.equal(jsonOf(run).written, 500);
      assert.equal(jsonOf(run).seed, 42);
    }
    await assertSameData(a, b, { count: 501 });
    const c = await raw(a);
    try {
      const age = Number(new TextDecoder().decode(await c.call("HGET", "person:7", "age") as Uint8Array));
      assert.ok(age >= 18 && age <= 99);
      assert.match(
        new TextDecoder().decode(await c.call("HGET", "person:7", "phone") as Uint8Array),
        /^\d{3}-\d{4}$/,
      );
      assert.equal(await c.call("ZCARD", "ages"), 500);
    } finally {
      c.close();
    }
    const other = await riot([
      "faker",
      "-u",
      uri(b),
      ...FIELDS,
      "--count",
      "1",
      "--seed",
      "43",
      "hset",
      "--keyspace",
      "person",
      "--key",
      "id",
    ]);
    assert.equal(other.code, 0, other.err);
  },
});

Deno.test({
  name: "faker: an unknown faker method or bad arguments are a usage error naming the field",
  async fn() {
    // Usage errors come before any connection: port 1 is never reached.
    let run = await riot(["faker", "-p", "1", "x=person.nope", "hset", "--keyspace", "k", "--key", "x"]);
    assert.equal(run.code, 2);
    assert.match(run.err, /x: faker has no 'person\.nope'/);
    run = await riot(["faker", "-p", "1", "x=number.int({min: 1})", "hset", "--keyspace", "k", "--key", "x"]);
    assert.equal(run.code, 2);
    assert.match(run.err, /x: the arguments .* must be JSON values/);
    run = await riot(["faker", "-p", "1", "x=index"]);
    assert.equal(run.code, 2);
    assert.match(run.err, /at least one write operation/);
  },
});
