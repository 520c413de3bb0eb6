/**
 * The one record type that flows from readers to writers. Keys, payloads and arguments are bytes end to
 * end.
 *
 * - `dump`: a DUMP payload and its absolute expiry (`expireAt`, unix ms, or `NO_EXPIRY`); the writer
 *   restores it with REPLACE, so writing the same record twice is harmless.
 * - `commands`: the key written by ordinary commands (type-based copy, imports); `origin` names where the
 *   record came from (a file line, a row) for reports. The commands must be safe to send twice.
 * - `encoded`: `commands` already encoded as RESP (`count` commands in `bytes`), as imports make them: the
 *   record holds one view of bytes instead of the arrays and strings the commands were made of.
 * - `value`: the key's value as read by type commands (--struct), with its absolute expiry; the writer
 *   rebuilds it by type (src/rdb/commands.ts), replacing whatever the target had under that key.
 * - `big`: a key above --big-key-threshold, named but not read: the writer copies it from the source in
 *   windows (HSCAN, SSCAN, ZSCAN, LRANGE, GETRANGE) into a temporary key, so no client buffer holds it whole.
 * - `delete`: the key is gone from the source; the writer deletes it on the target.
 *
 * `db`, when set, is the database the record goes to (an RDB file or a replication stream spans several);
 * without it the record goes to the database the writer's connection has selected.
 */
import type { Command } from "../../resp/mod.ts";
import type { RdbValue } from "../rdb/value.ts";

export const NO_EXPIRY = -1;

export interface DumpRecord {
  db?: number;
  kind: "dump";
  key: Uint8Array;
  payload: Uint8Array;
  expireAt: number;
}

export interface CommandsRecord {
  db?: number;
  kind: "commands";
  key: Uint8Array;
  commands: Command[];
  origin?: string;
}

export interface EncodedRecord {
  db?: number;
  kind: "encoded";
  key: Uint8Array;
  /** `count` commands as RESP (a view the record owns: never written to). */
  bytes: Uint8Array;
  count: number;
  origin?: string;
}

export interface ValueRecord {
  db?: number;
  kind: "value";
  key: Uint8Array;
  value: RdbValue;
  expireAt: number;
  /** Bytes of members, fields and values read (the record's weight in the queue). */
  bytes: number;
}

export interface BigRecord {
  db?: number;
  kind: "big";
  key: Uint8Array;
  /** TYPE as the source said it. */
  type: string;
  /** MEMORY USAGE on the source. */
  bytes: number;
  /** The key's name on the target when --key-proc renames it (else `key`). */
  targetKey?: Uint8Array;
}

export interface DeleteRecord {
  db?: number;
  kind: "delete";
  key: Uint8Array;
}

export type KeyRecord = DumpRecord | CommandsRecord | EncodedRecord | ValueRecord | BigRecord | DeleteRecord;

/** Bytes a record holds in memory (its weight in the bounded queue). */
export function recordWeight(record: KeyRecord): number {
  if (record.kind === "dump") return record.key.length + record.payload.length;
  if (record.kind === "delete" || record.kind === "big") return record.key.length;
  if (record.kind === "value") return record.key.length + record.bytes;
  if (record.kind === "encoded") return record.key.length + record.bytes.length;
  let bytes = record.key.length;
  for (const command of record.commands) {
    for (const arg of command) bytes += arg instanceof Uint8Array ? arg.length : 16;
  }
  return bytes;
}
