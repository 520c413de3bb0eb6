/**
 * SqlClient (sql_client.ts) for SQLite files with Deno's built-in `node:sqlite`. Rows are stepped one at a
 * time from the statement; integers are read as BigInt so that none is rounded; REAL values print in the
 * shortest text that reads back the same double; BLOBs stay bytes. A missing file is an error (riot never
 * creates an empty database by mistake).
 */
import { DatabaseSync } from "node:sqlite";
import type { Fields, FieldValue } from "../expr/mod.ts";
import type { DatabaseTarget } from "./database_url.ts";
import { type BatchResult, countQuery, type SqlClient, SqlError, type SqlParam } from "./sql_client.ts";

export async function openSqlite(target: DatabaseTarget): Promise<SqlClient> {
  const path = target.path!;
  if (path !== ":memory:") {
    try {
      await Deno.stat(path);
    } catch {
      throw new SqlError(
        `Cannot open sqlite:${path}: the file does not exist (give the path of a SQLite database)`,
      );
    }
  }
  try {
    return new SqliteClient(new DatabaseSync(path), path);
  } catch (error) {
    throw new SqlError(`Cannot open sqlite:${path}: ${(error as Error).message}`);
  }
}

class SqliteClient implements SqlClient {
  readonly dialect = "sqlite" as const;

  constructor(private readonly db: DatabaseSync, private readonly path: string) {}

  async *rows(query: string, fetch: number): AsyncGenerator<Fields[]> {
    let statement;
    try {
      statement = this.db.prepare(query);
      statement.setReadBigInts(true);
    } catch (error) {
      throw new SqlError(`The query failed on sqlite:${this.path}: ${(error as Error).message}`);
    }
    const columns = statement.columns().map((column) => column.name);
    const iterator = statement.iterate() as Iterator<Record<string, unknown>>;
    for (;;) {
      const chunk: Fields[] = [];
      for (let step = this.step(iterator); !step.done; step = this.step(iterator)) {
        const fields: Fields = new Map();
        for (const name of columns) fields.set(name, toField(step.value[name]));
        chunk.push(fields);
        if (chunk.length >= fetch) break;
      }
      if (chunk.length === 0) return;
      yield chunk;
      await new Promise((resolve) => setTimeout(resolve, 0)); // let timers (progress, signals) run
    }
  }

  private step(iterator: Iterator<Record<string, unknown>>): IteratorResult<Record<string, unknown>> {
    try {
      return iterator.next();
    } catch (error) {
      throw new SqlError(`The query failed on sqlite:${this.path}: ${(error as Error).message}`);
    }
  }

  count(query: string): Promise<number | undefined> {
    try {
      const row = this.db.prepare(countQuery(query)).get() as { riot_count: number };
      return Promise.resolve(Number(row.riot_count));
    } catch {
      return Promise.resolve(undefined);
    }
  }

  runBatch(statement: string, rows: SqlParam[][]): Promise<BatchResult> {
    let prepared;
    try {
      prepared = this.db.prepare(statement);
    } catch (error) {
      const message = (error as Error).message;
      return Promise.resolve({ written: 0, failures: rows.map((_, index) => ({ index, message })) });
    }
    const run = (params: SqlParam[]) => prepared.run(...params.map(toSqliteParam));
    try {
      this.db.exec("BEGIN");
      for (const params of rows) run(params);
      this.db.exec("COMMIT");
      return Promise.resolve({ written: rows.length, failures: [] });
    } catch {
      try {
        this.db.exec("ROLLBACK");
      } catch { /* not in a transaction */ }
    }
    const result: BatchResult = { written: 0, failures: [] };
    rows.forEach((params, index) => {
      try {
        run(params);
        result.written++;
      } catch (error) {
        result.failures.push({ index, message: (error as Error).message });
      }
    });
    return Promise.resolve(result);
  }

  execute(statement: string): Promise<void> {
    this.db.exec(statement);
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.db.close();
    return Promise.resolve();
  }
}

function toField(value: unknown): FieldValue {
  if (value === null || value === undefined) return null;
  if (typeof value === "bigint" || typeof value === "number") return String(value);
  if (value instanceof Uint8Array) return value;
  return String(value);
}

function toSqliteParam(value: SqlParam): null | number | bigint | string | Uint8Array {
  if (typeof value === "boolean") return value ? 1 : 0;
  return value;
}
