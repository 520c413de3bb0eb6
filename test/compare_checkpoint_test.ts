/**
 * `riot compare --checkpoint FILE`: a comparison stopped by SIGINT at a random point saves the cursor of its
 * source pass and its counts; the same command continues from there and ends with the counts of an
 * uninterrupted comparison. riot runs as a real process (main.ts), stopped by a real signal.
 */
import assert from "node:assert/strict";
import { toText } from "../resp/mod.ts";
import { jsonOf, raw, uri } from "./_replicate_util.ts";
import { RedisServer, serverTest } from "./_server.ts";
import type { Run } from "./_riot.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

function spawnRiot(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--no-check", MAIN, ...args],
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function finished(child: Deno.ChildProcess): Promise<Run> {
  const output = await child.output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, out: decode(output.stdout), err: decode(output.stderr) };
}

/** Resolves once the server has answered at least `calls` TYPE commands (the quick compare's lookups). */
async function untilTypeCalls(server: RedisServer, calls: number): Promise<void> {
  const watcher = await raw(server);
  try {
    const deadline = performance.now() + 60_000;
    for (;;) {
      const stats = toText(await watcher.call("INFO", "commandstats"));
      const done = Number(/cmdstat_type:calls=(\d+)/.exec(stats)?.[1] ?? 0);
      if (done >= calls) return;
      if (performance.now() > deadline) throw new Error(`never ${calls} TYPE calls`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    watcher.close();
  }
}

serverTest({
  name:
    "riot compare --checkpoint: SIGINT at a random point saves the cursor; the same command continues and counts like one whole run",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    const total = 300_000;
    await source.cli("DEBUG", "POPULATE", String(total), "key", "8");
    await target.cli("DEBUG", "POPULATE", String(total), "key", "8");
    await target.cli("DEL", "key:5", "key:6");
    await target.cli("SET", "only-on-target", "x");
    await target.cli("PEXPIRE", "key:7", "1000000");
    const expected = `OK:${total - 3} V:0 >:2 <:1 T:1\n`;
    const dir = await Deno.makeTempDir({ prefix: "riot-compare-" });
    try {
      const checkpoint = `${dir}/compare.json`;
      const args = ["compare", uri(source), uri(target), "--progress", "none", "--checkpoint", checkpoint];
      const fraction = 0.1 + 0.6 * Math.random();
      const child = spawnRiot(args);
      await untilTypeCalls(source, Math.floor(total * fraction));
      child.kill("SIGINT");
      const first = await finished(child);
      assert.equal(first.code, 130, `stopped at ${fraction.toFixed(2)}: ${first.err}`);
      assert.match(
        first.err,
        /Stopped by SIGINT after \d+ source key\(s\) checked: run the same command again/,
      );
      const saved = JSON.parse(await Deno.readTextFile(checkpoint));
      assert.equal(saved.complete, false);
      assert.notEqual(saved.cursors[""].cursor, "0");
      const before: number = saved.counters.seen;
      assert.ok(before > 0 && before < total, `${before} keys checked before the stop`);

      const second = await finished(spawnRiot([...args, "--json"]));
      assert.equal(second.code, 1, second.err);
      const json = jsonOf(second);
      assert.equal(json.resumed, true);
      assert.equal(json.checkedBefore, before);
      assert.equal(
        `OK:${json.ok} V:${json.value} >:${json.missing} <:${json.extra} T:${json.ttl}\n`,
        expected,
      );
      assert.equal(JSON.parse(await Deno.readTextFile(checkpoint)).complete, true);

      // The finished checkpoint starts over; the whole comparison agrees.
      const whole = await finished(spawnRiot(args));
      assert.equal(whole.code, 1, whole.err);
      assert.equal(whole.out, expected);
      assert.doesNotMatch(whole.err, /Resumed/);

      // A checkpoint of another mode is refused in one line.
      const other = await finished(spawnRiot([...args, "--mode", "full"]));
      assert.equal(other.code, 2, other.err);
      assert.equal(other.err.trim().split("\n").length, 1, other.err);
      assert.match(other.err, /was made for another copy/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
