/**
 * RespDecoder: every wire type as data, each case decoded whole, byte by byte and at seeded random split
 * points; every limit at N and N+1; sticky protocol errors; malformed input; a seeded round trip of random
 * value trees through a test-only RESP3 serializer; seeded fuzzing; and a linear-time check on a 100 MB bulk.
 * Pure: every test runs with `permissions: "none"`.
 */
import assert from "node:assert/strict";
import {
  BIG_BULK,
  type DecoderLimits,
  ErrorReply,
  ProtocolError,
  RespAttributed,
  RespDecoder,
  RespDouble,
  RespMap,
  RespPush,
  RespSet,
  type RespValue,
  RespVerbatim,
} from "./mod.ts";

const NONE = { permissions: "none" } as const;
const SEEDS = [1, 2, 3, 7, 42, 1234];
const utf8 = new TextEncoder();

// ---------------------------------------------------------------------------------------------------------
// Helpers

/** Deterministic PRNG (mulberry32): every failure reproduces from its seed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function int(random: () => number, below: number): number {
  return Math.floor(random() * below);
}

/** Wire bytes from text (UTF-8) and raw byte parts. */
function wire(...parts: (string | Uint8Array)[]): Uint8Array {
  const encoded = parts.map((part) => typeof part === "string" ? utf8.encode(part) : part);
  const out = new Uint8Array(encoded.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of encoded) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);

/**
 * Split points: one chunk, every byte alone, seeded random cuts of up to 200 bytes (some empty chunks
 * included), or seeded random cuts of up to `max` bytes.
 */
type Split = "whole" | "bytes" | number | [seed: number, max: number];
const SPLITS: Split[] = ["whole", "bytes", ...SEEDS];

function chunks(bytes: Uint8Array, split: Split): Uint8Array[] {
  if (split === "whole") return [bytes];
  if (split === "bytes") return Array.from(bytes, (byte) => Uint8Array.of(byte));
  const [seed, max] = typeof split === "number" ? [split, 200] : split;
  const random = prng(seed);
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const size = random() < 0.1 ? 0 : 1 + int(random, random() < 0.5 ? 8 : max);
    // Copy: a chunk is a fresh buffer, as a socket read would be.
    out.push(bytes.slice(at, at + size));
    at += size;
  }
  return out;
}

/**
 * Feed `bytes` in chunks, draining replies after each feed (or, with `feedFirst`, after feeding them all);
 * asserts nothing is left over.
 */
function decodeAll(
  bytes: Uint8Array,
  split: Split,
  limits?: Partial<DecoderLimits>,
  feedFirst = false,
): RespValue[] {
  const decoder = new RespDecoder(limits);
  const values: RespValue[] = [];
  const drain = () => {
    for (let value = decoder.next(); value !== undefined; value = decoder.next()) values.push(value);
  };
  for (const chunk of chunks(bytes, split)) {
    decoder.feed(chunk);
    if (!feedFirst) drain();
  }
  drain();
  assert.equal(decoder.midReply, false, "decoder is not mid-reply at the end");
  assert.equal(decoder.bufferedBytes, 0, "no bytes are left buffered");
  return values;
}

/** Assert that decoding `bytes` (in any split) throws a ProtocolError, and that the error is sticky. */
function assertProtocolError(
  bytes: Uint8Array,
  split: Split,
  limits?: Partial<DecoderLimits>,
): ProtocolError {
  const decoder = new RespDecoder(limits);
  let error: unknown;
  try {
    for (const chunk of chunks(bytes, split)) {
      decoder.feed(chunk);
      while (decoder.next() !== undefined);
    }
  } catch (caught) {
    error = caught;
  }
  assert.ok(error instanceof ProtocolError, `expected a ProtocolError, got ${error}`);
  assert.throws(() => decoder.next(), (again) => again === error);
  assert.throws(() => decoder.feed(utf8.encode("+OK\r\n")), (again) => again === error);
  return error;
}

// ---------------------------------------------------------------------------------------------------------
// Every wire type, as data

interface Case {
  name: string;
  wire: Uint8Array;
  values: RespValue[];
}

const bytesOf = (text: string) => utf8.encode(text);
const big = Uint8Array.from({ length: BIG_BULK + 1000 }, (_, i) => (i * 31) & 0xff);
const justUnderBig = Uint8Array.from({ length: BIG_BULK - 1 }, (_, i) => (i * 7) & 0xff);
const keyPopularity = new RespMap([[
  "key-popularity",
  new RespMap([[bytesOf("a"), new RespDouble(0.1923, "0.1923")], [
    bytesOf("b"),
    new RespDouble(0.0012, "0.0012"),
  ]]),
]]);

