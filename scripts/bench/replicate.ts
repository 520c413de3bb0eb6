/**
 * End-to-end copy benchmark against real servers, with named baselines in the same run:
 * - native REPLICAOF full sync (the server's own replication),
 * - `redis-cli --pipe` of pre-dumped RESTORE commands (the target's ingest ceiling),
 * - a plain node-redis script (SCAN + pipelined DUMP/PTTL + RESTORE),
 * - riot replicate, and riot compare --mode full.
 * Data sets: 1 M string keys of ~100 bytes (DEBUG POPULATE), 300 k mixed keys (riot generate), and 3 M
 * strings for the memory bound. Prints a table with ratios; `--markdown FILE` appends it to FILE.
 *
 *   deno run -A scripts/bench/replicate.ts [--only strings|mixed|rss] [--markdown BENCHMARKS.md]
 */
import { encodeCommands, toText } from "../../resp/mod.ts";
import { connect } from "../../src/redis/connect.ts";
import { DEFAULT_CONNECTION } from "../../src/redis/options.ts";
import { scanKeys } from "../../src/sources/key_scanner.ts";
import { RedisServer } from "../../test/_server.ts";
import { machine, rate, run, waitFor } from "./_bench_util.ts";

const only = Deno.args.includes("--only") ? Deno.args[Deno.args.indexOf("--only") + 1] : undefined;
const markdown = Deno.args.includes("--markdown")
  ? Deno.args[Deno.args.indexOf("--markdown") + 1]
  : undefined;
const repo = new URL("../../", import.meta.url).pathname;
const deno = Deno.execPath();
const rows: string[] = [];
const log = (text: string) => console.error(text);

async function dbsize(server: RedisServer): Promise<number> {
  return Number(await server.cli("DBSIZE"));
}

/** Write every key of `port` as a RESTORE command (RESP) into a file, for redis-cli --pipe. */
async function dumpToRestoreFile(port: number, path: string): Promise<number> {
  const connection = await connect({ ...DEFAULT_CONNECTION, port });
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  let count = 0;
  for await (const keys of scanKeys(connection, { count: 1000 })) {
    const replies = await connection.pipeline(keys.flatMap((key) => [["DUMP", key], ["PTTL", key]]));
    const commands = [];
    for (let i = 0; i < keys.length; i++) {
      const ttl = Number(replies[2 * i + 1]);
      commands.push(["RESTORE", keys[i], ttl > 0 ? ttl : 0, replies[2 * i] as Uint8Array, "REPLACE"]);
    }
    const bytes = encodeCommands(commands);
    let written = 0;
    while (written < bytes.length) written += await file.write(bytes.subarray(written));
    count += keys.length;
  }
  file.close();
  connection.close();
  return count;
}

async function replicaof(source: RedisServer, target: RedisServer, keys: number): Promise<number> {
  await target.cli("FLUSHALL");
  // Poll over one connection: spawning redis-cli in a tight loop would steal the CPU being measured.
  const probe = await connect({ ...DEFAULT_CONNECTION, port: target.port });
  const started = performance.now();
  await probe.call("REPLICAOF", "127.0.0.1", String(source.port));
  await waitFor(
    async () => {
      const info = toText(await probe.call("INFO", "replication"));
      return info.includes("master_link_status:up") && !info.includes("master_sync_in_progress:1") &&
        Number(await probe.call("DBSIZE")) >= keys;
    },
    300_000,
    "REPLICAOF sync",
  );
  const seconds = (performance.now() - started) / 1000;
  await probe.call("REPLICAOF", "NO", "ONE");
  await probe.call("FLUSHALL");
  probe.close();
  return seconds;
}

interface Scenario {
  name: string;
  keys: number;
  fill: (source: RedisServer) => Promise<void>;
  baselines: boolean;
}

const scenarios: Scenario[] = [
  {
    name: "strings",
    keys: 1_000_000,
    baselines: true,
    fill: async (source) => {
      await source.cli("DEBUG", "POPULATE", "1000000", "key", "100");
    },
  },
  {
    name: "mixed",
    keys: 300_000,
    baselines: true,
    fill: async (source) => {
      const result = await run([
        deno,
        "run",
        "-A",
        "--v8-flags=--max-semi-space-size=8",
        `${repo}main.ts`,
        "-p",
        String(source.port),
        "generate",
        "--count",
        "300000",
        "--ttl-ratio",
        "0.1",
        "--seed",
        "1",
        "--progress",
        "none",
        "-q",
      ]);
      if (result.code !== 0) throw new Error(`generate failed: ${result.stderr}`);
    },
  },
  {
    name: "rss",
    keys: 3_000_000,
    baselines: false,
    fill: async (source) => {
      await source.cli("DEBUG", "POPULATE", "3000000", "key", "100");
    },
  },
];

const loadAtStart = Deno.loadavg()[0];
log(`Machine: ${machine()}; redis-server ${(await run(["redis-server", "--version"])).stdout.trim()}`);
rows.push("| data set | method | seconds | keys/s | vs ingest ceiling | vs node-redis | peak RSS |");
rows.push("|---|---|---|---|---|---|---|");

