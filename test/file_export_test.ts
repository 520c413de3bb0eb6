/**
 * file-export against a real server: every type, binary keys and values, TTLs, big keys read in windows;
 * the dump read back through restoreCommands() onto a second server must be identical (digests, expiry,
 * stream IDs and groups).
 */
import assert from "node:assert/strict";
import type { Command } from "../resp/mod.ts";
import { restoreCommands } from "../src/exports/dump_format.ts";
import type { RedisConnection } from "../src/redis/connection.ts";
import { assertSameData } from "./_digest.ts";
import { jsonOf, raw, uri } from "./_replicate_util.ts";
import { riot } from "./_riot.ts";
import { RedisServer, serverTest } from "./_server.ts";

const BIN = Uint8Array.of(0, 0xff, 0xfe, 0x80, 0x0a, 0xc3);

async function populate(c: RedisConnection): Promise<number> {
  const commands: Command[] = [
    ["SET", "s:text", "héllo wörld"],
    ["SET", BIN, BIN],
    ["SET", "s:ttl", "x", "PX", 3_600_000],
    ["HSET", "h:small", "a", "1", BIN, BIN],
    ["RPUSH", "l:small", "a", BIN, ""],
    ["SADD", "set:small", "a", BIN],
    ["ZADD", "z:small", "1.5", "a", "-inf", BIN, "0.1", "c", "1e300", "d"],
    ["PEXPIRE", "z:small", 7_200_000],
    ["XADD", "x:s", "1-1", "f", "v", "g", BIN],
    ["XADD", "x:s", "2-0", BIN, "w"],
    ["XADD", "x:s", "3-0", "a", "b"],
    ["XDEL", "x:s", "3-0"],
    ["XGROUP", "CREATE", "x:s", "readers", "1-1", "ENTRIESREAD", "1"],
    ["XGROUP", "CREATE", "x:empty", "g", "$", "MKSTREAM"],
  ];
  // Big keys: more members than a window (--window 100), and a string of 300 KiB of 3-byte characters.
  for (let i = 0; i < 250; i++) {
    commands.push(["HSET", "h:big", `f${i}`, `v${i}`]);
    commands.push(["RPUSH", "l:big", `e${i}`]);
    commands.push(["SADD", "set:big", `m${i}`]);
    commands.push(["ZADD", "z:big", String(i / 7), `m${i}`]);
    commands.push(["XADD", "x:big", `${i + 1}-0`, "n", String(i)]);
  }
  commands.push(["SET", "s:big", "€".repeat(100 * 1024)]);
  commands.push(["PEXPIRE", "h:big", 9_000_000]);
  const replies = await c.pipeline(commands);
  for (const reply of replies) assert.ok(!(reply instanceof Error), String(reply));
  return 15;
}

async function restoreFile(text: string, target: RedisConnection, lines: boolean): Promise<number> {
  const records = lines
    ? text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l))
    : JSON.parse(text);
  for (const record of records) {
    const replies = await target.pipeline(restoreCommands(record, { window: 50 }).commands);
    for (const reply of replies) assert.ok(!(reply instanceof Error), `${record.key}: ${reply}`);
  }
  return records.length;
}

async function streamInfo(c: RedisConnection, key: string) {
  const info = await c.call("XINFO", "STREAM", key);
  const groups = await c.call("XINFO", "GROUPS", key);
  return JSON.stringify([info, groups], (_k, v) => v instanceof Uint8Array ? new TextDecoder().decode(v) : v)
    .replace(/"(first|last)-entry".*?\]\]?,/g, "");
}

