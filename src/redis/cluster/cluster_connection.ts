/**
 * A whole Redis Cluster behind the interface of one RedisConnection: `pipeline`, `pipelineKeys`, `call`
 * and `endpoint`, so readers and writers work on a cluster unchanged.
 *
 * Contract:
 * - `pipeline(commands)` routes each command by the slot of its key (command_keys.ts), sends one pipelined
 *   batch per node, all nodes in parallel, and resolves with the replies in the caller's order; commands on
 *   one key act in that order too (DEL then a write leaves the write). A server error answers one command
 *   (an ErrorReply). Multi-key EXISTS/DEL/UNLINK/TOUCH over several slots are split by slot in place (never
 *   CROSSSLOT) and their integer replies summed. Keyless commands go to one master; per-node commands
 *   (SCAN, DBSIZE ...) reject: send them to each of `masters()`.
 * - `-MOVED slot host:port`: the slot map learns the new owner, a topology refresh starts, the command is
 *   sent again there. `-ASK slot host:port`: `ASKING` and the command go to that node once; the map is
 *   unchanged. Each command may be redirected `redirectBudget` times (the first two at once, later ones
 *   after a backoff delay, so that nodes disagreeing for a moment settle); past that its reply is an
 *   ErrorReply that says the slot map keeps changing.
 * - `TRYAGAIN` and `CLUSTERDOWN` are retried with capped exponential backoff and jitter for up to
 *   `retryWindowMs`; past that the server's error is the reply.
 * - A lost node connection refreshes the topology and sends every unanswered command of that node again
 *   (the caller's writes must be idempotent: RESTORE ... REPLACE, DEL), for up to `retryWindowMs`; past
 *   that the call rejects with the ConnectionError.
 * - Connections: at most `connectionsPerNode` (<= options.pool, -m) to each node, opened on first use.
 * - `readFrom: "replica"`: keyed commands go to a replica of the slot's master (READONLY is sent on every
 *   connection), to the master when it has none; for a source, so the masters carry less load. Replicas
 *   may lag their master: what they answer is what they have replicated so far.
 */
import { type Command, ErrorReply, type RespValue } from "../../../resp/mod.ts";
import type { Commands } from "../commands.ts";
import { connectWithHello } from "../connect.ts";
import { ConnectionError } from "../errors.ts";
import { type ConnectionOptions, describeEndpoint, OptionError } from "../options.ts";
import { keyBytes, keySpecOf, sharedSlot } from "./command_keys.ts";
import { discoverTopology } from "./discover.ts";
import { SlotMap } from "./slot_map.ts";
import type { NodeClient } from "./node_client.ts";
import { slotOf, type SlotSet } from "./slots.ts";
import { parseRedirect, type Topology } from "./topology.ts";

export interface ClusterSettings {
  /** Connections kept to each node (default 1); must fit in options.pool (-m). */
  connectionsPerNode?: number;
  /** Redirections (MOVED, ASK) one command may follow (default 16). */
  redirectBudget?: number;
  /** How long TRYAGAIN, CLUSTERDOWN and lost nodes are retried (default options.timeoutMs). */
  retryWindowMs?: number;
  /** First backoff delay and its cap, in ms (defaults 10 and 1000). */
  backoffMs?: { base: number; cap: number };
  /** Where keyed commands go: "master" (default) or "replica" (a source read from replicas). */
  readFrom?: "master" | "replica";
  /** `cluster` flag as the user wrote it, for error lines ("-c", "--target-cluster"). */
  flag?: string;
  /** "source" or "target": the side error lines name, in commands with two servers. */
  side?: string;
}

/** One command on its way: where it goes, where its reply belongs, what happened so far. */
interface Unit {
  command: Command;
  slot: number | undefined;
  /** Index of the caller's command this unit answers (several units for a split multi-key command). */
  owner: number;
  ask: NodeClient | undefined;
  redirects: number;
  reply?: RespValue;
}

/** Redirections followed at once; later ones wait a backoff delay first. */
const EAGER_REDIRECTS = 2;

