/**
 * RIOT's stream options for a copy: `--no-stream-id` (entries get new IDs on the target: for a target whose
 * stream IDs cannot be the source's) and `--stream-prune` (RIOT: "drop empty streams": a source stream
 * without entries is not copied, and an older copy of it on the target is deleted, so the target mirrors
 * "no such key"). Either one sends every stream by type, never by RESTORE (the payload keeps the IDs and
 * an empty stream).
 */
import type { KeyRecord } from "../pipeline/record.ts";
import { openPayload } from "../rdb/payload.ts";
import { RDB_TYPE } from "../rdb/types.ts";

export interface StreamOptions {
  /** XADD with `*` IDs; last ID, counters and consumer groups are not copied (--no-stream-id). */
  newIds: boolean;
  /** Empty streams are deleted on the target instead of copied (--stream-prune). */
  prune: boolean;
}

/** Why streams go by type under these options (counted with the other type-based reasons). */
export const STREAM_REASON = "--no-stream-id or --stream-prune: streams are written by type";

const STREAM_TYPES: ReadonlySet<number> = new Set([
  RDB_TYPE.STREAM_LISTPACKS,
  RDB_TYPE.STREAM_LISTPACKS_2,
  RDB_TYPE.STREAM_LISTPACKS_3,
]);

export function isStreamPayload(payload: Uint8Array): boolean {
  return STREAM_TYPES.has(payload[0]);
}

/** A record of a stream without entries becomes the delete of its key; any other record is unchanged. */
export function pruneEmptyStream(record: KeyRecord): KeyRecord {
  if (record.kind === "value" && record.value.type === "stream" && record.value.length === 0) {
    return { kind: "delete", key: record.key, db: record.db };
  }
  if (record.kind === "dump" && isStreamPayload(record.payload) && streamLength(record.payload) === 0) {
    return { kind: "delete", key: record.key, db: record.db };
  }
  return record;
}

/** The live entries a stream payload says it has; undefined when it cannot be read (the write reports it). */
function streamLength(payload: Uint8Array): number | undefined {
  try {
    const value = openPayload(payload).value;
    return value.type === "stream" ? value.length : undefined;
  } catch {
    return undefined;
  }
}
