/**
 * What a reader, writer, scanner or verifier needs of a server: pipelined commands with replies in order.
 * A RedisConnection is one; so is a cluster connection that routes each command by its key's slot, and a
 * cluster node's client. Stages typed with this work on all of them unchanged.
 */
import type { Command, RespValue } from "../../resp/mod.ts";

export interface Commands {
  /** host:port (or a cluster's seed), for messages. */
  readonly endpoint: string;
  /** Replies in order; a server error answers one command as an ErrorReply value. */
  pipeline(commands: readonly Command[]): Promise<RespValue[]>;
  /** For each key, one command per template (`[["DUMP"], ["PTTL"]]`); replies in order. */
  pipelineKeys(templates: readonly (readonly string[])[], keys: readonly Uint8Array[]): Promise<RespValue[]>;
  /**
   * `count` commands already encoded in `bytes`, replies in order; absent where the commands are needed
   * whole (a cluster routes each by its key).
   */
  pipelineEncoded?(count: number, bytes: Uint8Array): Promise<RespValue[]>;
  /** One command; throws the server's ErrorReply. */
  call(...command: Command): Promise<RespValue>;
}