/** Error codes after which a command is sent again. */
const RETRIED = new Set(["MOVED", "ASK", "TRYAGAIN", "CLUSTERDOWN", "LOADING"]);

function addTo(groups: Map<NodeClient, number[]>, node: NodeClient, index: number): void {
  const group = groups.get(node);
  if (group) group.push(index);
  else groups.set(node, [index]);
}

/** What the routing had to do so far, for progress lines, metrics and tests. */
export interface ClusterCounters {
  moved: number;
  ask: number;
  /** TRYAGAIN and CLUSTERDOWN replies retried. */
  retried: number;
  /** Node connections lost while commands were in flight. */
  lost: number;
}

export class ClusterConnection implements Commands {
  readonly endpoint: string;
  readonly counters: ClusterCounters = { moved: 0, ask: 0, retried: 0, lost: 0 };
  private readonly map: SlotMap;
  private closed = false;
  private readonly settings: Required<Omit<ClusterSettings, "flag" | "side">>;

  private constructor(private readonly seed: ConnectionOptions, settings: ClusterSettings) {
    this.endpoint = `${describeEndpoint(seed)} (cluster)`;
    this.settings = {
      connectionsPerNode: settings.connectionsPerNode ?? 1,
      readFrom: settings.readFrom ?? "master",
      redirectBudget: settings.redirectBudget ?? 16,
      retryWindowMs: settings.retryWindowMs ?? seed.timeoutMs,
      backoffMs: settings.backoffMs ?? { base: 10, cap: 1000 },
    };
    this.map = new SlotMap(seed, this.settings, this.endpoint);
  }

  /**
   * Discover the cluster from the seed node in `options` (its auth and TLS are used for every node) and
   * open one connection to each master. Rejects with a ClusterModeError when the seed is not a cluster
   * node, an OptionError for a database other than 0, a ConnectionError when the seed cannot be reached.
   */
  static async connect(
    options: ConnectionOptions,
    settings: ClusterSettings = {},
  ): Promise<ClusterConnection> {
    const flag = settings.flag ?? "-c";
    if (options.db !== 0) {
      throw new OptionError(
        `A Redis Cluster has only database 0, but ${flag} was given with database ${options.db}: drop -n`,
      );
    }
    if (options.socket) {
      throw new OptionError(`${flag} needs a host and port of a cluster node, not a unix socket (-s)`);
    }
    const perNode = settings.connectionsPerNode ?? 1;
    if (perNode > options.pool) {
      throw new OptionError(
        `${perNode} connections per cluster node do not fit in -m ${options.pool}: raise -m`,
      );
    }
    const cluster = new ClusterConnection({ ...options, cluster: false }, settings);
    const { connection } = await connectWithHello(cluster.seed);
    try {
      cluster.map.apply(await discoverTopology(connection, cluster.seed, flag, settings.side));
    } finally {
      connection.close();
    }
    await Promise.all(cluster.map.masters.map((node) => node.connection()));
    return cluster;
  }

  /** The slot of a key (CRC16 of its hash tag or of the whole key). */
  slotOf(key: Uint8Array): number {
    return slotOf(key);
  }

  /**
   * The node a slot's commands go to: its master, or with `readFrom: "replica"` a replica of it
   * (undefined while no master serves the slot).
   */
  routeOf(slot: number): NodeClient | undefined {
    return this.map.routeOf(slot);
  }

  /** The topology last read (shards with their masters and replicas). */
  get topology(): Topology {
    return this.map.topology;
  }

  /** Per-master handles, in shard order: for SCAN, INFO, DBSIZE, and the options to open a subscriber. */
  masters(): NodeClient[] {
    return this.map.masters;
  }

  /**
   * Per shard the node reads go to, in the order of `masters()`: the master, or with `readFrom: "replica"`
   * a replica when the shard has one. SCAN these to read a cluster.
   */
  readers(): NodeClient[] {
    return this.map.readers;
  }

  /**
   * The readers (see `readers()`) of the shards that own at least one slot of `slots`: with --key-slots or
   * --partition, only these need a SCAN.
   */
  readersFor(slots: SlotSet): NodeClient[] {
    const readers = this.map.readers;
    const shards = this.map.topology.shards.filter((shard) => shard.master);
    return readers.filter((_, i) =>
      shards[i].slots.some(({ start, end }) => {
        for (let slot = start; slot <= end; slot++) if (slots.has(slot)) return true;
        return false;
      })
    );
  }

