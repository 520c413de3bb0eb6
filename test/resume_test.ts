/**
 * `riot replicate --checkpoint FILE` stopped and resumed: riot runs as a real process (main.ts) and is
 * stopped by a real signal at a random point of the copy; the next run with the same file continues from
 * the SCAN cursor. What arrived is checked with our own reads (DBSIZE, DEBUG DIGEST of both servers).
 */
import assert from "node:assert/strict";
import { jsonOf, raw, uri } from "./_replicate_util.ts";
import { RedisServer, serverTest } from "./_server.ts";
import { riot, type Run } from "./_riot.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

function spawnRiot(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--no-check", "--v8-flags=--max-semi-space-size=8", MAIN, ...args],
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

/** Resolves once the target holds at least `keys` keys (polled), or rejects after `ms`. */
async function untilTargetHolds(target: RedisServer, keys: number, ms = 60_000): Promise<void> {
  const watcher = await raw(target);
  try {
    const deadline = performance.now() + ms;
    while ((await watcher.call("DBSIZE") as number) < keys) {
      if (performance.now() > deadline) throw new Error(`the target never held ${keys} keys`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    watcher.close();
  }
}

async function readCheckpoint(path: string) {
  return JSON.parse(await Deno.readTextFile(path));
}

serverTest({
  name:
    "riot replicate --checkpoint: SIGINT at a random point of a 300k key copy, then the same command resumes: identical data, far fewer keys copied twice",
  async fn() {
    const password = "s3cret-pass-word";
    await using source = await RedisServer.start({ password });
    await using target = await RedisServer.start();
    // 300k keys, not 1 M: 1 M took 35 s here on a loaded machine (load 8); the mechanism is the same.
    const total = 300_000;
    await source.cli("DEBUG", "POPULATE", String(total), "key", "16");
    const dir = await Deno.makeTempDir({ prefix: "riot-resume-" });
    try {
      const checkpoint = `${dir}/copy.json`;
      const args = [
        "replicate",
        `redis://:${password}@${source.host}:${source.port}`,
        uri(target),
        "--progress",
        "none",
        "--json",
        "--checkpoint",
        checkpoint,
        "--compare",
        "none",
      ];
      // Somewhere between 10% and 70% of the copy.
      const fraction = 0.1 + 0.6 * Math.random();
      const child = spawnRiot(args);
      await untilTargetHolds(target, Math.floor(total * fraction));
      child.kill("SIGINT");
      const first = await finished(child);
      assert.equal(first.code, 130, `stopped at ${fraction.toFixed(2)}: ${first.err}`);
      assert.match(
        first.err,
        new RegExp(
          `Stopped by SIGINT during the copy after \\d+ keys written .*resume from checkpoint ${checkpoint}`,
        ),
      );
      const stopped = jsonOf(first);
      assert.deepEqual(stopped.stopped, { phase: "copying", signal: "SIGINT" });
      assert.equal(stopped.resumed, false);
      const firstWritten: number = stopped.replication.written;
      assert.ok(firstWritten > 0 && firstWritten < total, `first run wrote ${firstWritten}`);

      const saved = await readCheckpoint(checkpoint);
      assert.equal(saved.complete, false);
      assert.notEqual(saved.cursors[""].cursor, "0");
      assert.equal(saved.cursors[""].done, false);
      assert.equal(saved.counters.written, firstWritten);
      const text = await Deno.readTextFile(checkpoint);
      assert.ok(!text.includes(password), "the checkpoint never holds the password");
      assert.deepEqual(
        (await Array.fromAsync(Deno.readDir(dir))).map((entry) => entry.name),
        ["copy.json"],
        "no temporary file is left",
      );

      const second = await finished(spawnRiot(args));
      assert.equal(second.code, 0, second.err);
      assert.match(second.err, /Resuming the copy from SCAN cursor \d+/);
      const resumed = jsonOf(second);
      assert.equal(resumed.resumed, true);
      assert.equal(resumed.copiedThisRun, resumed.replication.written);
      assert.equal(resumed.copiedBefore, firstWritten);
      const again: number = resumed.copiedThisRun;
      assert.ok(again < total, `the second run copied ${again} of ${total} keys`);
      // Keys written by both runs: only those past the saved cursor when the first run stopped (its queues).
      const twice = firstWritten + again - total;
      assert.ok(twice >= 0, `together the runs wrote ${firstWritten + again} keys`);
      assert.ok(twice < 30_000, `${twice} keys were copied by both runs`);

      assert.equal(Number(await target.cli("DBSIZE")), total);
      assert.equal(await target.cli("DEBUG", "DIGEST"), await source.cli("DEBUG", "DIGEST"));
      const done = await readCheckpoint(checkpoint);
      assert.equal(done.complete, true);
      assert.equal(done.counters.written, firstWritten + again, "the checkpoint counts both runs");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

serverTest({
  name:
    "riot replicate --rate: SIGTERM stops the capped copy (exit 143); the resumed run continues; another filter is refused in one line",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    const total = 60_000;
    await source.cli("DEBUG", "POPULATE", String(total), "key", "16");
    const dir = await Deno.makeTempDir({ prefix: "riot-resume-" });
    try {
      const checkpoint = `${dir}/copy.json`;
      const args = ["replicate", uri(source), uri(target), "--progress", "none", "--checkpoint", checkpoint];
      const child = spawnRiot([...args, "--rate", "10000"]);
      await untilTargetHolds(target, 1);
      const started = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const copied = Number(await target.cli("DBSIZE"));
      const seconds = (performance.now() - started) / 1000;
      // The bucket lets one second's worth pass at once, then 10,000 keys per second (plus one SCAN page).
      assert.ok(copied <= 10_000 * (seconds + 1) + 1000, `${copied} keys in ${seconds.toFixed(1)} s`);
      // Saved every 2 s while the copy runs, not only at exit.
      const deadline = performance.now() + 5_000;
      while (!(await Deno.stat(checkpoint).then(() => true, () => false)) && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const running = await readCheckpoint(checkpoint);
      assert.equal(running.complete, false);
      assert.notEqual(running.cursors[""].cursor, "0");
      child.kill("SIGTERM");
      const first = await finished(child);
      assert.equal(first.code, 143, first.err);
      assert.match(first.err, /SIGTERM: finishing in-flight writes, then stopping/);
      assert.match(first.err, /Stopped by SIGTERM during the copy/);
      assert.ok(Number(await target.cli("DBSIZE")) < total);

      const refused = await finished(spawnRiot([...args, "--key-pattern", "key:1*"]));
      assert.equal(refused.code, 2, refused.err);
      const lines = refused.err.trim().split("\n");
      assert.equal(lines.length, 1, refused.err);
      assert.match(lines[0], /--checkpoint .* was made for another copy .*name another file/);

      const second = await finished(spawnRiot(args));
      assert.equal(second.code, 0, second.err);
      assert.match(second.err, /Resumed from checkpoint .*: this run copied \d+ keys/);
      assert.equal(second.out, `OK:${total} V:0 >:0 <:0 T:0\n`);
      assert.equal(await target.cli("DEBUG", "DIGEST"), await source.cli("DEBUG", "DIGEST"));

      // A finished checkpoint starts a new copy from the beginning.
      await target.cli("FLUSHALL");
      const third = await finished(spawnRiot([...args, "--json"]));
      assert.equal(third.code, 0, third.err);
      assert.equal(jsonOf(third).resumed, false);
      assert.equal(jsonOf(third).replication.written, total);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

serverTest({
  name: "riot replicate --checkpoint: a resumed live run re-scans from the start and says so",
  async fn() {
    await using source = await RedisServer.start({ notifyKeyspaceEvents: "KA" });
    await using target = await RedisServer.start();
    const total = 50_000;
    await source.cli("DEBUG", "POPULATE", String(total), "key", "16");
    const dir = await Deno.makeTempDir({ prefix: "riot-resume-" });
    try {
      const checkpoint = `${dir}/copy.json`;
      const base = ["replicate", uri(source), uri(target), "--progress", "none", "--checkpoint", checkpoint];
      const child = spawnRiot([...base, "--rate", "10000"]);
      await untilTargetHolds(target, 5_000);
      child.kill("SIGINT");
      assert.equal((await finished(child)).code, 130);
      // Changed while no run was following: no event will ever tell about it.
      await source.cli("SET", "key:1", "changed while stopped");

      const live = await finished(spawnRiot([...base, "--mode", "live", "--idle-timeout", "1000", "--json"]));
      assert.equal(live.code, 0, live.err);
      assert.match(
        live.err,
        /Resuming a live run: changes made while it was stopped sent no events, so it re-scans/,
      );
      const json = jsonOf(live);
      assert.equal(json.resumed, true);
      assert.ok(json.replication.written >= total, `the re-scan copied ${json.replication.written} keys`);
      assert.equal(await target.cli("GET", "key:1"), "changed while stopped");
      assert.equal(await target.cli("DEBUG", "DIGEST"), await source.cli("DEBUG", "DIGEST"));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

serverTest({
  name:
    "riot replicate --checkpoint with --dry-run is refused: the cursor would move past keys never written",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    const dir = await Deno.makeTempDir({ prefix: "riot-resume-" });
    try {
      const run = await riot([
        "replicate",
        uri(source),
        uri(target),
        "--dry-run",
        "--checkpoint",
        `${dir}/copy.json`,
      ]);
      assert.equal(run.code, 2, run.err);
      assert.match(run.err, /--checkpoint cannot be used with --dry-run/);
      assert.equal(run.err.trim().split("\n").length, 1);
      assert.deepEqual(await Array.fromAsync(Deno.readDir(dir)), []);

      await Deno.writeTextFile(`${dir}/garbage.json`, "not a checkpoint");
      const garbage = await riot([
        "replicate",
        uri(source),
        uri(target),
        "--checkpoint",
        `${dir}/garbage.json`,
      ]);
      assert.equal(garbage.code, 2, garbage.err);
      assert.equal(garbage.err.trim().split("\n").length, 1, garbage.err);
      assert.match(garbage.err, /is not a riot checkpoint .*remove it or name another file/);
      assert.equal(await Deno.readTextFile(`${dir}/garbage.json`), "not a checkpoint", "left as it was");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
