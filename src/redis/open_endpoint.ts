/**
 * Open one side of a job: a ClusterEndpoint when cluster mode was asked for (-c, --source-cluster,
 * --target-cluster), else a standalone Endpoint (the fast path, unchanged).
 */
import { ClusterEndpoint, type ClusterEndpointSettings } from "./cluster/cluster_endpoint.ts";
import { Endpoint } from "./endpoint.ts";
import type { ConnectionOptions } from "./options.ts";
import type { ServerEndpoint } from "./server_endpoint.ts";

export function openEndpoint(
  options: ConnectionOptions,
  role: string,
  workers: number,
  settings: ClusterEndpointSettings = {},
): Promise<ServerEndpoint> {
  if (options.cluster) {
    return ClusterEndpoint.open(options, role, workers, {
      flag: role === "target" ? "--target-cluster" : "-c",
      ...settings,
    });
  }
  return Endpoint.open(options, role, workers);
}
