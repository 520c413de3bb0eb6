/**
 * encodeCommand / encodeCommands / encodedLength: strings as UTF-8 (surrogate pairs, lone surrogates),
 * bytes passed through untouched, numbers and bigints as decimal text, the batch equal to the concatenation
 * of single encodes, and the measured size equal to the written size. Pure: `permissions: "none"`.
 */
import assert from "node:assert/strict";
import {
  type Command,
  encodeCommand,
  encodeCommands,
  encodeCommandsShared,
  encodedLength,
  encodeKeyCommands,
  RespDecoder,
  type RespValue,
  splitEncodedCommands,
} from "./mod.ts";

const NONE = { permissions: "none" } as const;
const utf8 = new TextEncoder();

/** Deterministic PRNG (mulberry32): every failure reproduces from its seed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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

/** The expected wire form of a command whose arguments are already bytes. */
function expected(args: Uint8Array[]): Uint8Array {
  return wire(`*${args.length}\r\n`, ...args.flatMap((arg) => [`$${arg.length}\r\n`, arg, "\r\n"]));
}

const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);

interface Case {
  name: string;
  command: Command;
  /** Each argument's bytes on the wire. */
  args: (string | Uint8Array)[];
}

const CASES: Case[] = [
  { name: "no arguments", command: [], args: [] },
  { name: "one ASCII word", command: ["PING"], args: ["PING"] },
  { name: "an empty string", command: ["SET", "k", ""], args: ["SET", "k", ""] },
  {
    name: "two-byte UTF-8",
    command: ["SET", "k", "héllo"],
    args: ["SET", "k", wire(Uint8Array.of(0x68, 0xc3, 0xa9, 0x6c, 0x6c, 0x6f))],
  },
  { name: "three-byte UTF-8", command: ["日本"], args: [Uint8Array.of(0xe6, 0x97, 0xa5, 0xe6, 0x9c, 0xac)] },
  { name: "a surrogate pair (4 bytes)", command: ["😀"], args: [Uint8Array.of(0xf0, 0x9f, 0x98, 0x80)] },
  {
    name: "a lone high surrogate (U+FFFD)",
    command: ["a\ud800b"],
    args: [Uint8Array.of(0x61, 0xef, 0xbf, 0xbd, 0x62)],
  },
  {
    name: "a lone high surrogate at the end",
    command: ["a\ud800"],
    args: [Uint8Array.of(0x61, 0xef, 0xbf, 0xbd)],
  },
  { name: "a lone low surrogate", command: ["\udc00"], args: [Uint8Array.of(0xef, 0xbf, 0xbd)] },
  {
    name: "two high surrogates then a low one",
    command: ["\ud800\ud83d\ude00"],
    args: [Uint8Array.of(0xef, 0xbf, 0xbd, 0xf0, 0x9f, 0x98, 0x80)],
  },
  { name: "CRLF inside an argument", command: ["a\r\nb"], args: ["a\r\nb"] },
  {
    name: "bytes: all 256 values",
    command: ["SET", ALL_BYTES, ALL_BYTES],
    args: ["SET", ALL_BYTES, ALL_BYTES],
  },
  { name: "bytes: empty", command: [new Uint8Array(0)], args: [new Uint8Array(0)] },
  {
    name: "bytes: a view into a larger buffer",
    command: [ALL_BYTES.subarray(10, 20)],
    args: [ALL_BYTES.subarray(10, 20)],
  },
  {
    name: "integers",
    command: ["EXPIRE", "k", 0, 42, -7, 1000000],
    args: ["EXPIRE", "k", "0", "42", "-7", "1000000"],
  },
  {
    name: "fractions and exponents",
    command: ["INCRBYFLOAT", "k", 1.5, -0.25, 1e21],
    args: ["INCRBYFLOAT", "k", "1.5", "-0.25", "1e+21"],
  },
  { name: "-0 as 0", command: [-0], args: ["0"] },
  { name: "bigints", command: [2n ** 64n, -1n, 0n], args: ["18446744073709551616", "-1", "0"] },
  {
    name: "ten arguments (two-digit count)",
    command: Array.from({ length: 10 }, (_, i) => `a${i}`),
    args: Array.from({ length: 10 }, (_, i) => `a${i}`),
  },
  { name: "a 100,000-byte argument", command: ["x".repeat(100_000)], args: ["x".repeat(100_000)] },
];

