/**
 * The shape of a cluster as its nodes report it: `CLUSTER SHARDS` (Redis 7.0+) or `CLUSTER SLOTS` (older),
 * parsed into shards (slot ranges, one master, its replicas), and redirections (`MOVED`/`ASK`) parsed into
 * a slot and an address.
 *
 * Pure: no I/O. `askedHost` is the host of the node that answered: an endpoint reported as "" or null means
 * "the host you asked". A node whose endpoint is "?" (unknown) cannot be reached and is left out. Hostnames
 * and announced addresses are taken as the cluster reports them. Malformed replies throw TopologyError.
 */
import { RespMap, type RespValue, toText } from "../../../resp/mod.ts";
import { mergeRanges, SLOT_COUNT, type SlotRange } from "./slots.ts";

export interface NodeInfo {
  /** Node id (40 hex characters), or "" when the reply did not carry it. */
  id: string;
  host: string;
  port: number;
  role: "master" | "replica";
  /** "online", "failed" (or "fail") or "loading" (CLUSTER SHARDS); "online" when the server does not say. */
  health: string;
}

export interface Shard {
  slots: SlotRange[];
  /** Undefined when the shard has no reachable master (failed, or its endpoint is unknown). */
  master: NodeInfo | undefined;
  replicas: NodeInfo[];
}

export interface Topology {
  /** Shards that own slots (empty shards, e.g. a master just added, are kept too). */
  shards: Shard[];
}

/** A reply that is not a topology this module understands; the message says what was wrong. */
export class TopologyError extends Error {
  override name = "TopologyError";
}

/** A redirection: `-MOVED slot host:port` or `-ASK slot host:port`. */
export interface Redirect {
  kind: "MOVED" | "ASK";
  slot: number;
  host: string;
  port: number;
}

/**
 * Parse the text of a MOVED or ASK error reply; undefined for any other error. The port is after the last
 * ':' (IPv6 hosts contain ':' and may come in brackets); an empty host means `askedHost`.
 */
export function parseRedirect(message: string, askedHost: string): Redirect | undefined {
  const match = /^(MOVED|ASK) (\d+) (\S*)$/.exec(message.trim());
  if (!match) return undefined;
  const address = match[3];
  const colon = address.lastIndexOf(":");
  if (colon === -1) return undefined;
  const port = Number(address.slice(colon + 1));
  const slot = Number(match[2]);
  if (!isPort(port) || slot >= SLOT_COUNT) return undefined;
  let host = address.slice(0, colon).replace(/^\[(.*)\]$/, "$1");
  if (host === "" || host === "?") host = askedHost;
  return { kind: match[1] as "MOVED" | "ASK", slot, host, port };
}

/**
 * Parse a `CLUSTER SHARDS` reply (RESP2 flat arrays or RESP3 maps). `tls`: the client connects with TLS,
 * so a node's `tls-port` is used when it reports one.
 */
export function parseClusterShards(reply: RespValue, askedHost: string, tls = false): Topology {
  if (!Array.isArray(reply)) throw new TopologyError(`CLUSTER SHARDS: expected an array, got ${kind(reply)}`);
  const shards = reply.map((entry, i) => {
    const fields = toFields(entry, `CLUSTER SHARDS shard ${i}`);
    const slotList = fields.get("slots");
    const nodeList = fields.get("nodes");
    if (!Array.isArray(slotList) || slotList.length % 2 !== 0) {
      throw new TopologyError(`CLUSTER SHARDS shard ${i}: 'slots' is not a list of start/end pairs`);
    }
    if (!Array.isArray(nodeList)) throw new TopologyError(`CLUSTER SHARDS shard ${i}: 'nodes' is not a list`);
    const slots: SlotRange[] = [];
    for (let j = 0; j < slotList.length; j += 2) {
      slots.push(checkedRange(toInt(slotList[j]), toInt(slotList[j + 1]), `CLUSTER SHARDS shard ${i}`));
    }
    const nodes = nodeList
      .map((node, j) => shardNode(toFields(node, `CLUSTER SHARDS shard ${i} node ${j}`), askedHost, tls))
      .filter((node): node is NodeInfo => node !== undefined);
    return makeShard(mergeRanges(slots), nodes);
  });
  return { shards };
}

/** One node of CLUSTER SHARDS; undefined when its endpoint is unknown ("?") or it has no usable port. */
function shardNode(fields: Map<string, RespValue>, askedHost: string, tls: boolean): NodeInfo | undefined {
  // The endpoint is the address clients should use; a reply without the field has only the ip.
  const endpoint = fields.has("endpoint") ? fields.get("endpoint") : fields.get("ip");
  let host = endpoint === undefined || endpoint === null ? "" : toText(endpoint);
  if (host === "?") return undefined;
  if (host === "") host = askedHost;
  const tlsPort = fields.get("tls-port");
  const plainPort = fields.get("port");
  const port = tls && tlsPort !== undefined
    ? toInt(tlsPort)
    : plainPort !== undefined
    ? toInt(plainPort)
    : -1;
  if (!isPort(port)) return undefined;
  const role = toText(fields.get("role") ?? "master");
  return {
    id: toText(fields.get("id") ?? ""),
    host,
    port,
    role: role === "master" ? "master" : "replica",
    health: toText(fields.get("health") ?? "online"),
  };
}

