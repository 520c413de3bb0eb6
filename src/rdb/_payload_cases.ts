/**
 * DUMP payloads as data for the decoder tests: real ones captured from redis-server 7.0.15 (RDB 10) and
 * 7.4.1 (RDB 12), and hand-built ones for every encoding those did not produce, each with the value it
 * must decode to in a plain form (`plain()`), so cases are compared with one deepEqual.
 */
import type { RdbValue, StreamId } from "./value.ts";
import { concat, hex, intset, le64, len, listpack, lzfStr, payload, str, text } from "./_test_util.ts";

export interface PayloadCase {
  name: string;
  payload: Uint8Array;
  rdbType: number;
  rdbVersion: number;
  value: unknown;
}

const id = (ms: number, seq: number) => {
  const raw = new Uint8Array(16);
  const view = new DataView(raw.buffer);
  view.setBigUint64(0, BigInt(ms), false);
  view.setBigUint64(8, BigInt(seq), false);
  return raw;
};

/** A stream with a deleted entry still pending in a group (type 15: no v2/v3 fields). */
const STREAM_V1_BODY = concat(
  len(1),
  str(id(1000, 0)),
  str(
    listpack([
      2n,
      1n,
      2n,
      "a",
      "b",
      0n,
      2n,
      0n,
      1n,
      "1",
      "2",
      5n,
      3n,
      1n,
      0n,
      "x",
      "y",
      5n,
      0n,
      2n,
      0n,
      1n,
      "c",
      "3",
      6n,
    ]),
  ),
  len(2),
  len(1002),
  len(0),
  len(1), // groups
  str("g"),
  len(1002),
  len(0),
  len(2),
  id(1000, 1),
  le64(1700000000000n),
  len(3),
  id(1001, 0),
  le64(1700000000001n),
  len(1),
  len(1), // consumers
  str("c"),
  le64(1700000000002n),
  len(2),
  id(1000, 1),
  id(1001, 0),
);

/** An empty stream of type 21 (v3): no nodes, every metadata field present, no groups. */
const STREAM_V3_EMPTY_BODY = concat(
  len(0),
  len(0),
  len(5),
  len(5),
  len(0),
  len(0),
  len(5),
  len(5),
  len(1),
  len(0),
);

const MIN_EXPIRE = 1900000000000n;

