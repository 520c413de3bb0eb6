/**
 * RdbFileReader on files as data: each file is fed whole, byte by byte and at seeded split points, and must
 * give the same items; every DUMP payload case (every value encoding) is wrapped in a file and must come
 * back as the same payload; every truncation is `truncated` (or `header`), every bit flip an RdbFileError;
 * item limits hold at N and fail at N-1 before the bytes arrive.
 */
import assert from "node:assert/strict";
import { crc64 } from "./crc64.ts";
import { RdbFileError } from "./file_errors.ts";
import { dumpPayload, functionPayload, RdbFileReader, type RdbItem, type RdbKeyItem } from "./file_reader.ts";
import { CASES } from "./_payload_cases.ts";
import { bytes, concat, int, le64, len, lzfStr, NONE, prng, SEEDS, str, text } from "./_test_util.ts";

/** A whole RDB file: header, `body`, EOF and the CRC64 (or 0 with `noChecksum`). */
function rdbFile(version: number, body: Uint8Array, noChecksum = false): Uint8Array {
  const head = concat(bytes(`REDIS${String(version).padStart(4, "0")}`), body, [0xff]);
  const out = new Uint8Array(head.length + 8);
  out.set(head);
  if (!noChecksum) new DataView(out.buffer).setBigUint64(head.length, crc64(head), true);
  return out;
}

const aux = (name: string, value: string | Uint8Array) => concat([0xfa], str(name), str(value));
const select = (db: number) => concat([0xfe], len(db));
const resize = (keys: number, expires: number) => concat([0xfb], len(keys), len(expires));
const stringKey = (key: Uint8Array | string, value: string) => concat([0], str(key), str(value));
const expireMs = (ms: number) => concat([0xfc], le64(ms));
const expireSeconds = (seconds: number) => {
  const out = new Uint8Array(5);
  out[0] = 0xfd;
  new DataView(out.buffer).setUint32(1, seconds, true);
  return out;
};

/** Items in a plain form for deepEqual: text for bytes, payload hex dropped for brevity. */
function plainItems(items: RdbItem[]): unknown[] {
  return items.map((item) => {
    switch (item.kind) {
      case "aux":
        return { aux: text(item.name), value: text(item.value) };
      case "key":
        return {
          db: item.db,
          key: text(item.key),
          expireAt: item.expireAt,
          type: item.rdbType,
          value: Array.from(item.value),
          ...(item.idle !== undefined ? { idle: item.idle } : {}),
          ...(item.freq !== undefined ? { freq: item.freq } : {}),
        };
      case "function":
        return { function: text(item.code) };
      case "end":
        return { end: item.checksum !== 0n };
      default:
        return item;
    }
  });
}

/** Feeds `file` in the given chunk sizes (the last chunk takes the rest), pulling after each. */
function readInChunks(file: Uint8Array, sizes: () => number, maxItemBytes?: number): RdbItem[] {
  const reader = new RdbFileReader({ maxItemBytes });
  const items: RdbItem[] = [];
  const pull = () => {
    for (let item = reader.next(); item; item = reader.next()) items.push(item);
  };
  for (let at = 0; at < file.length;) {
    const size = Math.max(1, sizes());
    reader.feed(file.subarray(at, at + size));
    at += size;
    pull();
  }
  reader.end();
  pull();
  return items;
}

function readAllWays(file: Uint8Array, maxItemBytes?: number): RdbItem[] {
  const whole = readInChunks(file, () => file.length, maxItemBytes);
  assert.deepStrictEqual(
    plainItems(readInChunks(file, () => 1, maxItemBytes)),
    plainItems(whole),
    "byte by byte",
  );
  for (const seed of SEEDS) {
    const random = prng(seed);
    const split = readInChunks(file, () => 1 + int(random, 40), maxItemBytes);
    assert.deepStrictEqual(plainItems(split), plainItems(whole), `split points, seed ${seed}`);
  }
  return whole;
}

