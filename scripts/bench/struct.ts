/**
 * Type-based copies against DUMP/RESTORE, end to end on real servers:
 * - mixed data set (riot generate, 300 k keys, seed 1): riot replicate (DUMP/RESTORE, big-key check on and
 *   off), --struct, and the automatic fallback (a target with RESTORE renamed away: every key by type from
 *   the payload already read); with the Valkey 8 build, Valkey 8 -> Redis 7.0 (fallback by RDB version).
 * - big keys: a 100 MB list (100 k x 1 KB) and a 1 M-field hash, copied in windows and, for comparison,
 *   whole (--big-key-threshold 0): time and peak RSS.
 * Prints a table; `--markdown FILE` appends it to FILE. Each figure is the median of `--repeat` runs (3).
 *
 *   deno run -A scripts/bench/struct.ts [--only mixed|big] [--repeat N] [--markdown BENCHMARKS.md]
 */
import { RedisServer } from "../../test/_server.ts";
import { machine, rate, run } from "./_bench_util.ts";

const arg = (name: string) => Deno.args.includes(name) ? Deno.args[Deno.args.indexOf(name) + 1] : undefined;
const only = arg("--only");
const repeat = Number(arg("--repeat") ?? 3);
const markdown = arg("--markdown");
const repo = new URL("../../", import.meta.url).pathname;
const deno = Deno.execPath();
const log = (text: string) => console.error(text);
const rows: string[] = [
  "| data set | method | seconds (median) | keys/s | vs DUMP/RESTORE | peak RSS |",
  "|---|---|---|---|---|---|",
];
const servers = Deno.env.get("RIOT_TEST_REDIS_SERVERS") ?? "/opt/riot-servers";

function riot(args: string[]) {
  return run([deno, "run", "-A", "--v8-flags=--max-semi-space-size=8", `${repo}main.ts`, ...args], {
    measureRss: true,
  });
}

async function replicate(source: RedisServer, target: RedisServer, extra: string[]) {
  const times: number[] = [];
  let rss = 0;
  for (let i = 0; i < repeat; i++) {
    await target.cli("FLUSHALL");
    const result = await riot([
      "replicate",
      `redis://127.0.0.1:${source.port}`,
      `redis://127.0.0.1:${target.port}`,
      "--compare",
      "none",
      "--progress",
      "none",
      "-q",
      ...extra,
    ]);
    if (result.code !== 0) throw new Error(`riot replicate ${extra.join(" ")} failed: ${result.stderr}`);
    times.push(result.seconds);
    rss = Math.max(rss, result.peakRssMiB ?? 0);
  }
  times.sort((a, b) => a - b);
  return { seconds: times[Math.floor(times.length / 2)], rss };
}

function row(
  set: string,
  method: string,
  keys: number,
  seconds: number,
  baseline: number | undefined,
  rss: number,
) {
  const ratio = baseline ? `${(baseline / seconds).toFixed(2)}x` : "-";
  rows.push(
    `| ${set} | ${method} | ${seconds.toFixed(2)} | ${rate(keys, seconds)} | ${ratio} | ${
      rss.toFixed(0)
    } MiB |`,
  );
  log(`  ${method}: ${seconds.toFixed(2)} s, ${rss.toFixed(0)} MiB`);
}

async function generate(source: RedisServer, count: number) {
  const result = await riot([
    "-p",
    String(source.port),
    "generate",
    "--count",
    String(count),
    "--ttl-ratio",
    "0.1",
    "--seed",
    "1",
    "--progress",
    "none",
    "-q",
  ]);
  if (result.code !== 0) throw new Error(`generate failed: ${result.stderr}`);
}

log(`Machine: ${machine()}; ${(await run(["redis-server", "--version"])).stdout.trim()}`);

