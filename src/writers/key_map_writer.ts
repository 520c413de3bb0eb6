/**
 * Writer (src/pipeline/stages.ts) that renames keys on their way to the target (`--key-proc`), around the
 * writer that does the writing:
 *
 * - `dump` and `value` records get their target name (the type from the payload's type byte or module id,
 *   or from the value); `commands` records (imports; replicate makes none) name their keys inside their
 *   commands and pass unchanged;
 * - `big` records keep their source name (the windowed copy reads it there) and carry the target name;
 * - `delete` records become one delete per name the key may have had on the target (with `#{type}`, one per
 *   core type: the type of a deleted key is gone with it).
 * - With `#{type}` and `replaceImages` (every phase after the first snapshot: live changes, re-scans,
 *   converge rounds), a written key also deletes its images under the other core types, so a key whose
 *   type changed (`RENAME hash-key string-key`) leaves no stale image behind. The first snapshot skips
 *   this: five more DELs per key, where a stale image would come only from an earlier run (and the
 *   verification reports it as only in the target).
 *
 * Failures and failed records come back as the source's records, so a retry renames them once again, not
 * twice; counts are per source record (a deleted key counts once, however many names were deleted).
 */
import type { KeyFailure } from "../pipeline/failure.ts";
import type { KeyRecord } from "../pipeline/record.ts";
import type { Writer, WriteResult } from "../pipeline/stages.ts";
import { moduleTypeName } from "../rdb/module_name.ts";
import type { KeyMap } from "../sources/key_map.ts";
import { CORE_TYPES } from "../sources/key_template.ts";
import { rdbTypeName } from "../sources/rdb_source.ts";

export class KeyMapWriter implements Writer {
  constructor(
    private readonly inner: Writer,
    private readonly keyMap: KeyMap,
    private readonly replaceImages = false,
  ) {}

  async write(records: KeyRecord[]): Promise<WriteResult> {
    const sourceOf = new Map<KeyRecord, KeyRecord>();
    const mapped: KeyRecord[] = [];
    const extraNames = new Set<KeyRecord>(); // the second and later names of one deleted key
    for (const record of records) {
      this.rename(record).forEach((out, i) => {
        sourceOf.set(out, record);
        mapped.push(out);
        if (i > 0) extraNames.add(out);
      });
    }
    const result = await this.inner.write(mapped);
    const failures: KeyFailure[] = [];
    const failedRecords: KeyRecord[] = [];
    result.failedRecords.forEach((record, i) => {
      const original = sourceOf.get(record) ?? record;
      if (failedRecords.includes(original)) return; // two names of one deleted key failed: one retry
      failedRecords.push(original);
      failures.push({ ...result.failures[i], key: original.key });
    });
    // A deleted key counts once, however many of its names were deleted.
    const failedNames = new Set(result.failedRecords);
    const extraDeleted = [...extraNames].filter((record) => !failedNames.has(record)).length;
    return { ...result, deleted: result.deleted - extraDeleted, failures, failedRecords };
  }

  /**
   * `written` (the record under its target name), then, with `replaceImages` and `#{type}`, a delete of
   * the source key's image under each other core type (extra names: their outcome counts with `written`).
   */
  private withOthers(record: KeyRecord, type: string, written: KeyRecord): KeyRecord[] {
    if (!this.replaceImages || !this.keyMap.template.usesType) return [written];
    const others = CORE_TYPES.filter((other) => other !== type)
      .map((other): KeyRecord => ({
        kind: "delete",
        key: this.keyMap.apply(record.key, other),
        db: record.db,
      }));
    return [written, ...others];
  }

  private rename(record: KeyRecord): KeyRecord[] {
    const map = this.keyMap;
    switch (record.kind) {
      case "delete":
        return map.imagesOfDeleted(record.key).map((key) => ({ ...record, key }));
      case "big":
        return this.withOthers(record, record.type, {
          ...record,
          targetKey: map.apply(record.key, record.type),
        });
      case "value":
        return this.withOthers(record, record.value.type, {
          ...record,
          key: map.apply(record.key, record.value.type),
        });
      case "dump": {
        const type = payloadType(record.payload);
        return this.withOthers(record, type, { ...record, key: map.apply(record.key, type) });
      }
      case "commands":
      case "encoded": // imports' records: their commands name their keys already
        return [record];
    }
  }
}

/** The type TYPE reports for the key of a DUMP payload: from its type byte, or its module id. */
export function payloadType(payload: Uint8Array): string {
  return moduleTypeName(payload) ?? rdbTypeName(payload[0]);
}
