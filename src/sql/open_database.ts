/** Opens the SqlClient for a database target (sql_client.ts), whichever its dialect. */
import type { DatabaseTarget } from "./database_url.ts";
import { openMysql } from "./mysql_client.ts";
import { openPostgres } from "./postgres_client.ts";
import type { SqlClient } from "./sql_client.ts";
import { openSqlite } from "./sqlite_client.ts";

export function openDatabase(target: DatabaseTarget, timeoutMs = 10_000): Promise<SqlClient> {
  switch (target.dialect) {
    case "postgres":
      return openPostgres(target, timeoutMs);
    case "mysql":
      return openMysql(target, timeoutMs);
    case "sqlite":
      return openSqlite(target);
  }
}