  /** Handles of the replicas of each master, in the order of `masters()`. */
  replicas(): NodeClient[][] {
    return this.map.topology.shards.filter((shard) => shard.master).map((shard) =>
      shard.replicas.map((replica) => this.map.nodeAt(replica.host, replica.port))
    );
  }

  /** Read the topology again from any node that answers (masters first, then the seed). */
  refresh(): Promise<void> {
    return this.map.refresh();
  }

  /**
   * Grows by one each time the set of masters changes: a master added, removed, or replaced after a
   * failover. Per-master work (SCAN, subscriptions) compares it after `refresh()` to follow the cluster.
   */
  get mastersVersion(): number {
    return this.map.mastersVersion;
  }

  /** Topology replies applied so far (the first one included). */
  get refreshes(): number {
    return this.map.refreshes;
  }

  async call(...command: Command): Promise<RespValue> {
    const [reply] = await this.pipeline([command]);
    if (reply instanceof ErrorReply) throw reply;
    return reply;
  }

  /** For each key, one command per template, in key order (see RedisConnection.pipelineKeys). */
  async pipelineKeys(
    templates: readonly (readonly string[])[],
    keys: readonly Uint8Array[],
  ): Promise<RespValue[]> {
    if (this.closed) throw this.closedError();
    const per = templates.length;
    const replies: RespValue[] = new Array(keys.length * per);
    const groups = new Map<NodeClient, number[]>();
    for (let i = 0; i < keys.length; i++) addTo(groups, this.map.nodeFor(slotOf(keys[i])), i);
    const retry = await this.firstRound(
      groups,
      per,
      (node, indexes) => node.pipelineKeys(templates, indexes.map((i) => keys[i])),
      replies,
    );
    if (retry.length > 0) {
      const commands: Command[] = [];
      for (const i of retry) for (const template of templates) commands.push([...template, keys[i]]);
      const again = await this.routed(commands);
      retry.forEach((i, j) => {
        for (let t = 0; t < per; t++) replies[i * per + t] = again[j * per + t];
      });
    }
    return replies;
  }

  /**
   * See the contract at the top. Commonly one batch per node, grouped by the owner the slot map names;
   * commands redirected, refused (TRYAGAIN ...) or lost then go through the general path (`routed`). A
   * batch with a command to split by slot goes through it whole, so that the parts keep their place.
   */
  async pipeline(commands: readonly Command[]): Promise<RespValue[]> {
    if (this.closed) throw this.closedError();
    const replies: RespValue[] = new Array(commands.length);
    const groups = new Map<NodeClient, number[]>();
    let split = false;
    for (let i = 0; i < commands.length; i++) {
      const command = commands[i];
      const spec = keySpecOf(command);
      if (spec.kind === "key") addTo(groups, this.map.nodeFor(slotOf(keyBytes(command[spec.index]))), i);
      else if (spec.kind === "none") addTo(groups, this.map.nodeFor(undefined), i);
      else if (spec.kind === "per-node") throw new Error(spec.advice);
      else {
        const slot = sharedSlot(command, spec.from);
        if (slot === undefined) split = true;
        else addTo(groups, this.map.nodeFor(slot), i);
      }
    }
    if (split) return this.routed(commands);
    const send = (node: NodeClient, indexes: number[]) => node.pipeline(indexes.map((i) => commands[i]));
    const retry = await this.firstRound(groups, 1, send, replies);
    if (retry.length > 0) {
      const again = await this.routed(retry.map((i) => commands[i]));
      retry.forEach((i, j) => replies[i] = again[j]);
    }
    return replies;
  }