for (const [format, file] of [["jsonl", "dump.jsonl"], ["json", "dump.json"], ["jsonl", "dump.jsonl.gz"]]) {
  serverTest({
    name: `file-export ${file}: every type, binary data, TTLs and big keys come back identical`,
    async fn() {
      await using source = await RedisServer.start();
      await using target = await RedisServer.start();
      const dir = await Deno.makeTempDir();
      const s = await raw(source);
      const t = await raw(target);
      try {
        const keys = await populate(s);
        const path = `${dir}/${file}`;
        const run = await riot(["file-export", "-u", uri(source), path, "--window", "100", "--json"]);
        assert.equal(run.code, 0, run.err);
        const result = jsonOf(run).export;
        assert.equal(result.written, keys);
        assert.equal(result.format, format);
        let bytes = await Deno.readFile(path);
        if (file.endsWith(".gz")) {
          bytes = new Uint8Array(
            await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip")))
              .arrayBuffer(),
          );
        }
        const text = new TextDecoder().decode(bytes);
        assert.match(
          text,
          /"key":"s:text","type":"string","ttl":-1,"value":"héllo wörld"/,
          "text stays text",
        );
        assert.equal(await restoreFile(text, t, format === "jsonl"), keys);
        await assertSameData(source, target, { count: keys });
        for (const key of ["x:s", "x:empty", "x:big"]) {
          assert.equal(await streamInfo(t, key), await streamInfo(s, key), `${key}: XINFO`);
        }
      } finally {
        s.close();
        t.close();
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

serverTest({
  name: "file-export --format xml: one <record> per key, binary in base64, text escaped",
  async fn() {
    await using source = await RedisServer.start();
    const s = await raw(source);
    const dir = await Deno.makeTempDir();
    try {
      await s.pipeline([["SET", "a<b", "x&y"], ["HSET", "h", BIN, "v"], ["RPUSH", "l", BIN]]);
      const run = await riot(["file-export", "-u", uri(source), `${dir}/d.xml`, "--progress", "none"]);
      assert.equal(run.code, 0, run.err);
      const xml = await Deno.readTextFile(`${dir}/d.xml`);
      assert.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<records>\n/);
      assert.match(xml, /<record key="a&lt;b" type="string" ttl="-1"><value>x&amp;y<\/value><\/record>/);
      assert.match(xml, /<field name-base64="AP\/\+gArD">v<\/field>/);
      assert.match(xml, /<element encoding="base64">AP\/\+gArD<\/element>/);
      assert.equal(xml.match(/<record /g)?.length, 3);
    } finally {
      s.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

serverTest({
  name: "file-export: a JSON array is valid JSON with no key, and --key-pattern selects keys",
  async fn() {
    await using source = await RedisServer.start();
    const s = await raw(source);
    const dir = await Deno.makeTempDir();
    try {
      let run = await riot(["file-export", "-u", uri(source), `${dir}/empty.json`, "--progress", "none"]);
      assert.equal(run.code, 0, run.err);
      assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir}/empty.json`)), []);
      const writes: Command[] = [];
      for (let i = 0; i < 2500; i++) writes.push(["SET", `user:${i}`, String(i)], ["SET", `other:${i}`, "x"]);
      await s.pipeline(writes);
      run = await riot([
        "file-export",
        "-u",
        uri(source),
        `${dir}/users.json`,
        "--key-pattern",
        "user:*",
        "--batch",
        "7",
        "--progress",
        "none",
      ]);
      assert.equal(run.code, 0, run.err);
      const records = JSON.parse(await Deno.readTextFile(`${dir}/users.json`));
      assert.equal(records.length, 2500);
      assert.ok(records.every((r: { key: string }) => r.key.startsWith("user:")));
      run = await riot(["file-export", "-u", uri(source), `${dir}/out.txt`]);
      assert.equal(run.code, 2);
      assert.match(run.err, /Cannot tell the format of .*out\.txt.*--format/);
      run = await riot(["file-export", "-u", uri(source), `/nonexistent/dir/x.json`, "--progress", "none"]);
      assert.equal(run.code, 1);
      assert.match(run.err, /Cannot write \/nonexistent\/dir\/x\.json/);
    } finally {
      s.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

serverTest({
  name: "file-export --mode live: changes after the scan are appended as JSON lines, deletions included",
  async fn() {
    await using source = await RedisServer.start({ notifyKeyspaceEvents: "KA" });
    await using target = await RedisServer.start();
    const dir = await Deno.makeTempDir();
    const s = await raw(source);
    const t = await raw(target);
    try {
      await s.pipeline([["SET", "a", "1"], ["HSET", "h", "f", "v"], ["SET", "gone", "x"]]);
      const path = `${dir}/live.jsonl`;
      const running = riot([
        "file-export",
        "-u",
        uri(source),
        path,
        "--mode",
        "live",
        "--idle-timeout",
        "3000",
        "--progress",
        "none",
      ]);
      // Wait until the snapshot is on disk, then change keys while the export follows.
      for (
        let i = 0;
        i < 200 && (await Deno.readTextFile(path).catch(() => "")).split("\n").length < 4;
        i++
      ) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      await s.pipeline([["SET", "a", "2"], ["DEL", "gone"], ["RPUSH", "new", BIN], [
        "PEXPIRE",
        "h",
        600_000,
      ]]);
      const run = await running;
      assert.equal(run.code, 0, run.err);
      const lines = (await Deno.readTextFile(path)).split("\n").filter((line) => line !== "");
      assert.ok(
        lines.some((line) => line === '{"key":"gone","type":"none","ttl":-2,"value":null}'),
        lines.join("\n"),
      );
      assert.ok(lines.some((line) => line.startsWith('{"key":"a","type":"string","ttl":-1,"value":"2"}')));
      await restoreFile(lines.join("\n"), t, true);
      await assertSameData(source, target, { count: 3 });
    } finally {
      s.close();
      t.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
