/**
 * Reading the topology from one node: `CLUSTER SHARDS` (Redis 7.0+), or `CLUSTER SLOTS` when the server
 * does not know SHARDS. Outcomes: the parsed Topology; a ClusterModeError when the node has cluster support
 * disabled; a ConnectionError naming the node for any other refusal (an ACL without CLUSTER, say) or a
 * topology with no master at all.
 */
import { ErrorReply } from "../../../resp/mod.ts";
import type { RedisConnection } from "../connection.ts";
import { ConnectionError } from "../errors.ts";
import type { ConnectionOptions } from "../options.ts";
import { isClusterDisabled, notAClusterError } from "./detect.ts";
import { mastersOf, parseClusterShards, parseClusterSlots, type Topology } from "./topology.ts";

/** Answers of servers that do not know CLUSTER SHARDS (before 7.0). */
const UNKNOWN_SUBCOMMAND = /unknown (sub)?command|unknown subcommand|wrong number of arguments/i;

export async function discoverTopology(
  connection: RedisConnection,
  options: Pick<ConnectionOptions, "host" | "tls">,
  flag = "-c",
  side?: string,
): Promise<Topology> {
  const endpoint = connection.endpoint;
  const [shards] = await connection.pipeline([["CLUSTER", "SHARDS"]]);
  let topology: Topology;
  if (!(shards instanceof ErrorReply)) topology = parseClusterShards(shards, options.host, options.tls);
  else if (isClusterDisabled(shards)) throw notAClusterError(endpoint, flag, side);
  else if (UNKNOWN_SUBCOMMAND.test(shards.message)) {
    const [slots] = await connection.pipeline([["CLUSTER", "SLOTS"]]);
    if (slots instanceof ErrorReply) throw refused(endpoint, "CLUSTER SLOTS", slots);
    topology = parseClusterSlots(slots, options.host);
  } else throw refused(endpoint, "CLUSTER SHARDS", shards);
  if (mastersOf(topology).length === 0) {
    throw new ConnectionError(
      endpoint,
      `${endpoint} reports a cluster with no reachable master: finish setting it up (redis-cli --cluster create), or check the nodes' announced addresses`,
    );
  }
  return topology;
}

function refused(endpoint: string, command: string, reply: ErrorReply): ConnectionError {
  return new ConnectionError(
    endpoint,
    `${endpoint} refused ${command} (${reply.message}): riot needs it to read the cluster's slot map; allow it for this user (ACL +cluster|shards +cluster|slots)`,
    { cause: reply },
  );
}
