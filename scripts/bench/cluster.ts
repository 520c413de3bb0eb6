/**
 * Redis Cluster benchmark against real servers: 3-master clusters (`redis-cli --cluster create`, no
 * replicas) and standalone servers, all local, in one run.
 *
 * Copy: the same N string keys of 100 bytes (`key:0` ... loaded with `redis-cli --pipe`, node by node for a
 * cluster, not timed) copied by `riot replicate` standalone -> standalone (the baseline), cluster ->
 * cluster, standalone -> cluster and cluster -> standalone, each with `--compare none` and with the default
 * verification (quick). Keys/s and riot's peak RSS; ratios against the baseline (goal: at least 0.9x, as
 * a cluster on one 2-core machine adds servers but no CPU). After every run the target's key count, summed
 * over its masters with our own connections, must equal the source's, or the benchmark stops.
 *
 * Live: `riot replicate --live` from a 3-master cluster source to a standalone target while a generator
 * writes SET/HSET/LPUSH/DEL over 100 k random keys (spread over every slot) at fixed rates; the same rates
 * from a standalone source as the baseline. Lag: riot's own p50/p99 (keyspace notification to the target's
 * acknowledgement), and, checked from outside, probe keys written on the source every 20 ms and polled on
 * the target (write to visible). A rate is kept up with when the lag p99 stays under 250 ms and the final
 * verification is clean.
 *
 *   deno run -A scripts/bench/cluster.ts [--keys 1000000] [--rounds 1] [--rates 20000,50000,100000]
 *     [--seconds 5] [--only copy|live] [--quick] [--markdown BENCHMARKS.md]
 *
 * `--quick`: a smoke run (20 k keys, one rate of 5000 writes/s for 2 s). `--rounds N` repeats each copy N
 * times, interleaved, and keeps the fastest (a loaded machine only ever makes runs slower).
 */
import { encodeCommands } from "../../resp/mod.ts";
import { ClusterConnection } from "../../src/redis/cluster/cluster_connection.ts";
import { connect } from "../../src/redis/connect.ts";
import type { Commands } from "../../src/redis/commands.ts";
import { DEFAULT_CONNECTION } from "../../src/redis/options.ts";
import { SLOT_COUNT, slotOf } from "../../src/redis/cluster/slots.ts";
import { Prng } from "../../src/generate/prng.ts";
import { RedisCluster } from "../../test/_cluster.ts";
import { RedisServer } from "../../test/_server.ts";
import { machine, rate, run, waitFor } from "./_bench_util.ts";

const arg = (name: string, fallback: string) =>
  Deno.args.includes(name) ? Deno.args[Deno.args.indexOf(name) + 1] : fallback;
const quick = Deno.args.includes("--quick");
const keys = Number(arg("--keys", quick ? "20000" : "1000000"));
const rounds = Number(arg("--rounds", "1"));
const rates = arg("--rates", quick ? "5000" : "20000,50000,100000").split(",").map(Number);
const seconds = Number(arg("--seconds", quick ? "2" : "5"));
const only = arg("--only", "");
const markdown = Deno.args.includes("--markdown") ? arg("--markdown", "") : undefined;
if (!(keys > 0) || !(rounds > 0) || rates.some((r) => !(r > 0)) || !(seconds > 0)) {
  console.error(
    "usage: cluster.ts [--keys N] [--rounds N] [--rates R,R...] [--seconds S] [--only copy|live]",
  );
  Deno.exit(2);
}
const repo = new URL("../../", import.meta.url).pathname;
const log = (text: string) => console.error(text);
const VALUE_BYTES = 100;
const MASTERS = 3;

/** One side of a copy: a standalone server, or a cluster whose nodes are all masters. */
interface Side {
  kind: "standalone" | "cluster";
  /** The node riot is given. */
  seed: RedisServer;
  /** Every node that holds keys. */
  masters: RedisServer[];
}

function standalone(server: RedisServer): Side {
  return { kind: "standalone", seed: server, masters: [server] };
}

function clustered(cluster: RedisCluster): Side {
  return { kind: "cluster", seed: cluster.nodes[0], masters: cluster.nodes };
}

const uriOf = (side: Side) => `redis://127.0.0.1:${side.seed.port}`;
const optionsOf = (server: RedisServer) => ({ ...DEFAULT_CONNECTION, port: server.port });