  /**
   * Send each node its group (indexes of caller items, `per` replies each) in parallel; store the replies.
   * Returns, in order, the items to send again: redirected (the slot map learns MOVED owners), refused with
   * TRYAGAIN/CLUSTERDOWN, or on a connection that was lost (the topology is then refreshed).
   */
  private async firstRound(
    groups: Map<NodeClient, number[]>,
    per: number,
    send: (node: NodeClient, indexes: number[]) => Promise<RespValue[]>,
    replies: RespValue[],
  ): Promise<number[]> {
    const retry: number[] = [];
    let lost = false;
    await Promise.all([...groups].map(async ([node, indexes]) => {
      let got: RespValue[];
      try {
        got = await send(node, indexes);
      } catch (error) {
        if (!(error instanceof ConnectionError) || this.closed) throw error;
        this.counters.lost++;
        lost = true;
        retry.push(...indexes);
        return;
      }
      for (let j = 0; j < indexes.length; j++) {
        let again = false;
        for (let t = 0; t < per; t++) {
          const reply = got[j * per + t];
          if (reply instanceof ErrorReply && RETRIED.has(reply.code)) {
            again = true;
            if (reply.code === "MOVED") this.learnMoved(reply, node);
          }
          replies[indexes[j] * per + t] = reply;
        }
        if (again) retry.push(indexes[j]);
      }
    }));
    if (lost) await this.refresh().catch(() => {});
    return retry.sort((a, b) => a - b);
  }

  /** Record a MOVED: the slot's new owner goes into the map and a refresh starts. */
  private learnMoved(reply: ErrorReply, from: NodeClient): void {
    const redirect = parseRedirect(reply.message, from.options.host);
    if (!redirect) return;
    this.counters.moved++;
    this.map.learnMoved(redirect);
  }

  /** The general path: every command as a unit, rounds until each has its final reply. */
  private async routed(commands: readonly Command[]): Promise<RespValue[]> {
    const units = this.toUnits(commands);
    const startedAt = performance.now();
    let pending = units;
    let round = 0;
    while (pending.length > 0) {
      const outcome = await this.sendRound(pending, startedAt);
      pending = outcome.again;
      if (outcome.lost) await this.refresh().catch(() => {});
      if (outcome.backoff || (outcome.lost && round > 0)) await this.sleep(this.backoffDelay(round));
      round++;
    }
    return this.gather(commands.length, units);
  }

  private closedError(): ConnectionError {
    return new ConnectionError(this.endpoint, `Connection to ${this.endpoint} was closed`);
  }

  /** Close every node connection; later calls reject. */
  close(): void {
    this.closed = true;
    this.map.close();
  }

  /** One unit per command, several (one per slot) for a multi-key command whose keys span slots. */
  private toUnits(commands: readonly Command[]): Unit[] {
    const units: Unit[] = [];
    const unit = (command: Command, slot: number | undefined, owner: number): Unit => ({
      command,
      slot,
      owner,
      ask: undefined,
      redirects: 0,
    });
    for (let i = 0; i < commands.length; i++) {
      const command = commands[i];
      const spec = keySpecOf(command);
      if (spec.kind === "key") units.push(unit(command, slotOf(keyBytes(command[spec.index])), i));
      else if (spec.kind === "none") units.push(unit(command, undefined, i));
      else if (spec.kind === "per-node") throw new Error(spec.advice);
      else {
        const bySlot = new Map<number, Command[number][]>();
        for (let k = spec.from; k < command.length; k++) {
          const slot = slotOf(keyBytes(command[k]));
          let keys = bySlot.get(slot);
          if (!keys) bySlot.set(slot, keys = []);
          keys.push(command[k]);
        }
        const head = command.slice(0, spec.from);
        for (const [slot, keys] of bySlot) units.push(unit([...head, ...keys], slot, i));
      }
    }
    return units;
  }

