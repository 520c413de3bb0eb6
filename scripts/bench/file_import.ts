/**
 * File import benchmark against a real server, with named baselines in the same run: 1 M CSV lines
 * (id,name,email,city,age) into hashes `user:<id>`.
 * - `redis-cli --pipe` of the same HSETs, pre-encoded (the target's write ceiling),
 * - a plain node script (csv-parse + node-redis, scripts/bench/baselines/node_csv_import.ts),
 * - riot file-import, with its peak RSS (/usr/bin/time).
 * Each is checked by DBSIZE and one HGETALL. Prints a table with ratios; `--markdown FILE` appends it.
 *
 *   deno run -A scripts/bench/file_import.ts [--rows N] [--markdown BENCHMARKS.md]
 */
import { encodeCommands } from "../../resp/mod.ts";
import { RedisServer } from "../../test/_server.ts";
import { machine, rate, run, type RunResult } from "./_bench_util.ts";

const arg = (name: string) => Deno.args.includes(name) ? Deno.args[Deno.args.indexOf(name) + 1] : undefined;
const rows = Number(arg("--rows") ?? 1_000_000);
const markdown = arg("--markdown");
const repo = new URL("../../", import.meta.url).pathname;
const deno = Deno.execPath();
const log = (text: string) => console.error(text);

async function writeFixtures(dir: string): Promise<{ csv: string; resp: string }> {
  const csv = `${dir}/users.csv`;
  const resp = `${dir}/users.resp`;
  const csvFile = await Deno.open(csv, { write: true, create: true, truncate: true });
  const respFile = await Deno.open(resp, { write: true, create: true, truncate: true });
  const encoder = new TextEncoder();
  const header = ["id", "name", "email", "city", "age"];
  await csvFile.write(encoder.encode(header.join(",") + "\n"));
  for (let start = 0; start < rows; start += 10_000) {
    let text = "";
    const commands = [];
    for (let i = start; i < Math.min(rows, start + 10_000); i++) {
      const values = [String(i), `name ${i}`, `user${i}@example.com`, `city${i % 1000}`, String(i % 90)];
      text += values.join(",") + "\n";
      commands.push(["HSET", `user:${i}`, ...header.flatMap((name, j) => [name, values[j]])]);
    }
    await writeAll(csvFile, encoder.encode(text));
    await writeAll(respFile, encodeCommands(commands));
  }
  csvFile.close();
  respFile.close();
  return { csv, resp };
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array) {
  let written = 0;
  while (written < bytes.length) written += await file.write(bytes.subarray(written));
}

/** CPU seconds (user + system) the server has used so far. */
async function serverCpu(server: RedisServer): Promise<number> {
  const info = await server.cli("INFO", "cpu");
  const user = Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1]);
  const sys = Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1]);
  return user + sys;
}

interface Measured extends RunResult {
  /** CPU seconds of the client process (user + system), from /usr/bin/time. */
  clientCpu?: number;
  serverCpu: number;
}

/** Run a client through /usr/bin/time (peak RSS and CPU), with the server's CPU used meanwhile. */
async function measure(server: RedisServer, cmd: string[], stdin?: string): Promise<Measured> {
  const before = await serverCpu(server);
  const result = await run(["/usr/bin/time", "-f", "RIOT_MAXRSS_KB=%M RIOT_CPU=%U+%S", ...cmd], { stdin });
  const cpu = /RIOT_CPU=([\d.]+)\+([\d.]+)/.exec(result.stderr);
  return {
    ...result,
    clientCpu: cpu ? Number(cpu[1]) + Number(cpu[2]) : undefined,
    serverCpu: (await serverCpu(server)) - before,
  };
}

async function check(server: RedisServer, what: string): Promise<void> {
  const size = Number(await server.cli("DBSIZE"));
  const sample = await server.cli("HGET", `user:${rows - 1}`, "email");
  if (size !== rows || sample.trim() !== `user${rows - 1}@example.com`) {
    throw new Error(`${what}: the target has ${size} keys (expected ${rows}), last email '${sample.trim()}'`);
  }
  await server.cli("FLUSHALL");
}

const dir = await Deno.makeTempDir({ prefix: "riot-bench-import-" });
await using server = await RedisServer.start({ args: ["--save", "", "--appendonly", "no"] });
const port = String(server.port);
try {
  log(`writing ${rows} CSV lines and the same HSETs as RESP ...`);
  const { csv, resp } = await writeFixtures(dir);

  log("redis-cli --pipe ...");
  const ceiling = await measure(server, ["redis-cli", "-p", port, "--pipe"], resp);
  await check(server, "redis-cli --pipe");

  log("node script (csv-parse + node-redis) ...");
  const node = await measure(server, [
    deno,
    "run",
    "-A",
    `${repo}scripts/bench/baselines/node_csv_import.ts`,
    csv,
    port,
  ]);
  if (node.code !== 0) throw new Error(`node baseline failed: ${node.stderr}`);
  await check(server, "node script");

  log("riot file-import ...");
  const riot = await measure(server, [
    deno,
    "run",
    "-A",
    "--v8-flags=--max-semi-space-size=8",
    `${repo}main.ts`,
    "file-import",
    "-p",
    port,
    csv,
    "--header",
    "--json",
    "hset",
    "--keyspace",
    "user",
    "--key",
    "id",
  ]);
  if (riot.code !== 0) throw new Error(`riot failed: ${riot.stderr}`);
  await check(server, "riot file-import");

  const line = (name: string, m: Measured) =>
    `| ${name} | ${m.seconds.toFixed(2)} s | ${rate(rows, m.seconds)} | ${
      (ceiling.seconds / m.seconds).toFixed(2)
    }x | ${m.clientCpu === undefined ? "-" : `${m.clientCpu.toFixed(2)} s`} | ${m.serverCpu.toFixed(2)} s | ${
      m.peakRssMiB === undefined ? "-" : `${m.peakRssMiB.toFixed(0)} MiB`
    } |`;
  const table = [
    `### file-import: ${rows.toLocaleString("en-US")} CSV lines into hashes (${
      new Date().toISOString().slice(0, 10)
    })`,
    "",
    `${machine()}; redis-server ${
      (await server.cli("INFO", "server")).match(/redis_version:(\S+)/)?.[1]
    }, loopback, no persistence. Load average at the end: ${
      Deno.loadavg().map((n) => n.toFixed(1)).join(" ")
    }.`,
    "",
    "| run | time | rate | of the ceiling | client CPU | server CPU | peak RSS |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    line("redis-cli --pipe (same HSETs, pre-encoded: the ceiling)", ceiling),
    line("node script: csv-parse + node-redis", node),
    line("riot file-import ... hset --keyspace user --key id", riot),
    "",
    `riot vs the node script: ${(node.seconds / riot.seconds).toFixed(2)}x in wall time, ${
      ((node.clientCpu ?? NaN) / (riot.clientCpu ?? NaN)).toFixed(2)
    }x less client CPU. Wall time of the whole process (start-up included); CPU from /usr/bin/time (client) and INFO cpu (server).`,
    "",
  ].join("\n");
  console.log(table);
  if (markdown) await Deno.writeTextFile(markdown, `\n${table}`, { append: true });
} finally {
  await Deno.remove(dir, { recursive: true });
}
