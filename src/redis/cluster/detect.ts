/**
 * The two ways of pointing riot at the wrong kind of server, each turned into one line that says what to
 * do: a cluster flag against a standalone server (CLUSTER SHARDS answers that cluster support is disabled),
 * and a cluster node without the flag (it answers the first keyed command with MOVED or ASK).
 *
 * Both errors are ClusterModeError, an OptionError: a usage mistake (exit 2), found by asking the server.
 * `flag` is how the user turns cluster mode on for that side: "-c", "--source-cluster", "--target-cluster"
 * (the one given, in the line that says to drop it; the one to add, in the line that says to add it).
 * `side` ("source", "target") names the server in commands that have two; absent, the line names the
 * server by its address only.
 */
import { ErrorReply, type RespValue, toText } from "../../../resp/mod.ts";
import type { Commands } from "../commands.ts";
import { OptionError } from "../options.ts";

export class ClusterModeError extends OptionError {
  override name = "ClusterModeError";
}

/** True for the reply a server without cluster support gives to CLUSTER commands. */
export function isClusterDisabled(reply: RespValue | unknown): boolean {
  return reply instanceof ErrorReply && /cluster support disabled/i.test(reply.message);
}

/** True for a MOVED or ASK error reply. */
export function isRedirect(reply: RespValue | unknown): boolean {
  return reply instanceof ErrorReply && (reply.code === "MOVED" || reply.code === "ASK");
}

/** "the source 10.0.0.5:6379", or the address alone when there is no side to name. */
function serverName(endpoint: string, side: string | undefined): string {
  return side === undefined ? endpoint : `the ${side} ${endpoint}`;
}

/** The line for a cluster flag given against a standalone server. */
export function notAClusterError(endpoint: string, flag = "-c", side?: string): ClusterModeError {
  return new ClusterModeError(
    `${
      serverName(endpoint, side)
    } is not a cluster node (its cluster support is disabled), but ${flag} was given: drop ${flag} to use it as a standalone server`,
  );
}

/** The line for a cluster node reached without the cluster flag. */
export function unexpectedClusterError(
  endpoint: string,
  flag = "-c",
  evidence = "it redirected a command with MOVED",
  side?: string,
): ClusterModeError {
  return new ClusterModeError(
    `${
      serverName(endpoint, side)
    } is a Redis Cluster node (${evidence}): add ${flag} so riot reads the cluster's slot map and sends each key to its master`,
  );
}

/**
 * The warning of a command that reads one server only (file-export, db-export) reaching a cluster node:
 * it reads that node's keys, which is how such a command covers a cluster today (once per master).
 */
export function oneNodeOfClusterNote(endpoint: string, command: string): string {
  return `${endpoint} is a Redis Cluster node: ${command} reads the keys of this node only (it does not read clusters yet); run it once per master to cover the cluster`;
}

/**
 * Look at the replies to the first keyed commands sent to a server reached without the cluster flag:
 * throws `unexpectedClusterError` when one of them is a MOVED or ASK redirection, returns otherwise.
 */
export function checkNoRedirect(replies: readonly RespValue[], endpoint: string, flag = "-c"): void {
  if (replies.some(isRedirect)) throw unexpectedClusterError(endpoint, flag);
}

/**
 * Whether a server is a cluster node (`INFO cluster` says `cluster_enabled:1`); false when it refuses INFO
 * (ACL): the first MOVED (`checkNoRedirect`) will tell then.
 */
export async function isClusterNode(connection: Commands): Promise<boolean> {
  const [reply] = await connection.pipeline([["INFO", "cluster"]]);
  return !(reply instanceof ErrorReply) && /^cluster_enabled:1\s*$/m.test(toText(reply));
}

/**
 * Ask a server reached without the cluster flag whether it is a cluster node (isClusterNode), before
 * anything is sent: throws `unexpectedClusterError` when it is.
 */
export async function assertStandalone(
  connection: Commands,
  flag = "-c",
  side?: string,
): Promise<void> {
  if (await isClusterNode(connection)) {
    throw unexpectedClusterError(connection.endpoint, flag, "INFO says cluster_enabled:1", side);
  }
}
