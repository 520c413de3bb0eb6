/**
 * Which node serves each of the 16384 slots, and the clients of every node met so far.
 *
 * Contract:
 * - `apply(topology)` makes a topology reply the map: each slot goes to its shard's master (or, with
 *   readFrom "replica", to the shard's first replica). A slot whose owner a MOVED taught after the
 *   topology was asked for keeps that owner: the MOVED is newer than the reply.
 * - `learnMoved` puts a MOVED's owner into the map at once and starts a refresh in the background (at
 *   most one at a time, not twice within 100 ms; background failures are ignored: MOVED still works).
 * - `refresh()` asks the current masters, then the seed, until one answers; it rejects with the last
 *   error when none does.
 * - Node clients are created on first mention and kept until `close()`, which closes them all.
 */
import { ConnectionError } from "../errors.ts";
import { type ConnectionOptions, describeEndpoint } from "../options.ts";
import { discoverTopology } from "./discover.ts";
import { NodeClient } from "./node_client.ts";
import { SLOT_COUNT } from "./slots.ts";
import { mastersOf, type Redirect, type Topology } from "./topology.ts";

const MIN_REFRESH_INTERVAL_MS = 100;

export interface SlotMapSettings {
  connectionsPerNode: number;
  readFrom: "master" | "replica";
}

export class SlotMap {
  /** Topology replies applied so far. */
  refreshes = 0;
  /** Grows by one each time the set of masters changes (one added, removed, or replaced by a failover). */
  mastersVersion = 0;
  private readonly nodes = new Map<string, NodeClient>();
  private readonly owners: (NodeClient | undefined)[] = new Array(SLOT_COUNT).fill(undefined);
  /** When a MOVED last taught each slot's owner (performance.now()), 0 if never. */
  private readonly movedAt = new Float64Array(SLOT_COUNT);
  private masterNodes: NodeClient[] = [];
  private readerNodes: NodeClient[] = [];
  private current: Topology = { shards: [] };
  private refreshing: Promise<void> | undefined;
  private lastRefreshAt = 0;
  private closed = false;

  constructor(
    private readonly seed: ConnectionOptions,
    private readonly settings: SlotMapSettings,
    private readonly endpoint: string,
  ) {}

  get topology(): Topology {
    return this.current;
  }

  get masters(): NodeClient[] {
    return [...this.masterNodes];
  }

  get readers(): NodeClient[] {
    return [...this.readerNodes];
  }

  /** The node a slot's commands go to (undefined while no master serves it). */
  routeOf(slot: number): NodeClient | undefined {
    return this.owners[slot];
  }

  /**
   * The node for a slot, or for a keyless command (`undefined`): the map's owner, else a master chosen by
   * slot. Throws a ConnectionError when the cluster has no master at all.
   */
  nodeFor(slot: number | undefined): NodeClient {
    const owner = slot === undefined ? undefined : this.owners[slot];
    const node = owner ??
      this.masterNodes[slot === undefined ? 0 : slot % Math.max(1, this.masterNodes.length)];
    if (!node) {
      throw new ConnectionError(
        this.endpoint,
        `${this.endpoint} has no reachable master: run again once the cluster is up`,
      );
    }
    return node;
  }

  /** The client of host:port, created (without connecting) when first needed. */
  nodeAt(host: string, port: number): NodeClient {
    const options: ConnectionOptions = { ...this.seed, host, port };
    if (host !== this.seed.host) delete options.sni; // the seed's TLS name is not the other nodes' name
    const key = describeEndpoint(options);
    let node = this.nodes.get(key);
    if (!node) {
      node = new NodeClient(options, this.settings.connectionsPerNode, this.settings.readFrom === "replica");
      if (this.closed) node.close();
      this.nodes.set(key, node);
    }
    return node;
  }

  /** A MOVED names the slot's owner now: use it, and read the whole topology again soon. */
  learnMoved(redirect: Redirect): void {
    this.movedAt[redirect.slot] = performance.now();
    this.owners[redirect.slot] = this.nodeAt(redirect.host, redirect.port);
    this.refreshSoon();
  }

  /** Start a refresh in the background unless one runs or ran in the last 100 ms. */
  refreshSoon(): void {
    if (this.refreshing || performance.now() - this.lastRefreshAt < MIN_REFRESH_INTERVAL_MS) return;
    this.refresh().catch(() => {});
  }

  refresh(): Promise<void> {
    this.refreshing ??= this.readTopology().finally(() => {
      this.refreshing = undefined;
      this.lastRefreshAt = performance.now();
    });
    return this.refreshing;
  }

  private async readTopology(): Promise<void> {
    const askedAt = performance.now();
    const candidates = [...this.masterNodes, this.nodeAt(this.seed.host, this.seed.port)];
    let lastError: unknown;
    for (const node of new Set(candidates)) {
      try {
        const connection = await node.connection();
        this.apply(await discoverTopology(connection, node.options), askedAt);
        return;
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  }

  /** See the contract at the top; `askedAt` is when the topology was asked for (0: older than any MOVED). */
  apply(topology: Topology, askedAt = 0): void {
    this.refreshes++;
    this.current = topology;
    const owners: (NodeClient | undefined)[] = new Array(SLOT_COUNT).fill(undefined);
    const readers: NodeClient[] = [];
    for (const shard of topology.shards) {
      if (!shard.master) continue;
      const replica = this.settings.readFrom === "replica" ? shard.replicas[0] : undefined;
      const node = replica
        ? this.nodeAt(replica.host, replica.port)
        : this.nodeAt(shard.master.host, shard.master.port);
      readers.push(node);
      for (const { start, end } of shard.slots) owners.fill(node, start, end + 1);
    }
    for (let slot = 0; slot < SLOT_COUNT; slot++) {
      if (this.movedAt[slot] <= askedAt) this.owners[slot] = owners[slot];
    }
    this.readerNodes = readers;
    const masters = mastersOf(topology).map((master) => this.nodeAt(master.host, master.port));
    const same = masters.length === this.masterNodes.length &&
      masters.every((node) => this.masterNodes.includes(node));
    if (!same) this.mastersVersion++;
    this.masterNodes = masters;
  }

  close(): void {
    this.closed = true;
    for (const node of this.nodes.values()) node.close();
  }
}
