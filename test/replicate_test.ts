/**
 * `riot replicate` end to end against real servers: runMain in-process with captured stdout and stderr.
 * Every test checks what arrived on the target with its own connection or redis-cli, never riot's word only.
 */

import assert from "node:assert/strict";
import type { RespValue } from "../resp/mod.ts";
import { riot } from "./_riot.ts";
import { compare, jsonOf, keysOf, raw, replicate, uri } from "./_replicate_util.ts";
import { assertSameData } from "./_digest.ts";
import { RedisServer, serverTest } from "./_server.ts";

const encoder = new TextEncoder();
const bytes = (text: string) => encoder.encode(text);

serverTest({
  name: "riot replicate copies every type: DEBUG DIGEST-VALUE equal per key and compare --mode full exits 0",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    const connection = await raw(source);
    try {
      const commands: (string | number)[][] = [
        ["SET", "string", "hello"],
        ["SET", "int", "12345"],
        ["HSET", "hash:small", "a", "1", "b", "2"],
        ["RPUSH", "list:small", "x", "y", "z"],
        ["SADD", "set:ints", "1", "2", "3"],
        ["SADD", "set:strings", "alpha", "beta"],
        ["ZADD", "zset:small", "0.1", "a", "-inf", "b", "1e300", "c", "+inf", "d", "-0.5", "e"],
        ["XADD", "stream", "1-1", "field", "one"],
        ["XADD", "stream", "2-1", "field", "two"],
        ["XADD", "stream", "3-1", "field", "three"],
        ["XGROUP", "CREATE", "stream", "workers", "0"],
        ["XREADGROUP", "GROUP", "workers", "alice", "COUNT", "2", "STREAMS", "stream", ">"],
        ["PFADD", "hll:sparse", "a", "b", "c"],
      ];
      // Large enough for the non-compact encodings: hashtable, quicklist of many nodes, skiplist, dense HLL.
      for (let i = 0; i < 600; i++) {
        commands.push(["HSET", "hash:big", `field:${i}`, `value:${i}`]);
        commands.push(["RPUSH", "list:big", `item:${i}`]);
        commands.push(["SADD", "set:big", `member:${i}`]);
        commands.push(["ZADD", "zset:big", i / 7, `member:${i}`]);
      }
      for (let i = 0; i < 5000; i++) commands.push(["PFADD", "hll:dense", `element:${i}`]);
      await connection.pipeline(commands);
    } finally {
      connection.close();
    }
    assert.equal(await source.cli("OBJECT", "ENCODING", "hash:big"), "hashtable");
    assert.equal(await source.cli("OBJECT", "ENCODING", "zset:big"), "skiplist");
    const keys = await keysOf(source);
    assert.equal(keys.length, 14);

    const run = await replicate(source, target, "--compare", "full");
    assert.equal(run.code, 0, run.err);
    assert.equal(run.out, `OK:${keys.length} V:0 >:0 <:0 T:0\n`);
    assert.deepEqual(await keysOf(target), keys);
    for (const key of keys) {
      const digest = await source.cli("DEBUG", "DIGEST-VALUE", key);
      assert.match(digest, /^[0-9a-f]{40}$/);
      assert.equal(await target.cli("DEBUG", "DIGEST-VALUE", key), digest, key);
      assert.equal(await target.cli("TYPE", key), await source.cli("TYPE", key), key);
    }
    // The consumer group and its two pending entries came along.
    assert.equal(
      await target.cli("XPENDING", "stream", "workers"),
      await source.cli("XPENDING", "stream", "workers"),
    );
    assert.match(await target.cli("XPENDING", "stream", "workers"), /^2\n1-1\n2-1\nalice\n2$/);
    assert.equal(await target.cli("ZSCORE", "zset:small", "b"), "-inf");
    assert.equal(await target.cli("ZSCORE", "zset:small", "c"), "1.0000000000000001e+300");
    assert.equal(await target.cli("PFCOUNT", "hll:dense"), await source.cli("PFCOUNT", "hll:dense"));

    const check = await compare(source, target, "--mode", "full");
    assert.equal(check.code, 0, check.err);
    assert.equal(check.out, `OK:${keys.length} V:0 >:0 <:0 T:0\n`);
  },
});

