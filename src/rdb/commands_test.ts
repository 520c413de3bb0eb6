/**
 * writeCommands(): the commands for each type, their windows by element count and bytes, field and key
 * TTLs, and the stream sequence (placeholders for pending entries whose message is gone). Pure.
 */
import assert from "node:assert/strict";
import type { Command } from "../../resp/encoder.ts";
import { singleCommand, writeCommands, type WriteOptions } from "./commands.ts";
import { decodePayload, openPayload } from "./payload.ts";
import type { RdbValue } from "./value.ts";
import { CASES } from "./_payload_cases.ts";
import { bytes, concat, len, listpack, NONE, payload, str, text } from "./_test_util.ts";

const KEY = bytes("tmp");

/** Each command as one line of text, arguments joined by spaces. */
function lines(value: RdbValue, options: Partial<WriteOptions> = {}): string[] {
  return [...writeCommands(value, { key: KEY, ...options })].map(render);
}

function render(command: Command): string {
  return command.map((arg) => arg instanceof Uint8Array ? text(arg) : String(arg)).join(" ");
}

const b = (...items: string[]) => items.map(bytes);

Deno.test({
  name: "writeCommands() sends a list in RPUSH windows of maxElementsPerCommand, in order",
  ...NONE,
  fn() {
    const value: RdbValue = { type: "list", elements: b("a", "b", "c", "d", "e") };
    assert.deepEqual(lines(value, { maxElementsPerCommand: 2 }), [
      "RPUSH tmp a b",
      "RPUSH tmp c d",
      "RPUSH tmp e",
    ]);
  },
});

Deno.test({
  name: "writeCommands() closes a window at maxBytesPerCommand but always carries one element",
  ...NONE,
  fn() {
    const value: RdbValue = { type: "set", members: b("aaa", "bbb", "ccc", "dddddddddd", "e") };
    assert.deepEqual(lines(value, { maxBytesPerCommand: 7 }), [
      "SADD tmp aaa bbb",
      "SADD tmp ccc",
      "SADD tmp dddddddddd",
      "SADD tmp e",
    ]);
  },
});

Deno.test({
  name: "writeCommands() SETs a big string's first chunk and APPENDs the rest",
  ...NONE,
  fn() {
    const value: RdbValue = { type: "string", value: bytes("abcdefgh") };
    assert.deepEqual(lines(value, { maxBytesPerCommand: 3 }), [
      "SET tmp abc",
      "APPEND tmp def",
      "APPEND tmp gh",
    ]);
    assert.deepEqual(lines({ type: "string", value: bytes("") }), ["SET tmp "]);
  },
});

Deno.test({
  name:
    "writeCommands() writes zset scores as their exact text (-0, 1e-300) before each member, -0 scores last",
  ...NONE,
  fn() {
    const decoded = decodePayload(CASES.find((c) => c.name.startsWith("hashtable zset"))!.payload);
    // -0 last: a target zset that is a listpack when they arrive would store them as 0.
    assert.deepEqual(lines(decoded.value), ["ZADD tmp 1e-300 tiny", "ZADD tmp -0 neg"]);
  },
});

Deno.test({
  name: "writeCommands() sets hash field TTLs with one HPEXPIREAT per distinct expiry, after HSET",
  ...NONE,
  fn() {
    const value: RdbValue = {
      type: "hash",
      fields: [
        { field: bytes("a"), value: bytes("1"), expireAt: 2000 },
        { field: bytes("b"), value: bytes("2") },
        { field: bytes("c"), value: bytes("3"), expireAt: 1000 },
        { field: bytes("d"), value: bytes("4"), expireAt: 2000 },
      ],
    };
    assert.deepEqual(lines(value, { maxElementsPerCommand: 3 }), [
      "HSET tmp a 1 b 2 c 3",
      "HSET tmp d 4",
      "HPEXPIREAT tmp 2000 FIELDS 2 a d",
      "HPEXPIREAT tmp 1000 FIELDS 1 c",
    ]);
  },
});

Deno.test({
  name: "writeCommands() ends with PEXPIREAT when the key has a TTL",
  ...NONE,
  fn() {
    const value: RdbValue = { type: "list", elements: b("x") };
    assert.deepEqual(lines(value, { expireAt: 1700000000000 }), [
      "RPUSH tmp x",
      "PEXPIREAT tmp 1700000000000",
    ]);
  },
});

Deno.test({
  name:
    "writeCommands() rebuilds a stream: XADD by ID, a placeholder for a pending entry whose message is gone",
  ...NONE,
  fn() {
    const decoded = decodePayload(CASES.find((c) => c.name.startsWith("stream (type 15)"))!.payload);
    assert.deepEqual(lines(decoded.value), [
      "XADD tmp 1000-1 a 1 b 2",
      "XADD tmp 1001-0  ",
      "XADD tmp 1002-0 c 3",
      "XSETID tmp 1002-0",
      "XGROUP CREATE tmp g 1002-0",
      "XGROUP CREATECONSUMER tmp g c",
      "XCLAIM tmp g c 0 1000-1 TIME 1700000000000 RETRYCOUNT 3 FORCE JUSTID",
      "XCLAIM tmp g c 0 1001-0 TIME 1700000000001 RETRYCOUNT 1 FORCE JUSTID",
      "XDEL tmp 1001-0",
      "XSETID tmp 1002-0",
    ]);
  },
});

