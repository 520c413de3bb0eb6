/**
 * `riot compare --checkpoint FILE`: the checkpoint of a comparison. The same file format as a copy's
 * (src/jobs/checkpoint.ts): the source pass's SCAN cursor, up to which every source key is checked, and the
 * counts of exactly those keys. The fingerprint covers source, target, databases, the compare mode and the
 * filters, so a copy's checkpoint, or one of another mode, is refused.
 *
 * The scan of the target for keys only there is not resumed: it is cheap (one EXISTS per batch) and runs
 * whole after the source pass. Differences found before a resume are counted but their keys are not kept.
 */
import { Checkpoint, type CheckpointScope } from "./checkpoint.ts";
import { emptyCounts, type VerifyPosition } from "../verify/verify.ts";

export interface CompareCheckpoint {
  file: Checkpoint;
  /** Where the earlier run stopped; undefined for a new comparison. */
  resume?: VerifyPosition;
}

export async function openCompareCheckpoint(
  path: string,
  servers: Omit<CheckpointScope, "filters">,
  what: string,
): Promise<CompareCheckpoint> {
  const file = await Checkpoint.open(path, { ...servers, filters: what });
  if (!file.resumed) return { file };
  const cursor = file.cursorOf("");
  const counts = { ...emptyCounts() };
  for (const name of Object.keys(counts) as (keyof typeof counts)[]) {
    const value = file.counters[name];
    if (typeof value === "number") counts[name] = value;
  }
  return { file, resume: { cursor: cursor ?? "0", done: cursor === undefined, counts } };
}
