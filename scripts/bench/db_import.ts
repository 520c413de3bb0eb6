/**
 * db-import benchmark, in one run against real servers: N PostgreSQL rows of 8 columns (default 1 M) into
 * hashes, against named baselines:
 * - `psql -c "COPY (query) TO STDOUT"` to /dev/null: the read floor (the server sending the rows),
 * - `redis-cli --pipe` of the same HSETs, pre-encoded: the write ceiling (the target taking them),
 * - a plain node script (pg + pg-cursor + node-redis, baselines/node_pg_redis_import.ts),
 * - riot db-import (peak RSS measured with /usr/bin/time).
 * Goal: riot at least 0.7x the slower of floor and ceiling, at least 3x the node script, peak RSS at most
 * 150 MiB. Prints a table; `--markdown FILE` appends it to FILE.
 *
 *   deno run -A scripts/bench/db_import.ts [--rows 1000000] [--markdown BENCHMARKS.md]
 */
import { encodeCommands } from "../../resp/mod.ts";
import { RedisServer } from "../../test/_server.ts";
import { parseDatabaseUrl } from "../../src/sql/database_url.ts";
import { openDatabase } from "../../src/sql/open_database.ts";
import { machine, rate, run, type RunResult } from "./_bench_util.ts";

const arg = (name: string) => Deno.args.includes(name) ? Deno.args[Deno.args.indexOf(name) + 1] : undefined;
const ROWS = Number(arg("--rows") ?? 1_000_000);
const markdown = arg("--markdown");
const PG_URL = Deno.env.get("RIOT_BENCH_POSTGRES_URL") ?? "postgres://postgres@127.0.0.1:5432/test";
const repo = new URL("../../", import.meta.url).pathname;
const deno = Deno.execPath();
const log = (text: string) => console.error(text);
const table = `imports_db_bench_${crypto.randomUUID().slice(0, 8)}`;
const query = `SELECT * FROM ${table}`;

const db = await openDatabase(parseDatabaseUrl(PG_URL));
await using server = await RedisServer.start();
const results: { method: string; seconds: number; rss?: number; cpu?: number }[] = [];

