/**
 * Writer (src/pipeline/stages.ts): one pipelined round trip per batch on the target. A `dump` record
 * becomes `RESTORE key ttl payload REPLACE [ABSTTL]` (ttl 0 = no expiry), a `delete` record `DEL key`, a
 * `commands` record its commands, a `value` record `DEL key` and the type's write commands straight into
 * the key (readers may see it half-written: FallbackWriter writes values whole, through a temporary key).
 * A `big` record cannot be written here (it is copied from the source by FallbackWriter): it is refused. A refusal is per record: a KeyFailure with the server's words, its code
 * and advice, and the rest of the batch is still written. A lost connection rejects the whole write.
 *
 * Records with a `db` are written after a `SELECT db` (only when it changes), and a batch that selected
 * another database ends with `SELECT selectedDb`, so the connection is left as it was found.
 */
import {
  type Command,
  encodeCommands,
  ErrorReply,
  type RespValue,
  splitEncodedCommands,
} from "../../resp/mod.ts";
import { keyFailure } from "../pipeline/failure.ts";
import { type KeyRecord, NO_EXPIRY } from "../pipeline/record.ts";
import type { Writer, WriteResult } from "../pipeline/stages.ts";
import type { Commands } from "../redis/commands.ts";
import { writeCommands } from "../rdb/commands.ts";

export class RestoreWriter implements Writer {
  /** `selectedDb`: the database the connection selects on connect (-n). */
  constructor(private readonly connection: () => Commands, private readonly selectedDb = 0) {}

  write(records: KeyRecord[]): Promise<WriteResult> {
    return writeRecords(this.connection(), records, this.selectedDb);
  }
}

export async function writeRecords(
  connection: Commands,
  records: KeyRecord[],
  selectedDb = 0,
): Promise<WriteResult> {
  const batch = new OutgoingCommands(connection.pipelineEncoded !== undefined);
  let db = selectedDb;
  /** Index of each record's last command: its reply decides the record's outcome with the others. */
  const ends: number[] = new Array(records.length);
  let bytes = 0;
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    if (record.db !== undefined && record.db !== db) {
      db = record.db;
      batch.push(["SELECT", db]);
    }
    if (record.kind === "encoded") batch.pushEncoded(record.count, record.bytes);
    else if (record.kind === "delete") batch.push(["DEL", record.key]);
    else if (record.kind === "commands") batch.push(...record.commands);
    else if (record.kind === "value") {
      const expireAt = record.expireAt === NO_EXPIRY ? undefined : record.expireAt;
      batch.push(["DEL", record.key], ...writeCommands(record.value, { key: record.key, expireAt }));
      bytes += record.key.length + record.bytes;
    } else if (record.kind === "big") {
      // Nothing to send: it needs the source (see the result loop).
    } else {
      batch.push(
        record.expireAt === NO_EXPIRY
          ? ["RESTORE", record.key, 0, record.payload, "REPLACE"]
          : ["RESTORE", record.key, record.expireAt, record.payload, "REPLACE", "ABSTTL"],
      );
      bytes += record.key.length + record.payload.length;
    }
    ends[i] = batch.count;
  }
  if (db !== selectedDb) batch.push(["SELECT", selectedDb]);
  const replies = await batch.send(connection);
  const result: WriteResult = { written: 0, deleted: 0, bytes, failures: [], failedRecords: [] };
  let start = 0;
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    const error = firstError(replies, start, ends[i]);
    start = ends[i];
    if (record.kind === "big") {
      result.failures.push({
        key: record.key,
        stage: "write",
        code: "other",
        reason: "a key above --big-key-threshold needs the windowed writer",
        advice: "report this: big keys are copied by FallbackWriter",
      });
      result.failedRecords.push(record);
    } else if (error) {
      result.failures.push(
        keyFailure(
          record.key,
          "write",
          error,
          record.kind === "commands" || record.kind === "encoded" ? record.origin : undefined,
        ),
      );
      result.failedRecords.push(record);
    } else if (record.kind === "delete") result.deleted++;
    else result.written++;
  }
  return result;
}

function firstError(replies: unknown[], from: number, to: number): ErrorReply | undefined {
  for (let i = from; i < to; i++) if (replies[i] instanceof ErrorReply) return replies[i] as ErrorReply;
  return undefined;
}

/**
 * The commands of one write round trip, in order. Encoded records go as their bytes when the connection
 * takes bytes (`direct`): plain commands between them are encoded in runs, and the bytes are joined (without
 * a copy when they lie side by side in one buffer, as records encoded one after the other do). Otherwise
 * encoded records are split back into commands.
 */
class OutgoingCommands {
  /** Commands so far. */
  count = 0;
  private commands: Command[] = [];
  private parts: Uint8Array[] = [];

  constructor(private readonly direct: boolean) {}

  push(...commands: Command[]): void {
    for (const command of commands) this.commands.push(command);
    this.count += commands.length;
  }

  pushEncoded(count: number, bytes: Uint8Array): void {
    if (!this.direct) {
      this.push(...splitEncodedCommands(bytes));
      return;
    }
    if (this.commands.length > 0) {
      this.parts.push(encodeCommands(this.commands));
      this.commands = [];
    }
    this.parts.push(bytes);
    this.count += count;
  }

  send(connection: Commands): Promise<RespValue[]> {
    if (this.parts.length === 0) return connection.pipeline(this.commands);
    if (this.commands.length > 0) this.parts.push(encodeCommands(this.commands));
    return connection.pipelineEncoded!(this.count, joinBytes(this.parts));
  }
}

/** The parts one after the other: a view when they are adjacent views of one buffer, else one copy. */
function joinBytes(parts: Uint8Array[]): Uint8Array {
  const first = parts[0];
  let size = first.length;
  let adjacent = true;
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i];
    if (adjacent && (part.buffer !== first.buffer || part.byteOffset !== first.byteOffset + size)) {
      adjacent = false;
    }
    size += part.length;
  }
  if (adjacent) return new Uint8Array(first.buffer, first.byteOffset, size);
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
