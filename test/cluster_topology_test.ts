/** topology.ts: CLUSTER SHARDS, CLUSTER SLOTS and MOVED/ASK parsing. Pure: permissions "none", cases as data. */

import assert from "node:assert/strict";
import { RespMap, type RespValue } from "../resp/mod.ts";
import {
  mastersOf,
  parseClusterShards,
  parseClusterSlots,
  parseRedirect,
  type Topology,
  TopologyError,
  uncoveredSlots,
} from "../src/redis/cluster/topology.ts";

const permissions = "none" as const;
const b = (text: string) => new TextEncoder().encode(text);
const ID = (n: number) => String(n).repeat(40).slice(0, 40);

interface NodeSpec {
  id: number;
  port: number;
  endpoint?: string | null;
  ip?: string;
  role?: string;
  health?: string;
  tlsPort?: number;
}

/** A CLUSTER SHARDS node as the server sends it: RESP2 flat array of bulk names and values. */
function shardNode(spec: NodeSpec): RespValue[] {
  const out: RespValue[] = [b("id"), b(ID(spec.id)), b("port"), spec.port];
  if (spec.tlsPort !== undefined) out.push(b("tls-port"), spec.tlsPort);
  out.push(b("ip"), b(spec.ip ?? "127.0.0.1"));
  if (spec.endpoint !== undefined) out.push(b("endpoint"), spec.endpoint === null ? null : b(spec.endpoint));
  out.push(b("role"), b(spec.role ?? "master"), b("replication-offset"), 72156);
  out.push(b("health"), b(spec.health ?? "online"));
  return out;
}

function shard(slots: number[], nodes: NodeSpec[]): RespValue[] {
  return [b("slots"), slots, b("nodes"), nodes.map(shardNode)];
}

/** The same reply as RESP3 maps. */
function asMaps(value: RespValue): RespValue {
  if (!Array.isArray(value)) return value;
  const isPairs = value.length % 2 === 0 && value.length > 0 &&
    value.every((item, i) => i % 2 === 1 || item instanceof Uint8Array) && value[0] instanceof Uint8Array &&
    ["slots", "id"].includes(new TextDecoder().decode(value[0]));
  if (isPairs) {
    const entries: [RespValue, RespValue][] = [];
    for (let i = 0; i < value.length; i += 2) {
      const name = value[i];
      const content = value[i + 1];
      entries.push([name, Array.isArray(content) && !isSlotList(name) ? content.map(asMaps) : content]);
    }
    return new RespMap(entries);
  }
  return value.map(asMaps);
}

function isSlotList(name: RespValue): boolean {
  return new TextDecoder().decode(name as Uint8Array) === "slots";
}

/** Compact form of a topology for expectations: "slots master(host:port) replicas(...)" per shard. */
function summary(topology: Topology): string[] {
  return topology.shards.map((s) => {
    const slots = s.slots.map((r) => `${r.start}-${r.end}`).join(",");
    const master = s.master ? `${s.master.host}:${s.master.port}` : "none";
    return `${slots} ${master} [${s.replicas.map((r) => `${r.host}:${r.port}`).join(" ")}]`;
  });
}

