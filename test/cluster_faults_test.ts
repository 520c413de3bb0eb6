/**
 * ClusterConnection while the cluster changes under it, on real clusters: a live resharding (MOVED), a
 * slot in migration (ASK), killed connections mid-pipeline, and a replica promoted by CLUSTER FAILOVER.
 * Every test checks what landed with its own reads on each node.
 */

import assert from "node:assert/strict";
import { ErrorReply, type RespValue, toText } from "../resp/mod.ts";
import { ClusterConnection } from "../src/redis/cluster/cluster_connection.ts";
import { slotOf } from "../src/redis/cluster/slots.ts";
import { connect } from "../src/redis/connect.ts";
import { DEFAULT_CONNECTION } from "../src/redis/options.ts";
import { RedisCluster } from "./_cluster.ts";
import { redisServerMissing } from "./_server.ts";

const ignore = !!redisServerMissing;
const b = (text: string) => new TextEncoder().encode(text);

function options(server: { host: string; port: number }) {
  return { ...DEFAULT_CONNECTION, host: server.host, port: server.port, timeoutMs: 20_000 };
}

/**
 * Overwrites keys `w0..w{keyspace-1}` in batches until `done` resolves (then one batch more), alternating
 * SET and RESTORE ... REPLACE; every reply must be OK. Returns the last value written to each key.
 */
async function writeUntil(
  cluster: ClusterConnection,
  done: Promise<unknown>,
  keyspace = 20_000,
  batch = 1_000,
): Promise<Map<string, string>> {
  const last = new Map<string, string>();
  let finished = false;
  done.finally(() => finished = true).catch(() => {});
  const payloads = new Map<string, Uint8Array>();
  for (let round = 0, at = 0;; round++) {
    const stop = finished;
    const commands = [];
    const written: [string, string][] = [];
    for (let i = 0; i < batch; i++, at = (at + 1) % keyspace) {
      const key = `w${at}`;
      const value = `r${round}`;
      if (i % 2 === 0) commands.push(["SET", key, value]);
      else {
        let payload = payloads.get(value);
        if (!payload) {
          await cluster.call("SET", "{payload}", value);
          payload = (await cluster.call("DUMP", "{payload}")) as Uint8Array;
          payloads.set(value, payload);
        }
        commands.push(["RESTORE", key, 0, payload, "REPLACE"]);
      }
      written.push([key, value]);
    }
    const replies = await cluster.pipeline(commands);
    replies.forEach((reply, i) => assert.equal(reply, "OK", `${written[i][0]}: ${toText(reply)}`));
    for (const [key, value] of written) last.set(key, value);
    if (stop) return last;
  }
}

/** Reads every key of every master with SCAN + GET on that master only; `where` gets each key's port. */
async function readEachNode(
  redis: RedisCluster,
  where = new Map<string, number>(),
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const { node } of await redis.masters()) {
    const connection = await connect(options(node));
    try {
      let cursor = "0";
      do {
        const [next, batch] = await connection.call("SCAN", cursor, "MATCH", "w*", "COUNT", 1000) as [
          Uint8Array,
          Uint8Array[],
        ];
        cursor = toText(next);
        const values = await connection.pipelineKeys([["GET"]], batch);
        batch.forEach((key, i) => {
          assert.ok(!found.has(toText(key)), `${toText(key)} is on two masters`);
          found.set(toText(key), toText(values[i]));
          where.set(toText(key), node.port);
        });
      } while (cursor !== "0");
    } finally {
      connection.close();
    }
  }
  return found;
}

function assertAllLanded(expected: Map<string, string>, found: Map<string, string>): void {
  assert.equal(found.size, expected.size);
  for (const [key, value] of expected) assert.equal(found.get(key), value, key);
}

Deno.test({
  name: "ClusterConnection follows MOVED during a live resharding of 1000 slots: every write lands",
  ignore,
  async fn() {
    await using redis = await RedisCluster.start({ masters: 3 });
    const cluster = await ClusterConnection.connect(options(redis.nodes[0]));
    try {
      const [from, to] = await redis.masters();
      const resharding = redis.reshard(from.id, to.id, 1000, 10);
      const last = await writeUntil(cluster, resharding);
      await resharding;
      assert.ok(cluster.counters.moved > 0, `MOVED followed: ${JSON.stringify(cluster.counters)}`);
      const owners = await redis.masters();
      assert.equal(owners.find((m) => m.id === from.id)?.slots, from.slots - 1000);
      assert.equal(owners.find((m) => m.id === to.id)?.slots, to.slots + 1000);
      const where = new Map<string, number>();
      assertAllLanded(last, await readEachNode(redis, where));
      // The slot map knows the new owner of every key.
      await cluster.refresh();
      for (const [key, port] of where) {
        assert.equal(cluster.routeOf(slotOf(b(key)))?.options.port, port, key);
      }
    } finally {
      cluster.close();
    }
  },
});