Deno.test({
  name: "writeCommands() with newStreamIds adds the entries with * IDs in order, and no IDs or groups",
  ...NONE,
  fn() {
    const decoded = decodePayload(CASES.find((c) => c.name.startsWith("stream (type 15)"))!.payload);
    assert.deepEqual(lines(decoded.value, { newStreamIds: true }), [
      "XADD tmp * a 1 b 2",
      "XADD tmp * c 3",
    ]);
    const empty = decodePayload(CASES.find((c) => c.name.startsWith("empty stream"))!.payload);
    assert.deepEqual(lines(empty.value, { newStreamIds: true }), [
      "XGROUP CREATE tmp riot-empty-stream 0 MKSTREAM",
      "XGROUP DESTROY tmp riot-empty-stream",
    ]);
  },
});

Deno.test({
  name: "writeCommands() creates an empty stream with a throwaway group, then sets its IDs and counters",
  ...NONE,
  fn() {
    const decoded = decodePayload(CASES.find((c) => c.name.startsWith("empty stream"))!.payload);
    assert.deepEqual(lines(decoded.value), [
      "XGROUP CREATE tmp riot-empty-stream 0 MKSTREAM",
      "XGROUP DESTROY tmp riot-empty-stream",
      "XSETID tmp 5-5 ENTRIESADDED 1 MAXDELETEDID 5-5",
    ]);
  },
});

Deno.test({
  name: "writeCommands() is lazy: the first window of a big list comes without building the others",
  ...NONE,
  fn() {
    const elements = Array.from({ length: 100_000 }, () => bytes("e"));
    const commands = writeCommands({ type: "list", elements }, { key: KEY, maxElementsPerCommand: 10 });
    const first = commands.next();
    assert.equal(first.done, false);
    assert.equal((first.value as Command).length, 12);
  },
});

Deno.test({
  name:
    "writeCommands() over openPayload() reads members window by window: a bad tail throws after earlier windows",
  ...NONE,
  fn() {
    // A plain list that says 5 elements and holds 3: the first window is good, the second pull fails.
    const p = payload(1, concat(len(5), str("a"), str("b"), str("c")));
    const commands = writeCommands(openPayload(p).value, { key: KEY, maxElementsPerCommand: 2 });
    assert.equal(render(commands.next().value as Command), "RPUSH tmp a b");
    assert.throws(() => commands.next(), { name: "PayloadError", code: "truncated" });
  },
});

Deno.test({
  name: "openPayload() members iterate once, and the end of the iteration checks for trailing bytes",
  ...NONE,
  fn() {
    const opened = openPayload(payload(2, concat(len(1), str("a"))));
    assert.equal(opened.value.type, "set");
    const members = (opened.value as { members: Iterable<Uint8Array> }).members;
    assert.deepEqual([...members].map(text), ["a"]);
    assert.throws(() => [...members], /only once/);
    const trailing = openPayload(payload(2, concat(len(1), str("a"), [0]))).value as {
      members: Iterable<Uint8Array>;
    };
    assert.throws(() => [...trailing.members], { name: "PayloadError", code: "corrupt" });
  },
});

Deno.test({
  name:
    "writeCommands() over openPayload() decodes a stream node by node: a bad later node throws after XADDs",
  ...NONE,
  fn() {
    const node = (ms: number, lp: Uint8Array) => {
      const key = new Uint8Array(16);
      new DataView(key.buffer).setBigUint64(0, BigInt(ms), false);
      return concat(str(key), str(lp));
    };
    const good = listpack([1n, 0n, 1n, "f", 0n, 2n, 0n, 0n, "v", 4n]);
    const bad = good.slice();
    bad[bad.length - 1] = 0; // no terminator
    const body = concat(len(2), node(1, good), node(2, bad), len(2), len(2), len(0), len(0));
    const commands = writeCommands(openPayload(payload(15, body)).value, { key: KEY });
    assert.equal(render(commands.next().value as Command), "XADD tmp 1-0 f v");
    assert.throws(() => commands.next(), { name: "PayloadError", code: "corrupt" });
  },
});

