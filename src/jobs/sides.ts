/**
 * The per-node pieces of a job on either kind of side (one server or a cluster), kept out of the job's
 * wiring: opening a side (a sentinel service resolved to its master first), one SCAN per node merged into
 * one key source, DBSIZE summed over nodes, and the verifier's connections.
 */
import type { Log } from "../log.ts";
import type { KeySource } from "../pipeline/stages.ts";
import type { RetryPolicy } from "../retry.ts";
import type { ClusterEndpointSettings } from "../redis/cluster/cluster_endpoint.ts";
import type { SlotSet } from "../redis/cluster/slots.ts";
import { openEndpoint } from "../redis/open_endpoint.ts";
import type { ConnectionOptions } from "../redis/options.ts";
import { resolveMaster } from "../redis/sentinel.ts";
import type { SentinelConfig } from "../redis/sentinel_uri.ts";
import type { NodeHandle, ServerEndpoint } from "../redis/server_endpoint.ts";
import { dbSize } from "../sources/dbsize.ts";
import type { ScanOptions, ScanStats } from "../sources/key_scanner.ts";
import { MergedSource } from "../sources/merged_source.ts";
import { ScanSource } from "../sources/scan_source.ts";
import type { VerifyConnections } from "../verify/verify.ts";

/** Open a side; with a sentinel service, ask the sentinels for its master first. */
export async function openSide(
  options: ConnectionOptions,
  role: string,
  workers: number,
  sentinel?: SentinelConfig,
  settings: ClusterEndpointSettings = {},
): Promise<ServerEndpoint> {
  const resolved = sentinel ? await resolveMaster(sentinel, options) : options;
  return openEndpoint(resolved, role, workers, settings);
}

export interface ScanAllOptions {
  scan: ScanOptions;
  retry?: RetryPolicy;
  reconnect?: () => Promise<void>;
  log?: Log;
}

/**
 * One ScanSource per node, from `cursorOf(node.name)` (undefined: that node's scan is done, it is left
 * out), merged: positions name their node, so a checkpoint keeps one cursor per node.
 */
export function scanAll(
  nodes: NodeHandle[],
  cursorOf: (node: string) => string | undefined,
  options: ScanAllOptions,
  stats: ScanStats,
): KeySource {
  const sources: KeySource[] = [];
  for (const node of nodes) {
    const cursor = cursorOf(node.name);
    if (cursor === undefined) continue;
    sources.push(new ScanSource(() => node.commands, { ...options, cursor, node: node.name }, stats));
  }
  return new MergedSource(sources);
}

/** DBSIZE summed over the nodes; undefined when any refuses it. */
export async function sumDbSize(nodes: NodeHandle[]): Promise<number | undefined> {
  const sizes = await Promise.all(nodes.map((node) => dbSize(node.commands)));
  return sizes.some((size) => size === undefined)
    ? undefined
    : sizes.reduce((sum: number, size) => sum + size!, 0);
}

/** Scanners per node on each side, readers and writers per worker. */
export function verifyConnectionsOf(
  source: ServerEndpoint,
  target: ServerEndpoint,
  slots?: SlotSet,
): VerifyConnections {
  return {
    sourceScanners: source.scanNodes(slots).map((node) => node.commands),
    targetScanners: target.nodes().map((node) => node.commands),
    sources: Array.from({ length: source.workers }, (_, i) => source.worker(i)),
    targets: Array.from({ length: target.workers }, (_, i) => target.worker(i)),
  };
}