const CASES: Case[] = [
  // Simple strings and errors
  { name: "simple string", wire: wire("+OK\r\n"), values: ["OK"] },
  { name: "simple string, empty", wire: wire("+\r\n"), values: [""] },
  { name: "simple string, UTF-8", wire: wire("+héllo wörld ✓\r\n"), values: ["héllo wörld ✓"] },
  { name: "simple string, long", wire: wire(`+${"x".repeat(300)}\r\n`), values: ["x".repeat(300)] },
  {
    name: "simple error",
    wire: wire("-ERR unknown command 'FOO'\r\n"),
    values: [new ErrorReply("ERR unknown command 'FOO'")],
  },
  { name: "simple error, one word", wire: wire("-NOAUTH\r\n"), values: [new ErrorReply("NOAUTH")] },
  {
    name: "bulk error",
    wire: wire("!21\r\nSYNTAX invalid syntax\r\n"),
    values: [new ErrorReply("SYNTAX invalid syntax")],
  },
  // Integers
  { name: "integer 0", wire: wire(":0\r\n"), values: [0] },
  { name: "integer", wire: wire(":1000\r\n"), values: [1000] },
  { name: "integer, negative", wire: wire(":-1000\r\n"), values: [-1000] },
  { name: "integer, plus sign", wire: wire(":+7\r\n"), values: [7] },
  { name: "integer -0 is 0", wire: wire(":-0\r\n"), values: [0] },
  { name: "integer, 15 digits", wire: wire(":999999999999999\r\n"), values: [999999999999999] },
  { name: "integer, 16 digits", wire: wire(":1000000000000000\r\n"), values: [1000000000000000] },
  { name: "integer 2^53-1", wire: wire(":9007199254740991\r\n"), values: [9007199254740991] },
  { name: "integer -(2^53-1)", wire: wire(":-9007199254740991\r\n"), values: [-9007199254740991] },
  { name: "integer 2^53 is a bigint", wire: wire(":9007199254740992\r\n"), values: [9007199254740992n] },
  { name: "integer -2^53 is a bigint", wire: wire(":-9007199254740992\r\n"), values: [-9007199254740992n] },
  { name: "integer 2^53+1 is exact", wire: wire(":9007199254740993\r\n"), values: [9007199254740993n] },
  { name: "integer 2^64-1", wire: wire(":18446744073709551615\r\n"), values: [18446744073709551615n] },
  { name: "integer -2^63", wire: wire(":-9223372036854775808\r\n"), values: [-9223372036854775808n] },
  // Bulk strings
  { name: "bulk", wire: wire("$5\r\nhello\r\n"), values: [bytesOf("hello")] },
  { name: "bulk, empty", wire: wire("$0\r\n\r\n"), values: [new Uint8Array(0)] },
  { name: "bulk, CRLF inside", wire: wire("$4\r\n\r\n\r\n\r\n"), values: [bytesOf("\r\n\r\n")] },
  { name: "bulk, all 256 byte values", wire: wire("$256\r\n", ALL_BYTES, "\r\n"), values: [ALL_BYTES] },
  {
    name: "bulk, just under BIG_BULK",
    wire: wire(`$${justUnderBig.length}\r\n`, justUnderBig, "\r\n"),
    values: [justUnderBig],
  },
  { name: "bulk, over BIG_BULK", wire: wire(`$${big.length}\r\n`, big, "\r\n"), values: [big] },
  // Nulls and booleans
  { name: "RESP2 null bulk", wire: wire("$-1\r\n"), values: [null] },
  { name: "RESP2 null array", wire: wire("*-1\r\n"), values: [null] },
  { name: "RESP3 null", wire: wire("_\r\n"), values: [null] },
  { name: "boolean true", wire: wire("#t\r\n"), values: [true] },
  { name: "boolean false", wire: wire("#f\r\n"), values: [false] },
  // Doubles and big numbers
  { name: "double", wire: wire(",1.5\r\n"), values: [new RespDouble(1.5, "1.5")] },
  { name: "double, negative", wire: wire(",-0.25\r\n"), values: [new RespDouble(-0.25, "-0.25")] },
  { name: "double, integral", wire: wire(",10\r\n"), values: [new RespDouble(10, "10")] },
  { name: "double, e-notation", wire: wire(",1.23e-5\r\n"), values: [new RespDouble(1.23e-5, "1.23e-5")] },
  { name: "double, E+ notation", wire: wire(",6.02E+23\r\n"), values: [new RespDouble(6.02e23, "6.02E+23")] },
  { name: "double inf", wire: wire(",inf\r\n"), values: [new RespDouble(Infinity, "inf")] },
  { name: "double -inf", wire: wire(",-inf\r\n"), values: [new RespDouble(-Infinity, "-inf")] },
  { name: "double nan", wire: wire(",nan\r\n"), values: [new RespDouble(NaN, "nan")] },
  { name: "double -nan", wire: wire(",-nan\r\n"), values: [new RespDouble(NaN, "-nan")] },
  {
    name: "big number",
    wire: wire("(3492890328409238509324850943850943825024385\r\n"),
    values: [3492890328409238509324850943850943825024385n],
  },
  { name: "big number, negative", wire: wire("(-12\r\n"), values: [-12n] },
  // Verbatim
  {
    name: "verbatim",
    wire: wire("=15\r\ntxt:Some string\r\n"),
    values: [new RespVerbatim("txt", bytesOf("Some string"))],
  },
  {
    name: "verbatim, empty text",
    wire: wire("=4\r\nmkd:\r\n"),
    values: [new RespVerbatim("mkd", new Uint8Array(0))],
  },
  // Arrays
  { name: "array, empty", wire: wire("*0\r\n"), values: [[]] },
  {
    name: "array of bulks",
    wire: wire("*2\r\n$3\r\nfoo\r\n$3\r\nbar\r\n"),
    values: [[bytesOf("foo"), bytesOf("bar")]],
  },
  {
    name: "array, mixed with a null element",
    wire: wire("*5\r\n:1\r\n$-1\r\n+two\r\n-ERR three\r\n_\r\n"),
    values: [[1, null, "two", new ErrorReply("ERR three"), null]],
  },
  {
    name: "array, nested",
    wire: wire("*2\r\n*3\r\n:1\r\n:2\r\n:3\r\n*2\r\n+a\r\n*0\r\n"),
    values: [[[1, 2, 3], ["a", []]]],
  },
  { name: "array, nested nulls", wire: wire("*2\r\n*-1\r\n*1\r\n$-1\r\n"), values: [[null, [null]]] },
  // Maps, sets, push
  {
    name: "map",
    wire: wire("%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n"),
    values: [new RespMap([["first", 1], ["second", 2]])],
  },
  { name: "map, empty", wire: wire("%0\r\n"), values: [new RespMap([])] },
  {
    name: "map, aggregate keys and values",
    wire: wire("%1\r\n*1\r\n:1\r\n~1\r\n#t\r\n"),
    values: [new RespMap([[[1], new RespSet([true])]])],
  },
  { name: "set", wire: wire("~3\r\n+a\r\n:1\r\n+a\r\n"), values: [new RespSet(["a", 1, "a"])] },
  { name: "set, empty", wire: wire("~0\r\n"), values: [new RespSet([])] },
  {
    name: "push",
    wire: wire(">3\r\n$7\r\nmessage\r\n$4\r\nchan\r\n$5\r\nhello\r\n"),
    values: [new RespPush([bytesOf("message"), bytesOf("chan"), bytesOf("hello")])],
  },
  {
    name: "push, then the reply",
    wire: wire(">2\r\n$10\r\ninvalidate\r\n*1\r\n$3\r\nkey\r\n+OK\r\n"),
    values: [new RespPush([bytesOf("invalidate"), [bytesOf("key")]]), "OK"],
  },
  // Attributes
  {
    name: "attribute, top level",
    wire: wire(
      "|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n*2\r\n:2039123\r\n:9543892\r\n",
    ),
    values: [new RespAttributed(keyPopularity, [2039123, 9543892])],
  },
  {
    name: "attribute, inside an array",
    wire: wire("*3\r\n:1\r\n|1\r\n+ttl\r\n:3600\r\n:2\r\n:3\r\n"),
    values: [[1, new RespAttributed(new RespMap([["ttl", 3600]]), 2), 3]],
  },
  {
    name: "attribute, before a nested aggregate",
    wire: wire("*2\r\n|1\r\n+a\r\n+b\r\n*1\r\n:1\r\n:2\r\n"),
    values: [[new RespAttributed(new RespMap([["a", "b"]]), [1]), 2]],
  },
  {
    name: "attribute, on a map key",
    wire: wire("%1\r\n|1\r\n+a\r\n+b\r\n+k\r\n+v\r\n"),
    values: [new RespMap([[new RespAttributed(new RespMap([["a", "b"]]), "k"), "v"]])],
  },
  {
    name: "attribute, two in a row nest in wire order",
    wire: wire("|1\r\n+a\r\n:1\r\n|1\r\n+b\r\n:2\r\n+v\r\n"),
    values: [new RespAttributed(new RespMap([["a", 1]]), new RespAttributed(new RespMap([["b", 2]]), "v"))],
  },
  { name: "attribute, empty decorates nothing", wire: wire("|0\r\n:1\r\n"), values: [1] },
  // Streamed (RESP3 chunked) strings and aggregates
  {
    name: "streamed string",
    wire: wire("$?\r\n;4\r\nHell\r\n;5\r\no wor\r\n;1\r\nd\r\n;0\r\n"),
    values: [bytesOf("Hello word")],
  },
  { name: "streamed string, empty", wire: wire("$?\r\n;0\r\n"), values: [new Uint8Array(0)] },
  {
    name: "streamed string, big chunk",
    wire: wire("$?\r\n", `;${big.length}\r\n`, big, "\r\n;2\r\n\r\n\r\n;0\r\n"),
    values: [wire(big, "\r\n")],
  },
  { name: "streamed array", wire: wire("*?\r\n:1\r\n:2\r\n:3\r\n.\r\n"), values: [[1, 2, 3]] },
  { name: "streamed array, empty", wire: wire("*?\r\n.\r\n"), values: [[]] },
  {
    name: "streamed map",
    wire: wire("%?\r\n+a\r\n:1\r\n+b\r\n:2\r\n.\r\n"),
    values: [new RespMap([["a", 1], ["b", 2]])],
  },
  { name: "streamed set", wire: wire("~?\r\n+a\r\n+b\r\n.\r\n"), values: [new RespSet(["a", "b"])] },
  {
    name: "streamed, nested",
    wire: wire("*?\r\n*?\r\n:1\r\n.\r\n$?\r\n;1\r\na\r\n;0\r\n*1\r\n%?\r\n.\r\n.\r\n"),
    values: [[[1], bytesOf("a"), [new RespMap([])]]],
  },
  // Several replies in one chunk
  {
    name: "replies back to back",
    wire: wire("+OK\r\n:1\r\n$3\r\nfoo\r\n*-1\r\n-ERR x\r\n%1\r\n+a\r\n_\r\n#t\r\n$?\r\n;1\r\nz\r\n;0\r\n"),
    values: [
      "OK",
      1,
      bytesOf("foo"),
      null,
      new ErrorReply("ERR x"),
      new RespMap([["a", null]]),
      true,
      bytesOf("z"),
    ],
  },
];