/** Keys on a side, counted with our own connection to each master. */
async function countKeys(side: Side): Promise<number> {
  let total = 0;
  for (const node of side.masters) {
    const connection = await connect(optionsOf(node));
    total += Number(await connection.call("DBSIZE"));
    connection.close();
  }
  return total;
}

async function flush(side: Side): Promise<void> {
  for (const node of side.masters) await node.cli("FLUSHALL");
}

/** Which master (index into `side.masters`) owns each slot; all 0 for a standalone server. */
async function slotOwners(side: Side): Promise<Uint8Array> {
  const owners = new Uint8Array(SLOT_COUNT);
  if (side.kind === "standalone") return owners;
  const cluster = await ClusterConnection.connect(optionsOf(side.seed));
  try {
    for (let slot = 0; slot < SLOT_COUNT; slot++) {
      const port = cluster.routeOf(slot)?.options.port;
      const index = side.masters.findIndex((node) => node.port === port);
      if (index < 0) throw new Error(`slot ${slot} has no master among the nodes started`);
      owners[slot] = index;
    }
  } finally {
    cluster.close();
  }
  return owners;
}

/**
 * Load `key:0` ... `key:{count-1}` (100-byte values) into a side: SET commands written to one RESP file per
 * master (each key to the owner of its slot), then `redis-cli --pipe` into every master at once.
 */
async function fill(side: Side, count: number): Promise<void> {
  const owners = await slotOwners(side);
  const files = await Promise.all(side.masters.map(() => Deno.makeTempFile({ suffix: ".resp" })));
  const handles = await Promise.all(files.map((path) => Deno.open(path, { write: true, truncate: true })));
  const encoder = new TextEncoder();
  const CHUNK = 10_000;
  for (let from = 0; from < count; from += CHUNK) {
    const perMaster: [string, Uint8Array, string][][] = side.masters.map(() => []);
    for (let i = from; i < Math.min(count, from + CHUNK); i++) {
      const key = encoder.encode(`key:${i}`);
      perMaster[owners[slotOf(key)]].push(["SET", key, `value:${i}`.padEnd(VALUE_BYTES, "x")]);
    }
    for (let m = 0; m < handles.length; m++) {
      const bytes = encodeCommands(perMaster[m]);
      let written = 0;
      while (written < bytes.length) written += await handles[m].write(bytes.subarray(written));
    }
  }
  for (const handle of handles) handle.close();
  const pipes = await Promise.all(
    side.masters.map((node, m) =>
      run(["redis-cli", "-h", "127.0.0.1", "-p", String(node.port), "--pipe"], { stdin: files[m] })
    ),
  );
  for (const file of files) await Deno.remove(file);
  for (const pipe of pipes) {
    if (pipe.code !== 0 || !/errors: 0,/.test(pipe.stdout)) {
      throw new Error(`redis-cli --pipe failed (${pipe.code}): ${pipe.stdout} ${pipe.stderr}`);
    }
  }
  const loaded = await countKeys(side);
  if (loaded !== count) throw new Error(`filled ${loaded} keys instead of ${count} into the ${side.kind}`);
}

function riotReplicate(source: Side, target: Side, extra: string[]): string[] {
  return [
    Deno.execPath(),
    "run",
    "-A",
    "--v8-flags=--max-semi-space-size=8",
    `${repo}main.ts`,
    "replicate",
    uriOf(source),
    uriOf(target),
    ...(source.kind === "cluster" ? ["--source-cluster"] : []),
    ...(target.kind === "cluster" ? ["--target-cluster"] : []),
    ...extra,
  ];
}

interface Measured {
  copy: string;
  method: string;
  seconds: number;
  rss?: number;
  /** riot's user + system CPU seconds. */
  cpu?: number;
}

/** One timed `riot replicate` onto an emptied target, which must then hold every key of the source. */
async function copyOnce(source: Side, target: Side, verify: boolean): Promise<Measured> {
  await flush(target);
  const extra = verify ? ["--progress", "none", "-q"] : ["--compare", "none", "--progress", "none", "-q"];
  const result = await run(riotReplicate(source, target, extra), { measureRss: true });
  const copy = `${source.kind} -> ${target.kind}`;
  if (result.code !== 0) {
    throw new Error(`riot replicate ${copy} failed (${result.code}): ${result.stdout} ${result.stderr}`);
  }
  const copied = await countKeys(target);
  if (copied !== keys) throw new Error(`riot replicate ${copy} left ${copied} of ${keys} keys on the target`);
  const method = verify ? "riot replicate (default: + quick verification)" : "riot replicate --compare none";
  log(
    `  ${copy}, ${method}: ${result.seconds.toFixed(2)} s, CPU ${result.cpuSeconds?.toFixed(2)} s, peak RSS ${
      result.peakRssMiB?.toFixed(0)
    } MiB`,
  );
  return { copy, method, seconds: result.seconds, rss: result.peakRssMiB, cpu: result.cpuSeconds };
}

