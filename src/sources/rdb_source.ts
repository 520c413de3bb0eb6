/**
 * RecordSource (src/pipeline/stages.ts) over an RDB file read as a byte stream: every key becomes a `dump`
 * record (the DUMP payload built from the file's value bytes, the absolute expiry, the file's database),
 * every function library a `commands` record (FUNCTION LOAD REPLACE with the library's code: what FUNCTION
 * RESTORE of its payload would do, but readable by a target of any RDB version), in batches of `batch`.
 *
 * - Filters: `filter` (globs on the original key) and `types` (type names) drop keys, counted in
 *   `summary.filtered`; `keyProc` renames the keys that pass.
 * - Databases: `db` sends every key to that database; without it each key keeps its file database.
 * - Memory: one chunk of the stream and one batch of records at a time (the transfer's queues bound the
 *   rest); the file reader bounds one item.
 * - The summary holds what the file said (version, aux fields, resize hints) and what was read, for the
 *   final count check; `summary.bytes` moves as the stream is consumed (progress by bytes).
 * - A bad file rejects the iteration with the reader's RdbFileError (it names the byte offset).
 */
import type { KeyRecord } from "../pipeline/record.ts";
import type { RecordBatch, RecordSource } from "../pipeline/stages.ts";
import { RdbFileReader, type RdbItem } from "../rdb/file_reader.ts";
import { moduleTypeName } from "../rdb/module_name.ts";
import { RDB_TYPE } from "../rdb/types.ts";

export interface RdbSourceOptions {
  batch: number;
  filter?: (key: Uint8Array) => boolean;
  /** Type names to keep (string, list, set, zset, hash, stream, module). */
  types?: ReadonlySet<string>;
  keyProc?: (key: Uint8Array, type: string, db: number) => Uint8Array;
  /** The database every key goes to; by default, the key's database in the file. */
  db?: number;
  maxItemBytes?: number;
}

export interface RdbSummary {
  version: number;
  /** Bytes of the stream consumed so far. */
  bytes: number;
  keys: number;
  /** Keys dropped by the filters. */
  filtered: number;
  /** Keys whose expiry had passed when read (the target drops them on RESTORE). */
  expired: number;
  functions: number;
  moduleAux: number;
  /** Keys seen per file database, and the key count its resize hint announced. */
  databases: Map<number, { keys: number; announced?: number }>;
  aux: Map<string, string>;
  /** The file's CRC64 when it had one (checked), or 0n. */
  checksum?: bigint;
}

const text = new TextDecoder();
/** How a function library record's `origin` starts ("function library <name>"). */
export const FUNCTION_ORIGIN = "function library";

export class RdbRecordSource implements RecordSource {
  readonly kind = "records" as const;
  readonly summary: RdbSummary = {
    version: 0,
    bytes: 0,
    keys: 0,
    filtered: 0,
    expired: 0,
    functions: 0,
    moduleAux: 0,
    databases: new Map(),
    aux: new Map(),
  };

  readonly #reader: RdbFileReader;

  /** `input`: a byte stream (a ReadableStream is one), read once. */
  constructor(
    private readonly input: AsyncIterable<Uint8Array>,
    private readonly options: RdbSourceOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.#reader = new RdbFileReader({ maxItemBytes: options.maxItemBytes });
  }

  /** True once the file's end marker was read (a diskless sync's snapshot ends there). */
  get done(): boolean {
    return this.#reader.done;
  }

  /** Bytes that came after the file's end marker (taken). */
  rest(): Uint8Array {
    return this.#reader.rest();
  }

  async *batches(signal?: AbortSignal): AsyncGenerator<RecordBatch> {
    const reader = this.#reader;
    let batch: KeyRecord[] = [];
    const pull = () => {
      const full: KeyRecord[][] = [];
      for (let item = reader.next(); item !== undefined; item = reader.next()) {
        const record = this.#record(item);
        if (record) batch.push(record);
        if (batch.length >= this.options.batch) {
          full.push(batch);
          batch = [];
        }
      }
      return full;
    };
    for await (const chunk of this.input) {
      reader.feed(chunk);
      this.summary.bytes += chunk.length;
      for (const records of pull()) yield { records, read: records.length, failures: [] };
      if (signal?.aborted) return;
    }
    reader.end();
    for (const records of pull()) yield { records, read: records.length, failures: [] };
    if (batch.length > 0) yield { records: batch, read: batch.length, failures: [] };
  }

  #record(item: RdbItem): KeyRecord | undefined {
    const summary = this.summary;
    switch (item.kind) {
      case "header":
        summary.version = item.version;
        return undefined;
      case "aux":
        summary.aux.set(text.decode(item.name), text.decode(item.value));
        return undefined;
      case "resize":
        this.#database(item.db).announced = item.keys;
        return undefined;
      case "module-aux":
        summary.moduleAux++;
        return undefined;
      case "end":
        summary.checksum = item.checksum;
        return undefined;
      case "function": {
        summary.functions++;
        const name = /name=(\S+)/.exec(text.decode(item.code.subarray(0, 256)))?.[1] ?? "?";
        return {
          kind: "commands",
          key: new TextEncoder().encode(name),
          commands: [["FUNCTION", "LOAD", "REPLACE", item.code]],
          origin: `${FUNCTION_ORIGIN} ${name}`,
        };
      }
      case "key": {
        summary.keys++;
        this.#database(item.db).keys++;
        const { filter, types, keyProc, db } = this.options;
        if ((filter && !filter(item.key)) || (types && !types.has(rdbTypeName(item.rdbType)))) {
          summary.filtered++;
          return undefined;
        }
        if (item.expireAt !== -1 && item.expireAt <= this.now()) summary.expired++;
        const payload = item.payload;
        // #{type} as TYPE would say it: a module value by its module's type name.
        const type = () => moduleTypeName(payload) ?? rdbTypeName(item.rdbType);
        return {
          kind: "dump",
          key: keyProc ? keyProc(item.key, type(), item.db) : item.key,
          payload,
          expireAt: item.expireAt,
          db: db ?? item.db,
        };
      }
    }
    return undefined;
  }

  #database(db: number): { keys: number; announced?: number } {
    let entry = this.summary.databases.get(db);
    if (!entry) this.summary.databases.set(db, entry = { keys: 0 });
    return entry;
  }
}

/** The type name TYPE would answer for a key of RDB type `rdbType` ("module" for module values). */
export function rdbTypeName(rdbType: number): string {
  switch (rdbType) {
    case RDB_TYPE.STRING:
      return "string";
    case RDB_TYPE.LIST:
    case RDB_TYPE.LIST_ZIPLIST:
    case RDB_TYPE.LIST_QUICKLIST:
    case RDB_TYPE.LIST_QUICKLIST_2:
      return "list";
    case RDB_TYPE.SET:
    case RDB_TYPE.SET_INTSET:
    case RDB_TYPE.SET_LISTPACK:
      return "set";
    case RDB_TYPE.ZSET:
    case RDB_TYPE.ZSET_2:
    case RDB_TYPE.ZSET_ZIPLIST:
    case RDB_TYPE.ZSET_LISTPACK:
      return "zset";
    case RDB_TYPE.STREAM_LISTPACKS:
    case RDB_TYPE.STREAM_LISTPACKS_2:
    case RDB_TYPE.STREAM_LISTPACKS_3:
      return "stream";
    case RDB_TYPE.MODULE_PRE_GA:
    case RDB_TYPE.MODULE_2:
      return "module";
  }
  return "hash";
}