for (const testCase of CASES) {
  Deno.test({
    name: `RespDecoder.next() decodes ${testCase.name}: whole, byte by byte, at random splits`,
    ...NONE,
    fn() {
      for (const split of SPLITS) {
        assert.deepEqual(decodeAll(testCase.wire, split), testCase.values, `split ${split}`);
      }
    },
  });
}

Deno.test({
  name: "RespDecoder.next() decodes all cases back to back in one chunk and at random splits",
  ...NONE,
  fn() {
    const all = wire(...CASES.map((testCase) => testCase.wire));
    const expected = CASES.flatMap((testCase) => testCase.values);
    for (const split of ["whole", ...SEEDS] as Split[]) assert.deepEqual(decodeAll(all, split), expected);
  },
});

Deno.test({
  name: "RespDecoder.next() gives ErrorReply the first word as .code",
  ...NONE,
  fn() {
    const [simple, bulk, lone] = decodeAll(
      wire("-WRONGTYPE Operation against a key\r\n!9\r\nMOVED 1 x\r\n-ERR\r\n"),
      "whole",
    );
    assert.ok(simple instanceof ErrorReply && bulk instanceof ErrorReply && lone instanceof ErrorReply);
    assert.deepEqual([simple.code, simple.message], ["WRONGTYPE", "WRONGTYPE Operation against a key"]);
    assert.deepEqual([bulk.code, bulk.message], ["MOVED", "MOVED 1 x"]);
    assert.deepEqual([lone.code, lone.message], ["ERR", "ERR"]);
  },
});

