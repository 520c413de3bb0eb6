/**
 * Counters of an import: those of every transfer (read = source records, written, failed with origins),
 * plus records left out on purpose: `filtered` by --filter, `ignored` because --ignore-missing skipped
 * every operation (or an operation had nothing to send).
 */
import { ReplicationStats } from "../pipeline/stats.ts";

export class ImportStats extends ReplicationStats {
  filtered = 0;
  ignored = 0;
}
