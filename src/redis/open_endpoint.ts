/**
 * Open one side of a job: a ClusterEndpoint when cluster mode was asked for (-c, --source-cluster,
 * --target-cluster), else a standalone Endpoint (the fast path), after asking the server that it is not a
 * cluster node: either mistake is a ClusterModeError (one line, exit 2) before anything is read or written.
 *
 * `settings.flag` names the cluster flag in that line: the one given (to drop) when cluster mode is on, the
 * one to add when it is off; `settings.side` ("source", "target") names the server in commands with two.
 */
import { ClusterEndpoint, type ClusterEndpointSettings } from "./cluster/cluster_endpoint.ts";
import { assertStandalone } from "./cluster/detect.ts";
import { Endpoint } from "./endpoint.ts";
import type { ConnectionOptions } from "./options.ts";
import type { ServerEndpoint } from "./server_endpoint.ts";

export async function openEndpoint(
  options: ConnectionOptions,
  role: string,
  workers: number,
  settings: ClusterEndpointSettings = {},
): Promise<ServerEndpoint> {
  const flag = settings.flag ?? (role === "target" ? "--target-cluster" : "-c");
  if (options.cluster) return await ClusterEndpoint.open(options, role, workers, { ...settings, flag });
  const endpoint = await Endpoint.open(options, role, workers);
  try {
    await assertStandalone(endpoint.control, flag, settings.side);
  } catch (error) {
    endpoint.close();
    throw error;
  }
  return endpoint;
}