Deno.test({
  name: "RespDecoder.next() returns undefined on a partial reply and keeps midReply/bufferedBytes",
  ...NONE,
  fn() {
    const decoder = new RespDecoder();
    assert.equal(decoder.midReply, false);
    decoder.feed(wire("*2\r\n$5\r\nhel"));
    assert.equal(decoder.next(), undefined);
    assert.equal(decoder.midReply, true);
    decoder.feed(wire("lo\r\n"));
    assert.equal(decoder.next(), undefined);
    assert.equal(decoder.midReply, true);
    decoder.feed(wire(":1\r\n"));
    assert.deepEqual(decoder.next(), [bytesOf("hello"), 1]);
    assert.equal(decoder.next(), undefined);
    assert.equal(decoder.midReply, false);
    assert.equal(decoder.bufferedBytes, 0);
  },
});

Deno.test({
  name: "RespDecoder.bufferedBytes counts bytes fed and not yet consumed, queued chunks included",
  ...NONE,
  fn() {
    const decoder = new RespDecoder();
    const parts = [
      wire("+", "a".repeat(3000)),
      wire("b\r\n:1\r\n", "$5000\r\n"),
      wire("c".repeat(5000), "\r\n"),
    ];
    let fed = 0;
    for (const part of parts) {
      decoder.feed(part);
      fed += part.length;
      assert.equal(decoder.bufferedBytes, fed);
      assert.equal(decoder.midReply, true);
    }
    assert.deepEqual([decoder.next(), decoder.next(), decoder.next(), decoder.next()], [
      "a".repeat(3000) + "b",
      1,
      utf8.encode("c".repeat(5000)),
      undefined,
    ]);
    assert.equal(decoder.bufferedBytes, 0);
    assert.equal(decoder.midReply, false);
  },
});

Deno.test({
  name: "RespDecoder.midReply is true while a top-level attribute waits for its value",
  ...NONE,
  fn() {
    const decoder = new RespDecoder();
    decoder.feed(wire("|1\r\n+a\r\n+b\r\n"));
    assert.equal(decoder.next(), undefined);
    assert.equal(decoder.midReply, true);
    decoder.feed(wire(":1\r\n"));
    assert.deepEqual(decoder.next(), new RespAttributed(new RespMap([["a", "b"]]), 1));
    assert.equal(decoder.midReply, false);
  },
});

// ---------------------------------------------------------------------------------------------------------
// Limits, each at N (decodes) and N+1 (ProtocolError)

interface LimitCase {
  name: string;
  limits: Partial<DecoderLimits>;
  atLimit: Uint8Array;
  value: RespValue;
  overLimit: Uint8Array;
}

const nest = (depth: number, inner: string) => "*1\r\n".repeat(depth) + inner;
const wrap = (depth: number, value: RespValue): RespValue => depth === 0 ? value : [wrap(depth - 1, value)];

