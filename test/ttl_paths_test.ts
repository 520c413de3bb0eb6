/**
 * TTLs on the paths the other tests do not take:
 * - `compare --mode full` when the two DUMP payloads differ (different encodings on each side, the normal
 *   case between versions): the TTL must still be compared after the values are found equal by type;
 * - servers without PEXPIRETIME (a user denied it stands in for Redis < 7.0): riot reads PTTL and adds its
 *   own clock, for the copy and for the verification, on the source and on the target side.
 * Expiries are checked with our own PEXPIRETIME reads on both servers.
 */
import assert from "node:assert/strict";
import type { Command } from "../resp/mod.ts";
import { compare, raw, uri } from "./_replicate_util.ts";
import { riot } from "./_riot.ts";
import { RedisServer, serverTest } from "./_server.ts";

/** An ACL user that may do everything but PEXPIRETIME, as on a server before 7.0. */
const NO_EXPIRETIME = { name: "old", password: "old-pw", rules: "~* &* +@all -pexpiretime" };

function asOld(server: RedisServer): string {
  return `redis://${NO_EXPIRETIME.name}:${NO_EXPIRETIME.password}@${server.host}:${server.port}`;
}

/** Runs commands on a server in one pipeline; fails on any error reply. */
async function run(server: RedisServer, commands: Command[]): Promise<void> {
  const connection = await raw(server);
  try {
    const replies = await connection.pipeline(commands);
    replies.forEach((reply, i) => assert.ok(!(reply instanceof Error), `${commands[i].join(" ")}: ${reply}`));
  } finally {
    connection.close();
  }
}

/** Collections stored in their non-compact encoding on this server (its DUMP payloads differ). */
async function bigEncodings(server: RedisServer): Promise<void> {
  for (
    const [name, value] of [
      ["hash-max-listpack-entries", "0"],
      ["zset-max-listpack-entries", "0"],
      ["set-max-intset-entries", "0"],
      ["list-max-listpack-size", "1"],
    ]
  ) {
    await server.cli("CONFIG", "SET", name, value);
  }
}

serverTest({
  name: "riot compare --mode full compares TTLs of equal values whose DUMP payloads differ (encodings)",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    await bigEncodings(target);
    const data: Command[] = [
      ["HSET", "hash:far", "a", "1", "b", "2"],
      ["HSET", "hash:close", "a", "1", "b", "2"],
      ["ZADD", "zset:one-sided", "1", "a", "2", "b"],
      ["SADD", "set:none", "1", "2", "3"],
      ["RPUSH", "list:far", "x", "y", "z"],
    ];
    await run(source, data);
    await run(target, data);
    const base = Date.now() + 3_600_000;
    await run(source, [
      ["PEXPIREAT", "hash:far", base],
      ["PEXPIREAT", "hash:close", base],
      ["PEXPIREAT", "zset:one-sided", base],
      ["PEXPIREAT", "list:far", base],
    ]);
    await run(target, [
      ["PEXPIREAT", "hash:far", base + 5_000],
      ["PEXPIREAT", "hash:close", base + 40],
      ["PEXPIREAT", "list:far", base - 5_000],
    ]);
    assert.equal(await source.cli("OBJECT", "ENCODING", "hash:far"), "listpack");
    assert.equal(await target.cli("OBJECT", "ENCODING", "hash:far"), "hashtable");
    const connections = [await raw(source), await raw(target)];
    try {
      for (const key of ["hash:far", "hash:close", "zset:one-sided", "set:none", "list:far"]) {
        const [a, b] = await Promise.all(connections.map((connection) => connection.call("DUMP", key)));
        assert.notDeepEqual(a, b, `${key}: the payloads differ, so the full comparison goes by type`);
      }
    } finally {
      for (const connection of connections) connection.close();
    }

    const full = await compare(source, target, "--mode", "full");
    assert.equal(full.code, 1, full.err);
    assert.equal(full.out, "OK:2 V:0 >:0 <:0 T:3\n");
    assert.match(full.err, /^ {2}T hash:far: TTL \d+ ms left in source, \d+ ms left in target$/m);
    assert.match(full.err, /^ {2}T zset:one-sided: TTL \d+ ms left in source, none in target$/m);
    assert.match(full.err, /^ {2}T list:far: TTL \d+ ms left in source, \d+ ms left in target$/m);
    // quick mode agrees: the TTLs are the only differences.
    const quick = await compare(source, target, "--mode", "quick");
    assert.equal(quick.out, "OK:2 V:0 >:0 <:0 T:3\n");
    // A value difference still wins over a TTL difference on the same key.
    await target.cli("HSET", "hash:far", "b", "changed");
    const both = await compare(source, target, "--mode", "full");
    assert.equal(both.out, "OK:2 V:1 >:0 <:0 T:2\n");
  },
});