serverTest({
  name: "riot replicate copies binary keys, invalid UTF-8 and empty values byte for byte",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const invalidUtf8 = new Uint8Array([0xff, 0xfe, 0x80, 0x00, 0xc3, 0x28, 0x0d, 0x0a]);
    const pairs: [Uint8Array, Uint8Array][] = [
      [allBytes, invalidUtf8],
      [invalidUtf8, allBytes],
      [bytes("empty"), new Uint8Array(0)],
      [new Uint8Array([0x00]), bytes("nul key")],
      [bytes("key\r\nwith\r\ncrlf"), bytes("$5\r\nfake\r\n")],
    ];
    const writer = await raw(source);
    try {
      for (const [key, value] of pairs) assert.equal(await writer.call("SET", key, value), "OK");
    } finally {
      writer.close();
    }

    const run = await replicate(source, target, "--compare", "full");
    assert.equal(run.code, 0, run.err);
    assert.equal(run.out, `OK:${pairs.length} V:0 >:0 <:0 T:0\n`);

    const reader = await raw(target);
    try {
      assert.equal(await reader.call("DBSIZE"), pairs.length);
      for (const [key, value] of pairs) {
        const got = await reader.call("GET", key);
        assert.ok(got instanceof Uint8Array, `GET ${Array.from(key)} returned ${String(got)}`);
        assert.deepEqual(Array.from(got), Array.from(value));
      }
      // SCAN on the target returns the 256-byte key exactly (not a re-encoded copy).
      const [, scanned] = await reader.call("SCAN", 0, "COUNT", 100) as RespValue[];
      assert.ok((scanned as Uint8Array[]).some((key) => key.length === 256 && key.every((b, i) => b === i)));
    } finally {
      reader.close();
    }
  },
});

serverTest({
  name: "riot replicate keeps each TTL to the millisecond: PEXPIRETIME equal on the target",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    const now = Date.now();
    // Odd millisecond offsets, so that a copy through seconds or through a relative TTL would show.
    const expiries: Record<string, number> = {
      "ttl:a": now + 3_600_123,
      "ttl:b": now + 86_400_000 * 30 + 7,
      "ttl:c": now + 61_001,
    };
    for (const [key, at] of Object.entries(expiries)) {
      await source.cli("SET", key, "v");
      assert.equal(await source.cli("PEXPIREAT", key, String(at)), "1");
    }
    await source.cli("HSET", "ttl:hash", "f", "v");
    await source.cli("PEXPIREAT", "ttl:hash", String(now + 999_999));
    expiries["ttl:hash"] = now + 999_999;
    await source.cli("SET", "persistent", "v");

    const run = await replicate(source, target, "--ttl-tolerance", "0");
    assert.equal(run.code, 0, run.err);
    assert.equal(run.out, "OK:5 V:0 >:0 <:0 T:0\n");
    for (const [key, at] of Object.entries(expiries)) {
      assert.equal(await target.cli("PEXPIRETIME", key), String(at), key);
    }
    assert.equal(await target.cli("PEXPIRETIME", "persistent"), "-1");
  },
});

serverTest({
  name: "riot replicate -n 3 copies database 3 and nothing else",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    for (const key of ["a", "b", "c"]) await source.cli("-n", "3", "SET", key, `in db 3: ${key}`);
    await source.cli("-n", "0", "SET", "zero", "in db 0");
    await source.cli("-n", "4", "SET", "four", "in db 4");

    const run = await riot([
      "-h",
      source.host,
      "-p",
      String(source.port),
      "-n",
      "3",
      "replicate",
      "-h",
      target.host,
      "-p",
      String(target.port),
      "-n",
      "3",
      "--progress",
      "none",
      "--compare",
      "full",
    ]);
    assert.equal(run.code, 0, run.err);
    assert.equal(run.out, "OK:3 V:0 >:0 <:0 T:0\n");
    assert.deepEqual(await keysOf(target, 3), ["a", "b", "c"]);
    assert.equal(await target.cli("-n", "3", "GET", "b"), "in db 3: b");
    await assertSameData(source, target, { db: 3, count: 3 });
    assert.deepEqual(await keysOf(target, 0), []);
    assert.deepEqual(await keysOf(target, 4), []);
  },
});

