/**
 * Issue #7, promises 1 and 6: live replication never loses changes silently. A source restarted with
 * notifications off, `CONFIG SET notify-keyspace-events ""` and `SWAPDB` during the live phase are seen:
 * with --config-set riot turns notifications on again and re-scans, without it the run stops with the
 * one-line advice (exit 1). A user without channel permissions gets the server's NOPERM and what to grant.
 * Every test checks the target with its own reads.
 */
import assert from "node:assert/strict";
import { assertSameData } from "./_digest.ts";
import { RiotProcess, sleep, startRiot, waitFor } from "./_promise_util.ts";
import { raw } from "./_replicate_util.ts";
import { RedisServer, serverTest } from "./_server.ts";

function liveArgs(src: RedisServer, tgt: RedisServer, ...extra: string[]): string[] {
  return [
    "-p",
    String(src.port),
    "replicate",
    "-p",
    String(tgt.port),
    "--live",
    "--progress",
    "none",
    ...extra,
  ];
}

async function dbsize(server: RedisServer, db = 0): Promise<number> {
  return Number(await server.cli("-n", String(db), "DBSIZE"));
}

/** `count` string keys `prefix:i` on `server` (db `db`), pipelined on one connection. */
async function write(server: RedisServer, prefix: string, count: number, db = 0): Promise<void> {
  const connection = await raw(server, db);
  try {
    await Promise.all(
      Array.from({ length: count }, (_, i) => connection.call("SET", `${prefix}:${i}`, `v${i}`)),
    );
  } finally {
    connection.close();
  }
}

async function notifyFlags(server: RedisServer): Promise<string> {
  return (await server.cli("CONFIG", "GET", "notify-keyspace-events")).split("\n")[1] ?? "";
}

serverTest({
  name: "live: a source restarted with notifications off stops the run with the advice, exit 1",
  async fn() {
    await using src = await RedisServer.start({ notifyKeyspaceEvents: "KA" });
    await using tgt = await RedisServer.start();
    await write(src, "pre", 100);
    const run = startRiot(liveArgs(src, tgt, "--idle-timeout", "30000", "-o", "20"));
    await waitFor("the snapshot", async () => await dbsize(tgt) === 100);
    await src.restart({ notifyKeyspaceEvents: undefined }); // as from a config file without the setting
    const restartedAt = performance.now();
    await write(src, "after", 10);
    const result = await run.done;
    assert.equal(result.code, 1, result.err + result.out);
    assert.ok(performance.now() - restartedAt < 20_000, "stopped long before the idle timeout");
    assert.match(
      result.err,
      /^error: Keyspace notifications on .* lack .*notify-keyspace-events is ''.*--config-set/m,
    );
    assert.equal(await notifyFlags(src), "", "riot did not touch CONFIG without --config-set");
  },
});

serverTest({
  name: "live: a source restarted with notifications off is repaired with --config-set: zero differences",
  async fn() {
    for (const atStart of ["KA", undefined]) {
      await using src = await RedisServer.start({ notifyKeyspaceEvents: atStart });
      await using tgt = await RedisServer.start();
      await write(src, "pre", 200);
      const run = startRiot(liveArgs(src, tgt, "--idle-timeout", "4000", "--config-set", "-o", "20"));
      await waitFor("the snapshot", async () => await dbsize(tgt) === 200);
      await src.restart({ notifyKeyspaceEvents: undefined });
      await write(src, "after", 50); // before riot sees the restart: no events at all
      await waitFor("notifications on again", async () => (await notifyFlags(src)).includes("K"));
      await write(src, "later", 20); // after: these arrive as events
      const result = await run.done;
      assert.equal(result.code, 0, result.err + result.out);
      assert.match(result.err, /Set notify-keyspace-events/);
      assert.match(result.err, /Re-scanning/);
      assert.match(result.out, /^OK:70 V:0 >:0 <:0 T:0$/m);
      await assertSameData(src, tgt, { count: 70 });
      // Restored on exit to what riot found at the start of the run.
      const flags = await notifyFlags(src);
      if (atStart === undefined) assert.equal(flags, "");
      else assert.ok(flags.includes("K"), `flags '${flags}'`);
    }
  },
});

serverTest({
  name: `live: CONFIG SET notify-keyspace-events "" mid-run stops the run with the advice, exit 1`,
  async fn() {
    await using src = await RedisServer.start({ notifyKeyspaceEvents: "KA" });
    await using tgt = await RedisServer.start();
    await write(src, "pre", 50);
    const run = startRiot(liveArgs(src, tgt, "--idle-timeout", "30000"));
    await waitFor("the snapshot", async () => await dbsize(tgt) === 50);
    await src.cli("CONFIG", "SET", "notify-keyspace-events", "");
    const changedAt = performance.now();
    await write(src, "lost", 10);
    const result = await run.done;
    assert.equal(result.code, 1, result.err + result.out);
    assert.ok(performance.now() - changedAt < 20_000, "stopped long before the idle timeout");
    assert.match(result.err, /notify-keyspace-events is ''.*--config-set/);
  },
});

