/**
 * db-export against real databases: hashes become rows through named parameters and come back through
 * db-import identical; a refused row is reported with its key and the database's words, the rest of its
 * transaction is still written; a missing field binds NULL.
 */
import assert from "node:assert/strict";
import type { Command } from "../resp/mod.ts";
import type { Fields } from "../src/expr/mod.ts";
import { assertSameData } from "./_digest.ts";
import { jsonOf, raw, uri } from "./_replicate_util.ts";
import { riot } from "./_riot.ts";
import { RedisServer, serverTest } from "./_server.ts";
import { MARIADB_URL, openTestDatabase, POSTGRES_URL, sqlTest, tableName } from "./_sql.ts";

const KEYS = 1200;

async function populate(server: RedisServer): Promise<void> {
  const c = await raw(server);
  try {
    const commands: Command[] = [];
    for (let i = 1; i <= KEYS; i++) {
      commands.push(["HSET", `order:${i}`, "total", `${i}.25`, "bin", Uint8Array.of(0, 0xff, i % 256)]);
      if (i % 2 === 0) commands.push(["HSET", `order:${i}`, "note", `n${i}`]);
    }
    commands.push(["HSET", "order:bad", "total", "not-a-number"]);
    commands.push(["RPUSH", "order:list", "x"]);
    await c.pipeline(commands);
  } finally {
    c.close();
  }
}

async function allRows(url: string, table: string): Promise<Fields[]> {
  const db = await openTestDatabase(url);
  try {
    const rows: Fields[] = [];
    for await (const chunk of db.rows(`SELECT * FROM ${table} ORDER BY id`, 500)) rows.push(...chunk);
    return rows;
  } finally {
    await db.close();
  }
}

function roundTrip(dialect: "postgres" | "mysql" | "sqlite", url: () => string, ddl: (t: string) => string) {
  const test = dialect === "sqlite"
    ? serverTest
    : (definition: Deno.TestDefinition) => sqlTest(dialect, definition);
  test({
    name: `db-export to ${dialect}: hashes become rows and come back identical; a refused row names its key`,
    async fn() {
      await using source = await RedisServer.start();
      await using back = await RedisServer.start();
      const table = tableName("export");
      const db = await openTestDatabase(url());
      try {
        await db.execute(ddl(table));
        await populate(source);
        let run = await riot([
          "db-export",
          "-u",
          uri(source),
          "--url",
          url(),
          "--key-pattern",
          "order:*",
          "--key-regex",
          "order:(?<id>.*)",
          "--batch",
          "100",
          "--json",
          `INSERT INTO ${table} (id, total, note, bin) VALUES (:id, :total, :note, :bin)`,
        ]);
        assert.equal(run.code, 1, run.err);
        const result = jsonOf(run).export;
        assert.equal(result.written, KEYS);
        assert.equal(result.failed, 2);
        const reasons = result.failures.map((f: { key: string; reason: string }) => `${f.key}: ${f.reason}`)
          .sort();
        assert.match(reasons[0], /^order:bad: .*(integer|numeric|decimal|datatype mismatch)/i);
        assert.equal(reasons[1], "order:list: a list cannot become a row");
        const rows = await allRows(url(), table);
        assert.equal(rows.length, KEYS);
        const third = rows.find((row) => row.get("id") === "3")!;
        assert.equal(third.get("note"), null, "a missing field binds NULL");
        assert.deepEqual([...third.get("bin") as Uint8Array], [0, 255, 3]);
        run = await riot([
          "db-import",
          "-u",
          uri(back),
          "--url",
          url(),
          `SELECT id, total, note, bin FROM ${table}`,
          "--keyspace",
          "order",
          "--progress",
          "none",
        ]);
        assert.equal(run.code, 0, run.err);
        const c = await raw(source);
        await c.call("DEL", "order:bad", "order:list");
        await c.pipeline(
          Array.from({ length: KEYS }, (_, i) => ["HSET", `order:${i + 1}`, "id", String(i + 1)]),
        );
        c.close();
        await assertSameData(source, back, { count: KEYS });
      } finally {
        await db.execute(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
        await db.close();
        if (dialect === "sqlite" && sqliteDir) await Deno.remove(sqliteDir, { recursive: true });
      }
    },
  });
}

let sqliteDir: string | undefined;
function sqliteUrl(): string {
  sqliteDir ??= Deno.makeTempDirSync();
  const path = `${sqliteDir}/export.db`;
  try {
    Deno.statSync(path);
  } catch {
    Deno.writeFileSync(path, new Uint8Array());
  }
  return `sqlite:${path}`;
}

roundTrip(
  "postgres",
  () => POSTGRES_URL,
  (t) => `CREATE TABLE ${t} (id int PRIMARY KEY, total numeric(12,2) NOT NULL, note text, bin bytea)`,
);
roundTrip(
  "mysql",
  () => MARIADB_URL,
  (t) => `CREATE TABLE ${t} (id int PRIMARY KEY, total decimal(12,2) NOT NULL, note text, bin blob)`,
);
roundTrip(
  "sqlite",
  sqliteUrl,
  (t) =>
    `CREATE TABLE ${t} (id INTEGER PRIMARY KEY, total TEXT NOT NULL CHECK (total GLOB '[0-9]*.[0-9]*'), note TEXT, bin BLOB)`,
);

serverTest({
  name: "db-export: a statement the database cannot run is reported for each key, with its words",
  async fn() {
    await using source = await RedisServer.start();
    const dir = await Deno.makeTempDir();
    try {
      const c = await raw(source);
      await c.pipeline([["HSET", "h:1", "a", "1"], ["HSET", "h:2", "a", "2"]]);
      c.close();
      Deno.writeFileSync(`${dir}/x.db`, new Uint8Array());
      const run = await riot([
        "db-export",
        "-u",
        uri(source),
        "--url",
        `sqlite:${dir}/x.db`,
        "--progress",
        "none",
        "INSERT INTO missing_table VALUES (:a)",
      ]);
      assert.equal(run.code, 1);
      assert.match(run.err, /2 key\(s\) not copied: no such table: missing_table/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