if (!only || only === "mixed") {
  const keys = 300_000;
  await using source = await RedisServer.start();
  await using target = await RedisServer.start();
  await using noRestore = await RedisServer.start({ args: ["--rename-command", "RESTORE", ""] });
  log(`\n[mixed] ${keys} keys`);
  await generate(source, keys);
  const set = `mixed (${keys} keys)`;
  const dump = await replicate(source, target, []);
  row(
    set,
    "DUMP/RESTORE (big-key check on: + MEMORY USAGE round trip)",
    keys,
    dump.seconds,
    dump.seconds,
    dump.rss,
  );
  const plain = await replicate(source, target, ["--big-key-threshold", "0"]);
  row(set, "DUMP/RESTORE, --big-key-threshold 0", keys, plain.seconds, dump.seconds, plain.rss);
  const struct = await replicate(source, target, ["--struct"]);
  row(set, "--struct (type reads, temp key + RENAME)", keys, struct.seconds, dump.seconds, struct.rss);
  const fallback = await replicate(source, noRestore, []);
  row(
    set,
    "fallback: target without RESTORE (payload decoded, temp key + RENAME)",
    keys,
    fallback.seconds,
    dump.seconds,
    fallback.rss,
  );
  const valkeyBinary = `${servers}/valkey-8.0/src/valkey-server`;
  try {
    await Deno.stat(valkeyBinary);
    await using valkey = await RedisServer.start({ binary: valkeyBinary });
    await generate(valkey, keys);
    const onValkey = await replicate(valkey, target, []);
    row(
      set,
      "fallback: Valkey 8 -> Redis 7.0 (every key by RDB version)",
      keys,
      onValkey.seconds,
      dump.seconds,
      onValkey.rss,
    );
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    log(`  (no Valkey build under ${servers}: cross-engine row skipped)`);
  }
}

if (!only || only === "big") {
  await using source = await RedisServer.start();
  await using target = await RedisServer.start();
  log("\n[big] a 100 MB list and a 1 M-field hash");
  const conn = await (await import("../../test/_replicate_util.ts")).raw(source);
  let x = 88172645463325252n;
  const block = (size: number) => {
    const out = new Uint8Array(size);
    const view = new DataView(out.buffer);
    for (let i = 0; i + 8 <= size; i += 8) {
      x ^= (x << 13n) & 0xffffffffffffffffn;
      x ^= x >> 7n;
      x ^= (x << 17n) & 0xffffffffffffffffn;
      view.setBigUint64(i, x);
    }
    return out;
  };
  for (let at = 0; at < 100_000; at += 1000) {
    await conn.pipeline([["RPUSH", "list:100mb", ...Array.from({ length: 1000 }, () => block(1000))]]);
  }
  for (let at = 0; at < 1_000_000; at += 1000) {
    await conn.pipeline([[
      "HSET",
      "hash:1m",
      ...Array.from({ length: 1000 }, (_, i) => [`field:${at + i}`, block(8)]).flat(),
    ]]);
  }
  conn.close();
  const set = "big (100 MB list + 1 M-field hash)";
  const whole = await replicate(source, target, ["--big-key-threshold", "0"]);
  row(set, "whole (DUMP/RESTORE, --big-key-threshold 0)", 2, whole.seconds, whole.seconds, whole.rss);
  const windows = await replicate(source, target, []);
  row(set, "in windows (default --big-key-threshold 64mb)", 2, windows.seconds, whole.seconds, windows.rss);
  const structWindows = await replicate(source, target, ["--struct"]);
  row(set, "--struct, in windows", 2, structWindows.seconds, whole.seconds, structWindows.rss);
}

const table = rows.join("\n");
console.log(table);
if (markdown) {
  const date = new Date().toISOString().slice(0, 16).replace("T", " ");
  const section =
    `\n## Type-based copies and big keys (scripts/bench/struct.ts)\n\n${date} UTC, ${machine()}. ` +
    `Local redis-server 7.0 processes on loopback sharing the 2 cores with riot; wall clock including process ` +
    `start, median of ${repeat} runs; "vs DUMP/RESTORE" above 1 means faster than riot's DUMP/RESTORE copy of ` +
    `the same data.\n\n${table}\n`;
  await Deno.writeTextFile(markdown, section, { append: true });
}
