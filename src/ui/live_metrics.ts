/** The counters that --metrics-port serves during a live replication. */
import type { MetricsSource } from "./metrics.ts";
import type { ReplicationStats } from "../pipeline/stats.ts";
import type { LiveFollower } from "../live/follower.ts";

/** Counters of the whole run; the live ones read 0 until the live phase has started. */
export function liveMetrics(
  stats: ReplicationStats,
  following: () => LiveFollower | undefined,
): MetricsSource {
  return () => {
    const follower = following();
    const live = follower?.live;
    return {
      riot_keys_written_total: { help: "Keys written to the target", type: "counter", value: stats.written },
      riot_keys_deleted_total: {
        help: "Keys deleted on the target (gone from the source)",
        type: "counter",
        value: stats.vanished,
      },
      riot_keys_failed_total: {
        help: "Keys the target refused or the source could not read",
        type: "counter",
        value: stats.failed,
      },
      riot_keys_skipped_total: { help: "Keys over --mem-limit", type: "counter", value: stats.skipped },
      riot_events_total: {
        help: "Keyspace notifications received",
        type: "counter",
        value: live?.events ?? 0,
      },
      riot_event_queue_size: {
        help: "Changed keys waiting to be copied",
        type: "gauge",
        value: follower?.queue.size ?? 0,
      },
      riot_event_queue_capacity: {
        help: "Bound of the changed-key queue",
        type: "gauge",
        value: follower?.queue.capacity ?? 0,
      },
      riot_rescans_total: {
        help: "Re-scans after possibly lost events",
        type: "counter",
        value: live?.rescans ?? 0,
      },
      'riot_lag_milliseconds{quantile="0.5"}': {
        help: "Time from notification to the target's acknowledgement",
        type: "gauge",
        value: live?.lag.percentile(50) ?? 0,
      },
      'riot_lag_milliseconds{quantile="0.99"}': {
        help: "Time from notification to the target's acknowledgement",
        type: "gauge",
        value: live?.lag.percentile(99) ?? 0,
      },
    };
  };
}
