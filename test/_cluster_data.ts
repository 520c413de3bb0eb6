/**
 * What a set of servers holds, read with our own connections node by node (SCAN + DUMP + PTTL on each):
 * the contents of a cluster (its masters) or of a standalone server, comparable with each other.
 */
import assert from "node:assert/strict";
import { type Command, toText } from "../resp/mod.ts";
import { ClusterConnection } from "../src/redis/cluster/cluster_connection.ts";
import { connect } from "../src/redis/connect.ts";
import { DEFAULT_CONNECTION } from "../src/redis/options.ts";
import type { RedisCluster } from "./_cluster.ts";
import { dataOf, type KeyState, showKey } from "./_digest.ts";

export type Address = { host: string; port: number };

export function options(server: Address) {
  return { ...DEFAULT_CONNECTION, host: server.host, port: server.port, timeoutMs: 20_000 };
}

/** key -> "hex of DUMP payload|has TTL", over every node given, each key found on exactly one node. */
export async function contentsOf(nodes: Address[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const node of nodes) {
    const connection = await connect(options(node));
    try {
      let cursor = "0";
      do {
        const [next, batch] = await connection.call("SCAN", cursor, "COUNT", 1000) as [
          Uint8Array,
          Uint8Array[],
        ];
        cursor = toText(next);
        if (batch.length === 0) continue;
        const replies = await connection.pipelineKeys([["DUMP"], ["PTTL"]], batch);
        batch.forEach((key, i) => {
          const name = toText(key);
          assert.ok(!out.has(name), `${name} found on two nodes`);
          const dump = replies[2 * i] as Uint8Array;
          out.set(
            name,
            `${Array.from(dump ?? [], (x) => x.toString(16)).join("")}|${Number(replies[2 * i + 1]) > 0}`,
          );
        });
      } while (cursor !== "0");
    } finally {
      connection.close();
    }
  }
  return out;
}

/** The addresses of a cluster's masters that own slots. */
export async function mastersOf(cluster: RedisCluster): Promise<Address[]> {
  return (await cluster.masters()).map((master) => master.node);
}

export function assertSameContents(a: Map<string, string>, b: Map<string, string>, what = ""): void {
  const onlyA = [...a.keys()].filter((key) => !b.has(key));
  const onlyB = [...b.keys()].filter((key) => !a.has(key));
  const differ = [...a.keys()].filter((key) => b.has(key) && a.get(key) !== b.get(key));
  assert.deepEqual(
    { onlyA: onlyA.slice(0, 5), onlyB: onlyB.slice(0, 5), differ: differ.slice(0, 5) },
    { onlyA: [], onlyB: [], differ: [] },
    `${what}: ${onlyA.length} only in the first, ${onlyB.length} only in the second, ${differ.length} differ`,
  );
}

/** `count` keys of several types (some with a TTL, some with hash tags) written through `write`. */
export function sampleCommands(count: number, prefix = "k"): Command[] {
  const commands: Command[] = [];
  for (let i = 0; i < count; i++) {
    const key = i % 10 === 0 ? `{tag${i % 7}}:${prefix}:${i}` : `${prefix}:${i}`;
    switch (i % 5) {
      case 0:
        commands.push(["SET", key, `value ${i}`]);
        break;
      case 1:
        commands.push(["HSET", key, "a", `${i}`, "b", "x"]);
        break;
      case 2:
        commands.push(["RPUSH", key, "1", "2", `${i}`]);
        break;
      case 3:
        commands.push(["ZADD", key, "1", "a", String(i), "b"]);
        break;
      default:
        commands.push(["SET", key, `ttl ${i}`, "EX", "3600"]);
    }
  }
  return commands;
}

/** Write `commands` to a cluster (through our ClusterConnection) or a standalone server. */
export async function writeTo(server: Address, cluster: boolean, commands: Command[]): Promise<void> {
  const connection = cluster
    ? await ClusterConnection.connect(options(server))
    : await connect(options(server));
  try {
    for (let i = 0; i < commands.length; i += 1000) {
      const replies = await connection.pipeline(commands.slice(i, i + 1000));
      for (const reply of replies) assert.ok(!(reply instanceof Error), String(reply));
    }
  } finally {
    connection.close();
  }
}

/**
 * Every key of a cluster with its type, digest and expiry (see _digest.ts dataOf), read master by master
 * with plain connections: a key is read on the node that holds it, and a node answers for a key only when
 * it owns the key's slot (else MOVED, which fails here). `perNode` counts the keys of each master.
 */
export async function clusterDataOf(
  cluster: RedisCluster,
): Promise<{ keys: Map<string, KeyState>; perNode: number[] }> {
  const keys = new Map<string, KeyState>();
  const perNode: number[] = [];
  for (const node of await mastersOf(cluster)) {
    const states = await dataOf(node);
    perNode.push(states.size);
    for (const [id, state] of states) {
      assert.ok(!keys.has(id), `${showKey(state.key)} found on two nodes`);
      keys.set(id, state);
    }
  }
  return { keys, perNode };
}

/** FLUSHALL and FUNCTION FLUSH on every master: keys and function libraries gone. */
export async function flushCluster(cluster: RedisCluster): Promise<void> {
  for (const { node } of await cluster.masters()) {
    await node.cli("FLUSHALL");
    await node.cli("FUNCTION", "FLUSH");
  }
}
