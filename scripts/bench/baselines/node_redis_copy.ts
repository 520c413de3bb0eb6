/**
 * Baseline: a plain node-redis (v5) script, the way people write one: SCAN, then pipelined DUMP and PTTL
 * (node-redis pipelines commands issued in the same tick), then pipelined RESTORE, one batch at a time.
 * Usage: deno run -A scripts/bench/baselines/node_redis_copy.ts SOURCE_PORT TARGET_PORT
 */
import { createClient, RESP_TYPES } from "@redis/client";
import { Buffer } from "node:buffer";

const [sourcePort, targetPort] = Deno.args.map(Number);
const typeMapping = { [RESP_TYPES.BLOB_STRING]: Buffer };
const source = createClient({ socket: { host: "127.0.0.1", port: sourcePort } }).withTypeMapping(typeMapping);
const target = createClient({ socket: { host: "127.0.0.1", port: targetPort } }).withTypeMapping(typeMapping);
await source.connect();
await target.connect();
let cursor = "0";
let copied = 0;
const started = performance.now();
do {
  const reply = await source.scan(cursor, { COUNT: 1000 });
  cursor = String(reply.cursor);
  const keys = reply.keys as unknown as Buffer[];
  const [dumps, ttls] = await Promise.all([
    Promise.all(keys.map((key) => source.dump(key))),
    Promise.all(keys.map((key) => source.pTTL(key))),
  ]);
  await Promise.all(keys.map((key, i) => {
    const payload = dumps[i] as unknown as Buffer | null;
    if (payload === null) return null;
    const ttl = Number(ttls[i]);
    return target.restore(key, ttl > 0 ? ttl : 0, payload, { REPLACE: true });
  }));
  copied += keys.length;
} while (cursor !== "0");
const seconds = (performance.now() - started) / 1000;
console.log(JSON.stringify({ copied, seconds }));
await source.quit();
await target.quit();