serverTest({
  name: "riot replicate --key-pattern, --key-type, --key-include and --key-exclude copy only matching keys",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    for (const key of ["user:1", "user:2", "order:1", "order:2", "tmp:user:9", "session"]) {
      await source.cli("SET", key, key);
    }
    await source.cli("HSET", "user:h", "f", "v");
    await source.cli("HSET", "order:h", "f", "v");
    await source.cli("RPUSH", "user:l", "x");

    const cases: { args: string[]; expected: string[] }[] = [
      { args: ["--key-pattern", "user:*"], expected: ["user:1", "user:2", "user:h", "user:l"] },
      { args: ["--key-type", "hash"], expected: ["order:h", "user:h"] },
      { args: ["--key-pattern", "user:*", "--key-type", "string"], expected: ["user:1", "user:2"] },
      {
        args: [
          "--key-include",
          "user:*",
          "--key-include",
          "order:*",
          "--key-exclude",
          "*:2",
          "--key-exclude",
          "*:h",
        ],
        expected: ["order:1", "user:1", "user:l"],
      },
      { args: ["--key-exclude", "*user*", "--key-exclude", "order:[0-9]"], expected: ["order:h", "session"] },
      {
        args: ["--key-include", "*:[12]", "--key-type", "string"],
        expected: ["order:1", "order:2", "user:1", "user:2"],
      },
    ];
    for (const { args, expected } of cases) {
      await target.cli("FLUSHALL");
      const run = await replicate(source, target, "--compare", "full", ...args);
      assert.equal(run.code, 0, `${args.join(" ")}: ${run.err}`);
      assert.equal(run.out, `OK:${expected.length} V:0 >:0 <:0 T:0\n`, args.join(" "));
      assert.deepEqual(await keysOf(target), expected, args.join(" "));
      await assertSameData(source, target, { keys: expected });
    }
  },
});

serverTest({
  name: "riot replicate --dry-run reads every key, writes nothing and exits 0",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    await source.cli("DEBUG", "POPULATE", "250", "key", "20");

    const run = await replicate(source, target, "--dry-run");
    assert.equal(run.code, 0, run.err);
    assert.match(run.err, /scanned 250, read 250, written 0,/);
    assert.equal(run.out, "", "no verification after a dry run");
    assert.equal(await target.cli("DBSIZE"), "0");

    const json = jsonOf(await replicate(source, target, "--dry-run", "--json"));
    assert.equal(json.replication.read, 250);
    assert.equal(json.replication.written, 0);
    assert.equal(json.replication.bytes, 0);
    assert.equal(json.verify, undefined);
    assert.equal(await target.cli("DBSIZE"), "0");
  },
});

serverTest({
  name: "riot replicate --mem-limit skips and lists a big key, and the verification leaves it out (exit 0)",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    await source.cli("SETRANGE", "big", String(200 * 1024 - 1), "x");
    await source.cli("SET", "small:1", "a");
    await source.cli("SET", "small:2", "b");

    // Skipped on purpose: listed loudly, not verified, and not a failure.
    const run = await replicate(source, target, "--mem-limit", "100kb");
    assert.equal(run.code, 0, run.err);
    assert.equal(run.out, "OK:2 V:0 >:0 <:0 T:0\n");
    assert.match(run.err, /^warning: 1 key\(s\) skipped: larger than --mem-limit$/m);
    assert.match(run.err, /^warning: {3}skipped: big \(\d{6} bytes\)$/m);
    assert.match(run.err, /^ {2}1 key\(s\) above --mem-limit were not verified$/m);
    assert.deepEqual(await keysOf(target), ["small:1", "small:2"]);
    await assertSameData(source, target, { keys: ["small:1", "small:2"] });

    await target.cli("FLUSHALL");
    const json = jsonOf(await replicate(source, target, "--mem-limit", "100kb", "--json"));
    assert.equal(json.replication.written, 2);
    assert.equal(json.replication.skipped, 1);
    assert.equal(json.replication.failed, 0);
    assert.equal(json.replication.skippedKeys.length, 1);
    assert.equal(json.replication.skippedKeys[0].key, "big");
    assert.ok(
      json.replication.skippedKeys[0].bytes > 200 * 1024,
      String(json.replication.skippedKeys[0].bytes),
    );
    assert.equal(json.verify.missing, 0);
    assert.equal(json.verify.skipped, 1);
    assert.deepEqual(json.verify.diffs, []);

    // Without verification nothing failed: exit 0, still listed.
    await target.cli("FLUSHALL");
    const unverified = await replicate(source, target, "--mem-limit", "100kb", "--compare", "none");
    assert.equal(unverified.code, 0, unverified.err);
    assert.match(unverified.err, /skipped: big/);
    // A limit above the key's size copies it.
    const roomy = await replicate(source, target, "--mem-limit", "1mb");
    assert.equal(roomy.code, 0, roomy.err);
    assert.equal(roomy.out, "OK:3 V:0 >:0 <:0 T:0\n");
    await assertSameData(source, target, { count: 3 });
  },
});

