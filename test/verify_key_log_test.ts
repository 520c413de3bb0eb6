/**
 * The verification after a snapshot copy checks the keys the copy scanned (a KeyLog) instead of scanning
 * the source again, only when DBSIZE proves the list covers both sides; otherwise it scans as before. Each
 * case changes the servers behind the list's back and checks that the difference is still found.
 */
import assert from "node:assert/strict";
import { KeyLog } from "../src/pipeline/key_log.ts";
import { Endpoint } from "../src/redis/endpoint.ts";
import { DEFAULT_CONNECTION } from "../src/redis/options.ts";
import { verifyConnectionsOf } from "../src/jobs/sides.ts";
import { verify, type VerifyConfig, type VerifyResult } from "../src/verify/verify.ts";
import { replicate } from "./_replicate_util.ts";
import { RedisServer, serverTest } from "./_server.ts";

const LISTED = /Verification: checked the \d+ keys the copy scanned instead of scanning again/;
const bytes = (text: string) => new TextEncoder().encode(text);

/** verify() of source against target with `log` as the keys the copy scanned; debug lines collected. */
async function verifyListed(
  source: RedisServer,
  target: RedisServer,
  log: KeyLog,
): Promise<{ result: VerifyResult; debug: string[] }> {
  const open = (server: RedisServer, name: string) =>
    Endpoint.open({ ...DEFAULT_CONNECTION, host: server.host, port: server.port }, name, 1);
  const [sourceEnd, targetEnd] = [await open(source, "source"), await open(target, "target")];
  const debug: string[] = [];
  const config: VerifyConfig = {
    mode: "quick",
    ttlToleranceMs: 1000,
    scan: { count: 100 },
    batch: 100,
    rounds: 1,
    pauseMs: 0,
    sourceExpireTime: true,
    targetExpireTime: true,
    sourceKeys: log,
    log: { error() {}, warn() {}, info() {}, debug: (line) => debug.push(line) },
  };
  try {
    return { result: await verify(verifyConnectionsOf(sourceEnd, targetEnd), config), debug };
  } finally {
    await sourceEnd.close();
    await targetEnd.close();
  }
}

/** Two servers with keys k0..k(n-1) on both, and a log of those keys. */
async function copied(n: number) {
  const source = await RedisServer.start();
  const target = await RedisServer.start();
  for (const server of [source, target]) await server.cli("DEBUG", "POPULATE", String(n), "k", "4");
  const log = new KeyLog(1 << 20);
  log.add(Array.from({ length: n }, (_, i) => bytes(`k:${i}`)));
  return { source, target, log };
}

const counts = ({ ok, value, missing, extra, ttl }: VerifyResult) => ({ ok, value, missing, extra, ttl });

serverTest({
  name: "verify() with the copy's key list: identical sides are checked from the list, no scan",
  async fn() {
    const { source, target, log } = await copied(500);
    await using _s = source;
    await using _t = target;
    const { result, debug } = await verifyListed(source, target, log);
    assert.deepEqual(counts(result), { ok: 500, value: 0, missing: 0, extra: 0, ttl: 0 });
    assert.equal(result.targetPassSkipped, true);
    assert.match(debug.join("\n"), LISTED);
  },
});

serverTest({
  name: "verify() with the copy's key list: differences on listed keys are found from the list",
  async fn() {
    const { source, target, log } = await copied(500);
    await using _s = source;
    await using _t = target;
    await source.cli("DEL", "k:1"); // deleted from the source after the copy: only in target
    await source.cli("SET", "k:1-new", "x"); // keeps the source's DBSIZE: the list no longer covers it
    const { result, debug } = await verifyListed(source, target, log);
    // The source's DBSIZE equals the list's size, but after the pass only 499 listed keys are there: scan.
    assert.doesNotMatch(debug.join("\n"), LISTED);
    assert.deepEqual(counts(result), { ok: 499, value: 0, missing: 1, extra: 1, ttl: 0 });

    await source.cli("DEL", "k:1-new");
    await source.cli("SET", "k:1", "back"); // the source holds the listed keys again
    await target.cli("DEL", "k:4"); // lost on the target: only in source
    await source.cli("PEXPIRE", "k:6", "600000"); // a TTL only in the source
    await source.cli("DEL", "k:7");
    await source.cli("RPUSH", "k:7", "now a list"); // a type change
    const after = await verifyListed(source, target, log);
    assert.match(after.debug.join("\n"), LISTED);
    assert.deepEqual(counts(after.result), { ok: 497, value: 1, missing: 1, extra: 0, ttl: 1 });
  },
});

serverTest({
  name: "verify() with the copy's key list: a key the list lacks, on either side, makes it scan",
  async fn() {
    const { source, target, log } = await copied(300);
    await using _s = source;
    await using _t = target;
    await source.cli("SET", "new-on-source", "x");
    const first = await verifyListed(source, target, log);
    assert.doesNotMatch(first.debug.join("\n"), LISTED);
    assert.match(first.debug.join("\n"), /scanning the source again: its DBSIZE \(301\) differs/);
    assert.deepEqual(counts(first.result), { ok: 300, value: 0, missing: 1, extra: 0, ttl: 0 });

    await source.cli("DEL", "new-on-source");
    await target.cli("SET", "new-on-target", "x");
    const second = await verifyListed(source, target, log);
    assert.doesNotMatch(second.debug.join("\n"), LISTED);
    assert.match(second.debug.join("\n"), /scanning both sides after all: DBSIZE 300 on the source/);
    assert.deepEqual(counts(second.result), { ok: 300, value: 0, missing: 0, extra: 1, ttl: 0 });

    await target.cli("DEL", "new-on-target");
    log.add([bytes("k:0")]); // SCAN returned a key twice: the list is longer than the source
    const third = await verifyListed(source, target, log);
    assert.doesNotMatch(third.debug.join("\n"), LISTED);
    assert.deepEqual(counts(third.result), { ok: 300, value: 0, missing: 0, extra: 0, ttl: 0 });
  },
});

serverTest({
  name: "replicate: the default verification checks the copy's keys without a second scan (-d says so)",
  async fn() {
    await using source = await RedisServer.start();
    await using target = await RedisServer.start();
    await source.cli("DEBUG", "POPULATE", "3000", "key", "8");
    const copy = await replicate(source, target, "-d");
    assert.equal(copy.code, 0, copy.err);
    assert.equal(copy.out, "OK:3000 V:0 >:0 <:0 T:0\n");
    assert.match(copy.err, /Verification: checked the 3000 keys the copy scanned instead of scanning again/);
    const filtered = await replicate(source, target, "-d", "--key-pattern", "key:1*");
    assert.equal(filtered.code, 0, filtered.err);
    assert.doesNotMatch(filtered.err, LISTED);
  },
});
