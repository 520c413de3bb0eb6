/**
 * Deletes from the target the keys that the source no longer has: scans the target (same pattern and
 * filters as the copy), asks the source `EXISTS` for each key, and sends `DEL` for those it lacks.
 * Used by re-scans after lost events (a FLUSHDB, a dropped subscription), where deletions left no trace.
 */
import type { Commands } from "../redis/commands.ts";
import { scanKeys, type ScanOptions } from "../sources/key_scanner.ts";

export async function pruneTarget(
  targetScanner: Commands,
  source: Commands,
  target: Commands,
  scan: ScanOptions,
): Promise<number> {
  let deleted = 0;
  for await (const keys of scanKeys(targetScanner, scan)) {
    const exists = await source.pipelineKeys([["EXISTS"]], keys);
    const gone = keys.filter((_, i) => exists[i] === 0);
    if (gone.length === 0) continue;
    await target.pipelineKeys([["DEL"]], gone);
    deleted += gone.length;
  }
  return deleted;
}
