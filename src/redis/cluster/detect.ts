/**
 * The two ways of pointing riot at the wrong kind of server, each turned into one line that says what to
 * do: a cluster flag against a standalone server (CLUSTER SHARDS answers that cluster support is disabled),
 * and a cluster node without the flag (it answers the first keyed command with MOVED or ASK).
 *
 * Both errors are ClusterModeError, an OptionError: a usage mistake (exit 2), found by asking the server.
 * `flag` is how the user turns cluster mode on for that side: "-c", "--source-cluster", "--target-cluster".
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

/** The line for a cluster flag given against a standalone server. */
export function notAClusterError(endpoint: string, flag = "-c"): ClusterModeError {
  return new ClusterModeError(
    `${endpoint} is not a cluster node (its cluster support is disabled), but ${flag} was given: drop ${flag} to use it as a standalone server`,
  );
}

/** The line for a cluster node reached without the cluster flag. */
export function unexpectedClusterError(
  endpoint: string,
  flag = "-c",
  evidence = "it redirected a command with MOVED",
): ClusterModeError {
  return new ClusterModeError(
    `${endpoint} is a Redis Cluster node (${evidence}): add ${flag} so riot reads the cluster's slot map and sends each key to its master`,
  );
}

/**
 * Look at the replies to the first keyed commands sent to a server reached without the cluster flag:
 * throws `unexpectedClusterError` when one of them is a MOVED or ASK redirection, returns otherwise.
 */
export function checkNoRedirect(replies: readonly RespValue[], endpoint: string, flag = "-c"): void {
  if (replies.some(isRedirect)) throw unexpectedClusterError(endpoint, flag);
}

/**
 * Ask a server reached without the cluster flag whether it is a cluster node (`INFO cluster`,
 * `cluster_enabled:1`), before anything is sent: throws `unexpectedClusterError` when it is. A server that
 * refuses INFO (ACL) is let through: the first MOVED (`checkNoRedirect`) will tell.
 */
export async function assertStandalone(connection: Commands, flag = "-c"): Promise<void> {
  const [reply] = await connection.pipeline([["INFO", "cluster"]]);
  if (reply instanceof ErrorReply) return;
  if (/^cluster_enabled:1\s*$/m.test(toText(reply))) {
    throw unexpectedClusterError(connection.endpoint, flag, "INFO says cluster_enabled:1");
  }
}