for (const scenario of scenarios) {
  if (only && only !== scenario.name) continue;
  await using source = await RedisServer.start({
    args: ["--enable-debug-command", "yes", "--repl-diskless-sync-delay", "0"],
  });
  await using target = await RedisServer.start();
  log(`\n[${scenario.name}] filling the source with ${scenario.keys} keys`);
  await scenario.fill(source);
  const keys = await dbsize(source);
  const results: { method: string; seconds: number; rss?: number }[] = [];
  let ceiling: number | undefined;
  let nodeRedis: number | undefined;
  if (scenario.baselines) {
    const native = await replicaof(source, target, keys);
    results.push({ method: "native REPLICAOF full sync", seconds: native });
    log(`  REPLICAOF: ${native.toFixed(2)} s`);
    const file = await Deno.makeTempFile({ suffix: ".resp" });
    await dumpToRestoreFile(source.port, file);
    const pipe = await run(["redis-cli", "-p", String(target.port), "--pipe"], { stdin: file });
    await Deno.remove(file);
    if (pipe.code !== 0) throw new Error(`redis-cli --pipe failed: ${pipe.stderr}`);
    ceiling = pipe.seconds;
    results.push({ method: "redis-cli --pipe of RESTOREs (ingest ceiling)", seconds: pipe.seconds });
    log(`  redis-cli --pipe: ${pipe.seconds.toFixed(2)} s`);
    await target.cli("FLUSHALL");
    const script = await run([
      deno,
      "run",
      "-A",
      `${repo}scripts/bench/baselines/node_redis_copy.ts`,
      String(source.port),
      String(target.port),
    ], { measureRss: true });
    if (script.code !== 0) throw new Error(`node-redis script failed: ${script.stderr}`);
    nodeRedis = script.seconds;
    results.push({
      method: "node-redis 5 script (SCAN + DUMP/PTTL + RESTORE)",
      seconds: script.seconds,
      rss: script.peakRssMiB,
    });
    log(`  node-redis: ${script.seconds.toFixed(2)} s`);
    await target.cli("FLUSHALL");
  }
  const riot = await run([
    deno,
    "run",
    "-A",
    "--v8-flags=--max-semi-space-size=8",
    `${repo}main.ts`,
    "-p",
    String(source.port),
    "replicate",
    "-p",
    String(target.port),
    "--compare",
    "none",
    "--progress",
    "none",
    "-q",
  ], { measureRss: true });
  if (riot.code !== 0) throw new Error(`riot replicate failed: ${riot.stderr}`);
  if ((await dbsize(target)) !== keys) throw new Error(`riot copied ${await dbsize(target)} of ${keys} keys`);
  results.push({ method: "riot replicate --compare none", seconds: riot.seconds, rss: riot.peakRssMiB });
  log(`  riot replicate: ${riot.seconds.toFixed(2)} s, peak RSS ${riot.peakRssMiB?.toFixed(0)} MiB`);
  if (scenario.baselines) {
    // What a user runs: replicate with its default verification (quick), onto an empty target.
    await target.cli("FLUSHALL");
    const verified = await run([
      deno,
      "run",
      "-A",
      "--v8-flags=--max-semi-space-size=8",
      `${repo}main.ts`,
      "-p",
      String(source.port),
      "replicate",
      "-p",
      String(target.port),
      "--progress",
      "none",
      "-q",
    ], { measureRss: true });
    if (verified.code !== 0) {
      throw new Error(
        `riot replicate (verified) failed (${verified.code}): ${verified.stdout} ${verified.stderr}`,
      );
    }
    results.push({
      method: "riot replicate (default: + quick verification)",
      seconds: verified.seconds,
      rss: verified.peakRssMiB,
    });
    log(`  riot replicate with verification: ${verified.seconds.toFixed(2)} s`);
  }
  if (scenario.baselines) {
    const compare = await run([
      deno,
      "run",
      "-A",
      "--v8-flags=--max-semi-space-size=8",
      `${repo}main.ts`,
      "compare",
      `redis://127.0.0.1:${source.port}`,
      `redis://127.0.0.1:${target.port}`,
      "--mode",
      "full",
      "--progress",
      "none",
    ], { measureRss: true });
    if (compare.code !== 0) {
      throw new Error(`riot compare failed (${compare.code}): ${compare.stdout} ${compare.stderr}`);
    }
    results.push({ method: "riot compare --mode full", seconds: compare.seconds, rss: compare.peakRssMiB });
    log(`  riot compare --mode full: ${compare.seconds.toFixed(2)} s`);
  }
  for (const result of results) {
    const vsCeiling = ceiling ? `${(ceiling / result.seconds).toFixed(2)}x` : "-";
    const vsNode = nodeRedis ? `${(nodeRedis / result.seconds).toFixed(2)}x` : "-";
    const rss = result.rss ? `${result.rss.toFixed(0)} MiB` : "-";
    rows.push(
      `| ${scenario.name} (${keys} keys) | ${result.method} | ${result.seconds.toFixed(2)} | ${
        rate(keys, result.seconds)
      } | ${vsCeiling} | ${vsNode} | ${rss} |`,
    );
  }
}

const table = rows.join("\n");
console.log(table);
if (markdown) {
  const date = new Date().toISOString().slice(0, 16).replace("T", " ");
  const section =
    `\n## Replication (scripts/bench/replicate.ts)\n\n${date} UTC, ${machine()}, load average ` +
    `${loadAtStart.toFixed(1)} at the start and ${
      Deno.loadavg()[0].toFixed(1)
    } at the end. Source and target ` +
    `are local redis-server 7.0 processes on loopback, sharing the 2 cores with riot. Times are wall clock, ` +
    `including process start; ratios above 1 mean riot is faster.\n\n${table}\n`;
  await Deno.writeTextFile(markdown, section, { append: true });
}
