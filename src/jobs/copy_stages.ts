/**
 * Readers and writers of a replication, built from its options: how keys are read (DUMP) and written
 * (RESTORE with the automatic type-based fallback, or RESTORE alone with --no-fallback). The job calls
 * `prepare()` once both endpoints are open, then asks for stages per transfer.
 */
import type { Log } from "../log.ts";
import type { Reader, Writer } from "../pipeline/stages.ts";
import type { ReplicationStats } from "../pipeline/stats.ts";
import { DumpReader } from "../readers/dump_reader.ts";
import type { Endpoint } from "../redis/endpoint.ts";
import { FallbackWriter } from "../writers/fallback_writer.ts";
import { engineName, probeTarget, type TargetCaps } from "../writers/target_caps.ts";

export interface CopyStageOptions {
  /** Copy by type what RESTORE refuses (default); false for --no-fallback. */
  fallback: boolean;
  dryRun: boolean;
  memLimit?: number;
}

export class CopyStages {
  /** What the target can take (probed by `prepare()`). */
  caps: TargetCaps | undefined;

  constructor(
    private readonly options: CopyStageOptions,
    private readonly stats: ReplicationStats,
    private readonly log: Log,
  ) {}

  /** Learns what the target takes; says at once when every key will go by type. */
  async prepare(target: Endpoint): Promise<void> {
    this.caps = await probeTarget(target.control, !this.options.dryRun);
    const caps = this.caps;
    const facts = [
      caps.rdbVersion === undefined ? "RDB version unknown" : `RDB version ${caps.rdbVersion}`,
      caps.restore === false ? `RESTORE refused (${caps.restoreRefusal})` : undefined,
      `proto-max-bulk-len ${caps.maxBulk}`,
      caps.fieldTtls ? "hash field TTLs" : "no hash field TTLs",
    ].filter((fact) => fact !== undefined);
    this.log.info(`Target ${engineName(caps)}: ${facts.join(", ")}`);
    if (caps.restore === false && this.options.fallback) {
      this.log.warn(`The target refuses RESTORE (${caps.restoreRefusal}): every key is copied by type`);
    }
  }

  readers(source: Endpoint, expireTime: boolean, type: string | undefined): Reader[] {
    return Array.from(
      { length: source.workers },
      (_, i) => new DumpReader(() => source.worker(i), { expireTime, memLimit: this.options.memLimit, type }),
    );
  }

  writers(target: Endpoint): Writer[] {
    const caps = this.caps ?? { engine: "Redis", maxBulk: Infinity, fieldTtls: true };
    return Array.from({ length: target.workers }, (_, i) =>
      new FallbackWriter(() => target.worker(i), {
        fallback: this.options.fallback,
        caps,
        stats: this.stats,
      }));
  }
}
