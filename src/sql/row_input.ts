/**
 * The rows of a query as an import input (the ImportInput shape of src/imports/import_source.ts): a chunk
 * of items per fetch, one per row, `origin` "row N" (1-based), progress in rows against `SELECT count(*)` of the query when
 * it was counted. Rows come from the client's stream (sql_client.ts), so memory holds one fetch.
 * A failed query rejects the iteration (the run stops with the database's words).
 */
import type { Fields } from "../expr/mod.ts";
import type { SqlClient } from "./sql_client.ts";

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

  /** One chunk of items per fetch of the client (ImportInput yields chunks: one await per chunk). */
  async *items(signal?: AbortSignal): AsyncGenerator<{ value: Fields; origin: string }[]> {
    for await (const rows of this.client.rows(this.query, this.fetch)) {
      yield rows.map((value) => ({ value, origin: `row ${++this.progress.done}` }));
      if (signal?.aborted) return;
    }
  }
}
