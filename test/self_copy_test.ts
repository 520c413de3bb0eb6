/**
 * Issue #7, promise 4 (run_id part): a copy of a database onto itself is refused however the two sides are
 * named (localhost vs 127.0.0.1, an IPv6 address, the unix socket of the same server), in snapshot and live
 * mode, before anything is written; another database of the same server is still a valid target.
 */
import assert from "node:assert/strict";
import { RiotProcess, sleep, startRiot } from "./_promise_util.ts";
import { RedisServer, serverTest } from "./_server.ts";

const ALIAS_REFUSED =
  /^error: The source \(.+\) and the target \(.+\) are the same server and database \(run_id [0-9a-f]{12}…, db 0\): name another target or database \(-n\)$/m;

/** The data of db 0 and db 1 as `key=value` lines, to prove nothing was written. */
async function contents(server: RedisServer): Promise<string> {
  const lines: string[] = [];
  for (const db of ["0", "1"]) {
    const keys = (await server.cli("-n", db, "--scan")).split("\n").filter((key) => key !== "").sort();
    for (const key of keys) lines.push(`${db}/${key}=${await server.cli("-n", db, "GET", key)}`);
  }
  return lines.join("\n");
}

function run(source: string[], target: string[], ...extra: string[]) {
  return startRiot([...source, "replicate", ...target, "--progress", "none", ...extra]).done;
}

serverTest({
  name: "replicate refuses a copy onto the same server under another name (snapshot and live), exit 2",
  async fn() {
    await using server = await RedisServer.start({
      notifyKeyspaceEvents: "KA",
      unixSocket: true,
      args: ["--bind", "127.0.0.1", "::1"],
    });
    await server.cli("SET", "a", "1");
    await server.cli("SET", "b", "2", "PX", "600000");
    const before = await contents(server);
    const port = String(server.port);
    const aliases: [string, string[], string[]][] = [
      ["localhost vs 127.0.0.1", ["-h", "localhost", "-p", port], ["-h", "127.0.0.1", "-p", port]],
      ["IPv6 vs IPv4", ["-h", "::1", "-p", port], ["-h", "127.0.0.1", "-p", port]],
      ["unix socket vs TCP", ["-s", server.socketPath!], ["-h", "127.0.0.1", "-p", port]],
    ];
    for (const [what, source, target] of aliases) {
      for (const mode of [[], ["--live", "--idle-timeout", "5000"]]) {
        const result = await run(source, target, ...mode);
        const label = `${what} ${mode.join(" ")}`;
        assert.equal(result.code, 2, `${label}: ${result.err}${result.out}`);
        assert.match(result.err, ALIAS_REFUSED, label);
        assert.ok(
          result.ms < 5000,
          `${label}: refused at once, not after the idle timeout (${result.ms} ms)`,
        );
        assert.equal(result.out, "", label);
      }
    }
    assert.equal(await contents(server), before, "nothing was written");
    assert.equal(await server.cli("PUBSUB", "NUMPAT"), "0", "no subscription left behind");
    assert.equal((await server.cli("CONFIG", "GET", "notify-keyspace-events")).split("\n")[1], "AK");
  },
});

serverTest({
  name: "replicate to another database of the same server (an alias, -n 1) is allowed and copies",
  async fn() {
    await using server = await RedisServer.start({ notifyKeyspaceEvents: "KA" });
    await server.cli("SET", "a", "1");
    await server.cli("HSET", "h", "f", "v");
    const port = String(server.port);
    const result = await run(["-h", "localhost", "-p", port], ["-h", "127.0.0.1", "-p", port, "-n", "1"]);
    assert.equal(result.code, 0, result.err + result.out);
    assert.match(result.out, /^OK:2 V:0 >:0 <:0 T:0$/m);
    assert.equal(await server.cli("-n", "1", "GET", "a"), "1");
    assert.equal(await server.cli("-n", "1", "HGET", "h", "f"), "v");
    assert.equal(await server.cli("-n", "1", "DBSIZE"), "2");
  },
});

serverTest({
  name: "replicate --live to another database of the same server hears none of its own writes and goes idle",
  async fn() {
    await using server = await RedisServer.start({ notifyKeyspaceEvents: "KA" });
    for (let i = 0; i < 50; i++) await server.cli("SET", `k:${i}`, String(i));
    const port = String(server.port);
    // A child process, so that a run that never goes idle can be ended by the test.
    const riot = new RiotProcess([
      "-h",
      "localhost",
      "-p",
      port,
      "replicate",
      "-h",
      "127.0.0.1",
      "-p",
      port,
      "-n",
      "1",
      "--live",
      "--idle-timeout",
      "1500",
      "--progress",
      "none",
      "--json",
    ]);
    const ended = await Promise.race([riot.done, sleep(30_000).then(() => undefined)]);
    if (ended === undefined) {
      await riot.abort();
      assert.fail(`still running 30 s into a live run with a 1.5 s idle timeout: ${riot.output.err}`);
    }
    assert.equal(ended.code, 0, ended.err + ended.out);
    const parsed = JSON.parse(ended.out);
    assert.equal(parsed.live.events, 0, "the copy's own RESTOREs into db 1 are not events of db 0");
    assert.equal(parsed.verify.ok, 50);
    assert.equal(await server.cli("-n", "1", "DBSIZE"), "50");
  },
});