for (const testCase of CASES) {
  Deno.test({
    name: `encodeCommand() encodes ${testCase.name}`,
    ...NONE,
    fn() {
      const want = expected(testCase.args.map((arg) => typeof arg === "string" ? utf8.encode(arg) : arg));
      const got = encodeCommand(testCase.command);
      assert.deepEqual(got, want);
      assert.equal(encodedLength(testCase.command), want.length);
    },
  });
}

Deno.test({
  name: "encodeCommand() passes Uint8Array arguments through untouched, whatever the bytes",
  ...NONE,
  fn() {
    const random = prng(5);
    for (let round = 0; round < 200; round++) {
      const bytes = Uint8Array.from({ length: Math.floor(random() * 600) }, () => Math.floor(random() * 256));
      const out = encodeCommand(["RESTORE", "k", 0, bytes]);
      const header = utf8.encode(`$${bytes.length}\r\n`);
      const at = out.length - 2 - bytes.length;
      assert.deepEqual(out.subarray(at - header.length, at), header);
      assert.deepEqual(out.subarray(at, at + bytes.length), bytes);
      assert.deepEqual(out.subarray(out.length - 2), Uint8Array.of(13, 10));
    }
  },
});

Deno.test({
  name: "encodeCommand() does not modify its arguments",
  ...NONE,
  fn() {
    const bytes = ALL_BYTES.slice();
    const command: Command = ["SET", bytes, 1];
    encodeCommand(command);
    assert.deepEqual(bytes, ALL_BYTES);
    assert.deepEqual(command, ["SET", ALL_BYTES, 1]);
  },
});

for (const bad of [NaN, Infinity, -Infinity]) {
  Deno.test({
    name: `encodeCommand() and encodedLength() throw a TypeError on ${bad}`,
    ...NONE,
    fn() {
      assert.throws(() => encodeCommand(["SET", "k", bad]), TypeError);
      assert.throws(() => encodedLength(["SET", "k", bad]), TypeError);
      assert.throws(() => encodeCommands([["PING"], ["SET", "k", bad]]), TypeError);
    },
  });
}

// A random command: strings drawn from awkward pieces (multi-byte, surrogates), bytes, numbers, bigints.
const PIECES = ["", "a", "SET", "é", "日", "😀", "\ud800", "\udfff", "\r\n", "key:{tag}:1", "x".repeat(200)];

function randomCommand(random: () => number): Command {
  const args: (string | Uint8Array | number | bigint)[] = [];
  for (let i = Math.floor(random() * 12); i > 0; i--) {
    switch (Math.floor(random() * 5)) {
      case 0:
      case 1: {
        let text = "";
        for (let j = Math.floor(random() * 4); j > 0; j--) {
          text += PIECES[Math.floor(random() * PIECES.length)];
        }
        args.push(text);
        break;
      }
      case 2:
        args.push(Uint8Array.from({ length: Math.floor(random() * 40) }, () => Math.floor(random() * 256)));
        break;
      case 3:
        args.push(Math.floor((random() - 0.5) * 2 ** 40) / (random() < 0.2 ? 8 : 1));
        break;
      default:
        args.push(BigInt(Math.floor(random() * 2 ** 50)) ** 2n * (random() < 0.5 ? -1n : 1n));
    }
  }
  return args;
}

/** What each argument should look like on the wire. */
function argBytes(arg: string | Uint8Array | number | bigint): Uint8Array {
  return arg instanceof Uint8Array ? arg : utf8.encode(String(arg));
}

