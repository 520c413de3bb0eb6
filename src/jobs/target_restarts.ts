/**
 * Live mode's check of the target, run every second by the follower: the target answers (reconnecting
 * through the retry policy when it does not), and a restart seen since the previous check (a new run_id,
 * see ServerEndpoint.restarts) is a reason to re-scan: a server without persistence lost its keys.
 *
 * A standalone target answers a PING; a cluster target reads its topology and every master's run_id
 * (ClusterEndpoint.reconnect), since a PING would reach one master only. A change of a cluster target's
 * masters (a failover: the new master may lack the old one's last acknowledged writes) is a reason too.
 */
import { retry, type RetryPolicy } from "../retry.ts";
import type { ServerEndpoint } from "../redis/server_endpoint.ts";

export function targetRestartCheck(
  target: () => ServerEndpoint,
  policy: RetryPolicy,
  signal: AbortSignal,
): () => Promise<string | undefined> {
  let seen = 0;
  let mastersSeen = target().mastersVersion;
  return async () => {
    await retry<unknown>(
      () => target().isCluster ? target().reconnect() : target().control.call("PING"),
      policy,
      { beforeRetry: () => target().reconnect(), signal },
    );
    // One reason for both (one re-scan repairs both); a restart is named first, as the likelier loss.
    const restarted = target().restarts !== seen;
    const mastersChanged = target().mastersVersion !== mastersSeen;
    seen = target().restarts;
    mastersSeen = target().mastersVersion;
    if (restarted) {
      return target().isCluster
        ? "a master of the target cluster restarted (its run_id changed): it may have lost keys"
        : "the target restarted (its run_id changed): it may have lost keys";
    }
    if (mastersChanged) {
      return "the target cluster's masters changed (a failover may lose the old master's last writes)";
    }
    return undefined;
  };
}
