/**
 * What a replication job is given (ReplicationConfig, from the command line) and what it returns
 * (ReplicationOutcome); see replicate.ts for the job itself.
 */
import type { ReplicationStats } from "../pipeline/stats.ts";
import type { SlotSet } from "../redis/cluster/slots.ts";
import type { ConnectionOptions } from "../redis/options.ts";
import type { SentinelConfig } from "../redis/sentinel_uri.ts";
import type { RetryPolicy } from "../retry.ts";
import type { KeyMap } from "../sources/key_map.ts";
import type { ScanOptions } from "../sources/key_scanner.ts";
import type { CompareMode, VerifyResult } from "../verify/verify.ts";
import type { StreamOptions } from "../writers/stream_options.ts";

export type ReplicationMode = "snapshot" | "live" | "liveonly";
export type Phase = "connecting" | "copying" | "live" | "verifying" | "converging" | "done";

export interface ReplicationConfig {
  source: ConnectionOptions;
  target: ConnectionOptions;
  mode: ReplicationMode;
  scan: ScanOptions;
  /** The filters as text (for the checkpoint's fingerprint and messages). */
  filtersText: string;
  batch: number;
  threads: number;
  queueKeys: number;
  queueBytes: number;
  dryRun: boolean;
  memLimit?: number;
  compare: CompareMode | "none";
  ttlToleranceMs: number;
  rounds: number;
  converge: number;
  retry: RetryPolicy;
  /** Keys per second at most (snapshot) and re-reads per second (live). */
  rate?: number;
  checkpoint?: string;
  /** Only keys in these slots (--key-slots, --partition): a cluster source scans only their masters. */
  slots?: SlotSet;
  /** Where a cluster source is read (--read-from). */
  readFrom?: "master" | "replica";
  /**
   * Per side, the cluster flag named when a side is the wrong kind of server (a cluster node without it,
   * a standalone server with it): see two_servers.ts. Absent: "-c" and "--target-cluster".
   */
  clusterFlags?: { source: string; target: string };
  /** Sides given as a sentinel service: resolved to their master before connecting. */
  sentinel?: { source?: SentinelConfig; target?: SentinelConfig };
  /** Copy by type what RESTORE refuses (default true; false for --no-fallback). */
  fallback?: boolean;
  /** Read by type commands instead of DUMP, write by type (--struct). */
  struct?: boolean;
  /** Keys above this many bytes (MEMORY USAGE) are copied in windows (--big-key-threshold). */
  bigKeyThreshold?: number;
  /** Keys are written without their TTL, and verification does not compare TTLs (--no-ttl). */
  noTtl?: boolean;
  /** Target names of source keys (--key-proc): the copy, the re-scan's prune and the verification use it. */
  keyMap?: KeyMap;
  /** --no-stream-id / --stream-prune: streams by type; the verification compares them accordingly. */
  streams?: StreamOptions;
  live?: {
    idleTimeoutMs?: number;
    flushIntervalMs: number;
    eventQueue: number;
    configSet: boolean;
  };
}

export interface ReplicationOutcome {
  stats: ReplicationStats;
  verify?: VerifyResult;
  /** What the verification covered: every key, or only the keys changed during a liveonly run. */
  verified?: "all" | "changed";
  live?: { events: number; rescans: number; lagP50: number; lagP99: number };
  converged: number;
  /** Set when stop() ended the job: the phase it was in. */
  stopped?: Phase;
  /** True when the copy continued from a checkpoint. */
  resumed: boolean;
  /** Keys the runs before this one wrote, as their checkpoint counted them (0 when not resumed). */
  writtenBefore: number;
  checkpoint?: string;
}
