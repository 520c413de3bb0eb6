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
 *
 * Failures and failed records come back as the source's records, so a retry renames them once again, not
 * twice; counts are per source record (a deleted key counts once, however many names were deleted).
 */
import type { KeyFailure } from "../pipeline/failure.ts";
import type { KeyRecord } from "../pipeline/record.ts";
import type { Writer, WriteResult } from "../pipeline/stages.ts";
import { moduleTypeName } from "../rdb/module_name.ts";
import type { KeyMap } from "../sources/key_map.ts";
import { rdbTypeName } from "../sources/rdb_source.ts";

export class KeyMapWriter implements Writer {
  constructor(private readonly inner: Writer, private readonly keyMap: KeyMap) {}

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

  private rename(record: KeyRecord): KeyRecord[] {
    const map = this.keyMap;
    switch (record.kind) {
      case "delete":
        return map.imagesOfDeleted(record.key).map((key) => ({ ...record, key }));
      case "big":
        return [{ ...record, targetKey: map.apply(record.key, record.type) }];
      case "value":
        return [{ ...record, key: map.apply(record.key, record.value.type) }];
      case "dump":
        return [{ ...record, key: map.apply(record.key, payloadType(record.payload)) }];
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
