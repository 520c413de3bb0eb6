/**
 * file-import without a write operation restores a data-structure dump exactly: what file-export wrote
 * (every type, binary keys and values, TTLs, stream IDs and groups) comes back identical on another server,
 * as does a RIOT-style redis-dump.json written by hand; a record that does not fit is reported with its line.
 */
import assert from "node:assert/strict";
import type { Command } from "../resp/mod.ts";
import { assertSameData } from "./_digest.ts";
import { raw, uri } from "./_replicate_util.ts";
import { riot } from "./_riot.ts";
import { RedisServer, serverTest } from "./_server.ts";

const BIN = Uint8Array.of(0, 0xff, 0xfe, 0x80, 0x0a, 0xc3);

const DATA: Command[] = [
  ["SET", "s:text", "héllo"],
  ["SET", BIN, BIN],
  ["SET", "s:ttl", "x", "PX", 3_600_000],
  ["HSET", "h", "a", "1", BIN, BIN],
  ["RPUSH", "l", "a", BIN, ""],
  ["SADD", "set", "a", BIN],
  ["ZADD", "z", "1.5", "a", "-inf", BIN, "1e300", "d"],
  ["PEXPIRE", "z", 7_200_000],
  ["XADD", "x", "1-1", "f", "v", "g", BIN],
  ["XADD", "x", "2-0", BIN, "w"],
  ["XGROUP", "CREATE", "x", "readers", "1-1"],
];

for (const file of ["dump.jsonl", "dump.json", "dump.json.gz"]) {
  serverTest({
    name: `file-import ${file} with no write operation restores what file-export wrote, identical`,
    async fn() {
      await using source = await RedisServer.start();
      await using target = await RedisServer.start();
      const dir = await Deno.makeTempDir();
      const s = await raw(source);
      const t = await raw(target);
      try {
        for (const reply of await s.pipeline(DATA)) assert.ok(!(reply instanceof Error), String(reply));
        await t.call("SET", "h", "stale"); // replaced, not merged
        const path = `${dir}/${file}`;
        const exported = await riot(["file-export", "-u", uri(source), path]);
        assert.equal(exported.code, 0, exported.err);
        const imported = await riot(["file-import", "-p", String(target.port), path, "--json"]);
        assert.equal(imported.code, 0, imported.err);
        assert.equal(JSON.parse(imported.out).written, 8);
        await assertSameData(source, target, { count: 8 });
        assert.deepEqual(await t.call("XINFO", "GROUPS", "x").then((g) => (g as unknown[]).length), 1);
      } finally {
        s.close();
        t.close();
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

serverTest({
  name:
    "file-import restores a RIOT-style redis-dump.json; a record that does not fit is reported, the rest restored",
  async fn() {
    await using target = await RedisServer.start();
    const dir = await Deno.makeTempDir();
    const t = await raw(target);
    try {
      const at = Date.now() + 3_600_000;
      const records = [
        { key: "beer:1", type: "HASH", ttl: -1, value: { name: "IPA", abv: "6.5" } },
        {
          key: "board",
          type: "ZSET",
          ttl: at,
          value: [{ value: "a", score: 2 }, { value: "b", score: 1.5 }],
        },
        { key: "broken", type: "HYPERLOGLOG", ttl: -1, value: "?" },
        { key: "greeting", type: "STRING", ttl: -1, value: "hello" },
      ];
      const path = `${dir}/redis-dump.json`;
      await Deno.writeTextFile(path, "[\n" + records.map((r) => JSON.stringify(r)).join(",\n") + "\n]\n");
      const run = await riot(["file-import", "-p", String(target.port), path]);
      assert.equal(run.code, 1);
      assert.match(run.err, /redis-dump\.json:4: not a dump record: type 'HYPERLOGLOG' cannot be restored/);
      assert.equal(new TextDecoder().decode(await t.call("HGET", "beer:1", "abv") as Uint8Array), "6.5");
      assert.equal(await t.call("PEXPIRETIME", "board"), at);
      assert.equal(await t.call("ZCARD", "board"), 2);
      assert.equal(await t.call("EXISTS", "greeting", "broken"), 1);
      const csv = await riot(["file-import", "-p", String(target.port), `${dir}/x.csv`]);
      assert.equal(csv.code, 2);
      assert.match(csv.err, /restores a data-structure dump, which is JSON/);
    } finally {
      t.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
