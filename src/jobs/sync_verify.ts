/**
 * The verification after `replicate --mode sync`: the whole source (every master of a cluster source)
 * against the target, with the run's key filters, after the stream ended. Zero TTL tolerance by default:
 * the copy is exact, any difference is a failure.
 */
import { openEndpoint } from "../redis/open_endpoint.ts";
import type { ConnectionOptions } from "../redis/options.ts";
import type { ServerEndpoint } from "../redis/server_endpoint.ts";
import type { SyncKeyFilters } from "../sync/stream_filter.ts";
import { type CompareMode, verify, type VerifyResult } from "../verify/verify.ts";

export interface SyncVerifyConfig {
  source: ConnectionOptions;
  threads: number;
  batch: number;
  ttlToleranceMs: number;
  keys?: SyncKeyFilters;
}

/** Compares the source with `target` (reconnected first: its connections may have died meanwhile). */
export async function verifySync(
  config: SyncVerifyConfig,
  target: ServerEndpoint,
  targetDb: number,
  mode: CompareMode,
): Promise<VerifyResult> {
  await target.reconnect();
  if (!target.isCluster) await target.control.call("SELECT", targetDb);
  const source = await openEndpoint(config.source, "source", config.threads);
  try {
    return await verify({
      sourceScanners: source.scanNodes().map((node) => node.commands),
      targetScanners: target.scanNodes().map((node) => node.commands),
      sources: Array.from({ length: source.workers }, (_, i) => source.worker(i)),
      targets: Array.from({ length: target.workers }, (_, i) => target.worker(i)),
    }, {
      mode,
      ttlToleranceMs: config.ttlToleranceMs,
      scan: { count: 1000, ...config.keys },
      batch: config.batch,
      rounds: 1,
      pauseMs: 0,
      sourceExpireTime: true,
      targetExpireTime: true,
    });
  } finally {
    source.close();
  }
}
