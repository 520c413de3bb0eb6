/**
 * ClusterConnection against real clusters made by `redis-cli --cluster create`: routing by slot, order of
 * replies, multi-key splitting, discovery, and the two clear lines for the wrong kind of server.
 * Faults (resharding, ASK, killed connections, failover) are in cluster_faults_test.ts.
 */

import assert from "node:assert/strict";
import { ErrorReply, type RespValue, toText } from "../resp/mod.ts";
import { ClusterConnection } from "../src/redis/cluster/cluster_connection.ts";
import { assertStandalone, checkNoRedirect, ClusterModeError } from "../src/redis/cluster/detect.ts";
import { parseSlotRanges, slotOf, SlotSet, tempKeyFor } from "../src/redis/cluster/slots.ts";
import { ConnectionError } from "../src/redis/errors.ts";
import { connect } from "../src/redis/connect.ts";
import { type ConnectionOptions, DEFAULT_CONNECTION, OptionError } from "../src/redis/options.ts";
import { RedisCluster } from "./_cluster.ts";
import { RedisServer, redisServerMissing } from "./_server.ts";

const ignore = !!redisServerMissing;
const b = (text: string) => new TextEncoder().encode(text);

function options(server: { host: string; port: number }, extra: Partial<ConnectionOptions> = {}) {
  return { ...DEFAULT_CONNECTION, host: server.host, port: server.port, timeoutMs: 10_000, ...extra };
}

/** Every key of every master, read with SCAN on that master. */
async function keysPerMaster(cluster: ClusterConnection): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const master of cluster.masters()) {
    const keys: string[] = [];
    let cursor = "0";
    do {
      const [next, batch] = await master.call("SCAN", cursor, "COUNT", 1000) as [Uint8Array, Uint8Array[]];
      cursor = toText(next);
      keys.push(...batch.map(toText));
    } while (cursor !== "0");
    out.set(master.endpoint, keys);
  }
  return out;
}

Deno.test({
  name: "ClusterConnection.pipeline() writes 10,000 keys across slots and reads them back in order",
  ignore,
  async fn() {
    await using redis = await RedisCluster.start({ masters: 3 });
    const cluster = await ClusterConnection.connect(options(redis.nodes[0]));
    try {
      assert.equal(cluster.masters().length, 3);
      const keys = Array.from({ length: 10_000 }, (_, i) => `key:${i}`);
      const set = await cluster.pipeline(keys.map((key, i) => ["SET", key, `value ${i}`]));
      assert.deepEqual(set, keys.map(() => "OK"));
      const got = await cluster.pipeline(keys.map((key) => ["GET", key]));
      got.forEach((reply, i) => assert.equal(toText(reply), `value ${i}`));

      // Each key sits on the master that owns its slot, and nowhere else.
      const perMaster = await keysPerMaster(cluster);
      let total = 0;
      for (const [endpoint, found] of perMaster) {
        total += found.length;
        assert.ok(found.length > 2_500, `${endpoint} holds ${found.length} keys`);
        for (const key of found) assert.equal(cluster.routeOf(slotOf(b(key)))?.endpoint, endpoint);
      }
      assert.equal(total, keys.length);
    } finally {
      cluster.close();
    }
  },
});

