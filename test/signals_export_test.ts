/**
 * SIGINT/SIGTERM in file-export and db-export behave like every other command (src/commands/stop_signals.ts):
 * the first stops at a batch boundary and says so, exit 130 or 143; a second aborts at once. Before,
 * file-export exited 130 on SIGTERM, db-export ignored SIGTERM, and neither aborted on a second signal.
 * A delaying proxy in front of the source keeps the export running long enough to be interrupted.
 */
import assert from "node:assert/strict";
import { RiotProcess, waitFor } from "./_promise_util.ts";
import { TcpProxy } from "./_proxy.ts";
import { RedisServer, serverTest } from "./_server.ts";

const KEYS = 20_000;

async function slowSource(): Promise<{ source: RedisServer; proxy: TcpProxy }> {
  const source = await RedisServer.start();
  await source.cli("DEBUG", "POPULATE", String(KEYS), "order", "16");
  const proxy = await TcpProxy.start(source.host, source.port);
  proxy.setDelay(15);
  return { source, proxy };
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await Deno.stat(path)).size;
  } catch {
    return 0;
  }
}

/** Runs riot until `started()` holds, sends `signals` 50 ms apart, and returns how it ended. */
async function interrupt(args: string[], started: () => Promise<boolean>, signals: Deno.Signal[]) {
  const riot = new RiotProcess(args);
  try {
    await waitFor("the export to start", started, 30_000);
    for (const signal of signals) {
      riot.kill(signal);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return await riot.done;
  } catch (error) {
    await riot.abort();
    throw error;
  }
}

serverTest({
  name: "signals: file-export stops on SIGTERM with exit 143 (was 130) and aborts on a second SIGINT",
  async fn() {
    const { source, proxy } = await slowSource();
    await using _source = source;
    await using _proxy = proxy;
    const dir = await Deno.makeTempDir();
    try {
      const path = `${dir}/out.jsonl`;
      const args = ["file-export", "-p", String(proxy.port), "--progress", "none", "--batch", "50", path];
      const once = await interrupt(args, async () => await fileSize(path) > 0, ["SIGTERM"]);
      assert.equal(once.code, 143, once.err);
      assert.match(
        once.err,
        /^warning: SIGTERM: finishing the keys in flight, then stopping \(SIGTERM again aborts\)$/m,
      );
      const lines = (await Deno.readTextFile(path)).split("\n").filter((line) => line !== "");
      assert.ok(lines.length > 0 && lines.length < KEYS, `stopped mid-export with ${lines.length} keys`);
      for (const line of lines) JSON.parse(line); // every line written is whole

      await Deno.remove(path);
      const twice = await interrupt(args, async () => await fileSize(path) > 0, ["SIGINT", "SIGINT"]);
      assert.equal(twice.code, 130, twice.err);
      assert.match(twice.err, /^error: SIGINT again: aborting now$/m);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

serverTest({
  name: "signals: db-export stops on SIGTERM with exit 143 (SIGTERM was ignored) and says so",
  async fn() {
    const { source, proxy } = await slowSource();
    await using _source = source;
    await using _proxy = proxy;
    const dir = await Deno.makeTempDir();
    try {
      const path = `${dir}/export.db`;
      const { DatabaseSync } = await import("node:sqlite");
      const db = new DatabaseSync(path);
      db.exec("CREATE TABLE orders (k TEXT)");
      const rows = () => (db.prepare("SELECT count(*) AS n FROM orders").get() as { n: number }).n;
      const started = () => {
        try {
          return Promise.resolve(rows() > 0);
        } catch {
          return Promise.resolve(false); // riot holds the write lock: look again
        }
      };
      try {
        const run = await interrupt(
          [
            "db-export",
            "-p",
            String(proxy.port),
            "--url",
            `sqlite:${path}`,
            "--key-regex",
            "(?<k>.*)",
            "--batch",
            "50",
            "--progress",
            "none",
            "INSERT INTO orders (k) VALUES (:k)",
          ],
          started,
          ["SIGTERM"],
        );
        assert.equal(run.code, 143, run.err);
        assert.match(
          run.err,
          /^warning: SIGTERM: finishing the rows in flight, then stopping \(SIGTERM again aborts\)$/m,
        );
        assert.ok(rows() > 0 && rows() < KEYS, `stopped mid-export with ${rows()} rows`);
      } finally {
        db.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
