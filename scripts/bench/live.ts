/**
 * Live replication under load: a generator writes SET/HSET/LPUSH/DEL over 100 k random keys to the source
 * at fixed rates while `riot replicate --live` follows; for each rate riot reports the lag (notification
 * to the target's acknowledgement, p50/p99) and re-scans, and the target is checked against the source.
 * The highest rate whose p99 stays under 250 ms is the rate riot keeps up with.
 *
 *   deno run -A scripts/bench/live.ts [--rates 10000,25000,50000] [--seconds 5] [--markdown BENCHMARKS.md]
 */
import { connect } from "../../src/redis/connect.ts";
import { DEFAULT_CONNECTION } from "../../src/redis/options.ts";
import { Prng } from "../../src/generate/prng.ts";
import { RedisServer } from "../../test/_server.ts";
import { machine, waitFor } from "./_bench_util.ts";

const arg = (name: string, fallback: string) =>
  Deno.args.includes(name) ? Deno.args[Deno.args.indexOf(name) + 1] : fallback;
const rates = arg("--rates", "10000,25000,50000,75000,100000").split(",").map(Number);
const seconds = Number(arg("--seconds", "5"));
const markdown = Deno.args.includes("--markdown") ? arg("--markdown", "") : undefined;
const repo = new URL("../../", import.meta.url).pathname;
const KEYSPACE = 100_000;
const TICK_MS = 10;

/** Write at `rate` commands/s for `seconds`; returns the rate achieved. */
async function drive(port: number, rate: number): Promise<number> {
  const connection = await connect({ ...DEFAULT_CONNECTION, port });
  const perTick = Math.max(1, Math.round((rate * TICK_MS) / 1000));
  const started = performance.now();
  let sent = 0;
  // mulberry32: an LCG in doubles loses its low bits and cycles over a few thousand keys.
  const random = new Prng(12345);
  const next = () => random.next() % KEYSPACE;
  const inFlight: Promise<unknown>[] = [];
  while (performance.now() - started < seconds * 1000) {
    const due = Math.floor(((performance.now() - started) / TICK_MS + 1) * perTick);
    const commands = [];
    for (; sent < due; sent++) {
      const key = next();
      switch (sent % 4) {
        case 0:
          commands.push(["SET", `k:${key}`, `value-${sent}`]);
          break;
        case 1:
          commands.push(["HSET", `h:${key % 10_000}`, `f${key}`, `${sent}`]);
          break;
        case 2:
          commands.push(["LPUSH", `l:${key % 1000}`, `${sent}`]);
          break;
        default:
          commands.push(["DEL", `k:${next()}`]);
      }
    }
    if (commands.length > 0) inFlight.push(connection.pipeline(commands));
    if (inFlight.length > 50) await inFlight.shift();
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  await Promise.all(inFlight);
  connection.close();
  return sent / ((performance.now() - started) / 1000);
}

const rows = [
  "| target rate | achieved writes/s | events | lag p50 | lag p99 | re-scans | verification |",
  "|---|---|---|---|---|---|---|",
];
let best = 0;
console.error(`Machine: ${machine()}`);
for (const rate of rates) {
  await using source = await RedisServer.start({ notifyKeyspaceEvents: "KA" });
  await using target = await RedisServer.start();
  const riot = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--v8-flags=--max-semi-space-size=8",
      `${repo}main.ts`,
      "-p",
      String(source.port),
      "replicate",
      "-p",
      String(target.port),
      "--live",
      "--idle-timeout",
      "1500",
      "--progress",
      "none",
      "--json",
      "--converge",
      "2",
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await waitFor(async () => Number(await source.cli("PUBSUB", "NUMPAT")) >= 1, 20_000, "riot to subscribe");
  await new Promise((resolve) => setTimeout(resolve, 300));
  const achieved = await drive(source.port, rate);
  const output = await riot.output();
  const text = new TextDecoder().decode(output.stdout);
  let result;
  try {
    result = JSON.parse(text.trim().split("\n").pop()!);
  } catch {
    throw new Error(`riot printed no JSON (exit ${output.code}): ${new TextDecoder().decode(output.stderr)}`);
  }
  const live = result.live;
  const verify = result.verify;
  const line = verify
    ? `OK:${verify.ok} V:${verify.value} >:${verify.missing} <:${verify.extra} T:${verify.ttl}`
    : "-";
  rows.push(
    `| ${rate} | ${Math.round(achieved)} | ${live.events} | ${live.lagP50.toFixed(0)} ms | ${
      live.lagP99.toFixed(0)
    } ms | ${live.rescans} | ${line} (exit ${output.code}) |`,
  );
  console.error(rows[rows.length - 1]);
  if (live.lagP99 < 250 && output.code === 0) best = Math.max(best, Math.round(achieved));
}
const table = `${
  rows.join("\n")
}\n\nHighest rate kept up with (lag p99 < 250 ms, verification clean): ${best} writes/s.`;
console.log(table);
if (markdown) {
  const date = new Date().toISOString().slice(0, 16).replace("T", " ");
  await Deno.writeTextFile(
    markdown,
    `\n## Live replication (scripts/bench/live.ts)\n\n${date} UTC, ${machine()}. A generator writes SET/HSET/LPUSH/DEL ` +
      `over 100 k random keys for ${seconds} s at each rate while riot follows (--flush-interval 50 ms); lag is ` +
      `from notification to the target's acknowledgement.\n\n${table}\n`,
    { append: true },
  );
}
