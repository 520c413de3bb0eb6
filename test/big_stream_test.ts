/**
 * Big streams copied in windows (XRANGE -> XADD, then groups, consumers and pending entries) against real
 * servers: a 200 k-entry stream with three groups, pending entries (one whose message was deleted, and a
 * group with more pending entries than one window) and a consumer without pending entries arrives identical, checked with our own reads; the read side never holds
 * more than a window (`maxRoundTripBytes` stays tiny next to the stream); --no-stream-id and --key-proc
 * take the windowed path too.
 */
import assert from "node:assert/strict";
import { compare, jsonOf, raw, replicate } from "./_replicate_util.ts";
import { RedisServer, serverTest } from "./_server.ts";

const ENTRIES = 200_000;

async function bigStream(server: RedisServer): Promise<void> {
  const conn = await raw(server);
  try {
    for (let at = 0; at < ENTRIES; at += 10_000) {
      const commands = [];
      for (let i = at; i < at + 10_000; i++) {
        commands.push(["XADD", "events", `${i + 1}-1`, "n", `${i}`, "pad", "xxxxxxxx"]);
      }
      await conn.pipeline(commands);
    }
    await conn.pipeline([
      ["XGROUP", "CREATE", "events", "g1", "0"],
      ["XREADGROUP", "GROUP", "g1", "alice", "COUNT", "5", "STREAMS", "events", ">"],
      ["XDEL", "events", "3-1"], // pending, message gone: needs a placeholder to be claimed
      ["XGROUP", "CREATE", "events", "g2", "100-1", "ENTRIESREAD", "100"],
      ["XGROUP", "CREATECONSUMER", "events", "g2", "bob"],
      // More pending entries than one window: read with XPENDING in windows.
      ["XGROUP", "CREATE", "events", "g3", "0"],
      ["XREADGROUP", "GROUP", "g3", "carol", "COUNT", "2500", "STREAMS", "events", ">"],
    ]);
  } finally {
    conn.close();
  }
}

/** What must match: the stream's counters and IDs, its groups, the pending entries (without idle times). */
async function streamFacts(server: RedisServer, key: string): Promise<string[]> {
  const info = (await server.cli("XINFO", "STREAM", key)).split("\n");
  const pick = (name: string) => `${name}=${info[info.indexOf(name) + 1]}`;
  const pending = (await server.cli("XPENDING", key, "g1", "-", "+", "100")).split("\n")
    .filter((_, i) => i % 4 !== 2); // id, consumer, (idle), deliveries
  return [
    pick("length"),
    pick("last-generated-id"),
    pick("max-deleted-entry-id"),
    pick("entries-added"),
    await server.cli("XINFO", "GROUPS", key),
    await server.cli("XINFO", "CONSUMERS", key, "g2"),
    await server.cli("XPENDING", key, "g3"),
    ...pending,
  ].map((line) => line.replace(/^(inactive|idle)\n-?\d+$/m, ""));
}

serverTest({
  name: `riot replicate --big-key-threshold copies a ${ENTRIES}-entry stream in XRANGE windows, groups and ` +
    "pending entries included, identical",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    await bigStream(source);
    await target.cli("SET", "events", "stale value of another type");
    const run = await replicate(source, target, "--big-key-threshold", "1mb", "--compare", "full", "--json");
    assert.equal(run.code, 0, run.err);
    const result = jsonOf(run);
    assert.equal(result.verify.ok, 1);
    assert.ok(
      result.replication.maxRoundTripBytes < 64 * 1024,
      `the reader held ${result.replication.maxRoundTripBytes} bytes at most (the stream is several MB)`,
    );
    assert.equal(
      await target.cli("DEBUG", "DIGEST-VALUE", "events"),
      await source.cli("DEBUG", "DIGEST-VALUE", "events"),
    );
    const facts = await streamFacts(source, "events");
    for (
      const word of ["g1", "g2", "bob", "5-1\nalice", "max-deleted-entry-id=3-1", "2500\n1-1\n2501-1\ncarol"]
    ) {
      assert.ok(facts.join("\n").includes(word), `${word} in ${facts.join(" ")}`);
    }
    assert.deepEqual(await streamFacts(target, "events"), facts);
    assert.equal(await target.cli("XRANGE", "events", "3-1", "3-1"), ""); // the placeholder is gone
    assert.equal(await target.cli("DBSIZE"), "1", "no temporary key left behind");
  },
});

serverTest({
  name: "riot replicate --big-key-threshold --no-stream-id --key-proc copies a big stream in windows under " +
    "new IDs and a new name; the windowed verification compares entries in order",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    await bigStream(source);
    const run = await replicate(
      source,
      target,
      "--big-key-threshold",
      "1mb",
      "--no-stream-id",
      "--key-proc",
      "copy:#{key}",
      "--compare",
      "full",
      "--json",
    );
    assert.equal(run.code, 0, run.err);
    assert.equal(jsonOf(run).verify.ok, 1);
    assert.equal(await target.cli("XLEN", "copy:events"), String(ENTRIES - 1));
    assert.equal(await target.cli("XINFO", "GROUPS", "copy:events"), "");
    const [first] = (await target.cli("XRANGE", "copy:events", "-", "+", "COUNT", "1")).split("\n");
    assert.ok(Number(first.split("-")[0]) > 1_600_000_000_000, `a new ID: ${first}`);
    // One entry changed deep in the stream is found by the windowed comparison.
    const last = (await target.cli("XREVRANGE", "copy:events", "+", "-", "COUNT", "1")).split("\n")[0];
    await target.cli("XDEL", "copy:events", last);
    await target.cli("XADD", "copy:events", "*", "n", "changed", "pad", "xxxxxxxx");
    const compared = await compare(
      source,
      target,
      "--key-proc",
      "copy:#{key}",
      "--no-stream-id",
      "--mode",
      "full",
      "--json",
    );
    assert.equal(jsonOf(compared).value, 1);
  },
});