  /**
   * Send every unit to its node (one batch per node, in parallel) and sort the replies: final ones stay on
   * the unit, redirected or retriable units come back in `again`. `lost`: a node connection failed;
   * `backoff`: a TRYAGAIN or CLUSTERDOWN asks to wait.
   */
  private async sendRound(units: Unit[], startedAt: number) {
    const groups = new Map<NodeClient, Unit[]>();
    for (const unit of units) {
      const node = unit.ask ?? this.map.nodeFor(unit.slot);
      let group = groups.get(node);
      if (!group) groups.set(node, group = []);
      group.push(unit);
    }
    const again: Unit[] = [];
    let lost = false;
    let backoff = false;
    await Promise.all([...groups].map(async ([node, group]) => {
      const commands: Command[] = [];
      for (const unit of group) {
        if (unit.ask) commands.push(["ASKING"]);
        commands.push(unit.command);
      }
      let replies: RespValue[];
      try {
        replies = await node.pipeline(commands);
      } catch (error) {
        if (!(error instanceof ConnectionError) || this.closed) throw error;
        if (performance.now() - startedAt > this.settings.retryWindowMs) throw this.gaveUp(error);
        for (const unit of group) unit.ask = undefined;
        this.counters.lost++;
        again.push(...group);
        lost = true;
        return;
      }
      let at = 0;
      for (const unit of group) {
        if (unit.ask) at++; // the ASKING reply
        unit.ask = undefined;
        const verdict = this.judge(unit, replies[at++], node, startedAt);
        if (verdict === "again") again.push(unit);
        else if (verdict === "wait") {
          again.push(unit);
          backoff = true;
        }
      }
    }));
    return { again, lost, backoff };
  }

  /** What to do with a reply: "done" (it is the answer), "again" (redirected), "wait" (retry later). */
  private judge(
    unit: Unit,
    reply: RespValue,
    node: NodeClient,
    startedAt: number,
  ): "done" | "again" | "wait" {
    unit.reply = reply;
    if (!(reply instanceof ErrorReply)) return "done";
    if (reply.code === "MOVED" || reply.code === "ASK") {
      const redirect = parseRedirect(reply.message, node.options.host);
      if (!redirect) return "done";
      if (++unit.redirects > this.settings.redirectBudget) {
        unit.reply = new ErrorReply(
          `ERR slot ${redirect.slot} was redirected ${this.settings.redirectBudget} times (last: ${reply.message}): the cluster's slot map keeps changing; check CLUSTER SHARDS on its nodes, then run again`,
        );
        return "done";
      }
      if (redirect.kind === "ASK") {
        unit.ask = this.map.nodeAt(redirect.host, redirect.port);
        this.counters.ask++;
      } else this.learnMoved(reply, node);
      // Two nodes that disagree for a moment (a slot handed over, one SETSLOT done and not the other)
      // send a command back and forth: after the first redirections, wait between tries.
      return unit.redirects > EAGER_REDIRECTS ? "wait" : "again";
    }
    if (reply.code === "TRYAGAIN" || reply.code === "CLUSTERDOWN" || reply.code === "LOADING") {
      if (performance.now() - startedAt > this.settings.retryWindowMs) return "done";
      this.counters.retried++;
      if (reply.code === "CLUSTERDOWN") this.map.refreshSoon();
      return "wait";
    }
    return "done";
  }

  /** The replies in the caller's order; split commands get the sum of their parts (or their first error). */
  private gather(count: number, units: Unit[]): RespValue[] {
    const replies: RespValue[] = new Array(count);
    const split = new Set<number>();
    for (const unit of units) {
      if (replies[unit.owner] === undefined) {
        replies[unit.owner] = unit.reply!;
        continue;
      }
      split.add(unit.owner);
      const sofar = replies[unit.owner];
      if (sofar instanceof ErrorReply) continue;
      if (unit.reply instanceof ErrorReply) replies[unit.owner] = unit.reply;
      else replies[unit.owner] = Number(sofar) + Number(unit.reply);
    }
    return replies;
  }

  private backoffDelay(round: number): number {
    const { base, cap } = this.settings.backoffMs;
    const delay = Math.min(cap, base * 2 ** Math.min(round, 20));
    return delay / 2 + Math.random() * (delay / 2);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  private gaveUp(error: ConnectionError): ConnectionError {
    const seconds = Math.round(this.settings.retryWindowMs / 100) / 10;
    return new ConnectionError(
      error.endpoint,
      `${error.message}; the cluster did not serve these keys again within ${seconds} s (a failover that did not happen?): check CLUSTER SHARDS, or raise --timeout`,
      { cause: error },
    );
  }
}