const LIMIT_CASES: LimitCase[] = [
  {
    name: "maxBulkLength on a bulk",
    limits: { maxBulkLength: 10 },
    atLimit: wire("$10\r\n0123456789\r\n"),
    value: bytesOf("0123456789"),
    overLimit: wire("$11\r\n0123456789a\r\n"),
  },
  {
    name: "maxBulkLength on a bulk error",
    limits: { maxBulkLength: 10 },
    atLimit: wire("!10\r\nERR 456789\r\n"),
    value: new ErrorReply("ERR 456789"),
    overLimit: wire("!11\r\nERR 456789a\r\n"),
  },
  {
    name: "maxBulkLength on a verbatim string",
    limits: { maxBulkLength: 10 },
    atLimit: wire("=10\r\ntxt:456789\r\n"),
    value: new RespVerbatim("txt", bytesOf("456789")),
    overLimit: wire("=11\r\ntxt:456789a\r\n"),
  },
  {
    name: "maxBulkLength on a streamed string's total",
    limits: { maxBulkLength: 10 },
    atLimit: wire("$?\r\n;4\r\n0123\r\n;6\r\n456789\r\n;0\r\n"),
    value: bytesOf("0123456789"),
    overLimit: wire("$?\r\n;4\r\n0123\r\n;7\r\n456789a\r\n;0\r\n"),
  },
  {
    name: "maxBulkLength on a big bulk",
    limits: { maxBulkLength: BIG_BULK * 2 },
    atLimit: wire(`$${BIG_BULK * 2}\r\n`, new Uint8Array(BIG_BULK * 2), "\r\n"),
    value: new Uint8Array(BIG_BULK * 2),
    overLimit: wire(`$${BIG_BULK * 2 + 1}\r\n`, new Uint8Array(BIG_BULK * 2 + 1), "\r\n"),
  },
  {
    name: "maxAggregateLength on an array",
    limits: { maxAggregateLength: 3 },
    atLimit: wire("*3\r\n:1\r\n:2\r\n:3\r\n"),
    value: [1, 2, 3],
    overLimit: wire("*4\r\n:1\r\n:2\r\n:3\r\n:4\r\n"),
  },
  {
    name: "maxAggregateLength on a map (pairs)",
    limits: { maxAggregateLength: 2 },
    atLimit: wire("%2\r\n:1\r\n:2\r\n:3\r\n:4\r\n"),
    value: new RespMap([[1, 2], [3, 4]]),
    overLimit: wire("%3\r\n:1\r\n:2\r\n:3\r\n:4\r\n:5\r\n:6\r\n"),
  },
  {
    name: "maxAggregateLength on a set",
    limits: { maxAggregateLength: 2 },
    atLimit: wire("~2\r\n:1\r\n:2\r\n"),
    value: new RespSet([1, 2]),
    overLimit: wire("~3\r\n:1\r\n:2\r\n:3\r\n"),
  },
  {
    name: "maxAggregateLength on a push",
    limits: { maxAggregateLength: 2 },
    atLimit: wire(">2\r\n:1\r\n:2\r\n"),
    value: new RespPush([1, 2]),
    overLimit: wire(">3\r\n:1\r\n:2\r\n:3\r\n"),
  },
  {
    name: "maxAggregateLength on an attribute",
    limits: { maxAggregateLength: 1 },
    atLimit: wire("|1\r\n:1\r\n:2\r\n+v\r\n"),
    value: new RespAttributed(new RespMap([[1, 2]]), "v"),
    overLimit: wire("|2\r\n:1\r\n:2\r\n:3\r\n:4\r\n+v\r\n"),
  },
  {
    name: "maxAggregateLength on a streamed array",
    limits: { maxAggregateLength: 3 },
    atLimit: wire("*?\r\n:1\r\n:2\r\n:3\r\n.\r\n"),
    value: [1, 2, 3],
    overLimit: wire("*?\r\n:1\r\n:2\r\n:3\r\n:4\r\n.\r\n"),
  },
  {
    name: "maxAggregateLength on a streamed map (pairs)",
    limits: { maxAggregateLength: 1 },
    atLimit: wire("%?\r\n:1\r\n:2\r\n.\r\n"),
    value: new RespMap([[1, 2]]),
    overLimit: wire("%?\r\n:1\r\n:2\r\n:3\r\n:4\r\n.\r\n"),
  },
  {
    name: "maxDepth on arrays",
    limits: { maxDepth: 3 },
    atLimit: wire(nest(3, ":1\r\n")),
    value: wrap(3, 1),
    overLimit: wire(nest(4, ":1\r\n")),
  },
  {
    name: "maxDepth counts an empty innermost aggregate",
    limits: { maxDepth: 3 },
    atLimit: wire(nest(2, "*0\r\n")),
    value: wrap(2, []),
    overLimit: wire(nest(3, "%0\r\n")),
  },
  {
    name: "maxDepth on streamed aggregates",
    limits: { maxDepth: 2 },
    atLimit: wire("*?\r\n~?\r\n:1\r\n.\r\n.\r\n"),
    value: [new RespSet([1])],
    overLimit: wire("*?\r\n~?\r\n*?\r\n.\r\n.\r\n.\r\n"),
  },
  {
    name: "maxDepth does not count a streamed string",
    limits: { maxDepth: 2 },
    atLimit: wire(nest(2, "$?\r\n;1\r\na\r\n;0\r\n")),
    value: wrap(2, bytesOf("a")),
    overLimit: wire(nest(3, "$?\r\n;1\r\na\r\n;0\r\n")),
  },
  {
    name: "maxLineLength on a simple string",
    limits: { maxLineLength: 8 },
    atLimit: wire("+12345678\r\n"),
    value: "12345678",
    overLimit: wire("+123456789\r\n"),
  },
  {
    name: "maxLineLength on an error",
    limits: { maxLineLength: 8 },
    atLimit: wire("-ERR 5678\r\n"),
    value: new ErrorReply("ERR 5678"),
    overLimit: wire("-ERR 56789\r\n"),
  },
  {
    name: "maxLineLength on an integer",
    limits: { maxLineLength: 8 },
    atLimit: wire(":12345678\r\n"),
    value: 12345678,
    overLimit: wire(":123456789\r\n"),
  },
  {
    name: "maxLineLength on a big number",
    limits: { maxLineLength: 8 },
    atLimit: wire("(12345678\r\n"),
    value: 12345678n,
    overLimit: wire("(123456789\r\n"),
  },
  {
    name: "maxLineLength on a double",
    limits: { maxLineLength: 8 },
    atLimit: wire(",1.345678\r\n"),
    value: new RespDouble(1.345678, "1.345678"),
    overLimit: wire(",1.3456789\r\n"),
  },
  {
    name: "maxLineLength on a bulk header",
    limits: { maxLineLength: 3 },
    atLimit: wire("$100\r\n", "x".repeat(100), "\r\n"),
    value: bytesOf("x".repeat(100)),
    overLimit: wire("$0100\r\n", "x".repeat(100), "\r\n"),
  },
];

for (const limit of LIMIT_CASES) {
  Deno.test({
    name: `RespDecoder enforces ${limit.name}: N decodes, N+1 throws ProtocolError`,
    ...NONE,
    fn() {
      for (const split of SPLITS) {
        assert.deepEqual(decodeAll(limit.atLimit, split, limit.limits), [limit.value], `N, split ${split}`);
        assertProtocolError(limit.overLimit, split, limit.limits);
      }
    },
  });
}

Deno.test({
  name: "RespDecoder throws on an over-long line before its CRLF arrives",
  ...NONE,
  fn() {
    const decoder = new RespDecoder({ maxLineLength: 8 });
    decoder.feed(wire("+12345678"));
    assert.equal(decoder.next(), undefined);
    decoder.feed(wire("9"));
    assert.throws(() => decoder.next(), ProtocolError);
  },
});

Deno.test({
  name: "RespDecoder throws on an over-long bulk header before its body arrives",
  ...NONE,
  fn() {
    const decoder = new RespDecoder({ maxBulkLength: 1024 });
    decoder.feed(wire("$1025\r\n"));
    assert.throws(() => decoder.next(), ProtocolError);
  },
});

Deno.test({
  name: "RespDecoder throws on an over-long streamed string before its end",
  ...NONE,
  fn() {
    const decoder = new RespDecoder({ maxBulkLength: 10 });
    decoder.feed(wire("$?\r\n;6\r\n012345\r\n;6\r\n012345\r\n"));
    assert.throws(() => decoder.next(), ProtocolError);
  },
});

// ---------------------------------------------------------------------------------------------------------
// Malformed input: ProtocolError, sticky, never a hang