Deno.test({
  name: "ClusterConnection sends ASKING + the command to the importing node during a slot migration",
  ignore,
  async fn() {
    await using redis = await RedisCluster.start({ masters: 3 });
    const cluster = await ClusterConnection.connect(options(redis.nodes[0]));
    try {
      const slot = slotOf(b("{tag}"));
      const owner = cluster.routeOf(slot)!;
      const masters = await redis.masters();
      const source = masters.find((m) => m.node.port === owner.options.port)!;
      const target = masters.find((m) => m !== source)!;
      const keys = Array.from({ length: 100 }, (_, i) => `{tag}:${i}`);
      await cluster.pipeline(keys.map((key) => ["SET", key, `old ${key}`]));

      await target.node.cli("CLUSTER", "SETSLOT", String(slot), "IMPORTING", source.id);
      await source.node.cli("CLUSTER", "SETSLOT", String(slot), "MIGRATING", target.id);
      const moved = keys.slice(0, 50);
      await source.node.cli(
        "MIGRATE",
        target.node.host,
        String(target.node.port),
        "",
        "0",
        "5000",
        "KEYS",
        ...moved,
      );

      // Reads of migrated keys are answered by the target after ASK; the others by the source.
      const values: RespValue[] = await cluster.pipeline(keys.map((key) => ["GET", key]));
      values.forEach((value, i) => assert.equal(toText(value), `old ${keys[i]}`));
      assert.ok(cluster.counters.ask >= 50, JSON.stringify(cluster.counters));
      // New keys of a migrating slot are created on the importing node.
      const fresh = Array.from({ length: 20 }, (_, i) => `{tag}:new${i}`);
      assert.deepEqual(
        await cluster.pipeline(fresh.map((key) => ["SET", key, "new"])),
        fresh.map(() => "OK"),
      );
      const direct = await connect(options(target.node));
      try {
        const replies = await direct.pipeline(fresh.flatMap((key) => [["ASKING"], ["GET", key]]));
        fresh.forEach((_, i) => assert.equal(toText(replies[2 * i + 1]), "new"));
      } finally {
        direct.close();
      }
      // The migrating node does not have them: it answers ASK for them.
      await assert.rejects(source.node.cli("EXISTS", fresh[0]), /ASK \d+ /);
      // ASK does not change the slot map.
      assert.equal(cluster.routeOf(slot), owner);
      assert.equal(cluster.counters.moved, 0);
    } finally {
      cluster.close();
    }
  },
});

Deno.test({
  name: "ClusterConnection resends the unanswered commands of a node connection killed mid-pipeline",
  ignore,
  async fn() {
    await using redis = await RedisCluster.start({ masters: 3 });
    const cluster = await ClusterConnection.connect(options(redis.nodes[0]));
    try {
      const value = "x".repeat(200);
      const keys = Array.from({ length: 150_000 }, (_, i) => `w${i}`);
      let done = false;
      const writing = cluster.pipeline(keys.map((key) => ["SET", key, value])).finally(() => done = true);
      const masters = await redis.masters();
      // Kill every normal client on every master as soon as writes arrive, while the pipeline runs.
      let kills = 0;
      while (!done && kills < 3) {
        const sizes = await Promise.all(masters.map(({ node }) => node.cli("DBSIZE")));
        if (sizes.some((size) => Number(size) > 0)) {
          await Promise.all(masters.map(({ node }) => node.cli("CLIENT", "KILL", "TYPE", "normal")));
          kills++;
        }
      }
      const replies = await writing;
      assert.ok(replies.every((reply) => reply === "OK"));
      assert.ok(cluster.counters.lost > 0, `connections lost: ${JSON.stringify(cluster.counters)}`);
      const sizes = await Promise.all(masters.map(({ node }) => node.cli("DBSIZE")));
      assert.equal(sizes.reduce((sum, size) => sum + Number(size), 0), keys.length);
      // Later calls reopen the connections.
      assert.equal(toText(await cluster.call("GET", "w7")), value);
    } finally {
      cluster.close();
    }
  },
});