async function copyBenchmark(): Promise<string> {
  await using sourceServer = await RedisServer.start();
  await using targetServer = await RedisServer.start();
  await using sourceCluster = await RedisCluster.start({ masters: MASTERS });
  await using targetCluster = await RedisCluster.start({ masters: MASTERS });
  const sources = { standalone: standalone(sourceServer), cluster: clustered(sourceCluster) };
  const targets = { standalone: standalone(targetServer), cluster: clustered(targetCluster) };
  log(`Filling a standalone server and a ${MASTERS}-master cluster with ${keys} strings (not timed)`);
  await fill(sources.standalone, keys);
  await fill(sources.cluster, keys);
  const pairs: [Side, Side][] = [
    [sources.standalone, targets.standalone],
    [sources.cluster, targets.cluster],
    [sources.standalone, targets.cluster],
    [sources.cluster, targets.standalone],
  ];
  const best = new Map<string, Measured>();
  for (let round = 1; round <= rounds; round++) {
    log(`Round ${round} of ${rounds}`);
    for (const [source, target] of pairs) {
      for (const verify of [false, true]) {
        const measured = await copyOnce(source, target, verify);
        const key = `${measured.copy}|${measured.method}`;
        const sofar = best.get(key);
        const rss = Math.max(measured.rss ?? 0, sofar?.rss ?? 0) || undefined;
        best.set(key, sofar && sofar.seconds <= measured.seconds ? { ...sofar, rss } : { ...measured, rss });
      }
    }
  }
  const rows = [
    "| copy | method | seconds | keys/s | vs standalone -> standalone | riot CPU s | peak RSS |",
    "|---|---|---|---|---|---|---|",
  ];
  const baseline = (method: string) => best.get(`standalone -> standalone|${method}`)!.seconds;
  for (const result of best.values()) {
    rows.push(
      `| ${result.copy} | ${result.method} | ${result.seconds.toFixed(2)} | ${rate(keys, result.seconds)} | ${
        (baseline(result.method) / result.seconds).toFixed(2)
      }x | ${result.cpu?.toFixed(2) ?? "-"} | ${result.rss ? `${result.rss.toFixed(0)} MiB` : "-"} |`,
    );
  }
  return rows.join("\n");
}

const LIVE_KEYSPACE = 100_000;
const TICK_MS = 10;
const PROBE_EVERY_MS = 20;
const PROBE_POLL_MS = 5;

/** Write the live.ts mix at `target` commands/s for `seconds` through `writer`; returns the rate achieved. */
async function drive(writer: Commands, target: number, probes: Probes): Promise<number> {
  const perTick = Math.max(1, Math.round((target * TICK_MS) / 1000));
  const random = new Prng(12345);
  const next = () => random.next() % LIVE_KEYSPACE;
  const inFlight: Promise<unknown>[] = [];
  const started = performance.now();
  let sent = 0;
  let lastProbe = -Infinity;
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
    if (performance.now() - lastProbe >= PROBE_EVERY_MS) {
      lastProbe = performance.now();
      commands.push(probes.write());
    }
    if (commands.length > 0) inFlight.push(writer.pipeline(commands));
    if (inFlight.length > 50) await inFlight.shift();
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  await Promise.all(inFlight);
  return sent / ((performance.now() - started) / 1000);
}

/**
 * Probe keys (`probe:N`, spread over the slots by N) written on the source at a known time; `watch` polls
 * the target for the ones not yet seen and records, for each, the time from its write to its appearance.
 */
class Probes {
  private readonly pending = new Map<string, number>();
  readonly lags: number[] = [];
  private count = 0;

  write(): string[] {
    const key = `probe:${this.count++}`;
    this.pending.set(key, performance.now());
    return ["SET", key, "1"];
  }

