/**
 * A Redis Cluster as one side of a job (see server_endpoint.ts): workers are the ClusterConnection itself
 * (it routes each key by its slot and follows MOVED/ASK/failovers), `nodes()` are the masters (SCAN, INFO,
 * DBSIZE, CONFIG, one subscriber each), `scanNodes(slots)` the nodes to SCAN (masters owning selected
 * slots, or their replicas with --read-from replica).
 *
 * Budget: the ClusterConnection keeps at most `workers` connections to each node (within -m); each
 * subscriber is one more connection to its master.
 *
 * Restarts: like a standalone Endpoint, per master. `reconnect()` reads the topology again, then INFO on
 * every master; a master seen before (same host:port) with another run_id restarted, and may have lost its
 * keys (no persistence): `restarts` grows by one for each. A new master (added, or promoted by a failover)
 * is only remembered. A master that refuses INFO is not watched; one that cannot be reached keeps its last
 * run_id, so its restart shows at a later read.
 */
import { toText } from "../../../resp/mod.ts";
import { connectWithHello } from "../connect.ts";
import type { RedisConnection } from "../connection.ts";
import { type ConnectionOptions, describeEndpoint } from "../options.ts";
import type { NodeHandle, ServerEndpoint } from "../server_endpoint.ts";
import { ClusterConnection } from "./cluster_connection.ts";
import type { NodeClient } from "./node_client.ts";
import { hashTagForSlot, type SlotSet } from "./slots.ts";

export interface ClusterEndpointSettings {
  readFrom?: "master" | "replica";
  /** The flag as the user wrote it, for error lines ("-c", "--target-cluster"). */
  flag?: string;
  /** "source" or "target": the side error lines name, in commands with two servers. */
  side?: string;
}

/** How long reconnect() waits for one master's run_id. */
const RUN_ID_WAIT_MS = 2000;

export class ClusterEndpoint implements ServerEndpoint {
  readonly isCluster = true;
  readonly serverRunId = undefined;
  /** Restarts of masters seen by reconnect() (a new run_id on the same host:port). */
  restarts = 0;
  private version: string | undefined;
  /** The last run_id of each master, by host:port. */
  private readonly runIds = new Map<string, string>();
  private reconnecting: Promise<void> | undefined;

  private constructor(
    readonly options: ConnectionOptions,
    readonly role: string,
    readonly connection: ClusterConnection,
    readonly workers: number,
  ) {}

  /** Discover the cluster from the seed in `options` and connect to every master. */
  static async open(
    options: ConnectionOptions,
    role: string,
    workers: number,
    settings: ClusterEndpointSettings = {},
  ): Promise<ClusterEndpoint> {
    const named = { ...options, clientName: options.clientName ?? `riot-${role}` };
    const connection = await ClusterConnection.connect(named, {
      connectionsPerNode: Math.max(1, Math.min(workers, options.pool)),
      readFrom: settings.readFrom,
      flag: settings.flag,
      side: settings.side,
    });
    const endpoint = new ClusterEndpoint(named, role, connection, Math.max(1, workers));
    try {
      const info = toText(await connection.masters()[0].call("INFO", "server"));
      endpoint.version = /redis_version:([\w.]+)/.exec(info)?.[1];
    } catch {
      endpoint.version = undefined;
    }
    await endpoint.readRunIds();
    return endpoint;
  }

  get name(): string {
    return `${describeEndpoint(this.options)} (cluster)`;
  }

  get description(): string {
    return `cluster of ${this.connection.masters().length} masters, Redis ${this.version ?? "?"}`;
  }

  get control(): ClusterConnection {
    return this.connection;
  }

  worker(_index: number): ClusterConnection {
    return this.connection;
  }

  get mastersVersion(): number {
    return this.connection.mastersVersion;
  }

  nodes(): NodeHandle[] {
    return this.connection.masters().map((node) => handle(node, this.tagOf(node)));
  }

  scanNodes(slots?: SlotSet): NodeHandle[] {
    const readers = slots ? this.connection.readersFor(slots) : this.connection.readers();
    return readers.map((node) => handle(node, ""));
  }

  /** A hash tag for the first slot the master owns ("" when it owns none). */
  private tagOf(node: NodeClient): string {
    const { host, port } = node.options;
    const shard = this.connection.topology.shards.find((shard) =>
      shard.master?.host === host && shard.master.port === port && shard.slots.length > 0
    );
    return shard ? `{${hashTagForSlot(shard.slots[0].start)}}` : "";
  }

  /**
   * Read the topology again (lost nodes are reopened by the connection on next use), then every master's
   * run_id (see the contract at the top); one attempt, shared by concurrent callers. Rejects when the
   * topology cannot be read.
   */
  reconnect(): Promise<void> {
    this.reconnecting ??= (async () => {
      await this.connection.refresh();
      await this.readRunIds();
    })().finally(() => (this.reconnecting = undefined));
    return this.reconnecting;
  }

  private async readRunIds(): Promise<void> {
    const seen = await Promise.all(
      this.connection.masters().map(async (node) => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        try {
          // A master that does not answer soon (hung, behind a stalled link) must not hold up a reconnect.
          const late = new Promise<never>((_, reject) =>
            timer = setTimeout(() => reject(new Error("late")), RUN_ID_WAIT_MS)
          );
          const info = toText(await Promise.race([node.call("INFO", "server"), late]));
          return [node.endpoint, /run_id:(\w+)/.exec(info)?.[1]] as const;
        } catch {
          // Refused, down or late right now: its last run_id stays, so a restart shows at a later read.
          return [node.endpoint, undefined] as const;
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    for (const [node, runId] of seen) {
      if (runId === undefined) continue;
      const before = this.runIds.get(node);
      if (before !== undefined && before !== runId) this.restarts++;
      this.runIds.set(node, runId);
    }
  }

  close(): void {
    this.connection.close();
  }
}

function handle(node: NodeClient, keyTag: string): NodeHandle {
  return {
    name: node.endpoint,
    keyTag,
    commands: node,
    options: node.options,
    dedicated: async (clientName: string): Promise<RedisConnection> =>
      (await connectWithHello({ ...node.options, clientName })).connection,
  };
}