const SHARDS_CASES: { name: string; reply: RespValue; asked?: string; tls?: boolean; expected: string[] }[] =
  [
    {
      name: "three shards; a replica still loading is listed, a failed one is not",
      reply: [
        shard([0, 5460], [{ id: 1, port: 7000, endpoint: "127.0.0.1" }, {
          id: 4,
          port: 7003,
          endpoint: "127.0.0.1",
          role: "replica",
          health: "loading",
        }]),
        shard([5461, 10922], [{ id: 2, port: 7001, endpoint: "127.0.0.1" }, {
          id: 5,
          port: 7004,
          endpoint: "127.0.0.1",
          role: "replica",
        }]),
        shard([10923, 16383], [{ id: 3, port: 7002, endpoint: "127.0.0.1" }, {
          id: 6,
          port: 7005,
          endpoint: "127.0.0.1",
          role: "replica",
          health: "fail",
        }]),
      ],
      expected: [
        "0-5460 127.0.0.1:7000 [127.0.0.1:7003]",
        "5461-10922 127.0.0.1:7001 [127.0.0.1:7004]",
        "10923-16383 127.0.0.1:7002 []",
      ],
    },
    {
      name: "several ranges per shard, adjacent ones merged",
      reply: [shard([0, 99, 200, 299, 100, 199], [{ id: 1, port: 7000, endpoint: "10.0.0.1" }])],
      expected: ["0-299 10.0.0.1:7000 []"],
    },
    {
      name: "empty or null endpoint means the host asked",
      reply: [
        shard([0, 8191], [{ id: 1, port: 7000, endpoint: "", ip: "" }]),
        shard([8192, 16383], [{ id: 2, port: 7001, endpoint: null }]),
      ],
      asked: "seed.example",
      expected: ["0-8191 seed.example:7000 []", "8192-16383 seed.example:7001 []"],
    },
    {
      name: "unknown endpoint '?' leaves the node out; its shard has no master",
      reply: [
        shard([0, 8191], [{ id: 1, port: 7000, endpoint: "?" }, {
          id: 3,
          port: 7003,
          endpoint: "h3",
          role: "replica",
        }]),
        shard([8192, 16383], [{ id: 2, port: 7001, endpoint: "h2" }]),
      ],
      expected: ["0-8191 none [h3:7003]", "8192-16383 h2:7001 []"],
    },
    {
      name: "hostnames and IPv6 endpoints as reported",
      reply: [
        shard([0, 8191], [{ id: 1, port: 6379, endpoint: "redis-0.redis.default.svc", ip: "10.1.2.3" }]),
        shard([8192, 16383], [{ id: 2, port: 6380, endpoint: "::1", ip: "::1" }]),
      ],
      expected: ["0-8191 redis-0.redis.default.svc:6379 []", "8192-16383 ::1:6380 []"],
    },
    {
      name: "no endpoint field: the ip is used",
      reply: [shard([0, 16383], [{ id: 1, port: 7000, ip: "10.9.8.7" }])],
      expected: ["0-16383 10.9.8.7:7000 []"],
    },
    {
      name: "with TLS the tls-port is used",
      reply: [shard([0, 16383], [{ id: 1, port: 7000, tlsPort: 8000, endpoint: "h" }])],
      tls: true,
      expected: ["0-16383 h:8000 []"],
    },
    {
      name: "without TLS the plain port is used",
      reply: [shard([0, 16383], [{ id: 1, port: 7000, tlsPort: 8000, endpoint: "h" }])],
      expected: ["0-16383 h:7000 []"],
    },
    {
      name: "after a failover the old master is a failed replica: the promoted one is the master",
      reply: [shard([0, 16383], [
        { id: 1, port: 7000, endpoint: "h", role: "replica", health: "failed" },
        { id: 2, port: 7001, endpoint: "h", role: "master" },
      ])],
      expected: ["0-16383 h:7001 []"],
    },
    {
      name: "a master without slots is a shard with no ranges",
      reply: [
        shard([0, 16383], [{ id: 1, port: 7000, endpoint: "h" }]),
        shard([], [{ id: 2, port: 7001, endpoint: "h" }]),
      ],
      expected: ["0-16383 h:7000 []", " h:7001 []"],
    },
  ];

for (const { name, reply, asked, tls, expected } of SHARDS_CASES) {
  for (const [form, value] of [["RESP2", reply], ["RESP3", asMaps(reply)]] as const) {
    Deno.test({
      name: `parseClusterShards() (${form}): ${name}`,
      permissions,
      fn() {
        if (form === "RESP3") assert.ok((value as RespValue[]).every((entry) => entry instanceof RespMap));
        assert.deepEqual(summary(parseClusterShards(value, asked ?? "127.0.0.1", tls)), expected);
      },
    });
  }
}

Deno.test({
  name: "parseClusterShards() keeps ids and roles; mastersOf() and uncoveredSlots() read them",
  permissions,
  fn() {
    const topology = parseClusterShards(SHARDS_CASES[0].reply, "127.0.0.1");
    assert.deepEqual(mastersOf(topology).map((m) => m.id), [ID(1), ID(2), ID(3)]);
    assert.equal(topology.shards[1].replicas[0].role, "replica");
    assert.equal(uncoveredSlots(topology), 0);
    assert.equal(uncoveredSlots(parseClusterShards(SHARDS_CASES[3].reply, "h")), 8192);
  },
});

const BAD_SHARDS: { name: string; reply: RespValue; message: RegExp }[] = [
  { name: "not an array", reply: b("x"), message: /expected an array, got a bulk string/ },
  {
    name: "odd slot list",
    reply: [shard([1], [{ id: 1, port: 1 }])],
    message: /not a list of start\/end pairs/,
  },
  {
    name: "slot past 16383",
    reply: [shard([0, 16384], [{ id: 1, port: 1 }])],
    message: /bad slot range 0-16384/,
  },
  {
    name: "range ending before it starts",
    reply: [shard([9, 3], [{ id: 1, port: 1 }])],
    message: /bad slot range/,
  },
  { name: "node not a map", reply: [[b("slots"), [], b("nodes"), [7]]], message: /node 0: expected a map/ },
  { name: "nodes missing", reply: [[b("slots"), []]], message: /'nodes' is not a list/ },
];

