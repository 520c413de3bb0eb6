/**
 * Codec micro-benchmarks: our RespDecoder against two established npm RESP parsers, on identical bytes.
 *
 * Run: `deno bench --allow-all scripts/bench/codec_bench.ts`
 *
 * Peers: `redis-parser` (the parser of node-redis v3 and ioredis) and the RESP decoder of node-redis v5
 * (`@redis/client/dist/lib/RESP/decoder.js`). Every input is built once, outside the timed functions, as
 * `Uint8Array` chunks for us and as Node `Buffer` copies of the same chunks for the peers. Every bench
 * creates a fresh parser, feeds all chunks and counts every reply, so replies are fully consumed.
 */
import { Buffer } from "node:buffer";
import RedisParser from "redis-parser";
import { Decoder as NodeRedisDecoder } from "@redis/client/dist/lib/RESP/decoder.js";
import { RespDecoder } from "../../resp/mod.ts";

const CHUNK = 64 * 1024;
const encoder = new TextEncoder();

/** Deterministic PRNG (mulberry32), so every run benches the same bytes. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function bulk(bytes: Uint8Array): Uint8Array {
  return concat([encoder.encode(`$${bytes.length}\r\n`), bytes, encoder.encode("\r\n")]);
}

function split(bytes: Uint8Array, size: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.slice(at, at + size));
  return chunks;
}

interface Input {
  name: string;
  chunks: Uint8Array[];
  buffers: Buffer[];
  replies: number;
}

function input(name: string, bytes: Uint8Array, chunkSize: number, replies: number): Input {
  const chunks = split(bytes, chunkSize);
  return { name, chunks, buffers: chunks.map((chunk) => Buffer.from(chunk)), replies };
}

function smallBulksArray(): Input {
  const random = prng(1);
  const parts: Uint8Array[] = [encoder.encode("*1000\r\n")];
  for (let i = 0; i < 1000; i++) {
    parts.push(bulk(encoder.encode(`key:${i}:`.padEnd(10 + Math.floor(random() * 11), "x"))));
  }
  const bytes = concat(parts);
  return input("array of 1,000 small bulks", bytes, bytes.length, 1);
}

function integers(): Input {
  const random = prng(2);
  let text = "";
  for (let i = 0; i < 1000; i++) text += `:${Math.floor(random() * 10_000_000)}\r\n`;
  const bytes = encoder.encode(text);
  return input("1,000 integer replies", bytes, bytes.length, 1000);
}

function bigBulk(): Input {
  const random = prng(3);
  const body = new Uint8Array(1024 * 1024);
  for (let i = 0; i < body.length; i++) body[i] = random() * 256;
  return input("one 1 MB bulk in 64 KB chunks", bulk(body), CHUNK, 1);
}

function dumpStream(): Input {
  const random = prng(4);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < 1000; i++) {
    const body = new Uint8Array(100 + Math.floor(random() * 201));
    for (let j = 0; j < body.length; j++) body[j] = random() * 256;
    parts.push(bulk(body), encoder.encode(`:${Math.floor(random() * 86_400_000)}\r\n`));
  }
  return input("1,000 DUMP bulks + PTTL integers in 64 KB chunks", concat(parts), CHUNK, 2000);
}

function ours(input: Input): number {
  const decoder = new RespDecoder();
  let count = 0;
  for (const chunk of input.chunks) {
    decoder.feed(chunk);
    while (decoder.next() !== undefined) count++;
  }
  return count;
}

function redisParser(input: Input): number {
  let count = 0;
  const parser = new RedisParser({
    returnReply: () => count++,
    returnError: () => count++,
    returnBuffers: true,
  });
  for (const buffer of input.buffers) parser.execute(buffer);
  return count;
}

const typeMapping = { 36: Buffer };
function nodeRedis(input: Input): number {
  let count = 0;
  const decoder = new NodeRedisDecoder({
    onReply: () => count++,
    onErrorReply: () => count++,
    onPush: () => count++,
    getTypeMapping: () => typeMapping,
  });
  for (const buffer of input.buffers) decoder.write(buffer);
  return count;
}

const parsers: [string, (input: Input) => number][] = [
  ["riot RespDecoder", ours],
  ["redis-parser 3.0.0", redisParser],
  ["@redis/client 5.12.1 Decoder", nodeRedis],
];

const inputs = [smallBulksArray(), integers(), bigBulk(), dumpStream()];

// Check once, outside the timing, that every parser sees every reply; then warm every parser up on every
// input, so that no bench pays for another's JIT compilation or heap growth.
for (const data of inputs) {
  for (const [name, parse] of parsers) {
    const count = parse(data);
    if (count !== data.replies) {
      throw new Error(`${name} decoded ${count} replies of ${data.replies}: ${data.name}`);
    }
  }
}
for (let round = 0; round < 200; round++) {
  for (const data of inputs) for (const [, parse] of parsers) parse(data);
}

for (const data of inputs) {
  for (const [name, parse] of parsers) {
    Deno.bench({
      name,
      group: data.name,
      baseline: parse === ours,
      fn() {
        if (parse(data) !== data.replies) throw new Error(`${name} lost replies`);
      },
    });
  }
}