Deno.test({
  name: "ClusterConnection keeps writing through a CLUSTER FAILOVER: every write lands on the new master",
  ignore,
  async fn() {
    await using redis = await RedisCluster.start({ masters: 3, replicas: 1 });
    const cluster = await ClusterConnection.connect(options(redis.nodes[0]));
    try {
      const [old] = await redis.masters();
      const [replica] = await redis.replicasOf(old.id);
      const failover = (async () => {
        await new Promise((resolve) => setTimeout(resolve, 200)); // let writes start first
        await replica.cli("CLUSTER", "FAILOVER");
        const deadline = Date.now() + 30_000;
        while (!(await replica.cli("ROLE")).startsWith("master")) {
          if (Date.now() > deadline) throw new Error("the replica was not promoted within 30 s");
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        await redis.waitHealthy();
      })();
      const last = await writeUntil(cluster, failover, 10_000, 500);
      await failover;
      const promoted = (await redis.masters()).map((m) => m.node.port);
      assert.ok(promoted.includes(replica.port) && !promoted.includes(old.node.port));
      assertAllLanded(last, await readEachNode(redis));
      assert.ok(cluster.counters.moved > 0 || cluster.counters.lost > 0, JSON.stringify(cluster.counters));
      await cluster.refresh();
      assert.ok(cluster.masters().some((master) => master.options.port === replica.port));
      const replies = await cluster.pipeline([["GET", "w1"], ["GET", "nope"]]);
      assert.ok(!(replies[0] instanceof ErrorReply) && replies[1] === null);
    } finally {
      cluster.close();
    }
  },
});

Deno.test({
  name: "ClusterConnection ends a MOVED loop after its redirect budget with a clear error reply",
  ignore,
  async fn() {
    await using redis = await RedisCluster.start({ masters: 3 });
    const cluster = await ClusterConnection.connect(options(redis.nodes[0]), { redirectBudget: 5 });
    try {
      const slot = slotOf(b("{loop}"));
      const masters = await redis.masters();
      const owner = masters.find((m) => m.node.port === cluster.routeOf(slot)!.options.port)!;
      const other = masters.find((m) => m !== owner)!;
      // The owner gives the (empty) slot to another master, which still thinks the owner has it.
      await owner.node.cli("CLUSTER", "SETSLOT", String(slot), "NODE", other.id);
      const [reply, fine] = await cluster.pipeline([["SET", "{loop}a", "1"], ["SET", "elsewhere", "1"]]);
      assert.ok(reply instanceof ErrorReply);
      assert.match(
        reply.message,
        new RegExp(
          `^ERR slot ${slot} was redirected 5 times \\(last: MOVED ${slot} .*\\): the cluster's slot map keeps changing`,
        ),
      );
      assert.equal(fine, "OK");
    } finally {
      cluster.close();
    }
  },
});

Deno.test({
  name: "ClusterConnection retries TRYAGAIN with backoff until the slot migration finishes",
  ignore,
  async fn() {
    await using redis = await RedisCluster.start({ masters: 3 });
    const cluster = await ClusterConnection.connect(options(redis.nodes[0]), { retryWindowMs: 20_000 });
    try {
      const slot = slotOf(b("{tag}"));
      const masters = await redis.masters();
      const source = masters.find((m) => m.node.port === cluster.routeOf(slot)!.options.port)!;
      const target = masters.find((m) => m !== source)!;
      await cluster.pipeline([["SET", "{tag}:0", "a"], ["SET", "{tag}:1", "b"]]);
      await target.node.cli("CLUSTER", "SETSLOT", String(slot), "IMPORTING", source.id);
      await source.node.cli("CLUSTER", "SETSLOT", String(slot), "MIGRATING", target.id);
      await source.node.cli(
        "MIGRATE",
        target.node.host,
        String(target.node.port),
        "",
        "0",
        "5000",
        "KEYS",
        "{tag}:0",
      );

      // One key moved, one not: the multi-key EXISTS cannot be answered until the migration is over.
      const exists = cluster.call("EXISTS", "{tag}:0", "{tag}:1");
      exists.catch(() => {}); // awaited below; a rejection meanwhile must not escape the test
      const deadline = Date.now() + 10_000;
      while (cluster.counters.retried < 2 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.ok(cluster.counters.retried >= 2, JSON.stringify(cluster.counters));
      await source.node.cli(
        "MIGRATE",
        target.node.host,
        String(target.node.port),
        "",
        "0",
        "5000",
        "KEYS",
        "{tag}:1",
      );
      for (const { node } of masters) await node.cli("CLUSTER", "SETSLOT", String(slot), "NODE", target.id);
      assert.equal(await exists, 2);
      // (answered after ASK or MOVED, depending on when the retry came); the next write learns the owner.
      assert.equal(await cluster.call("SET", "{tag}:2", "c"), "OK");
      assert.equal(cluster.routeOf(slot)?.options.port, target.node.port);
    } finally {
      cluster.close();
    }
  },
});

Deno.test({
  name: "ClusterConnection rides out a master that stops: writes wait for the automatic failover and land",
  ignore,
  async fn() {
    await using redis = await RedisCluster.start({ masters: 3, replicas: 1, nodeTimeoutMs: 1000 });
    const cluster = await ClusterConnection.connect(options(redis.nodes[0]));
    try {
      const [victim] = await redis.masters();
      const [replica] = await redis.replicasOf(victim.id);
      const outage = (async () => {
        await new Promise((resolve) => setTimeout(resolve, 200)); // let writes start first
        // SIGTERM: the master waits for its replica to catch up before it exits, so no write it
        // acknowledged is lost; the cluster then promotes the replica after the node timeout.
        await victim.node.stop();
        const deadline = Date.now() + 30_000;
        while (!(await replica.cli("ROLE")).startsWith("master")) {
          if (Date.now() > deadline) throw new Error("the replica was not promoted within 30 s");
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        await redis.waitHealthy(redis.nodes.filter((node) => node.pid !== -1));
      })();
      const last = await writeUntil(cluster, outage, 10_000, 500);
      await outage;
      assert.ok(cluster.counters.lost > 0, JSON.stringify(cluster.counters));
      assertAllLanded(last, await readEachNode(redis));
      assert.ok(cluster.masters().some((master) => master.options.port === replica.port));
    } finally {
      cluster.close();
    }
  },
});