/** `run` through /usr/bin/time, also reading the child's CPU seconds (user + system). */
async function timed(cmd: string[]): Promise<RunResult & { cpu?: number }> {
  const result = await run(["/usr/bin/time", "-f", "RIOT_CPU=%U+%S", ...cmd], { measureRss: true });
  const cpu = /RIOT_CPU=([\d.]+)\+([\d.]+)/.exec(result.stderr);
  return { ...result, cpu: cpu ? Number(cpu[1]) + Number(cpu[2]) : undefined };
}
try {
  log(`Creating ${table} with ${ROWS} rows of 8 columns`);
  await db.execute(`CREATE TABLE ${table} (id int PRIMARY KEY, name text, email text, city text,
    amount numeric(12,2), qty int, created timestamptz, active bool)`);
  await db.execute(`INSERT INTO ${table} SELECT g, 'name ' || g, 'user' || g || '@example.com',
    (ARRAY['Paris','Lyon','Berlin','Oslo'])[1 + g % 4], g * 0.37, g % 100,
    timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second', g % 2 = 0 FROM generate_series(1, ${ROWS}) g`);
  await db.execute(`VACUUM ANALYZE ${table}`);
  const { host, port, user, database } = parseDatabaseUrl(PG_URL);

  const copy = await run([
    "bash",
    "-c",
    `psql -h ${host} -p ${port} -U ${user} -d ${database} -c "COPY (${query}) TO STDOUT" > /dev/null`,
  ]);
  if (copy.code !== 0) throw new Error(`psql COPY failed: ${copy.stderr}`);
  results.push({ method: "psql COPY TO STDOUT (read floor)", seconds: copy.seconds });
  log(`  COPY: ${copy.seconds.toFixed(2)} s`);

  const file = await Deno.makeTempFile({ suffix: ".resp" });
  await writeHsetFile(file, { host: host!, port: port!, user: user!, database: database! });
  const pipe = await run(["redis-cli", "-p", String(server.port), "--pipe"], { stdin: file });
  await Deno.remove(file);
  if (pipe.code !== 0) throw new Error(`redis-cli --pipe failed: ${pipe.stderr}`);
  results.push({ method: "redis-cli --pipe of the HSETs (write ceiling)", seconds: pipe.seconds });
  log(`  redis-cli --pipe: ${pipe.seconds.toFixed(2)} s`);
  await server.cli("FLUSHALL");

  const script = await timed([
    deno,
    "run",
    "-A",
    `${repo}scripts/bench/baselines/node_pg_redis_import.ts`,
    PG_URL,
    query,
    String(server.port),
  ]);
  if (script.code !== 0) throw new Error(`node script failed: ${script.stderr}`);
  results.push({
    method: "node script (pg-cursor + node-redis 5)",
    seconds: script.seconds,
    rss: script.peakRssMiB,
    cpu: script.cpu,
  });
  log(`  node script: ${script.seconds.toFixed(2)} s`);
  await server.cli("FLUSHALL");

  const riot = await timed([
    deno,
    "run",
    "-A",
    "--v8-flags=--max-semi-space-size=8",
    `${repo}main.ts`,
    "db-import",
    "-p",
    String(server.port),
    "--url",
    PG_URL,
    query,
    "--keyspace",
    "bench",
    "--progress",
    "none",
    "--json",
    ...(arg("--riot-args")?.split(" ") ?? []),
  ]);
  if (riot.code !== 0) throw new Error(`riot db-import failed: ${riot.stderr}`);
  const keys = Number(await server.cli("DBSIZE"));
  if (keys !== ROWS) throw new Error(`riot wrote ${keys} keys, expected ${ROWS}`);
  results.push({ method: "riot db-import", seconds: riot.seconds, rss: riot.peakRssMiB, cpu: riot.cpu });
  log(`  riot: ${riot.seconds.toFixed(2)} s, ${riot.peakRssMiB?.toFixed(0)} MiB`);
} finally {
  await db.execute(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
  await db.close();
}

const slower = Math.max(results[0].seconds, results[1].seconds);
const node = results[2].seconds;
const lines = [
  `### db-import: ${ROWS.toLocaleString("en")} PostgreSQL rows of 8 columns into hashes`,
  "",
  `${machine()}; PostgreSQL and Redis on loopback; load average ${
    Deno.loadavg()[0].toFixed(1)
  } at the end (a shared machine); ${new Date().toISOString().slice(0, 10)}.`,
  "",
  "| method | seconds | rows/s | vs slower of floor and ceiling | vs node script | client CPU s | peak RSS |",
  "|---|---|---|---|---|---|---|",
  ...results.map((r) =>
    `| ${r.method} | ${r.seconds.toFixed(2)} | ${rate(ROWS, r.seconds)} | ${
      (slower / r.seconds).toFixed(2)
    }x | ${(node / r.seconds).toFixed(2)}x | ${r.cpu === undefined ? "-" : r.cpu.toFixed(1)} | ${
      r.rss ? `${r.rss.toFixed(0)} MiB` : "-"
    } |`
  ),
  "",
];
console.log(lines.join("\n"));
if (markdown) await Deno.writeTextFile(markdown, `\n${lines.join("\n")}`, { append: true });

/** The HSETs riot writes, from COPY's text output, as RESP in a file (for redis-cli --pipe). */
async function writeHsetFile(
  path: string,
  pg: { host: string; port: number; user: string; database: string },
) {
  const names = ["id", "name", "email", "city", "amount", "qty", "created", "active"];
  const child = new Deno.Command("psql", {
    args: [
      "-h",
      pg.host,
      "-p",
      String(pg.port),
      "-U",
      pg.user,
      "-d",
      pg.database,
      "-c",
      `COPY (${query}) TO STDOUT`,
    ],
    stdout: "piped",
  }).spawn();
  const out = await Deno.open(path, { write: true, create: true, truncate: true });
  let rest = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    const lines = (rest + decoder.decode(chunk, { stream: true })).split("\n");
    rest = lines.pop()!;
    const commands = lines.map((line) => {
      const values = line.split("\t");
      const command: string[] = ["HSET", `bench:${values[0]}`];
      values.forEach((value, i) => command.push(names[i], value));
      return command;
    });
    const bytes = encodeCommands(commands);
    let written = 0;
    while (written < bytes.length) written += await out.write(bytes.subarray(written));
  }
  await child.status;
  out.close();
}