serverTest({
  name: "riot replicate from a source without PEXPIRETIME keeps TTLs through PTTL and its clock",
  async fn() {
    await using source = await RedisServer.start({ aclUsers: [NO_EXPIRETIME] });
    await using target = await RedisServer.start();
    const now = Date.now();
    // 999 ms past a whole second: a copy that drops milliseconds (or goes through seconds) is 999 ms off.
    const expiries: Record<string, number> = {
      "ttl:a": now + 3_600_999,
      "ttl:b": now + 30 * 86_400_000 + 999,
      "ttl:c": now + 61_999,
    };
    const commands: Command[] = [["SET", "persistent", "v"], ["HSET", "ttl:hash", "f", "v"]];
    expiries["ttl:hash"] = now + 999_999;
    for (const [key, at] of Object.entries(expiries)) {
      if (key !== "ttl:hash") commands.push(["SET", key, "v"]);
      commands.push(["PEXPIREAT", key, at]);
    }
    await run(source, commands);
    assert.match(
      await source.cli("--user", NO_EXPIRETIME.name, "--pass", NO_EXPIRETIME.password, "PEXPIRETIME", "ttl:a")
        .catch((error) => String(error)),
      /NOPERM/,
      "the source user cannot use PEXPIRETIME",
    );

    const copy = await riot(["replicate", asOld(source), uri(target), "--progress", "none"]);
    assert.equal(copy.code, 0, copy.err);
    assert.equal(copy.out, "OK:5 V:0 >:0 <:0 T:0\n");
    for (const [key, at] of Object.entries(expiries)) {
      const copied = Number(await target.cli("PEXPIRETIME", key));
      // PTTL is read after riot took its clock: the copy may end a little early, never late.
      assert.ok(at - copied >= -2 && at - copied <= 500, `${key}: ${copied} on the target for ${at}`);
    }
    assert.equal(await target.cli("PEXPIRETIME", "persistent"), "-1");
    assert.equal(await target.cli("GET", "ttl:a"), "v");
  },
});

serverTest({
  name: "riot compare where one side lacks PEXPIRETIME turns PTTL into an expiry with its clock",
  async fn() {
    await using source = await RedisServer.start({ aclUsers: [NO_EXPIRETIME] });
    await using target = await RedisServer.start({ aclUsers: [NO_EXPIRETIME] });
    const base = Date.now() + 3_600_000;
    const data: Command[] = [
      ["SET", "close", "v"],
      ["SET", "far", "v"],
      ["SET", "one-sided", "v"],
      ["SET", "none", "v"],
      ["HSET", "hash", "f", "v"],
    ];
    await run(source, [...data, ["PEXPIREAT", "close", base], ["PEXPIREAT", "far", base]]);
    await run(source, [["PEXPIREAT", "one-sided", base], ["PEXPIREAT", "hash", base]]);
    await run(target, [...data, ["PEXPIREAT", "close", base + 30], ["PEXPIREAT", "far", base + 5_000]]);
    await run(target, [["PEXPIREAT", "hash", base]]);

    const sides = [
      ["old source", asOld(source), uri(target)],
      ["old target", uri(source), asOld(target)],
      ["both old", asOld(source), asOld(target)],
    ];
    for (const [what, from, to] of sides) {
      for (const mode of ["quick", "full"]) {
        const check = await riot([
          "compare",
          from,
          to,
          "--progress",
          "none",
          "--mode",
          mode,
          "--ttl-tolerance",
          "1s",
        ]);
        assert.equal(check.code, 1, `${what}, ${mode}: ${check.err}`);
        assert.equal(check.out, "OK:3 V:0 >:0 <:0 T:2\n", `${what}, ${mode}`);
        assert.match(check.err, /^ {2}T far: /m, `${what}, ${mode}`);
        assert.match(check.err, /^ {2}T one-sided: /m, `${what}, ${mode}`);
      }
    }
  },
});

serverTest({
  name: "riot replicate to a target without PEXPIRETIME verifies TTLs through PTTL (quick and full)",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start({ aclUsers: [NO_EXPIRETIME] });
    const at = Date.now() + 7_200_999;
    await run(source, [["SET", "a", "v"], ["PEXPIREAT", "a", at], ["RPUSH", "b", "x"], [
      "PEXPIREAT",
      "b",
      at,
    ]]);
    await run(source, [["SET", "c", "v"]]);
    for (const mode of ["quick", "full"]) {
      await target.cli("FLUSHALL");
      const copy = await riot([
        "replicate",
        uri(source),
        asOld(target),
        "--progress",
        "none",
        "--compare",
        mode,
        "--ttl-tolerance",
        "500",
      ]);
      assert.equal(copy.code, 0, `${mode}: ${copy.err}`);
      assert.equal(copy.out, "OK:3 V:0 >:0 <:0 T:0\n", mode);
      assert.equal(
        await target.cli("PEXPIRETIME", "a"),
        String(at),
        "PEXPIRETIME from the source, kept exactly",
      );
      assert.equal(await target.cli("PEXPIRETIME", "b"), String(at));
    }
    // And a TTL changed on the target afterwards is seen through the target's PTTL.
    await target.cli("PEXPIREAT", "a", String(at + 10_000));
    const check = await riot(["compare", uri(source), asOld(target), "--progress", "none"]);
    assert.equal(check.out, "OK:2 V:0 >:0 <:0 T:1\n");
  },
});
