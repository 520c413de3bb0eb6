/** The column-to-text helpers and database URLs, as data. */
import assert from "node:assert/strict";
import { byteaHex, isoTimestamp } from "../src/sql/type_mapping.ts";
import { DatabaseUrlError, describe, parseDatabaseUrl, redactUrl } from "../src/sql/database_url.ts";

Deno.test({
  name: "isoTimestamp() puts a T between date and time and writes offsets as +HH:MM",
  permissions: "none",
  fn() {
    const cases: [string, string][] = [
      ["2024-05-01 12:30:00.123+00", "2024-05-01T12:30:00.123+00:00"],
      ["2024-05-01 12:30:00+02", "2024-05-01T12:30:00+02:00"],
      ["2024-05-01 12:30:00-05:30", "2024-05-01T12:30:00-05:30"],
      ["2024-05-01 12:30:00", "2024-05-01T12:30:00"],
      ["2024-05-01 12:30:00.5", "2024-05-01T12:30:00.5"],
      ["infinity", "infinity"],
    ];
    for (const [input, iso] of cases) assert.equal(isoTimestamp(input), iso);
    assert.deepEqual([...byteaHex("\\x00ff10")], [0, 255, 16]);
  },
});

Deno.test({
  name: "parseDatabaseUrl() reads riot's and RIOT's JDBC URLs; describe() and redactUrl() hide the password",
  permissions: "none",
  fn() {
    const pg = parseDatabaseUrl("jdbc:postgresql://app:p%40ss@db.local/shop?sslmode=require");
    assert.deepEqual(pg, {
      dialect: "postgres",
      host: "db.local",
      port: 5432,
      database: "shop",
      user: "app",
      password: "p@ss",
      params: { sslmode: "require" },
    });
    assert.equal(describe(pg), "PostgreSQL db.local:5432/shop");
    const my = parseDatabaseUrl("jdbc:mariadb://db:3307/x?user=u&password=secret", undefined, "other");
    assert.equal(my.dialect, "mysql");
    assert.equal(my.port, 3307);
    assert.equal(my.user, "u");
    assert.equal(my.password, "other");
    assert.equal(parseDatabaseUrl("jdbc:sqlite:/tmp/a.db").path, "/tmp/a.db");
    assert.equal(parseDatabaseUrl("sqlite:rel.db").path, "rel.db");
    assert.throws(() => parseDatabaseUrl("oracle://x"), DatabaseUrlError);
    assert.throws(() => parseDatabaseUrl("sqlite:"), DatabaseUrlError);
    assert.equal(redactUrl("postgres://u:secret@h/db?password=x"), "postgres://u:***@h/db?password=***");
  },
});
