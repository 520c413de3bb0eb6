/**
 * Readers and writers of a replication, built from its options: how keys are read (DUMP, or type commands
 * with --struct) and written
 * (RESTORE with the automatic type-based fallback, or RESTORE alone with --no-fallback). The job calls
 * `prepare()` once both endpoints are open, then asks for stages per transfer.
 */
import type { Log } from "../log.ts";
import type { Reader, Writer } from "../pipeline/stages.ts";
import type { ReplicationStats } from "../pipeline/stats.ts";
import { BigKeyReader } from "../readers/big_keys.ts";
import { DumpReader } from "../readers/dump_reader.ts";
import { StructReader } from "../readers/struct_reader.ts";
import type { ServerEndpoint as Endpoint } from "../redis/server_endpoint.ts";
import type { KeyMap } from "../sources/key_map.ts";
import { FallbackWriter } from "../writers/fallback_writer.ts";
import { logTargetCaps } from "./rdb_writers.ts";
import { KeyMapWriter } from "../writers/key_map_writer.ts";
import type { StreamOptions } from "../writers/stream_options.ts";
import { probeTarget, type TargetCaps } from "../writers/target_caps.ts";

export interface CopyStageOptions {
  /** Read by type commands instead of DUMP (--struct). */
  struct: boolean;
  /** Copy by type what RESTORE refuses (default); false for --no-fallback. */
  fallback: boolean;
  dryRun: boolean;
  memLimit?: number;
  /** Keys whose MEMORY USAGE is above this are copied in windows, never fetched whole. */
  bigKeyThreshold?: number;
  /** Write keys without their TTL (--no-ttl). */
  noTtl?: boolean;
  /** Target names of source keys (--key-proc). */
  keyMap?: KeyMap;
  /** --no-stream-id / --stream-prune (streams by type). */
  streams?: StreamOptions;
}

export class CopyStages {
  /** What the target can take (probed by `prepare()`). */
  caps: TargetCaps | undefined;

  constructor(
    private readonly options: CopyStageOptions,
    private readonly stats: ReplicationStats,
    private readonly log: Log,
  ) {}

  /** Hash field TTLs on the source (HPEXPIRETIME), for --struct and big keys. */
  private sourceFieldTtls = false;
  /** PEXPIRETIME on the source (else PTTL). */
  private sourceExpireTime = true;

  /** Learns what the target takes (and what the source has); says when every key goes by type. */
  async prepare(source: Endpoint, target: Endpoint, sourceExpireTime: boolean): Promise<void> {
    this.sourceExpireTime = sourceExpireTime;
    this.sourceFieldTtls = (await probeTarget(source.control, false)).fieldTtls;
    this.caps = await probeTarget(target.control, !this.options.dryRun);
    logTargetCaps(this.caps, this.options.fallback, this.log);
  }

  readers(source: Endpoint, expireTime: boolean, type: string | undefined): Reader[] {
    const { memLimit, bigKeyThreshold } = this.options;
    const fieldTtls = this.sourceFieldTtls;
    return Array.from({ length: source.workers }, (_, i) => {
      const connection = () => source.worker(i);
      const reader = this.options.struct
        ? new StructReader(connection, { expireTime, memLimit, type, fieldTtls })
        : new DumpReader(connection, { expireTime, memLimit, type });
      return bigKeyThreshold === undefined
        ? reader
        : new BigKeyReader(connection, reader, bigKeyThreshold, memLimit, type);
    });
  }

  /** `replaceImages`: see KeyMapWriter (every phase after the first snapshot). */
  writers(source: Endpoint, target: Endpoint, replaceImages = false): Writer[] {
    const caps = this.caps ?? { engine: "Redis", maxBulk: Infinity, fieldTtls: true };
    return Array.from({ length: target.workers }, (_, i) => {
      const writer = new FallbackWriter(() => target.worker(i), {
        fallback: this.options.fallback,
        caps,
        stats: this.stats,
        source: () => source.worker(i),
        sourceExpireTime: this.sourceExpireTime,
        sourceFieldTtls: this.sourceFieldTtls,
        noTtl: this.options.noTtl,
        streams: this.options.streams,
      });
      return this.options.keyMap ? new KeyMapWriter(writer, this.options.keyMap, replaceImages) : writer;
    });
  }
}
