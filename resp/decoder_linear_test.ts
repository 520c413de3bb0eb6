/**
 * RespDecoder stays linear: long lines and small bulks fed byte by byte, and a 100 MB bulk in 64 KB chunks.
 * Pure: every test runs with `permissions: "none"`.
 */
import assert from "node:assert/strict";
import { BIG_BULK, ErrorReply, RespDecoder, type RespValue, RespVerbatim } from "./mod.ts";
import { decodeAll, NONE, utf8, wire } from "./_decoder_test_util.ts";

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
      assert.ok(elapsed < 8000, `${bytes.length} bytes one by one took ${elapsed.toFixed(0)} ms`);
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
    // Bounds with room for a loaded CI machine (the suite runs in parallel on 2 cores): a decoder that
    // re-copied what it holds on every chunk copies ~80 GB here and takes minutes, and 16x, not 4x, the
    // time of the first quarter.
    assert.ok(whole < 5000, timing);
    assert.ok(whole / Math.max(firstQuarter, 1) < 12, timing);
  },
});