function assertFileError(fn: () => unknown, codes: string[], context = ""): RdbFileError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof RdbFileError, `${context}: ${error}`);
    assert.ok(codes.includes(error.code), `${context}: ${error.code}: ${error.message}`);
    assert.match(error.message, /offset|Not an RDB|version/, `${context}: ${error.message}`);
    assert.ok(codes.includes(error.code), `${context}: code ${error.code}: ${error.message}`);
    assert.match(error.message, /offset|Not an RDB|version/, context);
    return error;
  }
  assert.fail(`${context}: no error`);
}

const FILES: { name: string; file: Uint8Array; items: unknown[] }[] = [
  {
    name: "an empty RDB 12 file",
    file: rdbFile(12, new Uint8Array(0)),
    items: [{ kind: "header", version: 12 }, { end: true }],
  },
  {
    name: "aux fields, two databases, resize hints, expiries in ms and seconds, idle and freq",
    file: rdbFile(
      11,
      concat(
        aux("redis-ver", "7.2.4"),
        concat([0xfa], str("ctime"), [0xc2, 0x10, 0x27, 0, 0]), // an int32-encoded value
        select(0),
        resize(2, 1),
        stringKey("a", "1"),
        expireMs(1_900_000_000_123),
        stringKey("b", "two"),
        select(3),
        expireSeconds(1_900_000_000),
        [0xf8],
        len(77),
        concat([0, 0xc0, 0x7b], str("int8 key")), // the key as an int8-encoded string
        [0xf9, 5],
        stringKey("f", "x"),
      ),
    ),
    items: [
      { kind: "header", version: 11 },
      { aux: "redis-ver", value: "7.2.4" },
      { aux: "ctime", value: "10000" },
      { kind: "select", db: 0 },
      { kind: "resize", db: 0, keys: 2, expires: 1 },
      { db: 0, key: "a", expireAt: -1, type: 0, value: [1, 0x31] },
      { db: 0, key: "b", expireAt: 1_900_000_000_123, type: 0, value: [3, 0x74, 0x77, 0x6f] },
      { kind: "select", db: 3 },
      { db: 3, key: "123", expireAt: 1_900_000_000_000, type: 0, value: [8, ...bytes("int8 key")], idle: 77 },
      { db: 3, key: "f", expireAt: -1, type: 0, value: [1, 0x78], freq: 5 },
      { end: true },
    ],
  },
  {
    name: "an LZF-compressed key, slot info, module aux data, a function library, no checksum",
    file: rdbFile(
      10,
      concat(
        [0xf4],
        len(5),
        len(1),
        len(0),
        [0xf7],
        len(0x1234567n),
        len(2),
        len(2),
        len(1),
        len(9),
        len(3),
        [0, 0, 0, 0],
        len(4),
        le64(1.5, true),
        len(5),
        str("aux"),
        len(0),
        [0xf5],
        str("#!lua name=lib\nredis.register_function('f', function() return 1 end)"),
        [0],
        lzfStr([2, 0x61, 0x62, 0x63, 0xe0, 0, 2], 12),
        str("v"),
      ),
      true,
    ),
    items: [
      { kind: "header", version: 10 },
      { kind: "module-aux", moduleId: 0x1234567n },
      { function: "#!lua name=lib\nredis.register_function('f', function() return 1 end)" },
      { db: 0, key: "abcabcabcabc", expireAt: -1, type: 0, value: [1, 0x76] },
      { end: false },
    ],
  },
  {
    name: "a module value (type 7) with every field opcode",
    file: rdbFile(
      12,
      concat(
        [7],
        str("m"),
        len(0xabcdefn),
        len(1),
        len(5),
        len(2),
        len(6),
        len(3),
        [1, 2, 3, 4],
        len(4),
        le64(2.5, true),
        len(5),
        str("s"),
        len(0),
      ),
    ),
    items: [
      { kind: "header", version: 12 },
      {
        db: 0,
        key: "m",
        expireAt: -1,
        type: 7,
        value: Array.from(
          concat(
            len(0xabcdefn),
            len(1),
            len(5),
            len(2),
            len(6),
            len(3),
            [1, 2, 3, 4],
            len(4),
            le64(2.5, true),
            len(5),
            str("s"),
            len(0),
          ),
        ),
      },
      { end: true },
    ],
  },
];

