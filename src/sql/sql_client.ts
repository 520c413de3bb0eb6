/**
 * What riot needs of a SQL database, whatever the driver: rows of a query streamed (never loaded whole),
 * a row count for progress, and batches of parameterized statements in transactions.
 *
 * - `rows(query, fetch)` yields the rows in chunks of at most `fetch` (one await per chunk), one Fields per
 *   row, columns in the query's order, values mapped to text as
 *   type_mapping.ts says (NULL is null; binary stays bytes). PostgreSQL reads through a server-side cursor,
 *   `fetch` rows per round trip; MySQL/MariaDB stream the result set row by row with back-pressure;
 *   SQLite steps the statement. Ending the iteration early closes the cursor.
 * - `count(query)` is `SELECT count(*)` of the query (undefined when the database refuses it).
 * - `runBatch(statement, rows)` runs the statement (positional parameters, see named_params.ts) once per
 *   row, all in one transaction. When the transaction fails, it is rolled back and every row is run again
 *   on its own, so the rows that fail are known: the result lists them with the database's words.
 * - Errors name the database (never its password) and say what to check.
 */
import type { Fields } from "../expr/mod.ts";
import type { SqlDialect } from "./database_url.ts";

export type SqlParam = string | number | bigint | boolean | null | Uint8Array;

export interface RowFailure {
  /** Index of the row in the batch. */
  index: number;
  message: string;
}

export interface BatchResult {
  written: number;
  failures: RowFailure[];
}

export interface SqlClient {
  readonly dialect: SqlDialect;
  rows(query: string, fetch: number): AsyncIterable<Fields[]>;
  count(query: string): Promise<number | undefined>;
  runBatch(statement: string, rows: SqlParam[][]): Promise<BatchResult>;
  /** Runs a statement without rows (tests, setup). */
  execute(statement: string): Promise<void>;
  close(): Promise<void>;
}

/** A database error for the user: what failed, the database's words, and the database (no password). */
export class SqlError extends Error {
  override name = "SqlError";
}

/** The query wrapped as a count of its rows (a trailing semicolon removed). */
export function countQuery(query: string): string {
  return `SELECT count(*) AS riot_count FROM (${query.trim().replace(/;+\s*$/, "")}) riot_counted`;
}
