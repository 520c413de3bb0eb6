/**
 * Big keys copied in windows against real servers: every windowed type past --big-key-threshold (DUMP mode
 * and --struct), live changes to a big key, and a 100 MB list and a 1 M-field hash copied by a riot process
 * whose peak RSS (VmHWM) stays under a stated bound.
 */
import assert from "node:assert/strict";
import { assertSameData } from "./_digest.ts";
import { assertSnapshotsEqual, populate, serverSnapshot } from "./_rdb_fixtures.ts";
import { jsonOf, keysOf, raw, replicate, uri } from "./_replicate_util.ts";
import { riot } from "./_riot.ts";
import { RedisServer, serverTest } from "./_server.ts";
import { serverBuild } from "./_servers.ts";

for (const mode of ["dump", "struct"]) {
  serverTest({
    name: `riot replicate --type ${mode} --big-key-threshold 1kb copies every collection in windows, exactly`,
    async fn() {
      await using source = await RedisServer.start();
      await using target = await RedisServer.start();
      const src = await raw(source);
      const keys = await populate(src, { fieldTtls: false });
      await src.pipeline([
        ["ZADD", "zset:big", "-0", "nzero"],
        ["PEXPIRE", "hash:big", 600_000],
        ["PEXPIRE", "str:big", 650_000],
      ]);
      src.close();
      const dst = await raw(target);
      await dst.pipeline([["RPUSH", "list:big", "stale"], ["SET", "set:big", "other type"]]);
      dst.close();
      const run = await replicate(
        source,
        target,
        "--type",
        mode,
        "--big-key-threshold",
        "1kb",
        "--json",
        "--compare",
        "full",
      );
      assert.equal(run.code, 0, run.err);
      assert.equal(jsonOf(run).verify.ok, keys.length);
      await assertSameData(source, target, { ttlToleranceMs: 0 });
      const check = await raw(target);
      const from = await raw(source);
      try {
        for (const key of keys) {
          const features = { fieldTtls: false };
          assertSnapshotsEqual(
            await serverSnapshot(check, key, features),
            await serverSnapshot(from, key, features),
            key,
          );
        }
      } finally {
        check.close();
        from.close();
      }
      assert.equal(await target.cli("ZSCORE", "zset:big", "nzero"), "-0");
      assert.deepEqual(await keysOf(target), await keysOf(source), "no temporary key left behind");
    },
  });
}

const redis74 = serverBuild("redis-7.4");
Deno.test({
  name:
    `riot replicate --big-key-threshold keeps hash field TTLs window by window on Redis 7.4${redis74.missing}`,
  ignore: !redis74.build,
  async fn() {
    await using source = await RedisServer.start({ binary: redis74.build!.binary });
    await using target = await RedisServer.start({ binary: redis74.build!.binary });
    const src = await raw(source);
    const keys = await populate(src, { fieldTtls: true });
    src.close();
    const run = await replicate(source, target, "--big-key-threshold", "1kb", "--json");
    assert.equal(run.code, 0, run.err);
    const [a, b] = [await raw(source), await raw(target)];
    try {
      for (const key of keys) {
        assertSnapshotsEqual(
          await serverSnapshot(b, key, { fieldTtls: true }),
          await serverSnapshot(a, key, { fieldTtls: true }),
          key,
        );
      }
    } finally {
      a.close();
      b.close();
    }
  },
});

serverTest({
  name: "riot replicate --live re-copies a big key in windows when it changes",
  async fn() {
    await using source = await RedisServer.start({ notifyKeyspaceEvents: "KA" });
    await using target = await RedisServer.start();
    const fields = Array.from({ length: 5000 }, (_, i) => [`f${i}`, `v${i}`]).flat();
    await (await raw(source)).pipeline([["HSET", "big", ...fields]]);
    const running = riot([
      "replicate",
      uri(source),
      uri(target),
      "--live",
      "--idle-timeout",
      "1500",
      "--big-key-threshold",
      "10kb",
      "--progress",
      "none",
      "--json",
    ]);
    const conn = await raw(target);
    const src = await raw(source);
    try {
      while (await conn.call("HLEN", "big") !== 5000) await new Promise((r) => setTimeout(r, 20));
      await src.pipeline([["HSET", "big", "f1", "changed", "new", "field"], ["HDEL", "big", "f2"]]);
      const run = await running;
      assert.equal(run.code, 0, run.err);
      assert.equal(await target.cli("HGET", "big", "f1"), "changed");
      assert.equal(await target.cli("HEXISTS", "big", "f2"), "0");
      assert.equal(await target.cli("HLEN", "big"), "5000");
      await assertSameData(source, target);
    } finally {
      conn.close();
      src.close();
    }
  },
});