serverTest({
  name:
    `live: CONFIG SET notify-keyspace-events "" mid-run with --config-set: re-applied, re-scanned, no loss`,
  async fn() {
    await using src = await RedisServer.start({ notifyKeyspaceEvents: "KA" });
    await using tgt = await RedisServer.start();
    await write(src, "pre", 50);
    const run = startRiot(liveArgs(src, tgt, "--idle-timeout", "4000", "--config-set"));
    await waitFor("the snapshot", async () => await dbsize(tgt) === 50);
    await src.cli("CONFIG", "SET", "notify-keyspace-events", "");
    await write(src, "off", 30); // no events for these
    await waitFor("notifications on again", async () => (await notifyFlags(src)).includes("K"));
    await write(src, "on", 10);
    const result = await run.done;
    assert.equal(result.code, 0, result.err + result.out);
    assert.match(result.err, /Set notify-keyspace-events on .* \(was ''\)/);
    assert.match(result.err, /Re-scanning/);
    assert.match(result.out, /^OK:90 V:0 >:0 <:0 T:0$/m);
    assert.equal(await tgt.cli("GET", "off:29"), "v29");
    await assertSameData(src, tgt, { count: 90 });
    assert.ok((await notifyFlags(src)).includes("K"), "the value found at the start stays after the run");
  },
});

serverTest({
  name: "live: SWAPDB on the source mid-run is seen like a flush and repaired by a re-scan",
  async fn() {
    await using src = await RedisServer.start({ notifyKeyspaceEvents: "KA" });
    await using tgt = await RedisServer.start();
    await write(src, "zero", 100);
    await write(src, "one", 40, 1);
    const run = startRiot(liveArgs(src, tgt, "--idle-timeout", "3000"));
    await waitFor("the snapshot", async () => await dbsize(tgt) === 100);
    await src.cli("SWAPDB", "0", "1");
    await write(src, "new", 5);
    const result = await run.done;
    assert.equal(result.code, 0, result.err + result.out);
    assert.match(result.err, /SWAPDB ran on the source/);
    assert.match(result.out, /^OK:45 V:0 >:0 <:0 T:0$/m);
    assert.equal(await tgt.cli("EXISTS", "zero:1"), "0", "the swapped-out keys were pruned");
    assert.equal(await tgt.cli("GET", "one:39"), "v39");
    await assertSameData(src, tgt, { count: 45 });
  },
});

serverTest({
  name: "live: a source user without channel permissions gets NOPERM and what to grant, exit 1",
  async fn() {
    const users = [{ name: "nochan", password: "nochan-secret", rules: "~* resetchannels +@all" }];
    await using src = await RedisServer.start({ notifyKeyspaceEvents: "KA", aclUsers: users });
    await using tgt = await RedisServer.start();
    await write(src, "k", 3);
    for (const protocol of ["3", "2"]) {
      const auth = ["--user", "nochan", "-a", "nochan-secret", "--resp", protocol];
      const result = await startRiot([...auth, ...liveArgs(src, tgt, "--idle-timeout", "2000")]).done;
      const label = `RESP${protocol}: ${result.err}${result.out}`;
      assert.equal(result.code, 1, label);
      assert.doesNotMatch(result.err, /nobody asked for/, label);
      assert.match(result.err, /NOPERM/, label);
      assert.match(
        result.err,
        /ACL SETUSER <user> resetchannels '&__keyspace@0__:\*' \(or allchannels\)/,
        label,
      );
      assert.doesNotMatch(result.err, /nochan-secret/);
      assert.equal(
        result.err.trim().split("\n").filter((line) => line.startsWith("error:")).length,
        1,
        label,
      );
    }
    assert.equal(await dbsize(tgt), 0, "nothing copied: the subscription comes before the snapshot");
  },
});

const NO_CONFIG = [{ name: "app", password: "app-secret", rules: "~* &* +@all -config" }];
const AS_APP = ["--user", "app", "-a", "app-secret"];

serverTest({
  name: "live: where CONFIG is refused, probe events do not keep an idle run alive (--idle-timeout ends it)",
  async fn() {
    await using src = await RedisServer.start({ notifyKeyspaceEvents: "KA", aclUsers: NO_CONFIG });
    await using tgt = await RedisServer.start();
    await write(src, "k", 5);
    // A child process, so that a run that never goes idle can be ended by the test.
    const riot = new RiotProcess([...AS_APP, ...liveArgs(src, tgt, "--idle-timeout", "4000", "--json")]);
    const ended = await Promise.race([riot.done, sleep(20_000).then(() => undefined)]);
    if (ended === undefined) {
      await riot.abort();
      assert.fail(`still running 20 s into an idle run (idle timeout 4 s): ${riot.output.err}`);
    }
    const result = ended;
    assert.equal(result.code, 0, result.err + result.out);
    const parsed = JSON.parse(result.out);
    assert.equal(parsed.live.events, 0, "probe events are not the user's events");
    assert.equal(parsed.verify.ok, 5);
    assert.equal(await src.cli("--scan", "--pattern", "riot:probe:*"), "", "no probe key left behind");
  },
});

