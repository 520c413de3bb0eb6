/**
 * Live mode on a side given as a sentinel service: listen for `+switch-master` (followMaster) and, each
 * time the master changes, move the side's connections to the new master and call `afterMove` (the job
 * re-subscribes and re-scans: writes made around the failover may not have sent events, and the new
 * master may lack the last writes of the old one). Runs until `signal` aborts; a failure to reach any
 * sentinel is logged, never fatal (the copy goes on against the master it has).
 */
import type { Log } from "../log.ts";
import type { Endpoint } from "../redis/endpoint.ts";
import { describeEndpoint } from "../redis/options.ts";
import { followMaster } from "../redis/sentinel.ts";
import type { SentinelConfig } from "../redis/sentinel_uri.ts";

export async function followSentinelMaster(
  sentinel: SentinelConfig,
  side: Endpoint,
  afterMove: () => Promise<void>,
  signal: AbortSignal,
  log: Log,
): Promise<void> {
  const base = side.options;
  try {
    for await (const master of followMaster(sentinel, base, { host: base.host, port: base.port }, signal)) {
      log.warn(
        `The ${side.role}'s master changed to ${describeEndpoint(master)} (sentinel +switch-master): ` +
          `reconnecting and re-scanning`,
      );
      await side.moveTo(master);
      await afterMove();
    }
  } catch (error) {
    if (!signal.aborted) {
      log.warn(`Stopped following the ${side.role}'s sentinels: ${(error as Error).message}`);
    }
  }
}