serverTest({
  name: "riot replicate to a target out of memory exits 1 with the OOM reason, advice and --json failures",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start({
      args: ["--maxmemory", "1mb", "--maxmemory-policy", "noeviction"],
    });
    await source.cli("DEBUG", "POPULATE", "500", "big", "10000"); // 5 MB

    const run = await replicate(source, target);
    assert.equal(run.code, 1);
    assert.match(
      run.err,
      /^error: \d+ key\(s\) not copied: OOM command not allowed when used memory > 'maxmemory'\. What to do: the target is out of memory \(maxmemory\): raise maxmemory or free memory on the target$/m,
    );
    assert.match(run.err, /^warning: {3}not copied \(write\): big:\d+: OOM /m);
    assert.match(run.out, /^OK:\d+ V:0 >:\d+ <:0 T:0\n$/);

    await target.cli("CONFIG", "SET", "maxmemory", "0");
    await target.cli("FLUSHALL");
    await target.cli("CONFIG", "SET", "maxmemory", "1mb");
    const json = jsonOf(await replicate(source, target, "--json"));
    assert.ok(json.replication.failed > 0);
    assert.equal(json.replication.written + json.replication.failed, 500);
    assert.ok(json.replication.failures.length > 0);
    assert.equal(json.replication.failures[0].stage, "write");
    assert.match(json.replication.failures[0].reason, /^OOM /);
    assert.match(json.replication.failures[0].advice, /out of memory/);
    assert.equal(json.verify.missing, json.replication.failed);
  },
});

serverTest({
  name:
    "riot replicate to a target user without +restore copies by type; with --no-fallback exits 1 with NOPERM and advice",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start({
      aclUsers: [{ name: "copier", password: "s3cret", rules: "~* &* +@all -restore" }],
    });
    await source.cli("SET", "a", "1");
    await source.cli("SET", "b", "2");

    const targetUri = `redis://copier:s3cret@${target.host}:${target.port}`;
    const run = await riot(["replicate", uri(source), targetUri, "--progress", "none", "--no-fallback"]);
    assert.equal(run.code, 1);
    assert.match(
      run.err,
      /^error: 2 key\(s\) not copied: NOPERM .*'restore'.*\. What to do: the target user lacks permission: allow RESTORE and DEL \(\+restore \+del\)$/m,
    );
    assert.ok(!run.err.includes("s3cret"), "password not shown");
    assert.equal(run.out, "OK:0 V:0 >:2 <:0 T:0\n");
    assert.equal(await target.cli("DBSIZE"), "0");

    const typed = await riot(["replicate", uri(source), targetUri, "--progress", "none"]);
    assert.equal(typed.code, 0, typed.err);
    assert.match(
      typed.err,
      /2 key\(s\) copied by type instead of RESTORE \(2: the target refuses RESTORE \(NOPERM/,
    );
    assert.equal(await target.cli("GET", "b"), "2");
  },
});

serverTest({
  name: "riot replicate accepts the redis-cli form, two URIs and --source-port/--target-port alike",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    for (const key of ["a", "b", "c"]) await source.cli("SET", key, key);
    const src = String(source.port);
    const tgt = String(target.port);
    const forms = [
      ["-h", "127.0.0.1", "-p", src, "replicate", "-h", "127.0.0.1", "-p", tgt],
      ["replicate", `redis://127.0.0.1:${src}`, `redis://127.0.0.1:${tgt}`],
      ["replicate", "--source-port", src, "--target-port", tgt],
      ["-p", src, "replicate", `redis://127.0.0.1:${tgt}`],
      ["replicate", "--source-uri", `redis://127.0.0.1:${src}`, "--target-uri", `redis://127.0.0.1:${tgt}`],
    ];
    for (const form of forms) {
      await target.cli("FLUSHALL");
      const run = await riot([...form, "--progress", "none"]);
      assert.equal(run.code, 0, `${form.join(" ")}: ${run.err}`);
      assert.equal(run.out, "OK:3 V:0 >:0 <:0 T:0\n", form.join(" "));
      assert.deepEqual(await keysOf(target), ["a", "b", "c"], form.join(" "));
      await assertSameData(source, target, { count: 3 });
    }
  },
});