serverTest({
  name:
    "live: where CONFIG is refused, a restart with notifications off or a cleared setting is caught by the probe",
  async fn() {
    for (const change of ["restart", "config"] as const) {
      await using src = await RedisServer.start({ notifyKeyspaceEvents: "KA", aclUsers: NO_CONFIG });
      await using tgt = await RedisServer.start();
      await write(src, "pre", 20);
      const run = startRiot([...AS_APP, ...liveArgs(src, tgt, "--idle-timeout", "30000", "-o", "20")]);
      await waitFor("the snapshot", async () => await dbsize(tgt) === 20);
      if (change === "restart") await src.restart({ notifyKeyspaceEvents: undefined });
      else await src.cli("CONFIG", "SET", "notify-keyspace-events", ""); // by an admin
      const changedAt = performance.now();
      const result = await run.done;
      assert.equal(result.code, 1, `${change}: ${result.err}${result.out}`);
      assert.ok(performance.now() - changedAt < 20_000, `${change}: stopped long before the idle timeout`);
      assert.match(
        result.err,
        /^error: No keyspace notification arrived from .* CONFIG is refused there/m,
        change,
      );
      assert.doesNotMatch(result.err, /app-secret/);
    }
  },
});

serverTest({
  name: "live: MOVE into and out of the copied database is followed",
  async fn() {
    await using src = await RedisServer.start({ notifyKeyspaceEvents: "KA" });
    await using tgt = await RedisServer.start();
    await write(src, "zero", 10);
    await write(src, "one", 10, 1);
    const run = startRiot(liveArgs(src, tgt, "--idle-timeout", "2000"));
    await waitFor("the snapshot", async () => await dbsize(tgt) === 10);
    await src.cli("MOVE", "zero:3", "1"); // out of db 0
    await src.cli("-n", "1", "MOVE", "one:4", "0"); // into db 0
    const result = await run.done;
    assert.equal(result.code, 0, result.err + result.out);
    assert.match(result.out, /^OK:10 V:0 >:0 <:0 T:0$/m);
    assert.equal(await tgt.cli("EXISTS", "zero:3"), "0");
    assert.equal(await tgt.cli("GET", "one:4"), "v4");
    await assertSameData(src, tgt, { count: 10 });
  },
});

serverTest({
  name:
    "live: channel permissions revoked mid-run: the re-subscription's NOPERM stops the run with the advice",
  async fn() {
    const users = [{ name: "app", password: "app-secret", rules: "~* &* +@all" }];
    await using src = await RedisServer.start({ notifyKeyspaceEvents: "KA", aclUsers: users });
    await using tgt = await RedisServer.start();
    await write(src, "pre", 10);
    const run = startRiot([...AS_APP, ...liveArgs(src, tgt, "--idle-timeout", "30000", "-o", "20")]);
    await waitFor("the snapshot", async () => await dbsize(tgt) === 10);
    await waitFor("the subscription", async () => Number(await src.cli("PUBSUB", "NUMPAT")) >= 1);
    await src.cli("ACL", "SETUSER", "app", "resetchannels"); // the server drops the user's subscriber
    const result = await run.done;
    assert.equal(result.code, 1, result.err + result.out);
    assert.match(result.err, /NOPERM/);
    assert.match(result.err, /resetchannels '&__keyspace@0__:\*' \(or allchannels\)/);
    assert.doesNotMatch(result.err, /nobody asked for/);
  },
});

serverTest({
  name: "live: a source user without INFO gets one line saying why live mode needs it, exit 1",
  async fn() {
    const users = [{ name: "noinfo", password: "noinfo-secret", rules: "~* &* +@all -info" }];
    await using src = await RedisServer.start({ notifyKeyspaceEvents: "KA", aclUsers: users });
    await using tgt = await RedisServer.start();
    await write(src, "k", 3);
    const auth = ["--user", "noinfo", "-a", "noinfo-secret"];
    const result = await startRiot([...auth, ...liveArgs(src, tgt, "--idle-timeout", "1000")]).done;
    assert.equal(result.code, 1, result.err + result.out);
    assert.match(
      result.err,
      /^error: .* refused INFO \(NOPERM [^)]*\): live replication reads INFO on the source to notice restarts, flushes and SWAPDB \(they send no events\); grant the source user \+info$/m,
    );
    assert.equal(await dbsize(tgt), 0);
  },
});
