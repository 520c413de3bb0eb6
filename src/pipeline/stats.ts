/**
 * Counters of a replication, shared by its stages. Stages only increment; progress and the summary read.
 */
import type { KeyFailure } from "./failure.ts";
import type { SkippedKey } from "./stages.ts";

/**
 * How many failures are kept with their key for the report; the rest are only counted. A kept key is a
 * copy: a record's key may be a view of a shared slab (the RDB reader's), which it would keep alive.
 */
export const MAX_LISTED_FAILURES = 100;

export class ReplicationStats {
  readonly startedAt = performance.now();
  scanned = 0;
  read = 0;
  written = 0;
  /** Keys gone from the source between SCAN and DUMP (deleted on the target too). */
  vanished = 0;
  /** Keys over --mem-limit, not copied. */
  skipped = 0;
  failed = 0;
  bytes = 0;
  /** Largest payload bytes one DUMP round trip brought back (bounded by the adaptive window). */
  roundTripBytes = 0;
  /** Seconds the snapshot copy took, and keys it wrote (undefined in liveonly mode). */
  copySeconds: number | undefined;
  copyWritten: number | undefined;
  /** Batches sent again after a lost connection or a busy server, and the records in them. */
  retries = 0;
  resent = 0;
  readonly failures: KeyFailure[] = [];
  readonly skippedKeys: SkippedKey[] = [];
  /** Failures counted per reason (server message without the key-specific part). */
  readonly failureReasons = new Map<string, { count: number; advice: string }>();
  /** Keys written by type (commands into a temporary key + RENAME) instead of RESTORE, per reason. */
  readonly typeBased = new Map<string, number>();
  typeBasedTotal = 0;
  /** Hash field TTLs a target without HPEXPIREAT could not keep, and the first keys that lost them. */
  fieldTtlsDropped = 0;
  readonly fieldTtlKeys: Uint8Array[] = [];

  addTypeBased(reason: string, count = 1): void {
    this.typeBasedTotal += count;
    this.typeBased.set(reason, (this.typeBased.get(reason) ?? 0) + count);
  }

  addFieldTtlsDropped(key: Uint8Array, count: number): void {
    this.fieldTtlsDropped += count;
    if (this.fieldTtlKeys.length < MAX_LISTED_FAILURES) this.fieldTtlKeys.push(key.slice());
  }

  addFailures(failures: KeyFailure[]): void {
    for (const failure of failures) {
      this.failed++;
      if (this.failures.length < MAX_LISTED_FAILURES) {
        this.failures.push({ ...failure, key: failure.key.slice() });
      }
      const entry = this.failureReasons.get(failure.reason);
      if (entry) entry.count++;
      else this.failureReasons.set(failure.reason, { count: 1, advice: failure.advice });
    }
  }

  addSkipped(skipped: SkippedKey[]): void {
    this.skipped += skipped.length;
    for (const entry of skipped) {
      if (this.skippedKeys.length < MAX_LISTED_FAILURES) this.skippedKeys.push(entry);
    }
  }

  get elapsedSeconds(): number {
    return (performance.now() - this.startedAt) / 1000;
  }
}
