/**
 * Named parameters in a statement (`INSERT ... VALUES (:id, :name)`, RIOT's form) turned into the
 * dialect's positional ones: `$1, $2` for PostgreSQL, `?` for MySQL and SQLite. Pure.
 *
 * A name is `:` then a letter or `_`, then letters, digits and `_`. Not parameters: text in quotes
 * ('...', "...", `...`), comments (-- and /* *\/), PostgreSQL casts (`::int`), and a `:` after a word
 * character or `:`. The same name used twice is bound twice (PostgreSQL reuses its number).
 */
import type { SqlDialect } from "./database_url.ts";

export interface NamedStatement {
  /** The statement with positional placeholders. */
  sql: string;
  /** The parameter of each placeholder, in order ($n for PostgreSQL: names[n - 1]). */
  names: string[];
}

export function compileNamed(statement: string, dialect: SqlDialect): NamedStatement {
  const names: string[] = [];
  let sql = "";
  let i = 0;
  const n = statement.length;
  while (i < n) {
    const c = statement[i];
    if (c === "'" || c === '"' || c === "`") {
      const end = closingQuote(statement, i);
      sql += statement.slice(i, end);
      i = end;
    } else if (c === "-" && statement[i + 1] === "-") {
      const end = statement.indexOf("\n", i);
      const stop = end === -1 ? n : end;
      sql += statement.slice(i, stop);
      i = stop;
    } else if (c === "/" && statement[i + 1] === "*") {
      const end = statement.indexOf("*/", i + 2);
      const stop = end === -1 ? n : end + 2;
      sql += statement.slice(i, stop);
      i = stop;
    } else if (c === ":" && statement[i + 1] === ":") {
      sql += "::";
      i += 2;
    } else if (
      c === ":" && /[A-Za-z_]/.test(statement[i + 1] ?? "") && !/[\w:]/.test(statement[i - 1] ?? "")
    ) {
      let end = i + 1;
      while (end < n && /\w/.test(statement[end])) end++;
      const name = statement.slice(i + 1, end);
      if (dialect === "postgres") {
        let at = names.indexOf(name);
        if (at === -1) at = names.push(name) - 1;
        sql += `$${at + 1}`;
      } else {
        names.push(name);
        sql += "?";
      }
      i = end;
    } else {
      sql += c;
      i++;
    }
  }
  return { sql, names };
}

/** Index just past the quote that closes the one at `start` (a doubled quote stays inside). */
function closingQuote(text: string, start: number): number {
  const quote = text[start];
  let i = start + 1;
  while (i < text.length) {
    if (text[i] === "\\" && quote !== '"') i += 2;
    else if (text[i] === quote) {
      if (text[i + 1] === quote) i += 2;
      else return i + 1;
    } else i++;
  }
  return text.length;
}
