/**
 * Every import into a real 3-master cluster with -c: file-import (CSV through hset + expire, in both
 * command-line forms), a data-structure dump (file-export's JSON lines and XML), db-import from SQLite,
 * faker and rdb-import. The same input also goes into a standalone server, and the cluster must then hold
 * exactly the same keys, types, values (DEBUG DIGEST-VALUE) and expiries, each key read with our own
 * connection on the master that owns it (test/_cluster_data.ts clusterDataOf). One cluster for the file.
 * Last, the writes that go through temporary keys (replicate --struct, big keys in windows) into the same
 * cluster: each temporary key shares its key's hash tag or slot, so the final RENAME is never CROSSSLOT.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import type { Command } from "../resp/mod.ts";
import { RedisCluster } from "./_cluster.ts";
import { clusterDataOf, flushCluster } from "./_cluster_data.ts";
import { assertSameStates, dataOf, type KeyState } from "./_digest.ts";
import { populate } from "./_rdb_fixtures.ts";
import { jsonOf, raw, uri } from "./_replicate_util.ts";
import { riot } from "./_riot.ts";
import { RedisServer, redisServerMissing } from "./_server.ts";

const BIN = Uint8Array.of(0, 0xff, 0xfe, 0x80, 0x0a, 0xc3);
const FUNCTION_CODE = "#!lua name=riotlib\nredis.register_function('riot_one', function() return 1 end)";

/** A CSV of `rows` users; some ids carry a hash tag, one name has a comma and quotes. */
function usersCsv(rows: number): string {
  const lines = ["id,name,city"];
  for (let i = 0; i < rows; i++) {
    const id = i % 10 === 0 ? `{team${i % 3}}${i}` : String(i);
    lines.push(`${id},${i === 5 ? '"Doe, ""J"""' : `name ${i}`},city ${i % 7}`);
  }
  return lines.join("\n") + "\n";
}

/** Keys in the cluster, asserted spread over every master (writes went through the slot routing). */
async function clusterKeys(cluster: RedisCluster): Promise<Map<string, KeyState>> {
  const { keys, perNode } = await clusterDataOf(cluster);
  assert.equal(perNode.length, 3);
  assert.ok(perNode.every((count) => count > 0), `keys per master: ${perNode.join(", ")}`);
  return keys;
}

/** riot must exit 0 having written `written` records with no failure. */
async function run(args: string[], written: number, env: Record<string, string> = {}): Promise<string> {
  const result = await riot([...args, "--progress", "none", "--json"], env);
  assert.equal(result.code, 0, result.err);
  const json = jsonOf(result);
  assert.equal(json.written ?? json.import?.written, written, result.out);
  assert.equal(json.failed ?? json.import?.failed, 0, result.out);
  return result.err;
}

