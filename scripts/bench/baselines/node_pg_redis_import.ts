/**
 * Baseline: a plain script the way people write a SQL-to-Redis import: pg with pg-cursor (1000 rows per
 * read), node-redis v5 HSET per row (node-redis pipelines commands issued in the same tick), one batch at a
 * time. Usage: deno run -A scripts/bench/baselines/node_pg_redis_import.ts PG_URL QUERY REDIS_PORT
 */
import { createClient } from "@redis/client";
import pg from "pg";
import Cursor from "pg-cursor";

const [url, query, port] = Deno.args;
const db = new pg.Client({ connectionString: url });
await db.connect();
const redis = createClient({ socket: { host: "127.0.0.1", port: Number(port) } });
await redis.connect();
const cursor = db.query(new Cursor(query));
let written = 0;
for (;;) {
  const rows = await cursor.read(1000) as Record<string, unknown>[];
  if (rows.length === 0) break;
  await Promise.all(rows.map((row) => {
    const fields: Record<string, string> = {};
    for (const [name, value] of Object.entries(row)) {
      if (value !== null) fields[name] = value instanceof Date ? value.toISOString() : String(value);
    }
    return redis.hSet(`bench:${row.id}`, fields);
  }));
  written += rows.length;
}
await cursor.close();
await db.end();
await redis.quit();
console.log(written);