Deno.test({
  name:
    "ClusterConnection: slotOf() agrees with CLUSTER KEYSLOT; pipelineKeys(), MEMORY USAGE and errors per command",
  ignore,
  async fn() {
    await using redis = await RedisCluster.start({ masters: 3 });
    const cluster = await ClusterConnection.connect(options(redis.nodes[0], { resp: 2 }));
    try {
      const random = Array.from(
        { length: 200 },
        (_, i) =>
          Uint8Array.from({ length: 1 + (i % 17) }, (_, j) => (i * 31 + j * 7 + (j === 3 ? 0x7b : 0)) & 0xff),
      );
      const slots = await cluster.pipeline(random.map((key) => ["CLUSTER", "KEYSLOT", key]));
      random.forEach((key, i) => assert.equal(cluster.slotOf(key), slots[i], `key ${key}`));

      const keys = Array.from({ length: 300 }, (_, i) => b(`k${i}`));
      await cluster.pipeline(keys.map((key, i) => ["SET", key, `v${i}`, "PX", 100_000 + i]));
      const replies = await cluster.pipelineKeys([["DUMP"], ["PEXPIRETIME"], ["TYPE"]], keys);
      assert.equal(replies.length, 900);
      for (let i = 0; i < keys.length; i++) {
        assert.ok(replies[3 * i] instanceof Uint8Array);
        assert.ok((replies[3 * i + 1] as number) > Date.now());
        assert.equal(replies[3 * i + 2], "string");
      }
      const usage = await cluster.pipelineKeys([["MEMORY", "USAGE"]], keys);
      assert.ok(usage.every((bytes) => typeof bytes === "number" && bytes > 0));

      // A refused command is an ErrorReply in its place; the others are answered.
      const mixed = await cluster.pipeline([["GET", "k1"], ["LPUSH", "k2", "x"], ["GET", "k3"], ["PING"]]);
      assert.equal(toText(mixed[0]), "v1");
      assert.ok(mixed[1] instanceof ErrorReply && mixed[1].code === "WRONGTYPE");
      assert.equal(toText(mixed[2]), "v3");
      assert.equal(mixed[3], "PONG");
      await assert.rejects(cluster.call("LPUSH", "k2", "x"), /WRONGTYPE/);
      await assert.rejects(cluster.pipeline([["SCAN", 0]]), /SCAN answers for one node of a cluster/);

      // A temporary key from tempKeyFor() can be renamed onto its key: same slot, no CROSSSLOT.
      const targets = [b("plain"), b("a}b"), b("{user7}:x"), Uint8Array.of(0xff, 0x7b, 0x7d)];
      const temps = targets.map((key, i) => tempKeyFor(key, `t${i}`));
      await cluster.pipeline(temps.map((temp) => ["SET", temp, "staged"]));
      const renamed = await cluster.pipeline(temps.map((temp, i) => ["RENAME", temp, targets[i]]));
      assert.deepEqual(renamed, targets.map(() => "OK"));
      const moved = await cluster.pipeline(targets.map((key) => ["GET", key]));
      assert.deepEqual(moved.map((value) => toText(value)), targets.map(() => "staged"));
    } finally {
      cluster.close();
    }
  },
});

Deno.test({
  name:
    "ClusterConnection: multi-key EXISTS and DEL are split by slot and their counts summed, never CROSSSLOT",
  ignore,
  async fn() {
    await using redis = await RedisCluster.start({ masters: 3 });
    const cluster = await ClusterConnection.connect(options(redis.nodes[0]));
    try {
      const keys = Array.from({ length: 500 }, (_, i) => `m${i}`);
      await cluster.pipeline(keys.slice(0, 400).map((key) => ["SET", key, "1"]));
      const [exists, partly, missing] = await cluster.pipeline([
        ["EXISTS", ...keys],
        ["EXISTS", "m1", "m1", "m450", "{m1}x"],
        ["EXISTS", "nope1", "nope2"],
      ]);
      assert.equal(exists, 400);
      assert.equal(partly, 2); // a repeated key counts twice, as on a single server
      assert.equal(missing, 0);
      assert.equal(await cluster.call("DEL", ...keys), 400);
      assert.equal(await cluster.call("EXISTS", ...keys), 0);

      // Commands run in the caller's order on each key, a DEL among them too (a restore is DEL then
      // writes): one key's DEL, a DEL over many slots, and the writes after them.
      const many = Array.from({ length: 50 }, (_, i) => `o${i}`);
      const ordered = await cluster.pipeline([
        ["SET", "o0", "old"],
        ["DEL", "o0"],
        ["RPUSH", "o0", "new"],
        ...many.slice(1).map((key) => ["SET", key, "old"]),
        ["DEL", ...many.slice(1)],
        ...many.slice(1).map((key) => ["RPUSH", key, "new"]),
      ]);
      assert.equal(ordered[1], 1);
      assert.equal(ordered[3 + 49], 49);
      const types = await cluster.pipeline(many.map((key) => ["TYPE", key]));
      assert.deepEqual(types, many.map(() => "list"));
    } finally {
      cluster.close();
    }
  },
});

