/**
 * RespDecoder on malformed input: a sticky ProtocolError, never a hang, and replies decoded before the error
 * are kept. Pure: every test runs with `permissions: "none"`.
 */
import assert from "node:assert/strict";
import { BIG_BULK, ProtocolError, RespDecoder } from "./mod.ts";
import { assertProtocolError, NONE, SPLITS, wire } from "./_decoder_test_util.ts";

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
