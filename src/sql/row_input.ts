/**
 * The rows of a query as an import input (the ImportInput shape of src/imports/import_source.ts): one
 * item per row, `origin` "row N" (1-based), progress in rows against `SELECT count(*)` of the query when
 * it was counted. Rows come from the client's stream (sql_client.ts), so memory holds one fetch.
 * A failed query rejects the iteration (the run stops with the database's words).
 */
import type { Fields } from "../expr/mod.ts";
import type { SqlClient } from "./sql_client.ts";

const CHUNK = 256;

export class SqlRowInput {
  readonly progress: { done: number; total?: number; unit: string } = { done: 0, unit: "rows" };

  constructor(
    private readonly client: SqlClient,
    private readonly query: string,
    private readonly fetch: number,
    total?: number,
  ) {
    if (total !== undefined) this.progress.total = total;
  }

  /** Rows in chunks of up to CHUNK (ImportInput yields chunks: one await per chunk, not per row). */
  async *items(signal?: AbortSignal): AsyncGenerator<{ value: Fields; origin: string }[]> {
    let chunk: { value: Fields; origin: string }[] = [];
    for await (const row of this.client.rows(this.query, this.fetch)) {
      this.progress.done++;
      chunk.push({ value: row, origin: `row ${this.progress.done}` });
      if (chunk.length >= CHUNK) {
        yield chunk;
        chunk = [];
        if (signal?.aborted) return;
      }
    }
    if (chunk.length > 0) yield chunk;
  }
}