Deno.test({
  name:
    "ClusterConnection.pipeline() keeps the caller's order per key: a DEL of one key or of keys on several masters",
  ignore,
  async fn() {
    await using redis = await RedisCluster.start({ masters: 3 });
    const cluster = await ClusterConnection.connect(options(redis.nodes[0]));
    try {
      const ownerOf = (key: string) => cluster.routeOf(slotOf(b(key)))!;
      const keys: string[] = []; // three keys owned by three different masters
      for (let i = 0; keys.length < 3; i++) {
        if (!keys.some((key) => ownerOf(key) === ownerOf(`o:${i}`))) keys.push(`o:${i}`);
      }
      const [one, two, three] = keys;
      // What a writer sends for a key written whole (DEL, then the value) and for keys deleted then set.
      const replies = await cluster.pipeline([
        ["RPUSH", one, "old"],
        ["DEL", one],
        ["RPUSH", one, "new"],
        ["SET", two, "old"],
        ["SET", three, "old"],
        ["DEL", two, three],
        ["SET", two, "new"],
        ["EXISTS", one, two, three],
      ]);
      assert.deepEqual(replies, [1, 1, 1, "OK", "OK", 2, "OK", 2]);
      // Checked on the owning masters, with our own connections.
      const read = async (key: string, ...command: string[]) => {
        const connection = await connect(options(ownerOf(key).options));
        try {
          return await connection.call(command[0], key, ...command.slice(1));
        } finally {
          connection.close();
        }
      };
      assert.deepEqual(await read(one, "LRANGE", "0", "-1"), [b("new")]);
      assert.equal(toText(await read(two, "GET")), "new");
      assert.equal(await read(three, "EXISTS"), 0);
    } finally {
      cluster.close();
    }
  },
});

Deno.test({
  name: "ClusterConnection.connect() discovers from any node, replicas included, with the seed's password",
  ignore,
  async fn() {
    await using redis = await RedisCluster.start({ masters: 3, replicas: 1, password: "s3cret" });
    const replica = (await redis.replicasOf((await redis.masters())[0].id))[0];
    const cluster = await ClusterConnection.connect(options(replica, { password: "s3cret", pool: 2 }), {
      connectionsPerNode: 2,
    });
    try {
      assert.equal(cluster.masters().length, 3);
      assert.deepEqual(cluster.replicas().map((list) => list.length), [1, 1, 1]);
      await cluster.pipeline(Array.from({ length: 1000 }, (_, i) => ["SET", `p${i}`, i]));
      // Two connections per master, used in turn.
      await Promise.all(
        Array.from({ length: 4 }, () => cluster.pipeline([["GET", "p1"], ["GET", "p2"], ["GET", "p3"]])),
      );
      for (const master of cluster.masters()) assert.equal(master.openCount, 2);
      const sizes = await Promise.all(cluster.masters().map((master) => master.call("DBSIZE")));
      assert.equal(sizes.reduce((sum: number, n) => sum + (n as number), 0), 1000);
    } finally {
      cluster.close();
    }
    await assert.rejects(
      ClusterConnection.connect(options(redis.nodes[0], { password: "s3cret", pool: 1 }), {
        connectionsPerNode: 2,
      }),
      (error: Error) => error instanceof OptionError && /do not fit in -m 1: raise -m/.test(error.message),
    );
  },
});

