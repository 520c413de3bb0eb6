/**
 * The three stage contracts of the transfer engine (src/pipeline/transfer.ts). Every copy — the snapshot,
 * a live batch, a converge round, an import — is a key source, readers and writers joined by a bounded
 * queue.
 *
 * KeySource — `batches(signal)` yields key batches in order.
 * - A batch may be empty: it only moves `position` on (a SCAN reply whose keys were all filtered out).
 * - `position`, when set, is where a new run may resume once this batch and every earlier one are written
 *   (a SCAN cursor of one node). Batches without it are no resume point.
 * - When `signal` aborts, the source stops yielding at the next batch boundary and returns.
 * - A consumer that stops early (another stage failed) ends the iteration; the source lets go of what it
 *   holds. A failure that retries cannot heal rejects the iteration, which stops every stage.
 *
 * Reader — `read(keys)` resolves with what it found: one record per key it could read (a `delete` record
 * for a key gone from the source), the keys it skipped on purpose (--mem-limit), and per-key refusals.
 * - It rejects only when the connection failed (lost, timed out): nothing of the call counts, and the
 *   transfer may call it again with the same keys after a reconnect. Several calls may run at once.
 *
 * RecordSource — the records themselves, made without reading Redis (file lines, SQL rows): `batches(signal)`
 * yields them and the transfer hands them straight to the writers (no readers).
 * - `read` is how many source items the batch stands for (rows, lines): filtered and failed ones included.
 * - `failures` are items that could not become records (a missing key field, a malformed line), reported
 *   with their `origin`; they count as failed, like refusals of the target.
 * - Abort, early stop and rejection as for KeySource. Tell it from a KeySource by `kind === "records"`.
 *
 * Writer — `write(records)` resolves once the target acknowledged every record, with counts and per-key
 * refusals (a refusal is a result, not a rejection: the rest of the batch is written).
 * - It rejects when the connection failed: then nothing of the batch counts as written, and the transfer
 *   sends the whole batch again after a reconnect (every record is idempotent).
 */
import type { KeyFailure } from "./failure.ts";
import type { KeyRecord } from "./record.ts";

/** Where a source stands: a node (host:port, or "" for a single server) and its SCAN cursor. */
export interface SourcePosition {
  node: string;
  cursor: string;
  /** True when this node's scan is complete. */
  done: boolean;
}

export interface KeyBatch {
  keys: Uint8Array[];
  position?: SourcePosition;
}

export interface RecordBatch {
  records: KeyRecord[];
  read: number;
  failures: KeyFailure[];
  position?: SourcePosition;
}

export interface RecordSource {
  readonly kind: "records";
  batches(signal?: AbortSignal): AsyncIterable<RecordBatch>;
}

export interface KeySource {
  batches(signal?: AbortSignal): AsyncIterable<KeyBatch>;
}

export interface SkippedKey {
  key: Uint8Array;
  bytes: number;
}

export interface ReadResult {
  records: KeyRecord[];
  skipped: SkippedKey[];
  failures: KeyFailure[];
}

export interface Reader {
  read(keys: Uint8Array[]): Promise<ReadResult>;
}

export interface WriteResult {
  /** Records written (restored or by commands). */
  written: number;
  /** Delete records applied. */
  deleted: number;
  /** Payload and key bytes written. */
  bytes: number;
  failures: KeyFailure[];
  /** The records each failure belongs to, in the same order as `failures` (for a retry of those only). */
  failedRecords: KeyRecord[];
}

export interface Writer {
  write(records: KeyRecord[]): Promise<WriteResult>;
}

export function isRecordSource(source: KeySource | RecordSource): source is RecordSource {
  return (source as RecordSource).kind === "records";
}