for (const { name, file, items } of FILES) {
  Deno.test({
    name: `RdbFileReader reads ${name} whole, byte by byte and at split points`,
    ...NONE,
    fn() {
      assert.deepStrictEqual(plainItems(readAllWays(file)), items);
    },
  });
}

Deno.test({
  name: "RdbFileReader gives back every DUMP payload case (every value encoding) as the same payload",
  ...NONE,
  fn() {
    for (const testCase of CASES) {
      const value = testCase.payload.subarray(1, testCase.payload.length - 10);
      const file = rdbFile(
        testCase.rdbVersion,
        concat([testCase.rdbType], str("k"), value, stringKey("after", "x")),
      );
      const items = readAllWays(file);
      const key = items.find((item) => item.kind === "key" && text(item.key) === "k");
      assert.ok(key && key.kind === "key", testCase.name);
      assert.deepStrictEqual(dumpPayload(key, testCase.rdbVersion), testCase.payload, testCase.name);
      assert.equal(items.filter((item) => item.kind === "key").length, 2, testCase.name);
    }
  },
});

Deno.test({
  name: "functionPayload() builds what FUNCTION RESTORE takes: opcode 245, the library string, footer",
  ...NONE,
  fn() {
    const body = str("#!lua name=x\n");
    const payload = functionPayload(body, 10);
    assert.equal(payload[0], 0xf5);
    assert.deepStrictEqual(payload.subarray(1, 1 + body.length), body);
    assert.deepStrictEqual(Array.from(payload.subarray(1 + body.length, 3 + body.length)), [10, 0]);
  },
});

Deno.test({
  name: "RdbFileReader on every truncation of every file throws truncated (header when too short)",
  ...NONE,
  fn() {
    for (const { name, file } of FILES) {
      for (let cut = 0; cut < file.length; cut++) {
        const error = assertFileError(
          () => readInChunks(file.subarray(0, cut), () => 3),
          cut < 9 ? ["truncated", "header"] : ["truncated"],
          `${name} @${cut}`,
        );
        assert.ok(error.offset <= cut, `${name} @${cut}: offset ${error.offset}`);
      }
    }
  },
});

Deno.test({
  name:
    "RdbFileReader on every single-bit flip of a checksummed file throws an RdbFileError naming an offset",
  ...NONE,
  fn() {
    for (const { name, file } of FILES.filter((f) => f !== FILES[2]) /* FILES[2] has no checksum */) {
      for (let bit = 0; bit < file.length * 8; bit++) {
        const flipped = file.slice();
        flipped[bit >> 3] ^= 1 << (bit & 7);
        assertFileError(
          () => readInChunks(flipped, () => 7, 1024),
          ["header", "version", "truncated", "corrupt", "checksum", "unsupported", "limit", "trailing"],
          `${name} bit ${bit}`,
        );
      }
    }
  },
});

Deno.test({
  name:
    "RdbFileReader limits an item to maxItemBytes: N reads, N-1 fails with limit before the value arrives",
  ...NONE,
  fn() {
    const value = "v".repeat(1000);
    const item = stringKey("key", value); // 1 + 4 + 3 + 1000 bytes
    const file = rdbFile(12, item);
    readAllWays(file, item.length);
    assertFileError(() => readInChunks(file, () => file.length, item.length - 1), ["limit"]);
    // The limit is seen from the declared length: only the first 20 bytes are ever fed.
    const reader = new RdbFileReader({ maxItemBytes: item.length - 1 });
    reader.feed(file.subarray(0, 20));
    assertFileError(() => {
      for (let next = reader.next(); next; next = reader.next());
    }, ["limit"]);
    assertFileError(() => reader.next(), ["limit"], "sticky");
  },
});