Deno.test({
  name: "A cluster flag against a standalone server, and a cluster without it, each give one clear line",
  ignore,
  async fn() {
    await using standalone = await RedisServer.start();
    const error = await ClusterConnection.connect(options(standalone), { flag: "--target-cluster" }).then(
      () => assert.fail("expected a rejection"),
      (error) => error as Error,
    );
    assert.ok(error instanceof ClusterModeError);
    assert.equal(
      error.message,
      `127.0.0.1:${standalone.port} is not a cluster node (its cluster support is disabled), but --target-cluster was given: drop --target-cluster to use it as a standalone server`,
    );

    await using redis = await RedisCluster.start({ masters: 3 });
    const plain = await connect(options(redis.nodes[0]));
    try {
      // The probe before anything is sent...
      await assert.rejects(assertStandalone(plain, "--source-cluster"), (error: Error) => {
        assert.ok(error instanceof ClusterModeError);
        assert.match(
          error.message,
          /is a Redis Cluster node \(INFO says cluster_enabled:1\): add --source-cluster/,
        );
        return true;
      });
      // ...and the first MOVED.
      const replies: RespValue[] = await plain.pipeline(["a", "b", "c", "d"].map((key) => ["GET", key]));
      assert.ok(replies.some((reply) => reply instanceof ErrorReply && reply.code === "MOVED"));
      assert.throws(() => checkNoRedirect(replies, plain.endpoint), (error: Error) => {
        assert.ok(error instanceof ClusterModeError);
        assert.equal(
          error.message,
          `${plain.endpoint} is a Redis Cluster node (it redirected a command with MOVED): add -c so riot reads the cluster's slot map and sends each key to its master`,
        );
        return true;
      });
    } finally {
      plain.close();
    }
    const fine = await connect(options(standalone));
    try {
      await assertStandalone(fine);
      checkNoRedirect(await fine.pipeline([["GET", "a"]]), fine.endpoint);
    } finally {
      fine.close();
    }
    await assert.rejects(ClusterConnection.connect(options(redis.nodes[0], { db: 2 })), /only database 0/);
  },
});

Deno.test({
  name: 'ClusterConnection with readFrom "replica" reads from the replicas; the masters answer no GET',
  ignore,
  async fn() {
    await using redis = await RedisCluster.start({ masters: 3, replicas: 1 });
    const writer = await ClusterConnection.connect(options(redis.nodes[0]));
    const reader = await ClusterConnection.connect(options(redis.nodes[0]), { readFrom: "replica" });
    try {
      const keys = Array.from({ length: 3000 }, (_, i) => `r${i}`);
      await writer.pipeline(keys.map((key) => ["SET", key, key]));
      // Wait until every replica has every write (WAIT on each master).
      for (const master of writer.masters()) assert.equal(await master.call("WAIT", 1, 10_000), 1);

      const replicaPorts = (await Promise.all((await redis.masters()).map((m) => redis.replicasOf(m.id))))
        .flat().map((node) => node.port).sort();
      assert.deepEqual(reader.readers().map((node) => node.options.port).sort(), replicaPorts);
      const values = await reader.pipeline(keys.map((key) => ["GET", key]));
      values.forEach((value, i) => assert.equal(toText(value), keys[i]));
      const dumps = await reader.pipelineKeys([["DUMP"], ["PTTL"]], keys.slice(0, 100).map(b));
      assert.ok(dumps.every((reply) => !(reply instanceof ErrorReply)));

      const gets = async (port: number) =>
        /cmdstat_get:calls=(\d+)/.exec(await redis.node(port).cli("INFO", "commandstats"))?.[1] ?? "0";
      for (const master of writer.masters()) assert.equal(await gets(master.options.port), "0");
      let fromReplicas = 0;
      for (const port of replicaPorts) fromReplicas += Number(await gets(port));
      assert.equal(fromReplicas, keys.length);
    } finally {
      writer.close();
      reader.close();
    }
  },
});

Deno.test({
  name: "ClusterConnection over TLS: every node is reached on the tls-port the cluster reports",
  ignore,
  async fn() {
    await using redis = await RedisCluster.start({ masters: 3, tls: true });
    const tls = redis.nodes[0].tls!;
    const cluster = await ClusterConnection.connect(
      options(redis.nodes[0], { tls: true, caFile: tls.caFile }),
    );
    try {
      const ports = cluster.masters().map((master) => master.options.port).sort();
      assert.deepEqual(ports, (await redis.masters()).map((m) => m.node.port).sort());
      const keys = Array.from({ length: 1000 }, (_, i) => `t${i}`);
      await cluster.pipeline(keys.map((key) => ["SET", key, key]));
      const values = await cluster.pipeline(keys.map((key) => ["GET", key]));
      values.forEach((value, i) => assert.equal(toText(value), keys[i]));
      const sizes = await Promise.all(cluster.masters().map((master) => master.call("DBSIZE")));
      assert.equal(sizes.reduce((sum: number, n) => sum + (n as number), 0), keys.length);
    } finally {
      cluster.close();
    }
  },
});