Deno.test({
  name: "imports into a 3-master cluster with -c: each key on its master, identical to a standalone import",
  ignore: !!redisServerMissing,
  sanitizeResources: false,
  async fn(t) {
    await using cluster = await RedisCluster.start({ masters: 3 });
    await using reference = await RedisServer.start();
    const seed = cluster.nodes[1];
    const target = ["-h", seed.host, "-p", String(seed.port), "-c"];
    const dir = await Deno.makeTempDir({ prefix: "cluster-imports-" });
    const fresh = async () => {
      await flushCluster(cluster);
      await reference.cli("FLUSHALL");
      await reference.cli("FUNCTION", "FLUSH");
    };
    try {
      await t.step(
        "file-import CSV with hset + expire, -c among the command's options and before it",
        async () => {
          const csv = `${dir}/users.csv`;
          await Deno.writeTextFile(csv, usersCsv(300));
          const ops = [
            "hset",
            "--keyspace",
            "user",
            "--key",
            "id",
            "expire",
            "--keyspace",
            "user",
            "--key",
            "id",
          ];
          const ttl = ["--ttl", "3600000"];
          await fresh();
          await run(["file-import", "-u", uri(reference), csv, "--header", ...ops, ...ttl], 300);
          const want = await dataOf(reference);
          assert.equal(want.size, 300);
          assert.ok([...want.values()].every((state) => state.expireAt > Date.now()));

          await run(["file-import", ...target, csv, "--header", ...ops, ...ttl], 300);
          assertSameStates(want, await clusterKeys(cluster), 60_000);

          await flushCluster(cluster);
          await run([...target, "file-import", csv, "--header", ...ops, ...ttl], 300);
          assertSameStates(want, await clusterKeys(cluster), 60_000);
          const owner = await ownerOf(cluster, "user:5");
          const conn = await raw(owner);
          try {
            assert.equal(
              new TextDecoder().decode(await conn.call("HGET", "user:5", "name") as Uint8Array),
              'Doe, "J"',
            );
          } finally {
            conn.close();
          }
        },
      );

      await t.step(
        "a cluster node without -c, and -c against a standalone server: one line each, exit 2",
        async () => {
          const csv = `${dir}/users.csv`;
          const ops = ["hset", "--keyspace", "user", "--key", "id"];
          const plain = await riot([
            "file-import",
            "-h",
            seed.host,
            "-p",
            String(seed.port),
            csv,
            "--header",
            ...ops,
          ]);
          assert.equal(plain.code, 2, plain.err);
          assert.match(plain.err, /is a Redis Cluster node \(INFO says cluster_enabled:1\): add -c/);
          const flagged = await riot(["file-import", "-u", uri(reference), "-c", csv, "--header", ...ops]);
          assert.equal(flagged.code, 2, flagged.err);
          assert.match(
            flagged.err,
            /is not a cluster node \(its cluster support is disabled\), but -c was given/,
          );
        },
      );

      await t.step(
        "file-import of a data-structure dump (file-export's JSON lines and XML) restores it exactly",
        async () => {
          await fresh();
          const data: Command[] = [
            ["SET", BIN, BIN],
            ["HSET", "{h}:1", "a", "1", BIN, BIN],
            ["PEXPIRE", "{h}:1", 5_400_000],
            ["RPUSH", "list", "a", BIN, ""],
            ["SADD", "set", "a", BIN],
            ["ZADD", "zset", "1.5", "a", "-inf", BIN],
            ["XADD", "stream", "1-1", "f", "v", "g", BIN],
            ["XGROUP", "CREATE", "stream", "readers", "1-1"],
          ];
          for (let i = 0; i < 400; i++) {
            data.push(["SET", `k:${i}`, `v${i}`, ...(i % 4 === 0 ? ["PX", 600_000 + i] : [])]);
          }
          const conn = await raw(reference);
          try {
            for (const reply of await conn.pipeline(data)) {
              assert.ok(!(reply instanceof Error), String(reply));
            }
          } finally {
            conn.close();
          }
          const want = await dataOf(reference);
          assert.equal(want.size, 406);
          for (const file of ["dump.jsonl", "dump.xml"]) {
            await flushCluster(cluster);
            const path = `${dir}/${file}`;
            const exported = await riot(["file-export", "-u", uri(reference), path, "--progress", "none"]);
            assert.equal(exported.code, 0, exported.err);
            await run(["file-import", ...target, path], 406);
            assertSameStates(want, await clusterKeys(cluster));
          }
        },
      );

      await t.step("db-import from SQLite", async () => {
        await fresh();
        const path = `${dir}/orders.db`;
        const db = new DatabaseSync(path);
        try {
          db.exec("CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT, amount NUMERIC, note TEXT)");
          const insert = db.prepare("INSERT INTO orders VALUES (?, ?, ?, ?)");
          db.exec("BEGIN"); // one transaction: a commit per row waits for the disk each time
          for (let i = 1; i <= 250; i++) {
            insert.run(i, `customer ${i % 17}`, `${i}.25`, i % 5 === 0 ? null : `n${i}`);
          }
          db.exec("COMMIT");
        } finally {
          db.close();
        }
        const args = [
          "db-import",
          "--url",
          `sqlite:${path}`,
          "SELECT * FROM orders",
          "--keyspace",
          "order",
          "--key-column",
          "id",
        ];
        await run([...args, "-u", uri(reference)], 250);
        const want = await dataOf(reference);
        assert.equal(want.size, 250);
        await run([...target, ...args], 250);
        assertSameStates(want, await clusterKeys(cluster));
      });

      await t.step("faker", async () => {
        await fresh();
        const args = ["faker", "id=index", "name=person.fullName", "--count", "300", "--seed", "9"];
        const ops = [
          "hset",
          "--keyspace",
          "person",
          "--key",
          "id",
          "sadd",
          "--keyspace",
          "{people}",
          "--member",
          "id",
        ];
        await run([...args, "-u", uri(reference), ...ops], 300);
        const want = await dataOf(reference);
        assert.equal(want.size, 301);
        await run([...args, ...target, ...ops], 300);
        assertSameStates(want, await clusterKeys(cluster));
      });

      await t.step(
        "rdb-import: every type and encoding, TTLs, keys of database 1 into 0, a function on every master",
        async () => {
          await fresh();
          const conn = await raw(reference);
          try {
            await populate(conn, { fieldTtls: false });
            await conn.call("PEXPIRE", "str:short", 3_600_000);
            await conn.call("FUNCTION", "LOAD", FUNCTION_CODE);
            await conn.call("SELECT", 1);
            await conn.pipeline([["SET", "db1:a", "x", "PX", 700_000], ["HSET", "db1:h", "f", "v"]]);
          } finally {
            conn.close();
          }
          await reference.cli("SAVE");
          const want = new Map([...await dataOf(reference, 0), ...await dataOf(reference, 1)]);
          const plain = await riot(["rdb-import", `${reference.dir}/dump.rdb`, "-p", String(seed.port)]);
          assert.equal(plain.code, 2, plain.err);
          assert.match(plain.err, /is a Redis Cluster node \(INFO says cluster_enabled:1\): add -c/);
          const err = await run(["rdb-import", `${reference.dir}/dump.rdb`, ...target], want.size + 1);
          assert.match(err, /key\(s\) of databases 1 of the file went to database 0 of the cluster/);
          assertSameStates(want, await clusterKeys(cluster));
          for (const { node } of await cluster.masters()) {
            assert.match(await node.cli("FUNCTION", "LIST"), /riotlib/, `${node.port} has the library`);
          }
        },
      );

      await t.step(
        "replicate --struct and big keys in windows: temporary keys share the key's hash tag, RENAME lands",
        async () => {
          await fresh();
          const data: Command[] = [];
          for (let i = 0; i < 200; i++) {
            const key = i % 2 === 0 ? `{order${i % 5}}:line:${i}` : `line:${i}`;
            data.push(["HSET", key, "n", i, "bin", BIN], ["PEXPIRE", key, 900_000 + i]);
          }
          data.push(["RPUSH", "{big}:list", ...Array.from({ length: 3000 }, (_, i) => `element ${i}`)]);
          data.push(["SADD", "big:set", ...Array.from({ length: 3000 }, (_, i) => `member ${i}`)]);
          data.push(["SET", Uint8Array.of(0x7d, 0xff, 0x7b), "x".repeat(50_000)]);
          const conn = await raw(reference);
          try {
            for (const reply of await conn.pipeline(data)) {
              assert.ok(!(reply instanceof Error), String(reply));
            }
          } finally {
            conn.close();
          }
          const want = await dataOf(reference);
          for (const extra of [["--struct"], ["--big-key-threshold", "10kb"]]) {
            await flushCluster(cluster);
            const copied = await riot([
              "replicate",
              uri(reference),
              uri(seed),
              "--target-cluster",
              ...extra,
              "--progress",
              "none",
              "--json",
            ]);
            assert.equal(copied.code, 0, copied.err);
            assert.equal(jsonOf(copied).replication.failed, 0, copied.out);
            const got = await clusterKeys(cluster);
            assertSameStates(want, got);
            assert.ok(
              ![...got.values()].some((state) => new TextDecoder().decode(state.key).includes("riot:tmp:")),
            );
          }
        },
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** The master that owns `key`'s slot (asked with CLUSTER KEYSLOT and CLUSTER SHARDS-free NODES parsing). */
async function ownerOf(cluster: RedisCluster, key: string): Promise<RedisServer> {
  const slot = Number((await cluster.nodes[0].cli("CLUSTER", "KEYSLOT", key)).trim());
  for (const line of (await cluster.nodes[0].cli("CLUSTER", "NODES")).split("\n")) {
    const parts = line.trim().split(" ");
    if (parts.length < 9 || !parts[2].includes("master")) continue;
    for (const range of parts.slice(8)) {
      const [start, end] = range.split("-").map(Number);
      if (slot >= start && slot <= (end ?? start)) {
        return cluster.node(Number(parts[1].split("@")[0].split(":").pop()));
      }
    }
  }
  throw new Error(`no master owns slot ${slot}`);
}
