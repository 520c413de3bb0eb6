/**
 * Baseline: a plain node script importing a CSV into hashes, the way people write one: csv-parse (streamed,
 * columns from the header) and node-redis v5, HSETs issued without awaiting each (node-redis pipelines
 * commands of the same tick), awaited every 1000 records.
 * Usage: deno run -A scripts/bench/baselines/node_csv_import.ts FILE PORT
 */
import { createClient } from "@redis/client";
import { parse } from "csv-parse";
import { createReadStream } from "node:fs";

const [file, port] = Deno.args;
const client = createClient({ socket: { host: "127.0.0.1", port: Number(port) } });
await client.connect();
const started = performance.now();
let pending: Promise<unknown>[] = [];
let written = 0;
for await (const row of createReadStream(file).pipe(parse({ columns: true }))) {
  const record = row as Record<string, string>;
  pending.push(client.hSet(`user:${record.id}`, record));
  if (pending.length >= 1000) {
    await Promise.all(pending);
    written += pending.length;
    pending = [];
  }
}
await Promise.all(pending);
written += pending.length;
console.log(JSON.stringify({ written, seconds: (performance.now() - started) / 1000 }));
await client.quit();