Deno.test({
  name: "RdbFileReader refuses a bad header, an unknown version, an unknown opcode and trailing bytes",
  ...NONE,
  fn() {
    assertFileError(() => readInChunks(bytes("RADIS0011xxxxxxxx"), () => 100), ["header"]);
    assertFileError(() => readInChunks(rdbFile(13, new Uint8Array(0)), () => 100), ["version"]);
    assertFileError(() => readInChunks(rdbFile(8, new Uint8Array(0)), () => 100), ["version"]);
    const unknown = assertFileError(() => readInChunks(rdbFile(12, Uint8Array.of(0xf0)), () => 100), [
      "corrupt",
    ]);
    assert.equal(unknown.offset, 9);
    assertFileError(() => readInChunks(concat(rdbFile(12, new Uint8Array(0)), [1, 2]), () => 100), [
      "trailing",
    ]);
    assertFileError(() => readInChunks(rdbFile(12, concat([0xfc], le64(5), [0xfe], len(1))), () => 100), [
      "corrupt",
    ]);
  },
});

Deno.test({
  name: "RdbFileReader.rest() returns the bytes after the end item (a diskless sync's EOF mark)",
  ...NONE,
  fn() {
    const reader = new RdbFileReader();
    reader.feed(concat(rdbFile(12, stringKey("a", "b")), bytes("MARK*1\r\n")));
    const kinds: string[] = [];
    for (let item = reader.next(); item; item = reader.next()) kinds.push(item.kind);
    assert.deepStrictEqual(kinds, ["header", "key", "end"]);
    assert.ok(reader.done);
    assert.equal(text(reader.rest()), "MARK*1\r\n");
    reader.end();
    assert.equal(reader.next(), undefined);
  },
});

Deno.test({
  name:
    "RdbFileReader reads a 1 MB set of 100k members fed in 64 KB chunks (parsed again only when its missing bytes came)",
  ...NONE,
  fn() {
    const members = concat(
      bytes(Array.from({ length: 100_000 }, (_, i) => `\x06m${String(i).padStart(5, "0")}`).join("")),
    );
    const file = rdbFile(12, concat([2], str("big"), len(100_000), members));
    const started = performance.now();
    const items = readInChunks(file, () => 64 * 1024);
    assert.equal(items.filter((item) => item.kind === "key").length, 1);
    assert.ok(performance.now() - started < 5000, `took ${performance.now() - started} ms`);
  },
});

Deno.test({
  name: "RdbFileReader returns the end item as soon as its bytes are fed, without end() (a diskless sync)",
  ...NONE,
  fn() {
    const file = rdbFile(12, stringKey("big", "x".repeat(300_000)));
    const reader = new RdbFileReader();
    const kinds: string[] = [];
    for (let at = 0; at < file.length; at += 10_000) {
      reader.feed(file.subarray(at, at + 10_000));
      for (let item = reader.next(); item; item = reader.next()) kinds.push(item.kind);
    }
    assert.deepStrictEqual(kinds, ["header", "key", "end"]);
    assert.ok(reader.done);
  },
});

Deno.test({
  name:
    "RdbFileReader on a file many times its buffer: every key and payload intact after the buffer moved, the checksum checked over every byte",
  ...NONE,
  fn() {
    const count = 5000; // ~560 KB: the 64 KB buffer is reused many times, payloads span several slabs
    const value = (i: number) => `value:${i}:`.padEnd(100, "x");
    const file = rdbFile(
      11,
      concat(...Array.from({ length: count }, (_, i) => stringKey(`key:${i}`, value(i)))),
    );
    const random = prng(SEEDS[0]);
    const items = readInChunks(file, () => 1 + int(random, 9000));
    const keys = items.filter((item): item is RdbKeyItem => item.kind === "key");
    assert.equal(keys.length, count);
    keys.forEach((item, i) => {
      assert.equal(text(item.key), `key:${i}`);
      const head = concat([0], str(value(i)), [11, 0]);
      const expected = concat(head, le64(crc64(head)));
      assert.deepStrictEqual(item.payload, expected, `payload of key:${i}`);
      assert.deepStrictEqual(item.value, str(value(i)));
      assert.deepStrictEqual(dumpPayload(item, 10).subarray(0, -10), expected.subarray(0, -10));
    });
    const flipped = file.slice();
    flipped[file.length - 500] ^= 0x01; // inside the last value: only the file's CRC64 can tell
    const error = assertFileError(() => readInChunks(flipped, () => 4096), ["checksum"]);
    assert.equal(error.offset, file.length - 8);
  },
});