Deno.test({
  name: "ClusterConnection connects to the hostnames the cluster announces (cluster-announce-hostname)",
  ignore,
  async fn() {
    const args = [
      "--cluster-announce-hostname",
      "localhost",
      "--cluster-preferred-endpoint-type",
      "hostname",
    ];
    await using redis = await RedisCluster.start({ masters: 3, args });
    const cluster = await ClusterConnection.connect(options(redis.nodes[0]));
    try {
      assert.deepEqual(cluster.masters().map((master) => master.options.host), [
        "localhost",
        "localhost",
        "localhost",
      ]);
      const keys = Array.from({ length: 300 }, (_, i) => `h${i}`);
      assert.deepEqual(await cluster.pipeline(keys.map((key) => ["SET", key, "1"])), keys.map(() => "OK"));
      assert.equal(await cluster.call("EXISTS", ...keys), keys.length);
    } finally {
      cluster.close();
    }
  },
});

Deno.test({
  name:
    "ClusterConnection.refresh() follows a master added to the cluster; mastersVersion says the set changed",
  ignore,
  async fn() {
    await using redis = await RedisCluster.start({ masters: 3 });
    const cluster = await ClusterConnection.connect(options(redis.nodes[0]));
    try {
      const version = cluster.mastersVersion;
      await cluster.refresh();
      assert.equal(cluster.mastersVersion, version); // same masters: no change
      const added = await redis.addMaster();
      const [first] = await redis.masters();
      const id = (await added.cli("CLUSTER", "MYID")).trim();
      await redis.reshard(first.id, id, 100);
      await redis.waitHealthy();
      // Writes across all slots follow MOVED to the new master; a refresh lists it.
      const keys = Array.from({ length: 5000 }, (_, i) => `n${i}`);
      assert.ok(
        (await cluster.pipeline(keys.map((key) => ["SET", key, "1"]))).every((reply) => reply === "OK"),
      );
      await cluster.refresh();
      assert.equal(cluster.masters().length, 4);
      assert.ok(cluster.mastersVersion > version);
      assert.ok(cluster.masters().some((master) => master.options.port === added.port));
      assert.ok(Number(await added.cli("DBSIZE")) > 0);
    } finally {
      cluster.close();
    }
  },
});

Deno.test({
  name:
    "ClusterConnection.readersFor() names only the masters that own selected slots; a refused CLUSTER SHARDS is one line",
  ignore,
  async fn() {
    await using redis = await RedisCluster.start({
      masters: 3,
      args: ["--user", "nocluster", "on", ">pw", "~*", "+@all", "-cluster"],
    });
    const cluster = await ClusterConnection.connect(options(redis.nodes[0]));
    try {
      const owner = (slot: number) => cluster.routeOf(slot)!.options.port;
      assert.deepEqual(cluster.readersFor(new SlotSet(parseSlotRanges("0-10"))).map((n) => n.options.port), [
        owner(0),
      ]);
      const all = cluster.readersFor(new SlotSet(parseSlotRanges("0-16383")));
      assert.equal(all.length, 3);
      const two = cluster.readersFor(new SlotSet(parseSlotRanges("0,16383")));
      assert.deepEqual(two.map((n) => n.options.port).sort(), [owner(0), owner(16383)].sort());
    } finally {
      cluster.close();
    }
    await assert.rejects(
      ClusterConnection.connect(options(redis.nodes[0], { user: "nocluster", password: "pw" })),
      (error: Error) => {
        assert.ok(error instanceof ConnectionError);
        assert.match(
          error.message,
          /refused CLUSTER SHARDS \(NOPERM.*\): riot needs it to read the cluster's slot map; allow it for this user/,
        );
        assert.ok(!error.message.includes("\n") && !error.message.includes("pw"));
        return true;
      },
    );
  },
});
