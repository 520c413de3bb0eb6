/**
 * One server as the engine sees it: named connection roles over a pool, within the -m budget.
 *
 * - `control`: the scanner, INFO/CONFIG/DBSIZE, probes. `worker(i)`: readers on a source, writers on a
 *   target (`workers` of them). `dedicated()`: a connection of its own (the notification subscriber),
 *   counted against the same budget and given back by closing it.
 * - Role getters always return the current connection: after `reconnect()` they return the new one, so a
 *   stage that looks its connection up on each call survives a reconnect.
 * - `reconnect()` reopens every connection that died, once for all callers at the same time; it rejects
 *   with a ConnectionError when the server cannot be reached (the retry policy decides what happens next).
 */
import { ErrorReply, toText } from "../../resp/mod.ts";
import type { RedisConnection } from "./connection.ts";
import { connectWithHello, type ServerHello } from "./connect.ts";
import { type ConnectionOptions, describeEndpoint, OptionError } from "./options.ts";
import type { NodeHandle, ServerEndpoint } from "./server_endpoint.ts";

export class Endpoint implements ServerEndpoint {
  readonly isCluster = false;
  readonly mastersVersion = 0;
  /** The one node, for per-node work (SCAN, INFO, a subscriber): named "" like one-server positions. */
  private readonly node: NodeHandle;
  private reconnecting: Promise<void> | undefined;
  private dedicatedOpen = 0;
  /** The server's run_id at open (undefined where INFO is refused). */
  private runId: string | undefined;
  /** Restarts seen by reconnect(): a new run_id after a reconnect. Data may be gone from the server. */
  restarts = 0;

  private constructor(
    /** Where the server is; changes only with moveTo() (a sentinel named a new master). */
    public options: ConnectionOptions,
    /** "source" or "target", for messages. */
    readonly role: string,
    private readonly connections: RedisConnection[],
    public hello: ServerHello,
  ) {
    // deno-lint-ignore no-this-alias
    const endpoint = this;
    this.node = {
      name: "",
      keyTag: "",
      get commands() {
        return endpoint.control;
      },
      get options() {
        return endpoint.options;
      },
      dedicated: (clientName) => this.dedicated(clientName),
    };
  }

  nodes(): NodeHandle[] {
    return [this.node];
  }

  /** A standalone server holds every slot: the one node (slots are filtered key by key). */
  scanNodes(): NodeHandle[] {
    return [this.node];
  }

  get description(): string {
    return `Redis ${this.hello.version ?? "?"}, RESP${this.hello.protocol}`;
  }

  /** Open `1 + workers` connections; rejects when they exceed the pool (-m) or the server is unreachable. */
  static async open(options: ConnectionOptions, role: string, workers: number): Promise<Endpoint> {
    if (1 + workers > options.pool) {
      throw new OptionError(
        `The ${role} needs ${
          1 + workers
        } connections, above -m/--pool ${options.pool}: raise --pool or lower --threads`,
      );
    }
    const named = { ...options, clientName: options.clientName ?? `riot-${role}` };
    const opened = await Promise.allSettled(
      Array.from({ length: 1 + workers }, () => connectWithHello(named)),
    );
    const failed = opened.find((result) => result.status === "rejected");
    if (failed) {
      for (const result of opened) if (result.status === "fulfilled") result.value.connection.close();
      throw (failed as PromiseRejectedResult).reason;
    }
    const ready = opened.map((result) =>
      (result as PromiseFulfilledResult<{ connection: RedisConnection; hello: ServerHello }>).value
    );
    const endpoint = new Endpoint(named, role, ready.map((entry) => entry.connection), ready[0].hello);
    endpoint.runId = await endpoint.readRunId();
    return endpoint;
  }

  /** The server's run_id, or undefined where INFO is refused. */
  async readRunId(): Promise<string | undefined> {
    try {
      const info = toText(await this.control.call("INFO", "server"));
      return /run_id:(\w+)/.exec(info)?.[1];
    } catch (error) {
      if (error instanceof ErrorReply) return undefined;
      throw error;
    }
  }

  get serverRunId(): string | undefined {
    return this.runId;
  }

  get name(): string {
    return describeEndpoint(this.options);
  }

  get control(): RedisConnection {
    return this.connections[0];
  }

  get workers(): number {
    return this.connections.length - 1;
  }

  worker(index: number): RedisConnection {
    return this.connections[1 + (index % this.workers)];
  }

  /** A connection of its own (subscriber), within the budget; closing it gives the slot back. */
  async dedicated(clientName: string): Promise<RedisConnection> {
    if (this.connections.length + this.dedicatedOpen + 1 > this.options.pool) {
      throw new OptionError(
        `The ${this.role} needs ${
          this.connections.length + this.dedicatedOpen + 1
        } connections (one more for keyspace notifications), above -m/--pool ${this.options.pool}: raise --pool or lower --threads`,
      );
    }
    this.dedicatedOpen++;
    try {
      const { connection } = await connectWithHello({ ...this.options, clientName });
      connection.closed.then(() => this.dedicatedOpen--);
      return connection;
    } catch (error) {
      this.dedicatedOpen--;
      throw error;
    }
  }

  /** Reopen the connections that died (one attempt, shared by concurrent callers). */
  reconnect(): Promise<void> {
    this.reconnecting ??= this.reopenDead().finally(() => (this.reconnecting = undefined));
    return this.reconnecting;
  }

  private async reopenDead(): Promise<void> {
    let reopened = false;
    for (let i = 0; i < this.connections.length; i++) {
      if (this.connections[i].isOpen) continue;
      const { connection, hello } = await connectWithHello(this.options);
      this.connections[i] = connection;
      this.hello = hello;
      reopened = true;
    }
    if (!reopened || this.runId === undefined) return;
    const now = await this.readRunId();
    if (now !== undefined && now !== this.runId) {
      this.runId = now;
      this.restarts++;
    }
  }

  /**
   * Point this endpoint at another server (sentinels named a new master after a failover): every
   * connection is closed and reopened there. Not counted as a restart: the caller re-scans anyway.
   */
  async moveTo(options: ConnectionOptions): Promise<void> {
    this.options = { ...options, clientName: this.options.clientName };
    this.runId = undefined;
    for (const connection of this.connections) connection.close();
    await this.reconnect();
    this.runId = await this.readRunId();
  }

  /** Close every connection and reopen them all (after a server restart, nothing old can be trusted). */
  async reopenAll(): Promise<void> {
    for (const connection of this.connections) connection.close();
    await this.reconnect();
  }

  close(): void {
    for (const connection of this.connections) connection.close();
  }
}