export const CASES: PayloadCase[] = [
  // Captured from redis-server 7.0.15.
  c("7.0 raw string", "000568656c6c6f0a006372df766534200a", 0, 10, { type: "string", value: "hello" }),
  c("7.0 int8 string", "00c0fb0a0049c4c6f4d7263f68", 0, 10, { type: "string", value: "-5" }),
  c("7.0 LZF string", "00c3112308616263646566676861e00e070278797a0a00daf877353085decc", 0, 10, {
    type: "string",
    value: "abcdefgh".repeat(4) + "xyz",
  }),
  c(
    "7.0 quicklist of one listpack",
    "120102131300000004008161020101d4480282626203ff0a00070e5ce7cb645f5f",
    18,
    10,
    {
      type: "list",
      elements: ["a", "1", "-3000", "bb"],
    },
  ),
  c("7.0 intset", "0b0e0200000003000000f9ff01002c010a0087d7a41c9e9433a2", 11, 10, {
    type: "set",
    members: ["-7", "1", "300"],
  }),
  c("7.0 hashtable set", "0202016101620a00fe642125eb033d0d", 2, 10, { type: "set", members: ["a", "b"] }),
  c(
    "7.0 LZF-compressed zset listpack (%.17g scores)",
    "11c3232c122c0000000600817902000181780293302e3130e005000a311481770283696e6604ff0a002353f1d15c9e5a08",
    17,
    10,
    { type: "zset", entries: [["y", 0, "0"], ["x", 0.1, "0.1"], ["w", Infinity, "inf"]] },
  ),
  c("7.0 listpack hash", "1012120000000400816602817602816e022a01ff0a00ff30e87f7262d991", 16, 10, {
    type: "hash",
    fields: [["f", "v"], ["n", "42"]],
  }),
  c(
    "7.0 stream with a group and a pending entry",
    "13011000000000000000010000000000000001c3313611360000001600030100010101816102000102200a400c00046009000120050004600f02dfff02202106620203010601ff030200010100000301016701010101000000000000000100000000000000018169a735a2010000010101638169a735a201000001000000000000000100000000000000010a008d4b131ff555d34a",
    19,
    10,
    {
      type: "stream",
      entries: [["1-1", ["a", "1"]], ["1-2", ["a", "2"]], ["2-0", ["b", "3"]]],
      length: 3,
      lastId: "2-0",
      firstId: "1-1",
      maxDeletedId: "0-0",
      entriesAdded: 3n,
      groups: [{
        name: "g",
        lastId: "1-1",
        entriesRead: 1n,
        pending: [["1-1", "c", 1796196493697n, 1n]],
        consumers: [["c", 1796196493697n, undefined, ["1-1"]]],
      }],
    },
  ),
  // Captured from redis-server 7.4.1.
  c("7.4 listpack set", "140d0d0000000200816102816202ff0c00a84583074e16a194", 20, 12, {
    type: "set",
    members: ["a", "b"],
  }),
  c(
    "7.4 zset listpack (shortest scores)",
    "111c1c0000000600817902000181780283302e310481770283696e6604ff0c0023a10842f0102007",
    17,
    12,
    { type: "zset", entries: [["y", 0, "0"], ["x", 0.1, "0.1"], ["w", Infinity, "inf"]] },
  ),
  c(
    "7.4 listpack hash with a field TTL (HASH_LISTPACK_EX)",
    "190038d360ba0100001d1d00000006008161020101f40038d360ba0100000981620202010001ff0c00e8b40350cbdaa45a",
    25,
    12,
    { type: "hash", fields: [["a", "1", 1900000000000], ["b", "2"]] },
  ),
  // Hand-built: string encodings and length forms.
  b("int16 string", 0, [0xc1, 0x39, 0x30], { type: "string", value: "12345" }),
  b("int32 string", 0, [0xc2, 0x60, 0x79, 0xfe, 0xff], { type: "string", value: "-100000" }),
  b("string with a 32-bit length", 0, concat(len(3, 32), [0x61, 0x62, 0x63]), {
    type: "string",
    value: "abc",
  }),
  b("string with a 64-bit length", 0, concat(len(3, 64), [0x61, 0x62, 0x63]), {
    type: "string",
    value: "abc",
  }),
  b("string with a 14-bit length", 0, str("q".repeat(100)), { type: "string", value: "q".repeat(100) }),
  b("LZF string with an overlapping reference", 0, lzfStr([2, 0x61, 0x62, 0x63, 0xe0, 0, 2], 12), {
    type: "string",
    value: "abcabcabcabc",
  }),
  b("empty string", 0, [0], { type: "string", value: "" }),
  // Hand-built collections.
  b("plain list (type 1)", 1, concat(len(2), str("a"), [0xc0, 7]), { type: "list", elements: ["a", "7"] }),
  b(
    "quicklist with a plain node between packed ones",
    18,
    concat(len(3), len(2), str(listpack(["a", 1n])), len(1), str("PLAIN"), len(2), str(listpack([-2n]))),
    { type: "list", elements: ["a", "1", "PLAIN", "-2"] },
  ),
  b("intset of 4-byte integers", 11, str(intset(4, [-70000n, 5n])), {
    type: "set",
    members: ["-70000", "5"],
  }),
  b("intset of 8-byte integers", 11, str(intset(8, [-(1n << 40n), 1n << 62n])), {
    type: "set",
    members: [String(-(1n << 40n)), String(1n << 62n)],
  }),
  b("set listpack with integers", 20, str(listpack([1n, "b"])), { type: "set", members: ["1", "b"] }),
  b(
    "hashtable zset (ZSET_2) with -0 and 1e-300",
    5,
    concat(len(2), str("neg"), le64(-0, true), str("tiny"), le64(1e-300, true)),
    {
      type: "zset",
      entries: [["neg", -0, "-0"], ["tiny", 1e-300, "1e-300"]],
    },
  ),
  b(
    "old zset (type 3) with text scores and ±inf",
    3,
    concat(len(3), str("a"), [3], str("0.5").subarray(1), str("b"), [254], str("c"), [255]),
    {
      type: "zset",
      entries: [["a", 0.5, "0.5"], ["b", Infinity, "inf"], ["c", -Infinity, "-inf"]],
    },
  ),
  b("hashtable hash (type 4)", 4, concat(len(1), str("f"), [0xc0, 0xff]), {
    type: "hash",
    fields: [["f", "-1"]],
  }),
  b(
    "hash with field TTLs (HASH_METADATA, TTLs relative to the minimum)",
    24,
    concat(
      le64(MIN_EXPIRE),
      len(3),
      len(1),
      str("a"),
      str("1"),
      len(0),
      str("b"),
      str("2"),
      len(501),
      str("c"),
      str("3"),
    ),
    { type: "hash", fields: [["a", "1", 1900000000000], ["b", "2"], ["c", "3", 1900000000500]] },
  ),
  b(
    "hash with field TTLs (7.4 RC: HASH_METADATA_PRE_GA, absolute TTLs)",
    22,
    concat(len(1), len(1900000000000), str("a"), str("1")),
    { type: "hash", fields: [["a", "1", 1900000000000]] },
  ),
  b(
    "listpack hash with TTLs (7.4 RC: HASH_LISTPACK_EX_PRE_GA)",
    23,
    str(listpack(["a", "1", 1900000000000n, "b", "2", 0n])),
    { type: "hash", fields: [["a", "1", 1900000000000], ["b", "2"]] },
  ),
  b("stream (type 15) with a deleted entry still pending", 15, STREAM_V1_BODY, {
    type: "stream",
    entries: [["1000-1", ["a", "1", "b", "2"]], ["1002-0", ["c", "3"]]],
    length: 2,
    lastId: "1002-0",
    firstId: undefined,
    maxDeletedId: undefined,
    entriesAdded: undefined,
    groups: [{
      name: "g",
      lastId: "1002-0",
      entriesRead: undefined,
      pending: [["1000-1", "c", 1700000000000n, 3n], ["1001-0", "c", 1700000000001n, 1n]],
      consumers: [["c", 1700000000002n, undefined, ["1000-1", "1001-0"]]],
    }],
  }, 9),
  b("empty stream (type 21)", 21, STREAM_V3_EMPTY_BODY, {
    type: "stream",
    entries: [],
    length: 0,
    lastId: "5-5",
    firstId: "0-0",
    maxDeletedId: "5-5",
    entriesAdded: 1n,
    groups: [],
  }, 12),
];

