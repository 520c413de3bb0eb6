/** `--key-proc` templates: bytes in, bytes out; usage errors with the column; run backwards for verification. */
import assert from "node:assert/strict";
import { KeyTemplate } from "../src/sources/key_template.ts";
import { OptionError } from "../src/redis/options.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (value: Uint8Array) => new TextDecoder().decode(value);

Deno.test({
  name: "KeyTemplate.apply() splices the key's bytes, its type and the database into the literal text",
  permissions: "none",
  fn() {
    assert.equal(text(KeyTemplate.parse("copy:#{key}").apply(bytes("a"), "string", 0)), "copy:a");
    assert.equal(text(KeyTemplate.parse("#{type}:#{key}").apply(bytes("u:1"), "hash", 0)), "hash:u:1");
    assert.equal(text(KeyTemplate.parse("db#{db}/#{key}/#{key}").apply(bytes("k"), "set", 3)), "db3/k/k");
    const binary = new Uint8Array([0, 0xff, 0x80, 0x7b]);
    assert.deepEqual(
      KeyTemplate.parse("p:#{key}").apply(binary, "string", 0),
      new Uint8Array([0x70, 0x3a, 0, 0xff, 0x80, 0x7b]),
    );
  },
});

Deno.test({
  name: "KeyTemplate.parse() refuses an unknown placeholder, an unclosed one and a template without #{key}",
  permissions: "none",
  fn() {
    assert.throws(() => KeyTemplate.parse("x:#{key.toUpperCase()}"), (error: Error) => {
      assert.ok(error instanceof OptionError);
      assert.match(error.message, /unknown placeholder #\{key\.toUpperCase\(\)\} at column 3/);
      return true;
    });
    assert.throws(() => KeyTemplate.parse("ab#{key"), /column 3 has no closing/);
    assert.throws(() => KeyTemplate.parse("#{type}"), /has no #\{key\}.*overwrite/);
    assert.throws(() => KeyTemplate.parse("fixed"), OptionError);
  },
});

Deno.test({
  name: "KeyTemplate.preimages() finds the source keys a target name can come from, and none for others",
  permissions: "none",
  fn() {
    const prefix = KeyTemplate.parse("copy:#{key}");
    assert.deepEqual(prefix.preimages(bytes("copy:a:b")).map((p) => text(p.key)), ["a:b"]);
    assert.deepEqual(prefix.preimages(bytes("other:a")), []);
    const typed = KeyTemplate.parse("#{type}:#{key}");
    const found = typed.preimages(bytes("hash:u:1")).map((p) => `${p.type}|${text(p.key)}`);
    assert.deepEqual(found, ["hash|u:1"]); // a type name has no ':', so one split
    const glued = KeyTemplate.parse("#{type}#{key}").preimages(bytes("setx"));
    assert.deepEqual(glued.map((p) => `${p.type}|${text(p.key)}`), ["s|etx", "se|tx", "set|x", "setx|"]);
    const many = bytes(`${"a:".repeat(200)}k`);
    assert.equal(typed.preimages(bytes(`string:${text(many)}`)).length, 1); // no cap reached on long keys
    const twice = KeyTemplate.parse("#{key}-#{key}");
    assert.deepEqual(twice.preimages(bytes("ab-ab")).map((p) => text(p.key)), ["ab"]);
    assert.deepEqual(twice.preimages(bytes("ab-ac")), []);
    const db = KeyTemplate.parse("#{db}:#{key}");
    assert.deepEqual(db.preimages(bytes("12:k")).map((p) => [p.db, text(p.key)]), [[12, "k"]]);
    assert.deepEqual(db.preimages(bytes("x:k")), []);
  },
});

Deno.test({
  name: "KeyTemplate.apply() then preimages() gives the key back, for binary keys too",
  permissions: "none",
  fn() {
    const template = KeyTemplate.parse("{#{type}}#{key}!");
    for (const key of [new Uint8Array([]), new Uint8Array([0x7d, 0x21, 0]), bytes("plain")]) {
      const name = template.apply(key, "zset", 0);
      assert.ok(template.preimages(name).some((p) => p.type === "zset" && text(p.key) === text(key)));
    }
  },
});
