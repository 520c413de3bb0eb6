/**
 * Write operations of imports (`hset`, `set`, `rpush`, ... on the command line): each turns one record
 * into the Redis commands that write it. Chained operations run in order on the same record, and their
 * commands travel together as one `commands` record (src/pipeline/record.ts).
 *
 *   interface WriteOperation { name; ignoreMissing; write(fields) -> { key, commands } }
 *   createOperation(name, options)   (operations.ts) builds one from parsed options; RangeError when the
 *                                    options do not fit it (the CLI turns that into a usage error)
 *   RecordError                      thrown by write() for a record that cannot be written: a missing
 *                                    field (`missing` true: --ignore-missing skips the operation instead),
 *                                    a score that is not a number, nothing to write
 *
 * `write()` is pure: it reads the record and never changes it.
 */
import type { Command } from "../../../resp/mod.ts";
import type { Fields } from "../../expr/mod.ts";

export interface OperationWrite {
  key: Uint8Array;
  commands: Command[];
}

export interface WriteOperation {
  readonly name: string;
  /** --ignore-missing: a record missing a field this operation needs skips the operation, not the run. */
  readonly ignoreMissing: boolean;
  write(fields: Fields): OperationWrite;
}

export class RecordError extends Error {
  override name = "RecordError";
  constructor(message: string, readonly missing = false) {
    super(message);
  }
}

/** Options every operation takes, and those of each (see operations.ts for which uses what). */
export interface OperationOptions {
  keyspace?: string;
  /** Fields whose values make the key, joined with `keySeparator` after the keyspace. */
  keys: string[];
  keySeparator: string;
  /** A `#{...}` key template (RIOT-X's `hset beer:#{id}`), instead of keyspace and keys. */
  keyTemplate?: string;
  ignoreMissing: boolean;
  /** hset, xadd, set/json.set as JSON: only these fields / all but these. */
  include?: string[];
  exclude?: string[];
  /** set / json.set: write this field's value as it is, instead of the record as JSON. */
  field?: string;
  /** rpush, lpush, sadd, zadd, geoadd: fields that make the member, with an optional prefix. */
  members?: string[];
  memberSpace?: string;
  /** zadd. */
  score?: string;
  scoreDefault?: number;
  /** xadd. */
  maxlen?: number;
  approximate?: boolean;
  /** geoadd. */
  lon?: string;
  lat?: string;
  /** expire: milliseconds, or a field holding them; `abs` for unix-ms expiry times. */
  ttl?: number;
  ttlField?: string;
  abs?: boolean;
  /** json.set path (default `$`). */
  path?: string;
  /** ts.add: timestamp field (default `*`, the server's clock) and value field. */
  timestamp?: string;
  value?: string;
}