for (const { name, reply, message } of BAD_SHARDS) {
  Deno.test({
    name: `parseClusterShards() throws TopologyError: ${name}`,
    permissions,
    fn() {
      assert.throws(() => parseClusterShards(reply, "h"), (error: Error) => {
        assert.ok(error instanceof TopologyError);
        assert.match(error.message, message);
        return true;
      });
    },
  });
}

const node = (host: string | null, port: number, id = "", extra?: RespValue): RespValue[] => {
  const out: RespValue[] = [host === null ? null : b(host), port];
  if (id) out.push(b(id));
  if (extra !== undefined) out.push(extra);
  return out;
};

const SLOTS_CASES: { name: string; reply: RespValue; asked?: string; expected: string[] }[] = [
  {
    name: "ranges of the same master become one shard; replicas follow the master",
    reply: [
      [0, 5460, node("127.0.0.1", 7000, ID(1), []), node("127.0.0.1", 7003, ID(4), [])],
      [5461, 10922, node("127.0.0.1", 7001, ID(2))],
      [10923, 16383, node("127.0.0.1", 7000, ID(1)), node("127.0.0.1", 7003, ID(4))],
    ],
    expected: ["0-5460,10923-16383 127.0.0.1:7000 [127.0.0.1:7003]", "5461-10922 127.0.0.1:7001 []"],
  },
  {
    name: "null or empty host means the host asked; '?' is left out",
    reply: [
      [0, 100, node(null, 7000, ID(1))],
      [101, 200, node("", 7001, ID(2))],
      [201, 16383, node("?", 7002, ID(3)), node("r", 7005, ID(5))],
    ],
    asked: "seed",
    expected: ["0-100 seed:7000 []", "101-200 seed:7001 []", "201-16383 none [r:7005]"],
  },
  {
    name: "old servers send no id: nodes are told apart by address",
    reply: [[0, 8000, node("a", 1)], [8001, 16383, node("b", 2)], [9000, 9000, node("a", 1)]],
    expected: ["0-8000,9000-9000 a:1 []", "8001-16383 b:2 []"],
  },
];

for (const { name, reply, asked, expected } of SLOTS_CASES) {
  Deno.test({
    name: `parseClusterSlots(): ${name}`,
    permissions,
    fn() {
      assert.deepEqual(summary(parseClusterSlots(reply, asked ?? "127.0.0.1")), expected);
    },
  });
}

Deno.test({
  name: "parseClusterSlots() throws TopologyError on entries that are not [start, end, node...]",
  permissions,
  fn() {
    assert.throws(() => parseClusterSlots([[0, 1]], "h"), TopologyError);
    assert.throws(() => parseClusterSlots([[0, 99999, node("h", 1)]], "h"), /bad slot range/);
    assert.throws(() => parseClusterSlots([[0, 1, [b("h")]]], "h"), /not \[endpoint, port/);
    assert.throws(() => parseClusterSlots(null, "h"), /expected an array, got null/);
  },
});

const REDIRECTS: { text: string; expected: ReturnType<typeof parseRedirect> }[] = [
  {
    text: "MOVED 3999 127.0.0.1:6381",
    expected: { kind: "MOVED", slot: 3999, host: "127.0.0.1", port: 6381 },
  },
  { text: "ASK 3999 127.0.0.1:6381", expected: { kind: "ASK", slot: 3999, host: "127.0.0.1", port: 6381 } },
  { text: "MOVED 1 ::1:6381", expected: { kind: "MOVED", slot: 1, host: "::1", port: 6381 } },
  {
    text: "MOVED 1 [2001:db8::1]:6381",
    expected: { kind: "MOVED", slot: 1, host: "2001:db8::1", port: 6381 },
  },
  {
    text: "MOVED 16383 redis-1.svc:6379",
    expected: { kind: "MOVED", slot: 16383, host: "redis-1.svc", port: 6379 },
  },
  { text: "MOVED 7 :6380", expected: { kind: "MOVED", slot: 7, host: "asked", port: 6380 } },
  { text: "MOVED 16384 h:1", expected: undefined },
  { text: "MOVED 1 h", expected: undefined },
  { text: "MOVED 1 h:0", expected: undefined },
  { text: "MOVED 1 h:70000", expected: undefined },
  { text: "ERR something", expected: undefined },
  { text: "MOVEDX 1 h:1", expected: undefined },
];

for (const { text, expected } of REDIRECTS) {
  Deno.test({
    name: `parseRedirect('${text}')`,
    permissions,
    fn() {
      assert.deepEqual(parseRedirect(text, "asked"), expected);
    },
  });
}
