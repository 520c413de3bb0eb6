/**
 * DUMP payload decoder micro-benchmarks: synthetic payloads in the encodings Redis 7+ writes for big values
 * (a quicklist of listpacks, a hashtable hash, a skiplist zset), decoded whole (`decodePayload`) and turned
 * into write commands window by window (`writeCommands(openPayload(...))`, what a type-based copy runs).
 *
 * Run: `deno bench --allow-all scripts/bench/rdb_bench.ts`. Inputs are built once, outside the timed
 * functions; each payload is ~5 MB and its size and element count are printed in the group name.
 */
import { writeCommands } from "../../src/rdb/commands.ts";
import { crc64 } from "../../src/rdb/crc64.ts";
import { decodePayload, openPayload } from "../../src/rdb/payload.ts";
import { le64, len, listpack, payload, str } from "../../src/rdb/_test_util.ts";

const KEY = new TextEncoder().encode("tmp");

/** One array from many parts (too many for a spread call). */
function join(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function quicklist(nodes: number, perNode: number): Uint8Array {
  const parts: Uint8Array[] = [len(nodes)];
  for (let n = 0; n < nodes; n++) {
    const entries = Array.from({ length: perNode }, (_, i) => i % 4 === 0 ? BigInt(i) : `element-${n}-${i}`);
    parts.push(len(2), str(listpack(entries)));
  }
  return payload(18, join(parts), 12);
}

function hashtableHash(fields: number): Uint8Array {
  const parts: Uint8Array[] = [len(fields)];
  for (let i = 0; i < fields; i++) parts.push(str(`field-${i}`), str(`value-${i}-${"x".repeat(i % 16)}`));
  return payload(4, join(parts), 12);
}

function skiplistZset(members: number): Uint8Array {
  const parts: Uint8Array[] = [len(members)];
  for (let i = 0; i < members; i++) parts.push(str(`member-${i}`), le64(i / 7, true));
  return payload(5, join(parts), 12);
}

const inputs: [string, Uint8Array][] = [
  ["list (quicklist, 500 x 1000)", quicklist(500, 1000)],
  ["hash (hashtable, 200k fields)", hashtableHash(200_000)],
  ["zset (skiplist, 200k members)", skiplistZset(200_000)],
];

for (const [name, bytes] of inputs) {
  const group = `${name}, ${(bytes.length / 1e6).toFixed(1)} MB`;
  Deno.bench({ name: `crc64 ${name}`, group, fn: () => void crc64(bytes) });
  Deno.bench({ name: `decodePayload ${name}`, group, baseline: true, fn: () => void decodePayload(bytes) });
  Deno.bench({
    name: `writeCommands(openPayload) ${name}`,
    group,
    fn() {
      let count = 0;
      for (const _ of writeCommands(openPayload(bytes).value, { key: KEY })) count++;
      if (count === 0) throw new Error("no commands");
    },
  });
}
