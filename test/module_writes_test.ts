/**
 * Write operations for Redis modules against a server that has them loaded. Module builds are found
 * through RIOT_TEST_REDIS_MODULES, a directory holding the shared objects built outside the repository:
 *
 *     $RIOT_TEST_REDIS_MODULES/redistimeseries.so     (RedisTimeSeries, for ts.add)
 *
 * A test whose module is absent is ignored and its name says why. Nothing here builds or downloads one.
 */
import assert from "node:assert/strict";
import { toText } from "../resp/mod.ts";
import { raw } from "./_replicate_util.ts";
import { riot } from "./_riot.ts";
import { RedisServer, redisServerMissing } from "./_server.ts";

const MODULES_ENV = "RIOT_TEST_REDIS_MODULES";

/** The module's path, or why it is missing (a phrase for the test name). */
function moduleBuild(file: string): { path?: string; missing: string } {
  const root = Deno.env.get(MODULES_ENV);
  if (!root) return { missing: ` (skipped: ${MODULES_ENV} is not set)` };
  const path = `${root}/${file}`;
  try {
    if (Deno.statSync(path).isFile) return { path, missing: "" };
  } catch {
    // Reported below.
  }
  return { missing: ` (skipped: no ${file} under ${root})` };
}

const timeSeries = moduleBuild("redistimeseries.so");

Deno.test({
  name:
    `ts.add writes samples to RedisTimeSeries, one series per key; a bad sample is reported with its line${timeSeries.missing}`,
  ignore: !timeSeries.path || !!redisServerMissing,
  async fn() {
    await using server = await RedisServer.start({ args: ["--loadmodule", timeSeries.path!] });
    const dir = await Deno.makeTempDir();
    const conn = await raw(server);
    try {
      const lines = ["sensor,at,celsius"];
      for (let i = 0; i < 60; i++) {
        lines.push(`s${i % 3},${1_700_000_000_000 + i * 1000},${(20 + i / 4).toFixed(2)}`);
      }
      lines.push("s0,1700000999000,warm"); // not a number: line 62
      const csv = `${dir}/samples.csv`;
      await Deno.writeTextFile(csv, lines.join("\n") + "\n");
      const run = await riot([
        "file-import",
        "-p",
        String(server.port),
        csv,
        "--header",
        "ts.add",
        "--keyspace",
        "temp",
        "--key",
        "sensor",
        "--timestamp",
        "at",
        "--value",
        "celsius",
        "--progress",
        "none",
      ]);
      assert.equal(run.code, 1, run.err);
      assert.match(run.err, /samples\.csv:62/);
      for (let s = 0; s < 3; s++) {
        const range = await conn.call("TS.RANGE", `temp:s${s}`, "-", "+") as unknown[][];
        const want = [];
        for (let i = s; i < 60; i += 3) want.push([1_700_000_000_000 + i * 1000, 20 + i / 4]);
        assert.deepEqual(range.map(([at, value]) => [Number(at), Number(toText(value as Uint8Array))]), want);
      }
      assert.equal(toText(await conn.call("TYPE", "temp:s0") as Uint8Array), "TSDB-TYPE");
    } finally {
      conn.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