  /** Poll the target until `done()` and then every probe is seen, or `graceMs` after `done()`. */
  async watch(target: RedisServer, done: () => boolean, graceMs: number): Promise<void> {
    const connection = await connect(optionsOf(target));
    let doneAt: number | undefined;
    while (this.pending.size > 0 || !done()) {
      if (done()) doneAt ??= performance.now();
      if (doneAt !== undefined && performance.now() - doneAt > graceMs) break;
      const waiting = [...this.pending];
      if (waiting.length > 0) {
        const seen = await connection.pipeline(waiting.map(([key]) => ["EXISTS", key]));
        const now = performance.now();
        waiting.forEach(([key, at], i) => {
          if (Number(seen[i]) === 1) {
            this.lags.push(now - at);
            this.pending.delete(key);
          }
        });
      }
      await new Promise((resolve) => setTimeout(resolve, PROBE_POLL_MS));
    }
    connection.close();
  }

  get missing(): number {
    return this.pending.size;
  }

  percentile(p: number): number {
    if (this.lags.length === 0) return NaN;
    const sorted = [...this.lags].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  }
}

/** riot's exit code and the JSON of its last stdout line (a run that printed none fails the benchmark). */
async function jsonResult(output: Promise<Deno.CommandOutput>) {
  const { code, stdout, stderr } = await output;
  try {
    return { code, result: JSON.parse(new TextDecoder().decode(stdout).trim().split("\n").pop()!) };
  } catch {
    throw new Error(`riot printed no JSON (exit ${code}): ${new TextDecoder().decode(stderr)}`);
  }
}

function verifyLine(verify?: { ok: number; value: number; missing: number; extra: number; ttl: number }) {
  return verify
    ? `OK:${verify.ok} V:${verify.value} >:${verify.missing} <:${verify.extra} T:${verify.ttl}`
    : "-";
}

interface LiveRow {
  text: string;
  keptUp: boolean;
}

/** What follows the source: keyspace notifications (standalone or cluster source), or `--mode sync`. */
type LiveKind = "standalone" | "cluster" | "sync";