const MALFORMED: [string, Uint8Array][] = [
  ["an HTTP reply", wire("HTTP/1.1 400 Bad Request\r\n\r\n")],
  ["a bad type byte without a line end", wire("H")],
  ["a NUL type byte", wire("\0\r\n")],
  ["a CR without LF in a simple string", wire("+OK\rX\r\n")],
  ["a CR without LF in a header", wire("$3\rX\nabc\r\n")],
  ["a bulk without its trailing CRLF", wire("$3\r\nabcd\r\n")],
  ["a big bulk without its trailing CRLF", wire(`$${BIG_BULK}\r\n`, new Uint8Array(BIG_BULK), "XY")],
  ["a bad integer", wire(":12a\r\n")],
  ["an empty integer", wire(":\r\n")],
  ["a sign-only integer", wire(":-\r\n")],
  ["a long bad integer", wire(":12345678901234567x\r\n")],
  ["a bad boolean", wire("#x\r\n")],
  ["a long boolean", wire("#tt\r\n")],
  ["an empty boolean", wire("#\r\n")],
  ["a bad double", wire(",abc\r\n")],
  ["an empty double", wire(",\r\n")],
  ["a hex double", wire(",0x10\r\n")],
  ["a bad big number", wire("(12x\r\n")],
  ["an empty big number", wire("(\r\n")],
  ["a null with data", wire("_x\r\n")],
  ["a bulk length below -1", wire("$-2\r\n")],
  ["a bulk length that is not a number", wire("$abc\r\n")],
  ["a huge bulk length", wire("$99999999999999999999\r\n")],
  ["an array length below -1", wire("*-2\r\n")],
  ["a null map", wire("%-1\r\n")],
  ["a null set", wire("~-1\r\n")],
  ["a null bulk error", wire("!-1\r\n")],
  ["a null verbatim", wire("=-1\r\n")],
  ["a verbatim without fmt prefix", wire("=3\r\nabc\r\n")],
  ["a verbatim with a bad separator", wire("=6\r\ntxt-ab\r\n")],
  ["a streamed chunk outside a streamed string", wire(";3\r\nabc\r\n")],
  ["a stream end at top level", wire(".\r\n")],
  ["a stream end inside a counted array", wire("*2\r\n:1\r\n.\r\n")],
  ["a stream end with data", wire("*?\r\n.x\r\n")],
  ["a non-chunk inside a streamed string", wire("$?\r\n:1\r\n")],
  ["a negative streamed chunk length", wire("$?\r\n;-1\r\n")],
  ["a streamed map ending after a key", wire("%?\r\n+a\r\n.\r\n")],
  ["a streamed aggregate ending after an attribute", wire("*?\r\n|1\r\n+a\r\n+b\r\n.\r\n")],
  ["a streamed push", wire(">?\r\n.\r\n")],
  ["a streamed attribute", wire("|?\r\n.\r\n")],
  ["a streamed verbatim", wire("=?\r\n")],
];

for (const [name, bytes] of MALFORMED) {
  Deno.test({
    name: `RespDecoder.next() throws a sticky ProtocolError on ${name}`,
    ...NONE,
    fn() {
      for (const split of SPLITS) assertProtocolError(bytes, split);
    },
  });
}

Deno.test({
  name: "RespDecoder.next() keeps replies decoded before a protocol error",
  ...NONE,
  fn() {
    const decoder = new RespDecoder();
    decoder.feed(wire("+OK\r\n:1\r\n?bad\r\n"));
    assert.equal(decoder.next(), "OK");
    assert.equal(decoder.next(), 1);
    assert.throws(() => decoder.next(), ProtocolError);
    assert.throws(() => decoder.next(), ProtocolError);
  },
});

// ---------------------------------------------------------------------------------------------------------
// Round trip: random value trees, serialized as a server would, decoded at random splits

/** A test-only RESP3 serializer. `random` picks among equivalent encodings (null forms, streamed forms). */
function serialize(
  value: RespValue,
  random: () => number,
  out: (string | Uint8Array)[] = [],
): (string | Uint8Array)[] {
  const aggregate = (type: string, items: RespValue[], count: number, streamable: boolean) => {
    if (streamable && random() < 0.25) {
      out.push(`${type}?\r\n`);
      for (const item of items) serialize(item, random, out);
      out.push(".\r\n");
    } else {
      out.push(`${type}${count}\r\n`);
      for (const item of items) serialize(item, random, out);
    }
  };
  if (value === null) out.push(["_\r\n", "$-1\r\n", "*-1\r\n"][int(random, 3)]);
  else if (typeof value === "string") out.push(`+${value}\r\n`);
  else if (typeof value === "number") out.push(`:${value}\r\n`);
  else if (typeof value === "bigint") out.push(`(${value}\r\n`);
  else if (typeof value === "boolean") out.push(value ? "#t\r\n" : "#f\r\n");
  else if (value instanceof Uint8Array) {
    if (random() < 0.2) {
      out.push("$?\r\n");
      for (let at = 0; at < value.length;) {
        const size = 1 + int(random, value.length - at);
        out.push(`;${size}\r\n`, value.subarray(at, at + size), "\r\n");
        at += size;
      }
      out.push(";0\r\n");
    } else out.push(`$${value.length}\r\n`, value, "\r\n");
  } else if (value instanceof RespDouble) out.push(`,${value.text}\r\n`);
  else if (value instanceof ErrorReply) {
    const message = utf8.encode(value.message);
    if (random() < 0.5) out.push(`-${value.message}\r\n`);
    else out.push(`!${message.length}\r\n`, message, "\r\n");
  } else if (value instanceof RespVerbatim) {
    out.push(`=${value.data.length + 4}\r\n${value.format}:`, value.data, "\r\n");
  } else if (Array.isArray(value)) aggregate("*", value, value.length, true);
  else if (value instanceof RespSet) aggregate("~", value.items, value.items.length, true);
  else if (value instanceof RespPush) aggregate(">", value.items, value.items.length, false);
  else if (value instanceof RespMap) aggregate("%", value.entries.flat(), value.entries.length, true);
  else if (value instanceof RespAttributed) {
    aggregate("|", value.attributes.entries.flat(), value.attributes.entries.length, false);
    serialize(value.value, random, out);
  } else throw new TypeError(`Cannot serialize ${value}`);
  return out;
}

