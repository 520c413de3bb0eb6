/** compileNamed(): named parameters to each dialect's placeholders, quotes, comments and casts left alone. */
import assert from "node:assert/strict";
import { compileNamed } from "../src/sql/named_params.ts";

Deno.test({
  name: "compileNamed() numbers PostgreSQL parameters once per name and leaves casts and quotes alone",
  permissions: "none",
  fn() {
    assert.deepEqual(
      compileNamed(
        "INSERT INTO t (a, b, c) VALUES (:id, :name::text, ':not', :id) -- :no\n/* :no */",
        "postgres",
      ),
      {
        sql: "INSERT INTO t (a, b, c) VALUES ($1, $2::text, ':not', $1) -- :no\n/* :no */",
        names: ["id", "name"],
      },
    );
  },
});

Deno.test({
  name: "compileNamed() gives MySQL and SQLite one ? per use",
  permissions: "none",
  fn() {
    const cases: [string, string, string[]][] = [
      ["VALUES (:a, :b, :a)", "VALUES (?, ?, ?)", ["a", "b", "a"]],
      ["SELECT 'it''s :x', \"q:y\", `z:w`, :v", "SELECT 'it''s :x', \"q:y\", `z:w`, ?", ["v"]],
      ["SELECT '10:30', x:y, :_p1", "SELECT '10:30', x:y, ?", ["_p1"]],
      ["SELECT ':unterminated", "SELECT ':unterminated", []],
    ];
    for (const [input, sql, names] of cases) assert.deepEqual(compileNamed(input, "mysql"), { sql, names });
  },
});
