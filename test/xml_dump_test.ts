/**
 * file-export --format xml, then file-import of that XML with no write operation: every type, binary keys
 * and values, bytes an XML parser would normalize (CR, tabs and line feeds in attributes), TTLs, a string
 * exported in several windows, stream IDs and consumer groups, an empty stream: identical afterwards. A
 * record that does not fit is reported with its line, the others restored.
 */
import assert from "node:assert/strict";
import { type Command, type RespMap, toText } from "../resp/mod.ts";
import { assertSameData } from "./_digest.ts";
import { raw, uri } from "./_replicate_util.ts";
import { riot } from "./_riot.ts";
import { RedisServer, serverTest } from "./_server.ts";

const BIN = Uint8Array.of(0, 0xff, 0xfe, 0x80, 0x0a, 0xc3);
/** Valid UTF-8 with the characters XML parsers rewrite: CR LF, a lone CR, a tab, a line feed. */
const SPACES = "a\r\nb\rc\td\ne ";
/** Over two 1 KiB windows (--window 1), with a 2-byte character across each window boundary. */
const LONG = "é".repeat(1500) + "x";

const DATA: Command[] = [
  ["SET", "s:text", 'héllo <&> "quoted"'],
  ["SET", BIN, BIN],
  ["SET", SPACES, SPACES],
  ["SET", "s:ttl", "x", "PX", 3_600_000],
  ["SET", "s:long", LONG],
  ["SET", "s:empty", ""],
  ["HSET", "h", "a", "1", BIN, BIN, SPACES, SPACES, "empty", ""],
  ["PEXPIRE", "h", 5_400_000],
  ["RPUSH", "l", "a", BIN, "", SPACES],
  ["SADD", "set", "a", BIN, SPACES],
  ["ZADD", "z", "1.5", "a", "-inf", BIN, "1e300", "d", "inf", SPACES, "-0", "zero"],
  ["PEXPIRE", "z", 7_200_000],
  ["XADD", "x", "1-1", "f", "v", "g", BIN],
  ["XADD", "x", "2-0", BIN, SPACES],
  ["XADD", "x", "3-0", "f", "gone"],
  ["XDEL", "x", "3-0"],
  ["XGROUP", "CREATE", "x", "readers", "1-1"],
  ["XGROUP", "CREATE", "x", BIN, "0-0"],
  ["XGROUP", "CREATE", "x:empty", "g", "0", "MKSTREAM"],
  ["PEXPIRE", "x", 9_000_000],
];
const KEYS = 12;

serverTest({
  name: "file-import of file-export's XML (no write operation) restores every type exactly",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    const dir = await Deno.makeTempDir();
    const s = await raw(source);
    const t = await raw(target);
    try {
      for (const reply of await s.pipeline(DATA)) assert.ok(!(reply instanceof Error), String(reply));
      const path = `${dir}/dump.xml`;
      const exported = await riot(["file-export", "-u", uri(source), path, "--window", "1"]);
      assert.equal(exported.code, 0, exported.err);
      const xml = await Deno.readTextFile(path);
      assert.match(xml, /<record key="s:long" type="string" ttl="-1"><value[^>]*>[^<]*<\/value><value/);
      assert.match(xml, /&#13;/);

      const imported = await riot(["file-import", "-p", String(target.port), path, "--json"]);
      assert.equal(imported.code, 0, imported.err);
      assert.equal(JSON.parse(imported.out).written, KEYS);
      await assertSameData(source, target, { count: KEYS });
      const info = async (conn: typeof s, key: string) => {
        const reply = await conn.call("XINFO", "STREAM", key) as RespMap;
        const field = (name: string) => toText(reply.get(name) ?? null);
        return [field("last-generated-id"), field("entries-added"), field("max-deleted-entry-id")];
      };
      assert.deepEqual(await info(t, "x"), await info(s, "x"));
      assert.deepEqual(await info(t, "x"), ["3-0", "3", "3-0"]);
      const groups = async (conn: typeof s, key: string) =>
        JSON.stringify(
          await conn.call("XINFO", "GROUPS", key),
          (_, v) => v instanceof Uint8Array ? [...v] : v,
        );
      assert.equal(await groups(t, "x"), await groups(s, "x"));
      assert.equal(await groups(t, "x:empty"), await groups(s, "x:empty"));
    } finally {
      s.close();
      t.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

serverTest({
  name: "file-import of an XML dump: a record that does not fit is reported with its line, the rest restored",
  async fn() {
    await using target = await RedisServer.start();
    const dir = await Deno.makeTempDir();
    const t = await raw(target);
    try {
      const path = `${dir}/hand.xml`;
      await Deno.writeTextFile(
        path,
        [
          '<?xml version="1.0" encoding="UTF-8"?>',
          "<records>",
          '<record key="ok:1" type="hash" ttl="-1"><field name="f">v</field></record>',
          '<record key="bad:1" type="hash" ttl="-1"><element>v</element></record>',
          '<record key="bad:2" type="list" ttl="-1"><element encoding="base64">%%%</element></record>',
          '<record key="ok:2" type="set" ttl="-1"><member>m</member></record>',
          "</records>",
          "",
        ].join("\n"),
      );
      const run = await riot(["file-import", "-p", String(target.port), path]);
      assert.equal(run.code, 1);
      assert.match(run.err, /hand\.xml:4: not a dump record: unexpected <element> in a hash record/);
      assert.match(run.err, /hand\.xml:5: not a dump record: <element> is not valid base64/);
      assert.equal(new TextDecoder().decode(await t.call("HGET", "ok:1", "f") as Uint8Array), "v");
      assert.equal(await t.call("SISMEMBER", "ok:2", "m"), 1);
      assert.equal(await t.call("EXISTS", "bad:1", "bad:2"), 0);
    } finally {
      t.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
