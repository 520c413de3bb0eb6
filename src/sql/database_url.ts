/**
 * Where a SQL database is: riot's `--url` (`postgres://`, `postgresql://`, `mysql://`, `mariadb://`,
 * `sqlite:PATH`) or RIOT's `--jdbc-url` (`jdbc:postgresql://host:port/db`, `jdbc:mysql://...`,
 * `jdbc:mariadb://...`, `jdbc:sqlite:PATH`), with the user and password from the URL or given apart
 * (`--jdbc-user`, `--jdbc-pass`, `--jdbc-pass-env`). Pure: the environment is read by the caller.
 *
 * `describe()` prints a database without its password, for logs and errors.
 */

export type SqlDialect = "postgres" | "mysql" | "sqlite";

export interface DatabaseTarget {
  dialect: SqlDialect;
  /** Server databases. */
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: string;
  /** Query parameters of the URL (sslmode=require, ...). */
  params: Record<string, string>;
  /** SQLite: the file (":memory:" allowed). */
  path?: string;
}

/** A URL riot cannot read: the message says which form it expects. */
export class DatabaseUrlError extends Error {
  override name = "DatabaseUrlError";
}

const DEFAULT_PORTS: Record<"postgres" | "mysql", number> = { postgres: 5432, mysql: 3306 };

/** Parse a riot or JDBC URL; `user` and `password` given apart win over the URL's. */
export function parseDatabaseUrl(text: string, user?: string, password?: string): DatabaseTarget {
  const raw = text.trim();
  const url = raw.startsWith("jdbc:") ? raw.slice(5) : raw;
  const scheme = /^([a-z0-9]+):/i.exec(url)?.[1]?.toLowerCase();
  let target: DatabaseTarget;
  if (scheme === "sqlite") {
    const path = url.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "");
    if (path === "") {
      throw new DatabaseUrlError(`${redactUrl(raw)}: no file after sqlite: (write sqlite:PATH)`);
    }
    target = { dialect: "sqlite", path, params: {} };
  } else if (scheme === "postgres" || scheme === "postgresql" || scheme === "mysql" || scheme === "mariadb") {
    target = serverUrl(url, raw, scheme === "postgres" || scheme === "postgresql" ? "postgres" : "mysql");
  } else {
    throw new DatabaseUrlError(
      `${
        redactUrl(raw)
      }: expected postgres://, mysql://, mariadb://, sqlite:PATH or a jdbc: URL of one of them`,
    );
  }
  if (user !== undefined) target.user = user;
  if (password !== undefined) target.password = password;
  return target;
}

function serverUrl(url: string, raw: string, dialect: "postgres" | "mysql"): DatabaseTarget {
  let parsed: URL;
  try {
    parsed = new URL(url.replace(/^[a-z0-9]+:/i, "http:"));
  } catch {
    throw new DatabaseUrlError(
      `${redactUrl(raw)} is not a valid URL (expected ${dialect}://[user[:pass]@]host[:port]/database)`,
    );
  }
  const params: Record<string, string> = {};
  let user = parsed.username === "" ? undefined : decodeURIComponent(parsed.username);
  let password = parsed.password === "" ? undefined : decodeURIComponent(parsed.password);
  for (const [name, value] of parsed.searchParams) {
    if (name === "user") user = value;
    else if (name === "password") password = value;
    else params[name] = value;
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
  return {
    dialect,
    host: parsed.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1",
    port: parsed.port === "" ? DEFAULT_PORTS[dialect] : Number(parsed.port),
    database: database === "" ? undefined : database,
    user,
    password,
    params,
  };
}

/** A URL with its password as ***: everything between :// and the last @, and password= in the query. */
export function redactUrl(text: string): string {
  return text
    .replace(/(\/\/[^/@]*?:)[^/]*@/, "$1***@")
    .replace(/([?&]password=)[^&]*/i, "$1***");
}

/** The database for messages, never with its password. */
export function describe(target: DatabaseTarget): string {
  if (target.dialect === "sqlite") return `sqlite:${target.path}`;
  // Not a URL, and no user: the log redacts what the command line's URIs hold (users included).
  const name = target.dialect === "postgres" ? "PostgreSQL" : "MySQL";
  return `${name} ${target.host}:${target.port}${target.database ? `/${target.database}` : ""}`;
}