function c(
  name: string,
  payloadHex: string,
  rdbType: number,
  rdbVersion: number,
  value: unknown,
): PayloadCase {
  return { name, payload: hex(payloadHex), rdbType, rdbVersion, value };
}

function b(
  name: string,
  rdbType: number,
  body: Uint8Array | number[],
  value: unknown,
  version = 11,
): PayloadCase {
  return { name, payload: payload(rdbType, body, version), rdbType, rdbVersion: version, value };
}

/** The decoded value in the plain form the cases use: text for bytes, "ms-seq" for IDs. */
export function plain(value: RdbValue): unknown {
  switch (value.type) {
    case "string":
      return { type: "string", value: text(value.value) };
    case "list":
      return { type: "list", elements: value.elements.map(text) };
    case "set":
      return { type: "set", members: value.members.map(text) };
    case "zset":
      return {
        type: "zset",
        entries: value.entries.map((e) => [text(e.member), e.score, text(e.scoreText)]),
      };
    case "hash":
      return {
        type: "hash",
        fields: value.fields.map((f) =>
          f.expireAt === undefined
            ? [text(f.field), text(f.value)]
            : [text(f.field), text(f.value), f.expireAt]
        ),
      };
    case "stream":
      return {
        type: "stream",
        entries: value.entries.map((e) => [ids(e.id), e.fieldsAndValues.map(text)]),
        length: value.length,
        lastId: ids(value.lastId),
        firstId: value.firstId && ids(value.firstId),
        maxDeletedId: value.maxDeletedId && ids(value.maxDeletedId),
        entriesAdded: value.entriesAdded,
        groups: value.groups.map((g) => ({
          name: text(g.name),
          lastId: ids(g.lastId),
          entriesRead: g.entriesRead,
          pending: g.pending.map((
            p,
          ) => [ids(p.id), p.consumer && text(p.consumer), p.deliveryTime, p.deliveryCount]),
          consumers: g.consumers.map((c) => [text(c.name), c.seenTime, c.activeTime, c.pending.map(ids)]),
        })),
      };
  }
}

function ids(streamId: StreamId): string {
  return `${streamId.ms}-${streamId.seq}`;
}
