/**
 * One side of a job (source or target) as the engine sees it, whether it is one server or a cluster:
 *
 * - `nodes()`: the nodes that hold data, one handle each (a standalone server is one node named ""; a
 *   cluster has one per master, named host:port). Per-node work goes through them: SCAN, INFO, DBSIZE,
 *   CONFIG, and a subscriber connection of its own (`dedicated`).
 * - `scanNodes(slots)`: the nodes to SCAN to read every key (of the selected slots): on a cluster the
 *   masters owning a selected slot, or their replicas with --read-from replica.
 * - `control`: keyless commands (PING, probes). `worker(i)`: readers and writers (a cluster's worker is
 *   the ClusterConnection itself, which routes each key by its slot).
 * - `reconnect()`: reopen what died (a cluster reads its topology again); `restarts` counts restarts seen
 *   (a new run_id after a reconnect; on a cluster, of any master, read at each reconnect).
 * - `serverRunId`: the run_id of a standalone server (undefined for a cluster: the self-copy check is
 *   done for standalone pairs only).
 */
import type { Commands } from "./commands.ts";
import type { RedisConnection } from "./connection.ts";
import type { ConnectionOptions } from "./options.ts";
import type { SlotSet } from "./cluster/slots.ts";

export interface NodeHandle {
  /** "" for a standalone server (checkpoint positions keep their one-server key), host:port otherwise. */
  readonly name: string;
  /** The node's commands; looked up on each use, so it survives a reconnect. */
  readonly commands: Commands;
  /** The node's own connection options (a subscriber connects with these). */
  readonly options: ConnectionOptions;
  /** A hash tag (`{...}`) that puts a key on this node (a cluster master), for probe keys; "" otherwise. */
  readonly keyTag: string;
  /** A connection of its own to this node (a subscriber); closing it gives it back. */
  dedicated(clientName: string): Promise<RedisConnection>;
}

export interface ServerEndpoint {
  readonly options: ConnectionOptions;
  readonly role: string;
  readonly name: string;
  readonly isCluster: boolean;
  readonly serverRunId: string | undefined;
  readonly restarts: number;
  /** "Redis 7.4, RESP3" or "cluster of 3 masters", for the first log line. */
  readonly description: string;
  readonly control: Commands;
  readonly workers: number;
  worker(index: number): Commands;
  nodes(): NodeHandle[];
  scanNodes(slots?: SlotSet): NodeHandle[];
  /** Grows when the set of masters changes (always 0 for a standalone server). */
  readonly mastersVersion: number;
  reconnect(): Promise<void>;
  close(): void;
}
