/**
 * A 1 M-line CSV import as a process: every record arrives, a malformed line in the middle is reported
 * with its line and the rest is imported, and the peak RSS stays bounded (the file is ~50 MB; riot never
 * holds more than its queues).
 */
import assert from "node:assert/strict";
import { run } from "../scripts/bench/_bench_util.ts";
import { RedisServer, serverTest } from "./_server.ts";

const ROWS = 1_000_000;
const BAD_LINE = 500_002; // line numbers count the header

/** Peak RSS allowed: the benchmark's goal is 150 MiB; tests leave room for a loaded machine. */
const MAX_RSS_MIB = 200;

serverTest({
  name: "file-import of 1 M CSV lines: all written, the malformed line reported, peak RSS bounded",
  async fn() {
    await using server = await RedisServer.start({ args: ["--save", "", "--appendonly", "no"] });
    const dir = await Deno.makeTempDir({ prefix: "riot-big-" });
    try {
      const path = `${dir}/big.csv`;
      const file = await Deno.open(path, { write: true, create: true });
      const encoder = new TextEncoder();
      await file.write(encoder.encode("id,name,email\n"));
      for (let start = 0; start < ROWS; start += 50_000) {
        let text = "";
        for (let i = start; i < start + 50_000; i++) {
          text += i + 2 === BAD_LINE ? `${i},"broken"x,oops\n` : `${i},name ${i},user${i}@example.com\n`;
        }
        const bytes = encoder.encode(text);
        for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
      }
      file.close();
      const result = await run([
        Deno.execPath(),
        "run",
        "-A",
        "--v8-flags=--max-semi-space-size=8",
        "main.ts",
        "file-import",
        "-p",
        String(server.port),
        path,
        "--header",
        "--progress",
        "none",
        "--json",
        "hset",
        "--keyspace",
        "u",
        "--key",
        "id",
      ], { measureRss: true });
      assert.equal(result.code, 1, result.stderr);
      const summary = JSON.parse(result.stdout);
      assert.equal(summary.read, ROWS);
      assert.equal(summary.written, ROWS - 1);
      assert.equal(summary.failed, 1);
      assert.match(summary.failures[0].origin, new RegExp(`big\\.csv:${BAD_LINE}$`));
      assert.equal(Number(await server.cli("DBSIZE")), ROWS - 1);
      assert.equal(
        (await server.cli("HGET", `u:${ROWS - 1}`, "email")).trim(),
        `user${ROWS - 1}@example.com`,
      );
      if (result.peakRssMiB !== undefined) {
        assert.ok(result.peakRssMiB < MAX_RSS_MIB, `peak RSS ${result.peakRssMiB.toFixed(0)} MiB`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