const WORDS = ["", "OK", "a", "héllo", "key:1", "✓ ok", "x".repeat(70)];
const DOUBLES = ["1.5", "-0.25", "3", "1e10", "2.5E-3", "inf", "-inf", "nan"];

function randomBytes(random: () => number, max: number): Uint8Array {
  return Uint8Array.from({ length: int(random, max) }, () => int(random, 256));
}

/** A random RespValue tree of at most `depth` nested aggregates, as the decoder would return it. */
function randomValue(random: () => number, depth: number): RespValue {
  const kinds = depth > 0 ? 17 : 11;
  const items = () => Array.from({ length: int(random, 5) }, () => randomValue(random, depth - 1));
  switch (int(random, kinds)) {
    case 0:
      return WORDS[int(random, WORDS.length)];
    case 1:
      return int(random, 2 ** 31) * (random() < 0.5 ? -1 : 1) || 0;
    case 2:
      return BigInt(int(random, 2 ** 31)) * 2n ** 40n * (random() < 0.5 ? -1n : 1n);
    case 3:
      return random() < 0.5;
    case 4:
      return null;
    case 5:
    case 6:
      return randomBytes(random, random() < 0.05 ? BIG_BULK * 2 : 40);
    case 7: {
      const text = DOUBLES[int(random, DOUBLES.length)];
      return new RespDouble(
        text === "nan" ? NaN : text === "inf" ? Infinity : text === "-inf" ? -Infinity : Number(text),
        text,
      );
    }
    case 8:
      return new ErrorReply(
        ["ERR bad thing", "WRONGTYPE no", "MOVED 3999 127.0.0.1:6381", "LOADING"][int(random, 4)],
      );
    case 9:
      return new RespVerbatim(random() < 0.5 ? "txt" : "mkd", randomBytes(random, 20));
    case 10:
      return int(random, 1000);
    case 11:
    case 12:
      return items();
    case 13:
      return new RespMap(
        Array.from(
          { length: int(random, 4) },
          () => [randomValue(random, depth - 1), randomValue(random, depth - 1)],
        ),
      );
    case 14:
      return new RespSet(items());
    case 15:
      return new RespPush(items());
    default: {
      const attributes = new RespMap([[WORDS[int(random, WORDS.length)], randomValue(random, depth - 1)]]);
      return new RespAttributed(attributes, randomValue(random, depth - 1));
    }
  }
}

Deno.test({
  name: "RespDecoder.next() round-trips random value trees at random split points",
  ...NONE,
  fn() {
    for (const seed of SEEDS) {
      const random = prng(seed);
      for (let round = 0; round < 40; round++) {
        const values = Array.from({ length: 1 + int(random, 6) }, () => randomValue(random, 4));
        const bytes = wire(...values.flatMap((value) => serialize(value, random)));
        const splits: Split[] = ["whole", seed * 1000 + round];
        if (bytes.length < 4000) splits.push("bytes");
        for (const split of splits) {
          assert.deepEqual(decodeAll(bytes, split), values, `seed ${seed} round ${round}`);
        }
      }
    }
  },
});

Deno.test({
  name: "RespDecoder.feed() bridges replies cut by large chunks, fed one by one or all before next()",
  ...NONE,
  fn() {
    for (const seed of SEEDS) {
      const random = prng(seed);
      const values = Array.from({ length: 300 }, () => randomValue(random, 3));
      const bytes = wire(...values.flatMap((value) => serialize(value, random)));
      for (const max of [5000, 70_000]) {
        assert.deepEqual(decodeAll(bytes, [seed, max]), values, `seed ${seed}, chunks up to ${max}`);
        assert.deepEqual(decodeAll(bytes, [seed, max], {}, true), values, `seed ${seed}, fed first`);
      }
    }
  },
});

Deno.test({
  name: "RespDecoder.feed() bridges bulks of every size around BIG_BULK cut at every offset",
  ...NONE,
  fn() {
    // A small reply fills most of a chunk, so the next reply's header or body is cut by the chunk end.
    for (const size of [0, 10, 4000, 5000, BIG_BULK - 1, BIG_BULK, BIG_BULK + 1]) {
      const body = Uint8Array.from({ length: size }, (_, i) => (i * 13) & 0xff);
      const bytes = wire(`+${"x".repeat(4100)}\r\n`, `$${size}\r\n`, body, "\r\n:7\r\n");
      for (let cut = 4100; cut < Math.min(bytes.length, 4100 + 24); cut++) {
        const decoder = new RespDecoder();
        const values: RespValue[] = [];
        for (const chunk of [bytes.slice(0, cut), bytes.slice(cut)]) {
          decoder.feed(chunk);
          for (let value = decoder.next(); value !== undefined; value = decoder.next()) values.push(value);
        }
        assert.deepEqual(values, ["x".repeat(4100), body, 7], `size ${size}, cut at ${cut}`);
      }
    }
  },
});

// ---------------------------------------------------------------------------------------------------------
// Fuzzing: random and mutated bytes only ever end in values, "need more", or a ProtocolError

const ALPHABET = wire("+-:$*_#,(!=%~|>;.?\r\n\r\n\r\n0123456789-tfinax");
const FUZZ_LIMITS: Partial<DecoderLimits> = { maxBulkLength: 64 * 1024, maxDepth: 16, maxLineLength: 256 };

/** Feed at random splits; every next() must return (value or undefined) or throw a ProtocolError. */
function fuzzOnce(bytes: Uint8Array, random: () => number): void {
  const decoder = new RespDecoder(FUZZ_LIMITS);
  let calls = 0;
  try {
    for (let at = 0; at < bytes.length;) {
      const size = 1 + int(random, 32);
      decoder.feed(bytes.subarray(at, at + size));
      at += size;
      // Each call returns: a value consumes at least 3 bytes, so there are fewer values than bytes.
      while (decoder.next() !== undefined) assert.ok(++calls <= bytes.length, "more values than bytes");
    }
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
  }
}

