/** The dump format both ways, as data: text <-> bytes, records -> JSON, JSON -> restore commands. */
import assert from "node:assert/strict";

const assertEquals = (actual: unknown, expected: unknown) => assert.deepEqual(actual, expected);
function assertThrows<E extends Error>(fn: () => unknown, type: new (...args: never[]) => E): E {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof type, `expected ${type.name}, got ${error}`);
    return error as E;
  }
  throw new assert.AssertionError({ message: `expected ${type.name} to be thrown` });
}
import { bytesOf, textOf } from "../src/exports/byte_text.ts";
import {
  DumpFormatError,
  jsonRecord,
  jsonRecordClose,
  jsonRecordOpen,
  jsonWindow,
  restoreCommands,
} from "../src/exports/dump_format.ts";

const te = new TextEncoder();
const b = (text: string) => te.encode(text);
const none = { permissions: "none" } as const;

Deno.test({
  name: "textOf/bytesOf: valid UTF-8 stays text, other bytes are \\udcXX escapes, both ways",
  ...none,
  fn() {
    const cases: [number[], string][] = [
      [[], ""],
      [[0x61, 0x62], "ab"],
      [[0xc3, 0xa9], "é"],
      [[0xef, 0xbb, 0xbf, 0x41], "\ufeffA"], // a BOM is kept
      [[0x00, 0xff], "\u0000\udcff"],
      [[0xed, 0xa0, 0x80], "\udced\udca0\udc80"], // an encoded surrogate is not UTF-8
      [[0xc0, 0x80], "\udcc0\udc80"], // overlong
      [[0xf0, 0x9f, 0x98], "\udcf0\udc9f\udc98"], // truncated
      [[0xf0, 0x9f, 0x98, 0x80, 0x80], "😀\udc80"],
    ];
    for (const [bytes, text] of cases) {
      assertEquals(textOf(Uint8Array.from(bytes)), text);
      assertEquals([...bytesOf(text)], bytes);
    }
    assertThrows(() => bytesOf("\ud800"), RangeError);
    assertThrows(() => bytesOf("\udc41"), RangeError);
  },
});

Deno.test({
  name: "textOf/bytesOf: random bytes survive text and JSON",
  ...none,
  fn() {
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 16;
    for (let n = 0; n < 2000; n++) {
      const bytes = Uint8Array.from({ length: next() % 40 }, () => {
        const r = next() % 4;
        return r === 0 ? next() % 256 : r === 1 ? 0x80 + (next() % 64) : 0xc0 + (next() % 64);
      });
      const json = JSON.stringify(textOf(bytes));
      assertEquals(bytesOf(JSON.parse(json)), bytes);
    }
  },
});

Deno.test({
  name: "jsonRecord: one line per type, RIOT's field names, scores JSON cannot hold as strings",
  ...none,
  fn() {
    const key = b("k");
    assertEquals(
      jsonRecord({ key, type: "string", expireAt: -1 }, { type: "string", value: Uint8Array.of(0, 0xff) }),
      '{"key":"k","type":"string","ttl":-1,"value":"\\u0000\\udcff"}',
    );
    assertEquals(
      jsonRecord({ key, type: "hash", expireAt: 1700000000000 }, {
        type: "hash",
        fields: [{ field: b("f"), value: b("v") }],
      }),
      '{"key":"k","type":"hash","ttl":1700000000000,"value":{"f":"v"}}',
    );
    assertEquals(
      jsonRecord({ key, type: "zset", expireAt: -1 }, {
        type: "zset",
        entries: [{ member: b("a"), score: "0.10000000000000001" }, { member: b("b"), score: "-inf" }, {
          member: b("c"),
          score: "-0",
        }],
      }),
      '{"key":"k","type":"zset","ttl":-1,"value":[{"value":"a","score":0.1},{"value":"b","score":"-inf"},{"value":"c","score":"-0"}]}',
    );
    const stream = jsonRecordOpen({ key, type: "stream", expireAt: -1 }) +
      jsonWindow({ type: "stream", entries: [{ id: "1-0", fields: [b("f"), b("v")] }] }, true) +
      jsonWindow({ type: "stream", entries: [{ id: "2-0", fields: [b("g"), b("w")] }] }, false) +
      jsonRecordClose("stream", { lastId: "5-0", entriesAdded: 4, maxDeletedId: "3-0", groups: [] });
    assertEquals(JSON.parse(stream), {
      key: "k",
      type: "stream",
      ttl: -1,
      value: [{ id: "1-0", body: { f: "v" } }, { id: "2-0", body: { g: "w" } }],
      stream: { lastId: "5-0", entriesAdded: 4, maxDeletedId: "3-0", groups: [] },
    });
  },
});

Deno.test({
  name: "restoreCommands: DEL first, windows, PEXPIREAT last; RIOT's upper-case types are read",
  ...none,
  fn() {
    const plan = restoreCommands(
      { key: "l", type: "LIST", ttl: 1700000000000, value: ["a", "b", "c"] },
      { window: 2 },
    );
    assertEquals(plan.commands, [
      ["DEL", b("l")],
      ["RPUSH", b("l"), b("a"), b("b")],
      ["RPUSH", b("l"), b("c")],
      ["PEXPIREAT", b("l"), 1700000000000],
    ]);
    assertEquals(
      restoreCommands({ key: "z", type: "zset", ttl: -1, value: [{ value: "m", score: "-inf" }] }).commands,
      [["DEL", b("z")], ["ZADD", b("z"), "-inf", b("m")]],
    );
    assertEquals(
      restoreCommands({ key: "h", type: "hash", value: [["\udcff", { base64: "AAE=" }]] }).commands,
      [["DEL", b("h")], ["HSET", b("h"), Uint8Array.of(0xff), Uint8Array.of(0, 1)]],
    );
    assertEquals(
      restoreCommands({
        key: "s",
        type: "stream",
        value: [],
        stream: { lastId: "9-0", groups: [{ name: "g", lastId: "9-0", entriesRead: 3 }] },
      }).commands,
      [
        ["DEL", b("s")],
        ["XGROUP", "CREATE", b("s"), "riot-empty-stream", "0", "MKSTREAM"],
        ["XGROUP", "DESTROY", b("s"), "riot-empty-stream"],
        ["XSETID", b("s"), "9-0"],
        ["XGROUP", "CREATE", b("s"), b("g"), "9-0", "ENTRIESREAD", 3],
      ],
    );
  },
});

Deno.test({
  name: "restoreCommands: a bad record is a DumpFormatError naming the part",
  ...none,
  fn() {
    const bad: [unknown, RegExp][] = [
      [[], /JSON object/],
      [{ type: "string", value: "v" }, /no 'key'/],
      [{ key: "k", value: "v" }, /no 'type'/],
      [{ key: "k", type: "bitmap", value: "v" }, /type 'bitmap' cannot be restored/],
      [{ key: "k", type: "list", value: "v" }, /must be an array/],
      [{ key: "k", type: "zset", value: [{ value: "m", score: "x" }] }, /score must be a number/],
      [{ key: "k", type: "stream", value: [{ id: "x", body: { a: "b" } }] }, /stream ID/],
      [{ key: "k", type: "string", value: "v", ttl: "soon" }, /'ttl' must be/],
      [{ key: "\ud800", type: "string", value: "v" }, /key: text holds the lone surrogate/],
    ];
    for (const [record, message] of bad) {
      const error = assertThrows(() => restoreCommands(record), DumpFormatError);
      if (!message.test(error.message)) throw new Error(`${error.message} does not match ${message}`);
    }
  },
});
