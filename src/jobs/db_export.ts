/**
 * One db-export, wiring only: SCAN the keys (--key-pattern, --key-type, globs), read each hash (HGETALL)
 * or string (GET), make a row of named values and run the statement for it, rows in transactions of
 * `batch`. Nothing prints here; the UI watches `stats` and `total`.
 *
 * A row's values: `key` (the key's text), the named groups of `keyRegex` matched against the key, then the
 * hash's fields (or `value` for a string). A parameter the row has no value for is bound as NULL. Values
 * that are valid UTF-8 are bound as text, other bytes as binary. A key of another type is a failure; a
 * row the database refuses is a failure with its key and the database's words (the rest of the batch is
 * written: see SqlClient.runBatch).
 */
import { ErrorReply, latin1, RespMap, type RespValue } from "../../resp/mod.ts";
import type { Log } from "../log.ts";
import { failureCode, isRetriableCode, type KeyFailure, keyFailure } from "../pipeline/failure.ts";
import { ReplicationStats } from "../pipeline/stats.ts";
import { isClusterNode, oneNodeOfClusterNote } from "../redis/cluster/detect.ts";
import { Endpoint } from "../redis/endpoint.ts";
import type { ConnectionOptions } from "../redis/options.ts";
import type { RedisConnection } from "../redis/connection.ts";
import type { RetryPolicy } from "../retry.ts";
import { dbSize } from "../sources/dbsize.ts";
import type { ScanOptions } from "../sources/key_scanner.ts";
import { ScanSource } from "../sources/scan_source.ts";
import type { DatabaseTarget } from "../sql/database_url.ts";
import { compileNamed, type NamedStatement } from "../sql/named_params.ts";
import { openDatabase } from "../sql/open_database.ts";
import type { SqlClient, SqlParam } from "../sql/sql_client.ts";
import { textOf } from "../exports/byte_text.ts";

export interface DbExportConfig {
  source: ConnectionOptions;
  scan: ScanOptions;
  database: DatabaseTarget;
  statement: string;
  /** Rows per transaction. */
  batch: number;
  keyRegex?: RegExp;
  retry: RetryPolicy;
  timeoutMs: number;
}

const ROW_ADVICE = "the database refused the row: check the statement, the table and the key's values";
const TYPE_ADVICE = "db-export writes hashes and strings: select them with --key-type or --key-pattern";

interface PendingRow {
  key: Uint8Array;
  params: SqlParam[];
}

export class DbExportJob {
  readonly stats = new ReplicationStats();
  total: number | undefined;
  private readonly stopper = new AbortController();

  constructor(private readonly config: DbExportConfig, private readonly log: Log) {}

  stop(): void {
    this.stopper.abort();
  }

  async run(): Promise<{ stats: ReplicationStats; stopped: boolean }> {
    const config = this.config;
    const client = await openDatabase(config.database, config.timeoutMs);
    let source: Endpoint | undefined;
    try {
      source = await Endpoint.open(config.source, "source", 1);
      if (await isClusterNode(source.control)) this.log.warn(oneNodeOfClusterNote(source.name, "db-export"));
      const named = compileNamed(config.statement, client.dialect);
      this.total = await dbSize(source.control);
      const endpoint = source;
      const scan = new ScanSource(() => endpoint.control, {
        scan: config.scan,
        retry: config.retry,
        reconnect: () => endpoint.reconnect(),
        log: this.log,
      }, this.stats);
      let pending: PendingRow[] = [];
      for await (const batch of scan.batches(this.stopper.signal)) {
        if (batch.keys.length === 0) continue;
        pending.push(...await this.rowsOf(endpoint.worker(0), batch.keys, named));
        while (pending.length >= config.batch) {
          await this.write(client, named, pending.slice(0, config.batch));
          pending = pending.slice(config.batch);
        }
      }
      if (pending.length > 0) await this.write(client, named, pending);
      return { stats: this.stats, stopped: this.stopper.signal.aborted };
    } finally {
      source?.close();
      await client.close();
    }
  }

  /** The rows of these keys (keys gone are counted as vanished, other types as failures). */
  private async rowsOf(connection: RedisConnection, keys: Uint8Array[], named: NamedStatement) {
    const types = await connection.pipelineKeys([["TYPE"]], keys);
    const wanted: { key: Uint8Array; type: string }[] = [];
    const failures: KeyFailure[] = [];
    keys.forEach((key, i) => {
      const reply = types[i];
      if (reply instanceof ErrorReply) return failures.push(this.readFailure(key, reply));
      const type = typeof reply === "string" ? reply : latin1(reply as Uint8Array);
      if (type === "none") this.stats.vanished++;
      else if (type === "hash" || type === "string") wanted.push({ key, type });
      else failures.push(typeFailure(key, type));
    });
    const values = await connection.pipeline(
      wanted.map(({ key, type }) => type === "hash" ? ["HGETALL", key] : ["GET", key]),
    );
    const rows: PendingRow[] = [];
    wanted.forEach(({ key, type }, i) => {
      const reply = values[i];
      if (reply instanceof ErrorReply) return failures.push(this.readFailure(key, reply));
      if (reply === null) return this.stats.vanished++;
      this.stats.read++;
      const fields = this.fieldsOf(key, type, reply);
      rows.push({ key, params: named.names.map((name) => fields.get(name) ?? null) });
    });
    this.stats.addFailures(failures);
    return rows;
  }

  private readFailure(key: Uint8Array, error: ErrorReply): KeyFailure {
    if (isRetriableCode(failureCode(error))) throw error;
    return keyFailure(key, "read", error);
  }

  private fieldsOf(key: Uint8Array, type: string, reply: RespValue): Map<string, SqlParam> {
    const fields = new Map<string, SqlParam>();
    const keyText = textOf(key);
    fields.set("key", param(key));
    const groups = this.config.keyRegex?.exec(keyText)?.groups;
    if (groups) {
      for (const [name, value] of Object.entries(groups)) if (value !== undefined) fields.set(name, value);
    }
    if (type === "string") {
      fields.set("value", param(reply as Uint8Array));
      return fields;
    }
    const items = reply instanceof RespMap ? reply.entries.flat() : reply as RespValue[];
    for (let i = 0; i + 1 < items.length; i += 2) {
      fields.set(textOf(items[i] as Uint8Array), param(items[i + 1] as Uint8Array));
    }
    return fields;
  }

  private async write(client: SqlClient, named: NamedStatement, rows: PendingRow[]): Promise<void> {
    const result = await client.runBatch(named.sql, rows.map((row) => row.params));
    this.stats.written += result.written;
    this.stats.addFailures(result.failures.map(({ index, message }) => ({
      key: rows[index].key,
      stage: "write",
      code: "other",
      reason: message,
      advice: ROW_ADVICE,
    })));
  }
}

/** Text when the bytes are UTF-8, else the bytes (bound as binary). */
function param(bytes: Uint8Array): SqlParam {
  const text = textOf(bytes);
  return text.isWellFormed() ? text : bytes;
}

function typeFailure(key: Uint8Array, type: string): KeyFailure {
  return { key, stage: "read", code: "other", reason: `a ${type} cannot become a row`, advice: TYPE_ADVICE };
}