Deno.test({
  name: "RespDecoder.next() on random bytes throws only ProtocolError and always returns",
  ...NONE,
  fn() {
    for (const seed of SEEDS) {
      const random = prng(seed);
      for (let round = 0; round < 1500; round++) {
        const bytes = Uint8Array.from(
          { length: 1 + int(random, 64) },
          () => random() < 0.9 ? ALPHABET[int(random, ALPHABET.length)] : int(random, 256),
        );
        fuzzOnce(bytes, random);
      }
    }
  },
});

Deno.test({
  name: "RespDecoder.next() on mutated valid replies throws only ProtocolError and always returns",
  ...NONE,
  fn() {
    for (const seed of SEEDS) {
      const random = prng(seed);
      for (let round = 0; round < 800; round++) {
        const valid = wire(...serialize(randomValue(random, 3), random));
        const bytes = Array.from(valid);
        for (let edits = 1 + int(random, 4); edits > 0; edits--) {
          const at = int(random, bytes.length + 1);
          const byte = random() < 0.8 ? ALPHABET[int(random, ALPHABET.length)] : int(random, 256);
          const choice = int(random, 3);
          if (choice === 0) bytes[at] = byte;
          else if (choice === 1) bytes.splice(at, 0, byte);
          else bytes.splice(at, 1);
        }
        fuzzOnce(Uint8Array.from(bytes), random);
      }
    }
  },
});

Deno.test({
  name: "RespDecoder.next() stays linear when long lines and small bulks arrive byte by byte",
  ...NONE,
  fn() {
    // Each element is re-fed one byte at a time with next() after every byte; re-copying or re-scanning
    // what is pending on every byte would take minutes here.
    const long = "x".repeat(256 * 1024);
    const body = Uint8Array.from({ length: BIG_BULK - 1 }, (_, i) => i & 0xff);
    const cases: [Uint8Array, RespValue][] = [
      [wire(`+${long}\r\n`), long],
      [wire(`-ERR ${long}\r\n`), new ErrorReply(`ERR ${long}`)],
      [wire(`$${body.length}\r\n`, body, "\r\n"), body],
      [wire(`=${body.length + 4}\r\ntxt:`, body, "\r\n"), new RespVerbatim("txt", body)],
      [wire("*2\r\n", `+${long}\r\n`, `$${body.length}\r\n`, body, "\r\n"), [long, body]],
    ];
    for (const [bytes, value] of cases) {
      const start = performance.now();
      assert.deepEqual(decodeAll(bytes, "bytes"), [value]);
      const elapsed = performance.now() - start;
      assert.ok(elapsed < 3000, `${bytes.length} bytes one by one took ${elapsed.toFixed(0)} ms`);
    }
  },
});

// ---------------------------------------------------------------------------------------------------------
// Performance sanity: a huge bulk in 64 KB chunks decodes in linear time

/** The wire bytes of one `size`-byte bulk with a known pattern, and a check of a decoded value. */
function hugeBulk(size: number): { bytes: Uint8Array; check(value: RespValue | undefined): void } {
  const pattern = Uint8Array.from({ length: 64 * 1024 }, (_, i) => (i * 131 + 7) & 0xff);
  const header = utf8.encode(`$${size}\r\n`);
  const bytes = new Uint8Array(header.length + size + 2);
  bytes.set(header);
  for (let at = 0; at < size; at += pattern.length) {
    bytes.set(pattern.subarray(0, size - at), header.length + at);
  }
  bytes.set([13, 10], header.length + size);
  return {
    bytes,
    check(value) {
      assert.ok(value instanceof Uint8Array && value.length === size, "one bulk of the right size");
      for (let i = 0; i < size; i += 4099) assert.equal(value[i], pattern[i % pattern.length], `byte ${i}`);
      assert.deepEqual(value.subarray(size - 70_000), bytes.subarray(header.length + size - 70_000, -2));
    },
  };
}

/**
 * Decode `bytes` fed in 64 KB chunks: milliseconds until the first quarter of the bytes was fed and decoded,
 * milliseconds for all of them, and the value.
 */
function timeDecode(bytes: Uint8Array): [number, number, RespValue | undefined] {
  const decoder = new RespDecoder();
  let value: RespValue | undefined;
  let quarter = 0;
  const start = performance.now();
  for (let at = 0; at < bytes.length; at += 64 * 1024) {
    decoder.feed(bytes.subarray(at, at + 64 * 1024));
    value = decoder.next() ?? value;
    if (quarter === 0 && at + 64 * 1024 >= bytes.length / 4) quarter = performance.now() - start;
  }
  return [quarter, performance.now() - start, value];
}

Deno.test({
  name: "RespDecoder.next() decodes a 100 MB bulk in 64 KB chunks in linear time",
  ...NONE,
  fn() {
    const huge = hugeBulk(100 * 1024 * 1024);
    // The first 25 MB and the whole 100 MB are timed in the same runs, so that both see the same allocator
    // (fresh pages for the 100 MB destination); the fastest of a few runs, so that one garbage collection
    // does not decide the outcome.
    let firstQuarter = Infinity;
    let whole = Infinity;
    for (let round = 0; round < 3; round++) {
      const [quarterTime, wholeTime, value] = timeDecode(huge.bytes);
      huge.check(value);
      firstQuarter = Math.min(firstQuarter, quarterTime);
      whole = Math.min(whole, wholeTime);
    }
    const timing = `first 25 MB: ${firstQuarter.toFixed(1)} ms, all 100 MB: ${whole.toFixed(1)} ms`;
    assert.ok(whole < 2000, timing);
    // 4x the bytes should take about 4x the time; a decoder that re-copied what it holds would take 16x.
    assert.ok(whole / Math.max(firstQuarter, 1) < 8, timing);
  },
});
