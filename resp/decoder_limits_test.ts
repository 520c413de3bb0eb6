/**
 * RespDecoder limits: each of maxBulkLength, maxAggregateLength, maxDepth and maxLineLength at N (decodes)
 * and N+1 (ProtocolError), fed whole, byte by byte, at seeded split points and cut in two at every byte;
 * and over-long input refused before it is complete. Pure: every test runs with `permissions: "none"`.
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
import {
  assertProtocolError,
  bytesOf,
  decodeAll,
  everyCut,
  NONE,
  SPLITS,
  wire,
} from "./_decoder_test_util.ts";

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
      for (const split of [...SPLITS, ...everyCut(limit.atLimit.length)]) {
        const shown = JSON.stringify(split);
        assert.deepEqual(decodeAll(limit.atLimit, split, limit.limits), [limit.value], `N, split ${shown}`);
      }
      for (const split of [...SPLITS, ...everyCut(limit.overLimit.length)]) {
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
