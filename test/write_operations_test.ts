/** createOperation() (pure): the commands each operation builds, keys from bytes, refusals of bad options. */
import assert from "node:assert/strict";
import type { Fields, FieldValue } from "../src/expr/mod.ts";
import { RecordError } from "../src/writers/operations/operation.ts";
import { createOperation, type OperationName } from "../src/writers/operations/operations.ts";
import { encodeText } from "../src/writers/operations/key.ts";

const fields = (entries: [string, FieldValue][]): Fields => new Map(entries);
const text = (arg: unknown) => arg instanceof Uint8Array ? new TextDecoder().decode(arg) : arg;
const base = { keys: ["id"], keySeparator: ":", ignoreMissing: false };

function commandsOf(name: OperationName, options: object, record: Fields) {
  const write = createOperation(name, { ...base, ...options }).write(record);
  return { key: text(write.key), commands: write.commands.map((command) => command.map(text)) };
}

const ROW = fields([["id", "7"], ["t", 1700000000000], ["v", "2.5"], ["doc", '{"a":1}'], ["n", null]]);

Deno.test({
  name: "createOperation() builds json.set, ts.add, xadd with ~ trimming, expire --abs and a raw set",
  permissions: "none",
  fn() {
    assert.deepEqual(commandsOf("json.set", { keyspace: "j" }, ROW).commands, [[
      "JSON.SET",
      "j:7",
      "$",
      '{"id":"7","t":1700000000000,"v":"2.5","doc":"{\\"a\\":1}","n":null}',
    ]]);
    assert.deepEqual(commandsOf("json.set", { keyspace: "j", field: "doc", path: "$.x" }, ROW).commands, [[
      "JSON.SET",
      "j:7",
      "$.x",
      '{"a":1}',
    ]]);
    assert.deepEqual(commandsOf("ts.add", { keyspace: "ts", timestamp: "t", value: "v" }, ROW).commands, [[
      "TS.ADD",
      "ts:7",
      1700000000000,
      2.5,
    ]]);
    assert.deepEqual(commandsOf("ts.add", { keyspace: "ts", value: "v" }, ROW).commands[0][2], "*");
    assert.deepEqual(
      commandsOf("xadd", { keyspace: "s", keys: [], maxlen: 10, approximate: true, include: ["v"] }, ROW)
        .commands,
      [["XADD", "s", "MAXLEN", "~", 10, "*", "v", "2.5"]],
    );
    assert.deepEqual(commandsOf("expire", { keyspace: "e", ttlField: "t", abs: true }, ROW).commands, [[
      "PEXPIREAT",
      "e:7",
      1700000000000,
    ]]);
    assert.deepEqual(commandsOf("set", { keyspace: "s", field: "v" }, ROW).commands, [["SET", "s:7", "2.5"]]);
  },
});

Deno.test({
  name: "createOperation() keeps binary key fields as bytes and uses a #{...} key template",
  permissions: "none",
  fn() {
    const bin = Uint8Array.of(0xff, 0x00);
    const write = createOperation("del", { ...base, keyspace: "b", keys: ["raw", "id"] }).write(
      fields([["raw", bin], ["id", "1"]]),
    );
    assert.deepEqual([...write.key], [0x62, 0x3a, 0xff, 0x00, 0x3a, 0x31]);
    const templated = createOperation("del", { ...base, keys: [], keyTemplate: "u:#{id}:#{name ?: 'x'}" });
    assert.equal(text(templated.write(fields([["id", "3"]])).key), "u:3:x");
  },
});

Deno.test({
  name:
    "createOperation() refuses options an operation cannot work without; write() refuses records it cannot write",
  permissions: "none",
  fn() {
    assert.throws(() => createOperation("hset", { ...base, keys: [] }), /needs --keyspace and\/or --key/);
    assert.throws(() => createOperation("zadd", { ...base, keyspace: "z" }), /needs --member/);
    assert.throws(() => createOperation("geoadd", { ...base, keyspace: "g", members: ["id"] }), /--lon/);
    assert.throws(() => createOperation("expire", { ...base, keyspace: "e" }), /--ttl MS or --ttl-field/);
    assert.throws(() => createOperation("ts.add", { ...base, keyspace: "t" }), /--value FIELD/);
    const zadd = createOperation("zadd", { ...base, keyspace: "z", members: ["id"], score: "v" });
    assert.throws(
      () => zadd.write(fields([["id", "1"], ["v", "high"]])),
      (e: unknown) => e instanceof RecordError && !e.missing && /not a number/.test(e.message),
    );
    assert.throws(
      () => zadd.write(fields([["v", "1"]])),
      (e: unknown) => e instanceof RecordError && e.missing && /key field 'id'/.test(e.message),
    );
    const hset = createOperation("hset", { ...base, keyspace: "h", include: ["absent"] });
    assert.throws(() => hset.write(fields([["id", "1"]])), /no fields to write/);
  },
});

Deno.test({
  name: "encodeText() writes UTF-8 like TextEncoder: ASCII, accents after ASCII, surrogates, across slabs",
  permissions: "none",
  fn() {
    const utf8 = new TextEncoder();
    const texts = ["", "user:1", "user:é", "é", "日本:1", "k😀", "a\ud800b", "\udc00", "x".repeat(5000)];
    const kept: [Uint8Array, string][] = [];
    for (let round = 0; round < 200; round++) {
      for (const text of texts) kept.push([encodeText(`${text}${round}`), `${text}${round}`]);
    }
    for (const [bytes, text] of kept) assert.deepEqual(bytes, utf8.encode(text));
  },
});
