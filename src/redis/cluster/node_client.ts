/**
 * The connections to one node of a cluster: up to `size` RedisConnections, opened on first use, used in
 * turn, and reopened on the next use after one is lost. It answers `pipeline`, `pipelineKeys` and `call`
 * like a RedisConnection (same order and error semantics), so a per-node stage (SCAN, INFO, DBSIZE) takes
 * it where it takes a connection.
 *
 * Contract: a lost connection rejects the batches that were on it with its ConnectionError; the next call
 * opens a fresh one. Opening failures reject the call with the connect error (one line naming the node).
 * `close()` closes every connection; later calls reject.
 */
import type { Command, RespValue } from "../../../resp/mod.ts";
import type { Commands } from "../commands.ts";
import { connect } from "../connect.ts";
import type { RedisConnection } from "../connection.ts";
import { ConnectionError } from "../errors.ts";
import { type ConnectionOptions, describeEndpoint } from "../options.ts";

export class NodeClient implements Commands {
  /** host:port of the node. */
  readonly endpoint: string;
  private readonly slots: (RedisConnection | undefined)[];
  private readonly opening: (Promise<RedisConnection> | undefined)[];
  private next = 0;
  private closed = false;

  /**
   * `options`: how to reach this node (the seed's auth and TLS, this node's host and port). `size`: most
   * connections kept to it. `readOnly`: send READONLY on each new connection (reads from a replica).
   */
  constructor(readonly options: ConnectionOptions, readonly size: number, readonly readOnly = false) {
    this.endpoint = describeEndpoint(options);
    this.slots = new Array(size).fill(undefined);
    this.opening = new Array(size).fill(undefined);
  }

  /** Open connections to this node (at most `size`). */
  get openCount(): number {
    return this.slots.filter((connection) => connection?.isOpen).length;
  }

  /** The next connection in turn, opened (or reopened) when needed. */
  connection(): Promise<RedisConnection> {
    if (this.closed) {
      return Promise.reject(new ConnectionError(this.endpoint, `Connection to ${this.endpoint} was closed`));
    }
    const index = this.next;
    this.next = (this.next + 1) % this.size;
    const current = this.slots[index];
    if (current?.isOpen) return Promise.resolve(current);
    return this.opening[index] ??= this.open(index);
  }

  private async open(index: number): Promise<RedisConnection> {
    try {
      const connection = await connect(this.options);
      if (this.readOnly) {
        try {
          await connection.call("READONLY");
        } catch (error) {
          connection.close();
          throw error;
        }
      }
      if (this.closed) {
        connection.close();
        throw new ConnectionError(this.endpoint, `Connection to ${this.endpoint} was closed`);
      }
      this.slots[index] = connection;
      return connection;
    } finally {
      this.opening[index] = undefined;
    }
  }

  async pipeline(commands: readonly Command[]): Promise<RespValue[]> {
    if (commands.length === 0) return [];
    return (await this.connection()).pipeline(commands);
  }

  async pipelineKeys(
    templates: readonly (readonly string[])[],
    keys: readonly Uint8Array[],
  ): Promise<RespValue[]> {
    if (keys.length === 0) return [];
    return (await this.connection()).pipelineKeys(templates, keys);
  }

  async call(...command: Command): Promise<RespValue> {
    return (await this.connection()).call(...command);
  }

  close(): void {
    this.closed = true;
    for (const connection of this.slots) connection?.close();
  }
}
