/**
 * Deletes from the target the keys that the source no longer has: scans the target (same pattern and
 * filters as the copy), asks the source `EXISTS` for each key, and sends `DEL` for those it lacks.
 * Used by re-scans after lost events (a FLUSHDB, a dropped subscription), where deletions left no trace.
 *
 * With `--key-proc` (`keyMap`) the target's names are not the source's: the target is scanned whole and a
 * key is deleted when no existing source key maps to it and it is in the copy's scope (KeyMap.onlyInTarget,
 * the same rule as the verification's "only in target").
 */
import type { Commands } from "../redis/commands.ts";
import type { KeyMap } from "../sources/key_map.ts";
import { scanKeys, type ScanOptions } from "../sources/key_scanner.ts";

export async function pruneTarget(
  targetScanner: Commands,
  source: Commands,
  target: Commands,
  scan: ScanOptions,
  keyMap?: KeyMap,
): Promise<number> {
  let deleted = 0;
  const targetScan = keyMap ? { count: scan.count } : scan;
  for await (const keys of scanKeys(targetScanner, targetScan)) {
    const gone = keyMap ? await orphans(keyMap, source, keys, scan) : await absent(source, keys);
    if (gone.length === 0) continue;
    await target.pipelineKeys([["DEL"]], gone);
    deleted += gone.length;
  }
  return deleted;
}

async function absent(source: Commands, keys: Uint8Array[]): Promise<Uint8Array[]> {
  const exists = await source.pipelineKeys([["EXISTS"]], keys);
  return keys.filter((_, i) => exists[i] === 0);
}

async function orphans(keyMap: KeyMap, source: Commands, keys: Uint8Array[], scan: ScanOptions) {
  const only = await keyMap.onlyInTarget(source, keys, scan);
  return keys.filter((_, i) => only[i]);
}
