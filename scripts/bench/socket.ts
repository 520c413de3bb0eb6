/**
 * End-to-end socket benchmark: pipelined PING throughput of our RedisConnection against redis-benchmark,
 * on the same redis-server, in the same run.
 *
 * Run: `deno run -A scripts/bench/socket.ts [--total 2000000] [--depths 16,100,1000]`
 *
 * Starts its own redis-server on a free 127.0.0.1 port (no persistence) and stops it, by its own process
 * handle, when done. For each depth D:
 * - ours, one connection, `pipeline()` of D PINGs, with 1 and with 4 batches of D in flight (the caller
 *   encodes each batch, as a real caller does);
 * - ours, the same with the batch encoded once and sent with `enqueue()` (a caller that caches the bytes of
 *   a constant command);
 * - `redis-benchmark -t ping_mbulk -n TOTAL -P D -q` with `-c 1` (one connection, one batch in flight) and
 *   `-c 4` (four connections, one batch each: four batches in flight).
 * Each figure is the median of `--repeat` (3) runs, interleaved so that a noisy moment hits all sides.
 * Ratio = ours / redis-benchmark with the same number of batches in flight. The markdown table it prints is
 * what BENCHMARKS.md keeps.
 */
import { connect } from "../../src/redis/connect.ts";
import type { RedisConnection } from "../../src/redis/connection.ts";
import { DEFAULT_CONNECTION } from "../../src/redis/options.ts";
import { type Command, encodeCommands } from "../../resp/mod.ts";
import { parseArgs } from "../../src/cli/parse.ts";

const { values } = parseArgs(Deno.args, [
  { long: "total", kind: "int", key: "total", min: 1000, help: "PINGs per measurement" },
  { long: "depths", kind: "list", key: "depths", help: "Pipeline depths" },
  { long: "warmup", kind: "int", key: "warmup", min: 0, help: "PINGs before each of our runs" },
  { long: "repeat", kind: "int", key: "repeat", min: 1, help: "Runs per measurement (the median is kept)" },
], "socket.ts");
const TOTAL = (values.total as number | undefined) ?? 2_000_000;
const DEPTHS = ((values.depths as string[] | undefined) ?? ["16", "100", "1000"]).map(Number);
const WARMUP = (values.warmup as number | undefined) ?? 200_000;
const REPEAT = (values.repeat as number | undefined) ?? 3;

async function text(command: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" }).output();
  return new TextDecoder().decode(out.stdout).trim();
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

/** A redis-server of our own; resolves once it answers PING. */
async function startServer(): Promise<{ port: number; child: Deno.ChildProcess; dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "riot-bench-" });
  const port = freePort();
  const child = new Deno.Command("redis-server", {
    args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const probe = await connect({ ...DEFAULT_CONNECTION, port, timeoutMs: 1000 });
      await probe.call("PING");
      probe.close();
      return { port, child, dir };
    } catch (error) {
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/**
 * PINGs per second of `inflight` workers on one connection, each sending batches of `depth` PINGs until
 * `total` PINGs are answered. `cached`: the batch is encoded once and sent with enqueue().
 */
async function ours(
  connection: RedisConnection,
  depth: number,
  inflight: number,
  total: number,
  cached: boolean,
): Promise<number> {
  const commands: Command[] = Array.from({ length: depth }, () => ["PING"]);
  const bytes = encodeCommands(commands);
  const batches = Math.ceil(total / depth);
  let started = 0;
  const worker = async () => {
    while (started < batches) {
      started++;
      const replies = cached ? await connection.enqueue(depth, bytes) : await connection.pipeline(commands);
      if (replies.length !== depth || replies[depth - 1] !== "PONG") throw new Error("Unexpected reply");
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: inflight }, worker));
  return (batches * depth) / ((performance.now() - start) / 1000);
}

/** redis-benchmark's requests per second (the last figure it prints with -q). */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function redisBenchmark(port: number, depth: number, clients: number): Promise<number> {
  const args = ["-h", "127.0.0.1", "-p", String(port), "-t", "ping_mbulk", "-n", String(TOTAL)];
  args.push("-P", String(depth), "-q", "-c", String(clients));
  const out = await text("redis-benchmark", args);
  const matches = [...out.matchAll(/([\d.]+) requests per second/g)];
  if (matches.length === 0) throw new Error(`redis-benchmark printed no result: ${out}`);
  return Number(matches.at(-1)![1]);
}

const cpu = (await Deno.readTextFile("/proc/cpuinfo").catch(() => "")).match(/model name\s*:\s*(.*)/)?.[1];
const setup = [
  `date: ${new Date().toISOString().replace(/\.\d+Z$/, "Z")}`,
  `machine: ${navigator.hardwareConcurrency} CPUs, ${cpu ?? "unknown CPU"}, ${Deno.build.os}`,
  `deno: ${Deno.version.deno} (V8 ${Deno.version.v8})`,
  `load average at start (1/5/15 min): ${
    (await Deno.readTextFile("/proc/loadavg").catch(() => "?")).split(" ").slice(0, 3).join(" ")
  }`,
  `redis-server: ${(await text("redis-server", ["--version"])).match(/v=(\S+)/)?.[1]}`,
  `PINGs per measurement: ${TOTAL}; warm-up before each of ours: ${WARMUP}; median of ${REPEAT} interleaved runs`,
];
console.log(setup.map((line) => `- ${line}`).join("\n"));

const server = await startServer();
const rows: string[][] = [];
try {
  const connection = await connect({ ...DEFAULT_CONNECTION, port: server.port });
  try {
    for (const depth of DEPTHS) {
      for (const inflight of [1, 4]) {
        const runs: number[][] = [[], [], []]; // redis-benchmark, pipeline, enqueue
        for (let round = 0; round < REPEAT; round++) {
          runs[0].push(await redisBenchmark(server.port, depth, inflight));
          for (const cached of [false, true]) {
            if (WARMUP > 0) await ours(connection, depth, inflight, WARMUP, cached);
            runs[cached ? 2 : 1].push(await ours(connection, depth, inflight, TOTAL, cached));
          }
        }
        const baseline = median(runs[0]);
        for (const cached of [false, true]) {
          const rps = median(runs[cached ? 2 : 1]);
          const row = [
            String(depth),
            String(inflight),
            cached ? "enqueue (pre-encoded)" : "pipeline",
            Math.round(rps).toLocaleString("en-US"),
            Math.round(baseline).toLocaleString("en-US"),
            `${(rps / baseline).toFixed(2)}x`,
          ];
          rows.push(row);
          console.error(row.join("\t"));
        }
      }
    }
  } finally {
    connection.close();
  }
} finally {
  server.child.kill("SIGTERM");
  await server.child.status;
  await Deno.remove(server.dir, { recursive: true }).catch(() => {});
}

const header = [
  "depth",
  "batches in flight",
  "ours: API",
  "ours (PING/s)",
  "redis-benchmark -c <batches> (PING/s)",
  "ratio",
];
console.log(`\n| ${header.join(" | ")} |\n|${header.map(() => "---").join("|")}|`);
for (const row of rows) console.log(`| ${row.join(" | ")} |`);
