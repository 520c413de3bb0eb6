/**
 * Options that name a SQL database (db-import, db-export): `--url` or RIOT's `--jdbc-url`, with
 * `--jdbc-user`, `--jdbc-pass` or `--jdbc-pass-env VAR` (RIOT_DB_PASSWORD is read last). Bad URLs and
 * missing variables are usage errors; the password never appears in a message.
 */
import { type DatabaseTarget, DatabaseUrlError, parseDatabaseUrl } from "../sql/database_url.ts";
import type { Environment } from "./connection_flags.ts";
import { type OptionSpec, type ParsedValues, UsageError } from "./parse.ts";

export const DATABASE_SPECS: readonly OptionSpec[] = [
  {
    long: "url",
    kind: "string",
    key: "dbUrl",
    arg: "URL",
    help: "The database: postgres://user@host:5432/db, mysql://... (or mariadb://), sqlite:PATH",
  },
  {
    long: "jdbc-url",
    kind: "string",
    key: "dbUrl",
    arg: "URL",
    help:
      "RIOT's form: jdbc:postgresql://host:port/db, jdbc:mysql://..., jdbc:mariadb://..., jdbc:sqlite:PATH",
  },
  {
    long: "jdbc-user",
    aliases: ["db-user"],
    kind: "string",
    key: "dbUser",
    arg: "NAME",
    help: "Database user",
  },
  {
    long: "jdbc-pass",
    aliases: ["db-pass"],
    kind: "string",
    key: "dbPass",
    arg: "PASSWORD",
    help: "Database password (prefer --jdbc-pass-env: a password on the command line shows in ps)",
  },
  {
    long: "jdbc-pass-env",
    aliases: ["db-pass-env"],
    kind: "string",
    key: "dbPassEnv",
    arg: "VAR",
    help: "Read the database password from the environment variable VAR",
    defaultText: "RIOT_DB_PASSWORD when set",
  },
];

export function databaseFrom(values: ParsedValues, env: Environment): DatabaseTarget {
  const url = values.dbUrl as string | undefined;
  if (url === undefined) {
    throw new UsageError("Name the database with --url (postgres://, mysql://, sqlite:PATH) or --jdbc-url");
  }
  if (values.dbPass !== undefined && values.dbPassEnv !== undefined) {
    throw new UsageError("--jdbc-pass and --jdbc-pass-env both give the password: keep one of them");
  }
  let password = values.dbPass as string | undefined;
  if (values.dbPassEnv !== undefined) {
    const name = values.dbPassEnv as string;
    password = env.get(name);
    if (password === undefined || password === "") {
      throw new UsageError(
        `--jdbc-pass-env ${name}: the environment variable ${name} is not set (or is empty)`,
      );
    }
  }
  password ??= env.get("RIOT_DB_PASSWORD") || undefined;
  try {
    return parseDatabaseUrl(url, values.dbUser as string | undefined, password);
  } catch (error) {
    if (error instanceof DatabaseUrlError) throw new UsageError(error.message);
    throw error;
  }
}