Deno.test({
  name:
    "writeCommands() removes placeholders before the first live entry with XTRIM MINID (trimmed, not deleted)",
  ...NONE,
  fn() {
    const id = (ms: number) => ({ ms: BigInt(ms), seq: 0n });
    const pending = (ms: number) => ({
      id: id(ms),
      deliveryTime: 5n,
      deliveryCount: 1n,
      consumer: bytes("c"),
    });
    const value: RdbValue = {
      type: "stream",
      entries: [{ id: id(3), fieldsAndValues: b("f", "v") }, { id: id(5), fieldsAndValues: b("f", "w") }],
      length: 2,
      lastId: id(5),
      firstId: id(3),
      maxDeletedId: id(4),
      entriesAdded: 5n,
      groups: [{
        name: bytes("g"),
        lastId: id(5),
        entriesRead: 5n,
        pending: [pending(1), pending(4)],
        consumers: [{ name: bytes("c"), seenTime: 5n, pending: [id(1), id(4)] }],
      }],
    };
    assert.deepEqual(lines(value).filter((line) => !line.startsWith("XCLAIM")), [
      "XADD tmp 1-0  ",
      "XADD tmp 3-0 f v",
      "XADD tmp 4-0  ",
      "XADD tmp 5-0 f w",
      "XSETID tmp 5-0 ENTRIESADDED 5 MAXDELETEDID 4-0",
      "XGROUP CREATE tmp g 5-0 ENTRIESREAD 5",
      "XGROUP CREATECONSUMER tmp g c",
      "XTRIM tmp MINID = 3-0",
      "XDEL tmp 4-0",
      "XSETID tmp 5-0 ENTRIESADDED 5 MAXDELETEDID 4-0",
    ]);
  },
});

Deno.test({
  name: "writeCommands() passes ENTRIESREAD -1 when the source marked the group's counter unknown",
  ...NONE,
  fn() {
    const value: RdbValue = {
      type: "stream",
      entries: [],
      length: 0,
      lastId: { ms: 1n, seq: 0n },
      groups: [{
        name: bytes("g"),
        lastId: { ms: 1n, seq: 0n },
        entriesRead: -1n,
        pending: [],
        consumers: [],
      }],
    };
    assert.ok(lines(value).includes("XGROUP CREATE tmp g 1-0 ENTRIESREAD -1"));
  },
});

/** singleCommand() agrees with writeCommands(): the only command it yields, or undefined when it yields more. */
function assertSingleAgrees(value: RdbValue, options: Partial<WriteOptions> = {}): Command | undefined {
  const all = [...writeCommands(value, { key: KEY, ...options })];
  const single = singleCommand(value, { key: KEY, ...options });
  if (all.length === 1) assert.deepEqual(single && render(single), render(all[0]));
  else assert.equal(single, undefined);
  return single;
}

Deno.test({
  name: "singleCommand() is writeCommands()' only command, and undefined where it yields several",
  ...NONE,
  fn() {
    const zset = (...scores: number[]): RdbValue => ({
      type: "zset",
      entries: scores.map((score, i) => ({ member: bytes(`m${i}`), score, scoreText: bytes(String(score)) })),
    });
    const values: RdbValue[] = [
      { type: "string", value: bytes("") },
      { type: "string", value: bytes("abcdef") },
      { type: "list", elements: b("a", "bb", "ccc") },
      { type: "list", elements: b("a") },
      { type: "set", members: b("x", "yyyy") },
      zset(1.5, 2, -3),
      zset(1, -0, 2), // -0 goes in a ZADD of its own
      {
        type: "hash",
        fields: [{ field: bytes("f"), value: bytes("v") }, { field: bytes("g"), value: bytes("w") }],
      },
      { type: "hash", fields: [{ field: bytes("f"), value: bytes("v"), expireAt: 1e13 }] }, // + HPEXPIREAT
      { type: "stream", length: 0, lastId: { ms: 1n, seq: 0n }, entries: [], groups: [] },
    ];
    const windows: Partial<WriteOptions>[] = [
      {},
      { maxElementsPerCommand: 1 },
      { maxElementsPerCommand: 2 },
      { maxElementsPerCommand: 3 },
      { maxBytesPerCommand: 1 },
      { maxBytesPerCommand: 3 },
      { maxBytesPerCommand: 6 },
    ];
    let singles = 0;
    for (const value of values) {
      for (const window of windows) if (assertSingleAgrees(value, window)) singles++;
    }
    assert.ok(singles > 20, `${singles} values in one command`);
    assert.equal(singleCommand(zset(1, -0), { key: KEY }), undefined);
  },
});

Deno.test({
  name: "singleCommand() reads a payload's members lazily and agrees with writeCommands() on every case",
  ...NONE,
  fn() {
    for (const { name, payload } of CASES) {
      const decoded = decodePayload(payload).value;
      for (const window of [{}, { maxElementsPerCommand: 2 }, { maxBytesPerCommand: 4 }]) {
        const lazy = singleCommand(openPayload(payload).value, { key: KEY, ...window });
        const eager = assertSingleAgrees(decoded, window);
        assert.deepEqual(lazy && render(lazy), eager && render(eager), name);
      }
    }
  },
});
