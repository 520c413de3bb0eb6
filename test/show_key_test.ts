/**
 * showKey(): every key prints one way and no two keys print the same (pure tests: permissions "none"),
 * and compare's text and JSON lists keep them apart against a real server.
 */

import assert from "node:assert/strict";
import { showKey } from "../src/ui/report.ts";
import { raw } from "./_replicate_util.ts";
import { riot } from "./_riot.ts";
import { RedisServer, redisServerMissing } from "./_server.ts";

const bytes = (...values: number[]) => Uint8Array.from(values);
const text = (value: string) => new TextEncoder().encode(value);

const CASES: { key: Uint8Array; shown: string }[] = [
  { key: text("user:1"), shown: "user:1" },
  { key: text("a b"), shown: "a b" },
  { key: text("clé €"), shown: "clé €" },
  { key: text("😀"), shown: "😀" },
  { key: bytes(0), shown: "\\x00" },
  { key: text("\\x00"), shown: "\\\\x00" },
  { key: text("\\"), shown: "\\\\" },
  { key: bytes(0x5c, 0x00), shown: "\\\\\\x00" },
  { key: text("line\nbreak\r\t"), shown: "line\\x0abreak\\x0d\\x09" },
  { key: bytes(0x7f), shown: "\\x7f" },
  { key: bytes(0xff, 0x41), shown: "\\xffA" },
  { key: bytes(0xc3), shown: "\\xc3" }, // a truncated sequence
  { key: bytes(0xc0, 0x80), shown: "\\xc0\\x80" }, // overlong NUL
  { key: bytes(0xed, 0xa0, 0x80), shown: "\\xed\\xa0\\x80" }, // a surrogate
  { key: text("\u0085"), shown: "\\xc2\\x85" }, // C1 control
  { key: text("a\u200bb"), shown: "a\\xe2\\x80\\x8bb" }, // zero-width space
  { key: text("\u202eevil"), shown: "\\xe2\\x80\\xaeevil" }, // right-to-left override
  { key: text("\ufffd"), shown: "\ufffd" }, // a real U+FFFD is not an invalid byte
  { key: bytes(0xef, 0xbf), shown: "\\xef\\xbf" },
];

for (const { key, shown } of CASES) {
  Deno.test({
    name: `showKey() prints [${[...key].map((b) => b.toString(16)).join(" ")}] as ${JSON.stringify(shown)}`,
    permissions: "none",
    fn() {
      assert.equal(showKey(key), shown);
    },
  });
}

Deno.test({
  name: "showKey() gives different keys different texts",
  permissions: "none",
  fn() {
    const seen = new Map<string, string>();
    const keys = [
      ...CASES.map((c) => c.key),
      ...Array.from({ length: 256 }, (_, i) => bytes(i)),
      ...Array.from({ length: 256 }, (_, i) => text(`\\x${i.toString(16).padStart(2, "0")}`)),
    ];
    for (const key of keys) {
      const shown = showKey(key);
      const id = [...key].join(",");
      const other = seen.get(shown);
      assert.ok(other === undefined || other === id, `${shown} for [${id}] and [${other}]`);
      seen.set(shown, id);
    }
  },
});

Deno.test({
  name: "compare lists the key named \\x00 and the key 0x00 differently, in text and in JSON",
  ignore: !!redisServerMissing,
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    const connection = await raw(source);
    try {
      await connection.call("SET", bytes(0), "byte");
      await connection.call("SET", text("\\x00"), "four characters");
    } finally {
      connection.close();
    }
    const args = ["compare", `127.0.0.1:${source.port}`, `127.0.0.1:${target.port}`, "--progress", "none"];
    const plain = await riot(args);
    assert.equal(plain.code, 1);
    const listed = plain.err.split("\n").filter((line) => line.startsWith("  > ")).sort();
    assert.deepEqual(listed, ["  > \\\\x00: only in source", "  > \\x00: only in source"]);
    const json = await riot([...args, "--json"]);
    const keys = JSON.parse(json.out).diffs.map((diff: { key: string }) => diff.key).sort();
    assert.deepEqual(keys, ["\\\\x00", "\\x00"]);
  },
});