Deno.test({
  name: "encodeCommands() equals the concatenation of encodeCommand() over random commands",
  ...NONE,
  fn() {
    for (const seed of [1, 2, 3, 4]) {
      const random = prng(seed);
      const commands = Array.from({ length: 200 }, () => randomCommand(random));
      const batch = encodeCommands(commands);
      const singles = commands.map((command) => encodeCommand(command));
      assert.deepEqual(batch, wire(...singles));
      assert.equal(batch.length, commands.reduce((sum, command) => sum + encodedLength(command), 0));
      for (const [i, command] of commands.entries()) {
        assert.equal(encodedLength(command), singles[i].length);
        assert.deepEqual(singles[i], expected(command.map(argBytes)));
      }
    }
  },
});

Deno.test({
  name: "encodeCommands() output decodes back to the same arguments with RespDecoder",
  ...NONE,
  fn() {
    const random = prng(9);
    const commands = Array.from({ length: 300 }, () => randomCommand(random));
    const decoder = new RespDecoder();
    decoder.feed(encodeCommands(commands));
    const decoded: RespValue[] = [];
    for (let value = decoder.next(); value !== undefined; value = decoder.next()) decoded.push(value);
    assert.deepEqual(decoded, commands.map((command) => command.map(argBytes)));
  },
});

Deno.test({
  name: "encodeCommands() of no commands is empty",
  ...NONE,
  fn() {
    assert.deepEqual(encodeCommands([]), new Uint8Array(0));
  },
});

Deno.test({
  name: "encodeKeyCommands() equals encodeCommands() of the same key commands, binary keys included",
  permissions: "none",
  fn() {
    const keys = [
      new Uint8Array(0),
      new TextEncoder().encode("user:1"),
      Uint8Array.from({ length: 256 }, (_, i) => i),
      new Uint8Array(100_000).fill(0x0d),
    ];
    const templates = [["DUMP"], ["PEXPIRETIME"], ["MEMORY", "USAGE"]];
    const expected = encodeCommands(keys.flatMap((key) => templates.map((words) => [...words, key])));
    assert.deepEqual(encodeKeyCommands(templates, keys), expected);
    assert.deepEqual(encodeKeyCommands(templates, []), new Uint8Array(0));
  },
});

Deno.test({
  name: "encodeCommandsShared() equals encodeCommands(), across slab ends, and earlier views stay intact",
  ...NONE,
  fn() {
    const random = prng(11);
    const kept: [Uint8Array, Uint8Array][] = [];
    // Enough commands to fill several 256 KiB slabs, some larger than a quarter of one (own buffer).
    for (let i = 0; i < 4000; i++) {
      const commands = Array.from({ length: 1 + Math.floor(random() * 3) }, () => randomCommand(random));
      if (i % 500 === 0) commands.push(["SET", "big", "x".repeat(70_000 + i)]);
      kept.push([encodeCommandsShared(commands), encodeCommands(commands)]);
      // A command that cannot be sent throws and leaves the views made so far as they were.
      if (i % 100 === 0) assert.throws(() => encodeCommandsShared([["SET", "x".repeat(i), NaN]]), TypeError);
    }
    for (const [shared, alone] of kept) assert.deepEqual(shared, alone);
    assert.deepEqual(encodeCommandsShared([]), new Uint8Array(0));
    assert.throws(() => encodeCommandsShared([["SET", "k", NaN]]), TypeError);
  },
});

Deno.test({
  name: "splitEncodedCommands() gives back each command's arguments as bytes",
  ...NONE,
  fn() {
    const random = prng(12);
    const commands = Array.from({ length: 300 }, () => randomCommand(random));
    commands.push([], ["x".repeat(1000)]);
    assert.deepEqual(splitEncodedCommands(encodeCommands(commands)), commands.map((c) => c.map(argBytes)));
    assert.deepEqual(splitEncodedCommands(new Uint8Array(0)), []);
  },
});
