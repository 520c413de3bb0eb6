/**
 * SQL databases for tests: the local PostgreSQL (127.0.0.1:5432, trust, db `test`) and MariaDB
 * (127.0.0.1:3306, root, db `test`), probed once; a test that needs one that does not answer is ignored
 * with the reason in its name. Tables get a random suffix so that parallel runs never share one.
 */
import { parseDatabaseUrl } from "../src/sql/database_url.ts";
import { openDatabase } from "../src/sql/open_database.ts";
import type { SqlClient } from "../src/sql/sql_client.ts";

export const POSTGRES_URL = Deno.env.get("RIOT_TEST_POSTGRES_URL") ??
  "postgres://postgres@127.0.0.1:5432/test";
export const MARIADB_URL = Deno.env.get("RIOT_TEST_MARIADB_URL") ?? "mysql://root@127.0.0.1:3306/test";

async function reachable(url: string): Promise<string | undefined> {
  try {
    const client = await openDatabase(parseDatabaseUrl(url), 3000);
    await client.close();
    return undefined;
  } catch (error) {
    return (error as Error).message.split("\n")[0];
  }
}

const missing = {
  postgres: await reachable(POSTGRES_URL),
  mysql: await reachable(MARIADB_URL),
};

/** A test that needs the database of `dialect`; ignored (and saying why) when it does not answer. */
export function sqlTest(dialect: "postgres" | "mysql", definition: Deno.TestDefinition): void {
  const why = missing[dialect];
  const name = dialect === "postgres" ? "PostgreSQL" : "MariaDB";
  Deno.test(
    why === undefined
      ? definition
      : { ...definition, name: `${definition.name} (skipped: ${name} not reachable: ${why})`, ignore: true },
  );
}

export function openTestDatabase(url: string): Promise<SqlClient> {
  return openDatabase(parseDatabaseUrl(url), 5000);
}

/** A table name of this branch with a random suffix. */
export function tableName(stem: string): string {
  return `imports_db_${stem}_${crypto.randomUUID().slice(0, 8)}`;
}
