/**
 * `replicate --mode sync` against named baselines in one run, 1 M string keys of ~100 bytes:
 * - native REPLICAOF full sync,
 * - `redis-cli --pipe` of pre-dumped RESTORE commands (the target's ingest ceiling),
 * - riot replicate --mode sync (the snapshot part: keys/s of the copy),
 * - riot replicate (SCAN + DUMP/RESTORE),
 * - riot rdb-import of the source's SAVEd file.
 * Prints a markdown table; `--markdown FILE` appends it to FILE. `--keys N` for another size.
 *
 *   deno run -A scripts/bench/sync.ts [--keys 1000000] [--markdown BENCHMARKS.md]
 */
import { encodeCommands, toText } from "../../resp/mod.ts";
import { connect } from "../../src/redis/connect.ts";
import { DEFAULT_CONNECTION } from "../../src/redis/options.ts";
import { dumpPayload, RdbFileReader } from "../../src/rdb/file_reader.ts";
import { RedisServer } from "../../test/_server.ts";
import { machine, run, waitFor } from "./_bench_util.ts";

const arg = (name: string) => Deno.args.includes(name) ? Deno.args[Deno.args.indexOf(name) + 1] : undefined;
const keys = Number(arg("--keys") ?? 1_000_000);
const markdown = arg("--markdown");
const repo = new URL("../../", import.meta.url).pathname;
const deno = Deno.execPath();
const log = (text: string) => console.error(text);

/** RESTORE commands for every key of an RDB file, as redis-cli --pipe input. */
async function restoreFile(rdb: string, path: string): Promise<void> {
  const reader = new RdbFileReader();
  reader.feed(await Deno.readFile(rdb));
  reader.end();
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  let batch: (string | number | Uint8Array)[][] = [];
  const flush = async () => {
    const bytes = encodeCommands(batch);
    for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
    batch = [];
  };
  for (let item = reader.next(); item; item = reader.next()) {
    if (item.kind !== "key") continue;
    batch.push(["RESTORE", item.key, 0, dumpPayload(item, reader.version), "REPLACE"]);
    if (batch.length === 1000) await flush();
  }
  await flush();
  file.close();
}

async function replicaof(source: RedisServer, target: RedisServer): Promise<number> {
  const probe = await connect({ ...DEFAULT_CONNECTION, port: target.port });
  const started = performance.now();
  await probe.call("REPLICAOF", "127.0.0.1", String(source.port));
  await waitFor(
    async () => {
      const info = toText(await probe.call("INFO", "replication"));
      return info.includes("master_link_status:up") && Number(await probe.call("DBSIZE")) >= keys;
    },
    600_000,
    "REPLICAOF",
  );
  const seconds = (performance.now() - started) / 1000;
  await probe.call("REPLICAOF", "NO", "ONE");
  await probe.call("FLUSHALL");
  probe.close();
  return seconds;
}

async function riot(args: string[]): Promise<number> {
  const result = await run([
    deno,
    "run",
    "-A",
    "--v8-flags=--max-semi-space-size=8",
    `${repo}main.ts`,
    ...args,
  ]);
  if (result.code !== 0) throw new Error(`riot ${args.join(" ")} failed: ${result.stderr}`);
  const json = JSON.parse(result.stdout.trim().split("\n").at(-1)!);
  return json.replication?.copySeconds ?? json.import?.copySeconds ?? result.seconds;
}

log(`Machine: ${machine()}; keys: ${keys}`);
await using source = await RedisServer.start({
  args: ["--repl-diskless-sync-delay", "0", "--repl-backlog-size", "64mb"],
});
await using target = await RedisServer.start();
await source.cli("DEBUG", "POPULATE", String(keys), "key", "100");
await source.cli("SAVE");
const rdb = `${source.dir}/dump.rdb`;
const rows: [string, number][] = [];

rows.push(["native REPLICAOF full sync", await replicaof(source, target)]);
log(`REPLICAOF: ${rows[0][1].toFixed(2)} s`);
const pipeInput = `${source.dir}/restore.resp`;
await restoreFile(rdb, pipeInput);
const pipe = await run(["redis-cli", "-p", String(target.port), "--pipe"], { stdin: pipeInput });
rows.push(["redis-cli --pipe of RESTOREs (ingest ceiling)", pipe.seconds]);
log(`--pipe: ${pipe.seconds.toFixed(2)} s`);
const uriOf = (server: RedisServer) => `redis://127.0.0.1:${server.port}`;
for (
  const [name, args] of [
    ["riot replicate --mode sync (snapshot)", ["replicate", uriOf(source), uriOf(target), "--mode", "sync"]],
    ["riot replicate (SCAN + DUMP/RESTORE)", ["replicate", uriOf(source), uriOf(target)]],
    ["riot rdb-import of the SAVEd file", ["rdb-import", rdb, "-p", String(target.port)]],
  ] as const
) {
  await target.cli("FLUSHALL");
  const extra = name.includes("sync") ? ["--idle-timeout", "300"] : [];
  if (name.startsWith("riot replicate")) extra.push("--compare", "none");
  rows.push([name, await riot([...args, ...extra, "--progress", "none", "--json"])]);
  log(`${name}: ${rows.at(-1)![1].toFixed(2)} s`);
  if (Number(await target.cli("DBSIZE")) !== keys) throw new Error(`${name}: the target is incomplete`);
}

const ceiling = rows[1][1];
const table = [
  `${keys} string keys of ~100 bytes, Redis ${
    (await run(["redis-server", "--version"])).stdout.split(" ")[2]
  }; ${machine()}`,
  "",
  "| method | seconds | keys/s | vs ingest ceiling |",
  "|---|---|---|---|",
  ...rows.map(([name, seconds]) =>
    `| ${name} | ${seconds.toFixed(2)} | ${Math.round(keys / seconds)} | ${(ceiling / seconds).toFixed(2)}x |`
  ),
].join("\n");
console.log(table);
if (markdown) await Deno.writeTextFile(markdown, `\n${table}\n`, { append: true });