/** Fills `key` with `count` incompressible elements of `size` bytes by `command` (RPUSH, or HSET pairs). */
async function fill(
  server: RedisServer,
  command: "RPUSH" | "HSET",
  key: string,
  count: number,
  size: number,
) {
  const conn = await raw(server);
  let x = 88172645463325252n;
  const block = () => {
    const out = new Uint8Array(size);
    const view = new DataView(out.buffer);
    for (let i = 0; i + 8 <= size; i += 8) {
      x ^= (x << 13n) & 0xffffffffffffffffn;
      x ^= x >> 7n;
      x ^= (x << 17n) & 0xffffffffffffffffn;
      view.setBigUint64(i, x);
    }
    return out;
  };
  try {
    const perCommand = 1000;
    for (let at = 0; at < count; at += perCommand) {
      const args: (string | Uint8Array)[] = [];
      for (let i = at; i < Math.min(count, at + perCommand); i++) {
        if (command === "HSET") args.push(`field:${i}`);
        args.push(block());
      }
      await conn.pipeline([[command, key, ...args]]);
    }
  } finally {
    conn.close();
  }
}

/** Runs main.ts as its own process and returns its exit code and peak RSS (VmHWM, MiB). */
async function riotPeakRss(args: string[]): Promise<{ code: number; peakMiB: number; err: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--v8-flags=--max-semi-space-size=8", "main.ts", ...args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let peak = 0;
  const timer = setInterval(async () => {
    try {
      const status = await Deno.readTextFile(`/proc/${child.pid}/status`);
      peak = Math.max(peak, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
    } catch {
      // exited
    }
  }, 25);
  const { code, stderr } = await child.output();
  clearInterval(timer);
  return { code, peakMiB: peak, err: new TextDecoder().decode(stderr) };
}

/** Peak RSS of a riot process copying a 100 MB list and a 1 M-field hash in windows. */
const PEAK_RSS_BOUND_MIB = 200;

for (const mode of ["dump", "struct"]) {
  serverTest({
    name:
      `riot replicate --type ${mode} copies a 100 MB list and a 1 M-field hash with a peak RSS under ${PEAK_RSS_BOUND_MIB} MiB`,
    async fn() {
      await using source = await RedisServer.start();
      await using target = await RedisServer.start();
      await fill(source, "RPUSH", "list:100mb", 100_000, 1000);
      await fill(source, "HSET", "hash:1m", 1_000_000, 8);
      const started = performance.now();
      const run = await riotPeakRss([
        "replicate",
        uri(source),
        uri(target),
        "--progress",
        "none",
        "--type",
        mode,
        "--big-key-threshold",
        "64mb",
      ]);
      const seconds = (performance.now() - started) / 1000;
      console.log(`big keys (${mode}): ${seconds.toFixed(1)} s, peak RSS ${run.peakMiB.toFixed(0)} MiB`);
      assert.equal(run.code, 0, run.err);
      assert.ok(run.peakMiB > 0, "VmHWM was read");
      assert.ok(run.peakMiB < PEAK_RSS_BOUND_MIB, `peak RSS ${run.peakMiB.toFixed(0)} MiB`);
      assert.equal(await target.cli("LLEN", "list:100mb"), "100000");
      assert.equal(await target.cli("HLEN", "hash:1m"), "1000000");
      for (const key of ["list:100mb", "hash:1m"]) {
        assert.equal(
          await target.cli("DEBUG", "DIGEST-VALUE", key),
          await source.cli("DEBUG", "DIGEST-VALUE", key),
        );
      }
    },
  });
}
