/**
 * SqlClient (sql_client.ts) for PostgreSQL with the `pg` driver and `pg-cursor`. Every value is read as
 * the server's text (no driver parsing, so no float rounding), then mapped by type_mapping.ts; the session
 * uses DateStyle ISO and IntervalStyle iso_8601.
 */
import pg from "pg";
import Cursor from "pg-cursor";
import type { Fields, FieldValue } from "../expr/mod.ts";
import { type DatabaseTarget, describe } from "./database_url.ts";
import { type BatchResult, countQuery, type SqlClient, SqlError, type SqlParam } from "./sql_client.ts";
import { byteaHex, isoTimestamp } from "./type_mapping.ts";

const BOOL = 16;
const BYTEA = 17;
const TIMESTAMP = 1114;
const TIMESTAMPTZ = 1184;

/** Every type as text: mapping happens per column in toFields(). */
const RAW_TYPES = { getTypeParser: () => (value: string) => value };

export async function openPostgres(target: DatabaseTarget, timeoutMs: number): Promise<SqlClient> {
  const client = new pg.Client({
    host: target.host,
    port: target.port,
    database: target.database,
    user: target.user ?? "postgres",
    password: target.password,
    ssl: target.params.sslmode === "require" ? { rejectUnauthorized: false } : undefined,
    connectionTimeoutMillis: timeoutMs,
    types: RAW_TYPES,
  });
  const name = describe(target);
  try {
    await client.connect();
    await client.query("SET DateStyle = 'ISO'; SET IntervalStyle = 'iso_8601'");
  } catch (error) {
    await client.end().catch(() => {});
    throw new SqlError(`Cannot connect to ${name}: ${messageOf(error, target)}`);
  }
  return new PostgresClient(client, target);
}

function messageOf(error: unknown, target: DatabaseTarget): string {
  let message = (error as Error).message ?? String(error);
  if (target.password) message = message.replaceAll(target.password, "***");
  return message;
}

class PostgresClient implements SqlClient {
  readonly dialect = "postgres" as const;

  constructor(private readonly client: pg.Client, private readonly target: DatabaseTarget) {}

  async *rows(query: string, fetch: number): AsyncGenerator<Fields[]> {
    const cursor = this.client.query(new Cursor(query, undefined, { rowMode: "array", types: RAW_TYPES }));
    let failed = false;
    const read = () =>
      this.read(cursor, fetch).catch((error) => {
        failed = true; // a failed cursor is already closed by the server: closing it again never answers
        throw error;
      });
    try {
      // The next fetch is asked for before this one's rows are handed out, so the server sends rows while
      // riot processes the previous ones: at most two fetches are held at once.
      let next = read();
      for (;;) {
        const { rows, columns } = await next;
        if (rows.length === 0) return;
        next = read();
        next.catch(() => {}); // awaited on the next turn; never an unhandled rejection if the consumer stops
        yield rows.map((row) => toFields(row, columns));
      }
    } finally {
      if (!failed) await cursor.close().catch(() => {});
    }
  }

  /** The next rows of the cursor and its columns (none once the cursor is done). */
  private read(
    cursor: Cursor,
    fetch: number,
  ): Promise<{ rows: (string | null)[][]; columns: pg.FieldDef[] }> {
    return new Promise((resolve, reject) => {
      cursor.read(fetch, (error: Error | undefined, rows: unknown[], result?: { fields: pg.FieldDef[] }) => {
        if (error) {
          reject(
            new SqlError(`The query failed on ${describe(this.target)}: ${messageOf(error, this.target)}`),
          );
        } else resolve({ rows: rows as unknown as (string | null)[][], columns: result?.fields ?? [] });
      });
    });
  }

  async count(query: string): Promise<number | undefined> {
    try {
      const result = await this.client.query(countQuery(query));
      return Number(result.rows[0].riot_count);
    } catch {
      return undefined;
    }
  }

  async runBatch(statement: string, rows: SqlParam[][]): Promise<BatchResult> {
    const run = (params: SqlParam[]) => this.client.query(statement, params.map(toPgParam));
    try {
      await this.client.query("BEGIN");
      for (const params of rows) await run(params);
      await this.client.query("COMMIT");
      return { written: rows.length, failures: [] };
    } catch {
      await this.client.query("ROLLBACK").catch(() => {});
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
    await this.client.query(statement);
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => {});
  }
}

function toPgParam(value: SqlParam): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.length);
  if (typeof value === "bigint") return value.toString();
  return value;
}

function toFields(row: (string | null)[], columns: pg.FieldDef[]): Fields {
  const fields: Fields = new Map();
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i];
    const raw = row[i];
    let value: FieldValue;
    if (raw === null || raw === undefined) value = null;
    else if (column.dataTypeID === BOOL) value = raw === "t" ? "true" : "false";
    else if (column.dataTypeID === BYTEA) value = byteaHex(raw);
    else if (column.dataTypeID === TIMESTAMP || column.dataTypeID === TIMESTAMPTZ) value = isoTimestamp(raw);
    else value = raw;
    fields.set(column.name, value);
  }
  return fields;
}
