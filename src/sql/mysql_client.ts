/**
 * SqlClient (sql_client.ts) for MySQL and MariaDB with the `mysql2` driver. Rows are streamed from the
 * server as they come (the text protocol, paused while riot is behind, so memory holds a few rows, not the
 * result); every value is read as the server's text and mapped by type_mapping.ts. MySQL has no server-side
 * cursor for plain queries: `fetch` only sizes the chunks handed out.
 */
import mysql from "mysql2";
import type { Fields, FieldValue } from "../expr/mod.ts";
import { type DatabaseTarget, describe } from "./database_url.ts";
import { type BatchResult, countQuery, type SqlClient, SqlError, type SqlParam } from "./sql_client.ts";
import { isoTimestamp } from "./type_mapping.ts";

/** Types read as the server's text, so that no number is rounded and dates keep their digits. */
const TEXT_TYPES = new Set([
  "DECIMAL",
  "NEWDECIMAL",
  "TINY",
  "SHORT",
  "LONG",
  "INT24",
  "LONGLONG",
  "FLOAT",
  "DOUBLE",
  "YEAR",
  "DATE",
  "NEWDATE",
  "TIME",
]);

interface CastField {
  type: string;
  /** MariaDB marks JSON columns (LONGTEXT underneath) with the format "json". */
  extendedFormat?: string;
  string(encoding?: string): string | null;
  buffer(): Uint8Array | null;
}

/**
 * Numbers and dates as the server's text (DATETIME/TIMESTAMP in ISO 8601), JSON as its UTF-8 text, BIT as
 * bytes; everything else as the driver reads it (binary strings as bytes, text as text).
 */
function typeCast(field: CastField, next: () => unknown): unknown {
  if (TEXT_TYPES.has(field.type)) return field.string();
  if (field.type === "DATETIME" || field.type === "TIMESTAMP") {
    const text = field.string();
    return text === null ? null : isoTimestamp(text);
  }
  if (field.type === "JSON" || field.extendedFormat === "json") return field.string("utf8");
  if (field.type === "BIT") return field.buffer();
  return next();
}

export async function openMysql(target: DatabaseTarget, timeoutMs: number): Promise<SqlClient> {
  const connection = mysql.createConnection({
    host: target.host,
    port: target.port,
    database: target.database,
    user: target.user ?? "root",
    password: target.password,
    connectTimeout: timeoutMs,
    typeCast: typeCast as unknown as mysql.TypeCast,
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    ssl: target.params.ssl === "true" || target.params.sslMode === "REQUIRED" ? {} : undefined,
  });
  const client = new MysqlClient(connection, target);
  try {
    await connection.promise().connect();
  } catch (error) {
    connection.destroy();
    throw new SqlError(`Cannot connect to ${describe(target)}: ${messageOf(error, target)}`);
  }
  return client;
}

function messageOf(error: unknown, target: DatabaseTarget): string {
  let message = (error as Error).message ?? String(error);
  if (target.password) message = message.replaceAll(target.password, "***");
  return message;
}

class MysqlClient implements SqlClient {
  readonly dialect = "mysql" as const;

  constructor(private readonly connection: mysql.Connection, private readonly target: DatabaseTarget) {
    connection.on("error", () => {}); // a lost connection fails the pending query; nothing else to do
  }

  async *rows(query: string, fetch: number): AsyncGenerator<Fields[]> {
    const query_ = this.connection.query({ sql: query, rowsAsArray: true });
    let columns: string[] = [];
    query_.on("fields", (fields: { name: string }[]) => columns = fields.map((field) => field.name));
    const stream = query_.stream({ highWaterMark: 256 });
    try {
      let chunk: Fields[] = [];
      for await (const row of stream as AsyncIterable<unknown[]>) {
        const fields: Fields = new Map();
        row.forEach((value, i) => fields.set(columns[i] ?? String(i), toField(value)));
        chunk.push(fields);
        if (chunk.length >= fetch) {
          yield chunk;
          chunk = [];
        }
      }
      if (chunk.length > 0) yield chunk;
    } catch (error) {
      throw new SqlError(`The query failed on ${describe(this.target)}: ${messageOf(error, this.target)}`);
    } finally {
      stream.destroy();
    }
  }

  async count(query: string): Promise<number | undefined> {
    try {
      const [rows] = await this.connection.promise().query({ sql: countQuery(query), rowsAsArray: true });
      return Number((rows as unknown[][])[0][0]);
    } catch {
      return undefined;
    }
  }

  async runBatch(statement: string, rows: SqlParam[][]): Promise<BatchResult> {
    const promise = this.connection.promise();
    const run = (params: SqlParam[]) => promise.query(statement, params.map(toMysqlParam));
    try {
      await promise.beginTransaction();
      for (const params of rows) await run(params);
      await promise.commit();
      return { written: rows.length, failures: [] };
    } catch {
      await promise.rollback().catch(() => {});
    }
    const result: BatchResult = { written: 0, failures: [] };
    for (let index = 0; index < rows.length; index++) {
      try {
        await run(rows[index]);
        result.written++;
      } catch (error) {
        result.failures.push({ index, message: messageOf(error, this.target) });
      }
    }
    return result;
  }

  async execute(statement: string): Promise<void> {
    await this.connection.promise().query(statement);
  }

  async close(): Promise<void> {
    await this.connection.promise().end().catch(() => this.connection.destroy());
  }
}

function toField(value: unknown): FieldValue {
  if (value === null || value === undefined) return null;
  if (value instanceof Uint8Array) return new Uint8Array(value.buffer, value.byteOffset, value.length);
  if (typeof value === "string") return value;
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function toMysqlParam(value: SqlParam): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.length);
  if (typeof value === "bigint") return value.toString();
  return value;
}