/**
 * Parse a `CLUSTER SLOTS` reply: one entry per slot range, `[start, end, master, replica...]`, each node
 * `[endpoint, port, id?, metadata?]`. Ranges served by the same master become one shard.
 */
export function parseClusterSlots(reply: RespValue, askedHost: string): Topology {
  if (!Array.isArray(reply)) throw new TopologyError(`CLUSTER SLOTS: expected an array, got ${kind(reply)}`);
  const byMaster = new Map<string, { slots: SlotRange[]; nodes: NodeInfo[] }>();
  reply.forEach((entry, i) => {
    if (!Array.isArray(entry) || entry.length < 3) {
      throw new TopologyError(`CLUSTER SLOTS entry ${i}: expected [start, end, master, ...]`);
    }
    const range = checkedRange(toInt(entry[0]), toInt(entry[1]), `CLUSTER SLOTS entry ${i}`);
    const nodes = entry.slice(2).map((node, j) =>
      slotsNode(node, askedHost, j === 0 ? "master" : "replica", i)
    );
    const master = nodes[0];
    const key = master ? `${master.id}|${master.host}:${master.port}` : `unknown ${i}`;
    const group = byMaster.get(key) ??
      { slots: [], nodes: nodes.filter((n): n is NodeInfo => n !== undefined) };
    group.slots.push(range);
    byMaster.set(key, group);
  });
  return { shards: [...byMaster.values()].map(({ slots, nodes }) => makeShard(mergeRanges(slots), nodes)) };
}

function slotsNode(node: RespValue, askedHost: string, role: NodeInfo["role"], entry: number) {
  if (!Array.isArray(node) || node.length < 2) {
    throw new TopologyError(`CLUSTER SLOTS entry ${entry}: a node is not [endpoint, port, ...]`);
  }
  let host = node[0] === null ? "" : toText(node[0]);
  if (host === "?") return undefined;
  if (host === "") host = askedHost;
  const port = toInt(node[1]);
  if (!isPort(port)) return undefined;
  const id = node.length > 2 && node[2] !== null ? toText(node[2]) : "";
  return { id, host, port, role, health: "online" } satisfies NodeInfo;
}

/**
 * The master is the node whose role is master, online ones first; replicas are those not failed. (Redis
 * 7.0 reports a replica as "loading" until gossip carries a replication offset, even when it is in sync:
 * a reader from replicas should check `master_link_status` itself.) A shard whose master failed (or is
 * unknown) keeps `master` undefined: its slots have no owner yet.
 */
function makeShard(slots: SlotRange[], nodes: NodeInfo[]): Shard {
  const failed = (node: NodeInfo) => node.health.startsWith("fail");
  const masters = nodes.filter((node) => node.role === "master" && !failed(node));
  return {
    slots,
    master: masters.find((node) => node.health === "online") ?? masters[0],
    replicas: nodes.filter((node) => node.role === "replica" && !failed(node)),
  };
}

/** The masters of the shards that have one, in shard order. */
export function mastersOf(topology: Topology): NodeInfo[] {
  return topology.shards.flatMap((shard) => (shard.master ? [shard.master] : []));
}

/** Slots no reachable master serves (a cluster being set up, or a master that failed with no failover). */
export function uncoveredSlots(topology: Topology): number {
  let covered = 0;
  for (const shard of topology.shards) {
    if (!shard.master) continue;
    for (const { start, end } of shard.slots) covered += end - start + 1;
  }
  return SLOT_COUNT - covered;
}

/** Field name -> value of a RESP3 map or a RESP2 flat [name, value, ...] array. */
function toFields(value: RespValue, where: string): Map<string, RespValue> {
  const fields = new Map<string, RespValue>();
  if (value instanceof RespMap) {
    for (const [name, content] of value.entries) fields.set(toText(name), content);
    return fields;
  }
  if (!Array.isArray(value) || value.length % 2 !== 0) {
    throw new TopologyError(`${where}: expected a map or a list of name/value pairs, got ${kind(value)}`);
  }
  for (let i = 0; i < value.length; i += 2) fields.set(toText(value[i]), value[i + 1]);
  return fields;
}

function toInt(value: RespValue | undefined): number {
  if (typeof value === "number") return value;
  if (typeof value === "string" || value instanceof Uint8Array) {
    const text = toText(value);
    if (/^-?\d+$/.test(text)) return Number(text);
  }
  return Number.NaN;
}

function checkedRange(start: number, end: number, where: string): SlotRange {
  if (!(start >= 0 && end >= start && end < SLOT_COUNT && Number.isInteger(start) && Number.isInteger(end))) {
    throw new TopologyError(`${where}: bad slot range ${start}-${end}`);
  }
  return { start, end };
}

function isPort(port: number): boolean {
  return Number.isInteger(port) && port > 0 && port <= 65535;
}

function kind(value: RespValue): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Uint8Array) return "a bulk string";
  return typeof value === "object" ? value.constructor.name : typeof value;
}
