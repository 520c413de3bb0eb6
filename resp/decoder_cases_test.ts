/**
 * RespDecoder: every wire type as data, each case decoded whole, byte by byte and at seeded random split
 * points; ErrorReply codes; partial replies, midReply and bufferedBytes. Pure: every test runs with
 * `permissions: "none"`.
 */
import assert from "node:assert/strict";
import {
  BIG_BULK,
  ErrorReply,
  RespAttributed,
  RespDecoder,
  RespDouble,
  RespMap,
  RespPush,
  RespSet,
  type RespValue,
  RespVerbatim,
} from "./mod.ts";
import { bytesOf, decodeAll, NONE, SEEDS, type Split, SPLITS, utf8, wire } from "./_decoder_test_util.ts";

interface Case {
  name: string;
  wire: Uint8Array;
  values: RespValue[];
}

const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);
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