serverTest({
  name: "riot replicate rejects conflicting sources, unknown options and a missing target with exit 2",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    await source.cli("SET", "a", "1");
    const src = `redis://127.0.0.1:${source.port}`;
    const tgt = `redis://127.0.0.1:${target.port}`;
    const cases: { args: string[]; message: RegExp }[] = [
      {
        args: ["replicate", src, tgt, "--source-uri", `redis://127.0.0.1:${target.port}`],
        message: /^error: The source is given twice: as the URI '.*' and with --source-uri$/,
      },
      {
        args: ["replicate", src, tgt, "--target-uri", src],
        message: /^error: The target is given twice: as the URI '.*' and with --target-uri$/,
      },
      {
        args: ["-p", String(source.port), "replicate", "--source-port", String(target.port), tgt],
        message: /^error: Conflicting source options: --port and --source-port differ$/,
      },
      {
        args: ["replicate", src, tgt, "--no-such-option"],
        message: /^error: Unknown option --no-such-option/,
      },
      { args: ["replicate", src, tgt, "-Z"], message: /^error: Unknown option -Z/ },
      { args: ["-p", String(source.port), "replicate"], message: /^error: No target: / },
      { args: ["replicate", src], message: /^error: No target: / },
      { args: ["replicate", src, tgt, "extra"], message: /^error: Too many arguments: extra/ },
      { args: ["replicate", src, tgt, "--mode", "sideways"], message: /^error: --mode must be one of/ },
      { args: ["replicate", src, src], message: /^error: Source and target are the same database/ },
      {
        args: ["replicate", src, tgt, "--threads", "8"],
        message: /^error: --threads 8 needs 9 connections per server, above -m\/--pool 8/,
      },
      { args: ["replicate", src, `${src}/0`], message: /^error: Source and target are the same database/ },
    ];
    for (const { args, message } of cases) {
      const run = await riot([...args, "--progress", "none"]);
      assert.equal(run.code, 2, `${args.join(" ")}: ${run.err}`);
      assert.equal(run.out, "", args.join(" "));
      assert.equal(run.err.split("\n").filter((line) => line !== "").length, 1, run.err);
      assert.match(run.err.trimEnd(), message);
    }
    assert.equal(await target.cli("DBSIZE"), "0", "nothing copied by a rejected command line");
  },
});

serverTest({
  name: "riot replicate prints OK:N V:0 >:0 <:0 T:0 on stdout, and with --json one object with written N",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    await source.cli("DEBUG", "POPULATE", "1234", "key", "8");

    const run = await replicate(source, target);
    assert.equal(run.code, 0, run.err);
    assert.equal(run.out, "OK:1234 V:0 >:0 <:0 T:0\n");
    await assertSameData(source, target, { count: 1234 });
    assert.match(
      run.err,
      /^Copied 1234 keys in [\d.]+ s \([\d.]+[kM]? keys\/s\): scanned 1234, read 1234, written 1234, vanished 0, skipped 0, failed 0, [\d.]+ (B|KiB|MiB)\n$/,
    );

    await target.cli("FLUSHALL");
    const json = await replicate(source, target, "--json", "--compare", "full");
    assert.equal(json.code, 0, json.err);
    assert.equal(json.err, "");
    const result = jsonOf(json);
    assert.deepEqual(Object.keys(result), ["replication", "resumed", "converged", "verified", "verify"]);
    assert.equal(result.replication.written, 1234);
    assert.equal(result.replication.read, 1234);
    assert.equal(result.replication.failed, 0);
    assert.deepEqual(result.replication.failures, []);
    assert.ok(result.replication.bytes > 1234 * 8);
    assert.deepEqual(
      [result.verify.ok, result.verify.value, result.verify.missing, result.verify.extra, result.verify.ttl],
      [1234, 0, 0, 0, 0],
    );
    await assertSameData(source, target, { count: 1234 });
  },
});

serverTest({
  name: "riot replicate keeps within -m/--pool: -m 2 copies with one worker connection per side",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    await source.cli("DEBUG", "POPULATE", "2000", "key", "8");
    const received = async () =>
      Number(/total_connections_received:(\d+)/.exec(await source.cli("INFO", "stats"))![1]);
    const before = await received();
    const run = await replicate(source, target, "--source-pool", "2", "-m", "2");
    assert.equal(run.code, 0, run.err);
    assert.equal(run.out, "OK:2000 V:0 >:0 <:0 T:0\n");
    // Each INFO through redis-cli is one connection too: riot opened the rest (1 worker + 1 for SCAN).
    assert.equal(await received() - before - 1, 2);
    await assertSameData(source, target, { count: 2000 });
  },
});
