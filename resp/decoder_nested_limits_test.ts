/**
 * RespDecoder's maxBulkLength on bulks inside aggregates: the decoder takes runs of bulks inside an array by
 * a fast path of its own, so the limit is tested there too, for the first, a middle and the last element,
 * inside maps, sets, pushes and nested arrays, at N (decodes) and N+1 (ProtocolError), fed whole, byte by
 * byte, at seeded random split points and cut in two at every byte (`everyCut`). Pure: runs with
 * `permissions: "none"`.
 */
import assert from "node:assert/strict";
import { BIG_BULK, RespMap, RespPush, RespSet, type RespValue } from "./mod.ts";
import {
  assertProtocolError,
  bytesOf,
  decodeAll,
  everyCut,
  NONE,
  SPLITS,
  wire,
} from "./_decoder_test_util.ts";

const LIMIT = 10;
const AT = "0123456789"; // LIMIT bytes
const OVER = "0123456789a"; // LIMIT + 1 bytes
const bulk = (text: string) => `$${text.length}\r\n${text}\r\n`;

interface NestedCase {
  name: string;
  /** Wire text with `@` where the bulk under test goes. */
  template: string;
  /** The decoded value when the bulk is AT. */
  value: RespValue;
}

const at = bytesOf(AT);
const x = bytesOf("x");

const CASES: NestedCase[] = [
  { name: "first of three array elements", template: "*3\r\n@$1\r\nx\r\n$1\r\nx\r\n", value: [at, x, x] },
  { name: "middle of three array elements", template: "*3\r\n$1\r\nx\r\n@$1\r\nx\r\n", value: [x, at, x] },
  { name: "last of three array elements", template: "*3\r\n$1\r\nx\r\n$1\r\nx\r\n@", value: [x, x, at] },
  { name: "only element of an array", template: "*1\r\n@", value: [at] },
  {
    name: "array element after an integer",
    template: "*3\r\n:1\r\n@$1\r\nx\r\n",
    value: [1, at, x],
  },
  {
    name: "element of an inner array",
    template: "*2\r\n*2\r\n$1\r\nx\r\n@$1\r\nx\r\n",
    value: [[x, at], x],
  },
  { name: "map key", template: "%1\r\n@:1\r\n", value: new RespMap([[at, 1]]) },
  {
    name: "map value",
    template: "%2\r\n$1\r\nx\r\n@$1\r\nx\r\n:2\r\n",
    value: new RespMap([[x, at], [x, 2]]),
  },
  { name: "set member", template: "~2\r\n@$1\r\nx\r\n", value: new RespSet([at, x]) },
  { name: "push element", template: ">2\r\n@$1\r\nx\r\n", value: new RespPush([at, x]) },
  {
    name: "element of a streamed array",
    template: "*?\r\n$1\r\nx\r\n@.\r\n",
    value: [x, at],
  },
];

for (const testCase of CASES) {
  Deno.test({
    name: `RespDecoder enforces maxBulkLength on the ${testCase.name}: N decodes, N+1 throws ProtocolError`,
    ...NONE,
    fn() {
      const atLimit = wire(testCase.template.replace("@", bulk(AT)));
      const overLimit = wire(testCase.template.replace("@", bulk(OVER)));
      for (const split of [...SPLITS, ...everyCut(atLimit.length)]) {
        const shown = JSON.stringify(split);
        assert.deepEqual(
          decodeAll(atLimit, split, { maxBulkLength: LIMIT }),
          [testCase.value],
          `N, ${shown}`,
        );
      }
      for (const split of [...SPLITS, ...everyCut(overLimit.length)]) {
        assertProtocolError(overLimit, split, { maxBulkLength: LIMIT });
      }
    },
  });
}

Deno.test({
  name: "RespDecoder enforces maxBulkLength on a big bulk inside an array, whole and in chunks",
  ...NONE,
  fn() {
    const limit = BIG_BULK * 2;
    const body = new Uint8Array(limit + 1).fill(0x61);
    const element = (n: number) => wire(`$${n}\r\n`, body.subarray(0, n), "\r\n");
    const atLimit = wire("*3\r\n$1\r\nx\r\n", element(limit), "$1\r\nx\r\n");
    const overLimit = wire("*3\r\n$1\r\nx\r\n", element(limit + 1), "$1\r\nx\r\n");
    for (const split of [...SPLITS, ...everyCut(atLimit.length)]) {
      const [value] = decodeAll(atLimit, split, { maxBulkLength: limit });
      assert.ok(Array.isArray(value) && value.length === 3, `N, ${JSON.stringify(split)}`);
      assert.equal((value[1] as Uint8Array).length, limit);
    }
    for (const split of [...SPLITS, ...everyCut(overLimit.length)]) {
      assertProtocolError(overLimit, split, { maxBulkLength: limit });
    }
  },
});