async function liveOnce(kind: LiveKind, target: number): Promise<LiveRow> {
  if (kind === "sync") return await syncOnce(target);
  const events = ["--notify-keyspace-events", "KA"];
  await using server = kind === "standalone" ? await RedisServer.start({ args: events }) : undefined;
  await using cluster = kind === "cluster"
    ? await RedisCluster.start({ masters: MASTERS, args: events })
    : undefined;
  await using targetServer = await RedisServer.start();
  const source = server ? standalone(server) : clustered(cluster!);
  const riot = new Deno.Command(Deno.execPath(), {
    args: riotReplicate(source, standalone(targetServer), [
      "--live",
      "--idle-timeout",
      "1500",
      "--progress",
      "none",
      "--json",
      "--converge",
      "2",
    ]).slice(1),
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = riot.output();
  await waitFor(
    async () => {
      for (const node of source.masters) if (Number(await node.cli("PUBSUB", "NUMPAT")) < 1) return false;
      return true;
    },
    30_000,
    "riot to subscribe on every master",
  );
  const writer = kind === "cluster"
    ? await ClusterConnection.connect(optionsOf(source.seed))
    : await connect(optionsOf(source.seed));
  const probes = new Probes();
  let driving = true;
  const watching = probes.watch(targetServer, () => !driving, 5_000);
  const achieved = await drive(writer, target, probes).finally(() => driving = false);
  writer.close();
  await watching;
  const { code, result } = await jsonResult(output);
  const { live, verify } = result;
  const line = verifyLine(verify);
  const probeP99 = probes.percentile(99);
  const keptUp = code === 0 && live.lagP99 < 250 && probeP99 < 250 && probes.missing === 0;
  const text = `| ${kind} -> standalone | ${target} | ${Math.round(achieved)} | ${live.events} | ${
    live.lagP50.toFixed(0)
  } ms | ${live.lagP99.toFixed(0)} ms | ${probes.percentile(50).toFixed(0)} / ${
    probeP99.toFixed(0)
  } ms (${probes.lags.length} seen, ${probes.missing} not) | ${live.rescans} | ${line} (exit ${code}) | ${
    keptUp ? "yes" : "no"
  } |`;
  log(text);
  return { text, keptUp };
}

/**
 * The same load followed through the replication protocol (`--mode sync`) from a standalone source: lag is
 * the outside probe's only (riot's notification lag does not exist here). Kept up: exit 0, verification
 * clean, every probe seen, probe p99 under 100 ms (issue #12's bar for sync).
 */
async function syncOnce(target: number): Promise<LiveRow> {
  await using server = await RedisServer.start();
  await using targetServer = await RedisServer.start();
  const source = standalone(server);
  const riot = new Deno.Command(Deno.execPath(), {
    args: riotReplicate(source, standalone(targetServer), [
      "--mode",
      "sync",
      "--idle-timeout",
      "1500",
      "--progress",
      "none",
      "--json",
    ]).slice(1),
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = riot.output();
  await waitFor(
    async () => /slave0:.*state=online/.test(await server.cli("INFO", "replication")),
    30_000,
    "riot to stream as a replica",
  );
  const writer = await connect(optionsOf(source.seed));
  const probes = new Probes();
  let driving = true;
  const watching = probes.watch(targetServer, () => !driving, 5_000);
  const achieved = await drive(writer, target, probes).finally(() => driving = false);
  writer.close();
  await watching;
  const { code, result } = await jsonResult(output);
  const verify = result.verify;
  const line = verifyLine(verify);
  const probeP99 = probes.percentile(99);
  const keptUp = code === 0 && probeP99 < 100 && probes.missing === 0;
  const text = `| standalone -> standalone, --mode sync | ${target} | ${Math.round(achieved)} | - | - | - | ${
    probes.percentile(50).toFixed(0)
  } / ${
    probeP99.toFixed(0)
  } ms (${probes.lags.length} seen, ${probes.missing} not) | - | ${line} (exit ${code}) | ${
    keptUp ? "yes" : "no"
  } |`;
  log(text);
  return { text, keptUp };
}

async function liveBenchmark(): Promise<string> {
  const rows = [
    "| copy | target rate | achieved writes/s | events | riot lag p50 | riot lag p99 | probe lag p50 / p99 | re-scans | verification | kept up |",
    "|---|---|---|---|---|---|---|---|---|---|",
  ];
  const best = { standalone: 0, cluster: 0, sync: 0 };
  for (const target of rates) {
    for (const kind of ["standalone", "cluster", "sync"] as const) {
      const row = await liveOnce(kind, target);
      rows.push(row.text);
      if (row.keptUp) best[kind] = Math.max(best[kind], target);
    }
  }
  return `${rows.join("\n")}\n\nHighest target rate kept up with (lag p99 < 250 ms by riot and by probe, ` +
    `verification clean): cluster source ${best.cluster} writes/s, standalone source ${best.standalone} writes/s; ` +
    `through --mode sync (probe p99 < 100 ms): ${best.sync} writes/s.`;
}

const loadAtStart = Deno.loadavg()[0];
log(`Machine: ${machine()}; redis-server ${(await run(["redis-server", "--version"])).stdout.trim()}`);
const sections: string[] = [];
if (only !== "live") {
  const table = await copyBenchmark();
  console.log(table);
  sections.push(
    `Copy of ${keys} strings of ${VALUE_BYTES} bytes; clusters of ${MASTERS} masters (no replicas); ` +
      `fastest of ${rounds} round(s). Times are wall clock, including process start; ratios above 1 mean ` +
      `faster than standalone -> standalone with the same method.\n\n${table}`,
  );
}
if (only !== "copy") {
  const table = await liveBenchmark();
  console.log(table);
  sections.push(
    `Live: a generator writes SET/HSET/LPUSH/DEL over ${LIVE_KEYSPACE} random keys for ${seconds} s at each ` +
      `rate while riot follows (--flush-interval 50 ms); riot's lag is from notification to the target's ` +
      `acknowledgement; the probe lag is from a write on the source to our own read of it on the target ` +
      `(polled every ${PROBE_POLL_MS} ms).\n\n${table}`,
  );
}
if (markdown) {
  const date = new Date().toISOString().slice(0, 16).replace("T", " ");
  const header = `\n## Redis Cluster (scripts/bench/cluster.ts)\n\n${date} UTC, ${machine()}, load average ` +
    `${loadAtStart.toFixed(1)} at the start and ${
      Deno.loadavg()[0].toFixed(1)
    } at the end. All servers are ` +
    `local redis-server processes on loopback, sharing the cores with riot.\n\n`;
  await Deno.writeTextFile(markdown, header + sections.join("\n\n") + "\n", { append: true });
}
