/**
 * db-import against real databases (PostgreSQL, MariaDB, SQLite files) and a real redis-server: rows
 * become hashes with the documented type mapping, streamed through a cursor; bad queries, wrong
 * credentials and missing files fail with the database's words.
 */
import assert from "node:assert/strict";
import { toText } from "../resp/mod.ts";
import { jsonOf, raw, uri } from "./_replicate_util.ts";
import { riot } from "./_riot.ts";
import { RedisServer, serverTest } from "./_server.ts";
import { MARIADB_URL, openTestDatabase, POSTGRES_URL, sqlTest, tableName } from "./_sql.ts";

async function hashOf(server: RedisServer, key: string): Promise<Record<string, string>> {
  const c = await raw(server);
  try {
    const reply = await c.call("HGETALL", key);
    const items = Array.isArray(reply) ? reply : (reply as { entries: unknown[][] }).entries.flat();
    const out: Record<string, string> = {};
    for (let i = 0; i < items.length; i += 2) out[toText(items[i] as never)] = toText(items[i + 1] as never);
    return out;
  } finally {
    c.close();
  }
}

async function bytesField(server: RedisServer, key: string, field: string): Promise<number[]> {
  const c = await raw(server);
  try {
    return [...(await c.call("HGET", key, field) as Uint8Array)];
  } finally {
    c.close();
  }
}

sqlTest("postgres", {
  name: "db-import from PostgreSQL: 2500 rows through a cursor become hashes, types mapped exactly",
  async fn() {
    await using server = await RedisServer.start();
    const db = await openTestDatabase(POSTGRES_URL);
    const table = tableName("pg");
    try {
      await db.execute(
        `CREATE TABLE ${table} (id int PRIMARY KEY, big int8, price numeric(12,2), ratio float8,
        active bool, at timestamptz, day date, raw bytea, doc jsonb, note text)`,
      );
      await db.execute(
        `INSERT INTO ${table} SELECT g, 9223372036854775807 - g, g * 1.10, 0.1::float8 * g, g % 2 = 0,
        timestamptz '2024-05-01 12:30:00.5+02' + g * interval '1 second', date '2024-05-01', '\\x00ff'::bytea,
        '{"a": [1, 2]}'::jsonb, CASE WHEN g % 3 = 0 THEN NULL ELSE 'n' || g END FROM generate_series(1, 2500) g`,
      );
      const run = await riot([
        "db-import",
        "-u",
        uri(server),
        "--url",
        POSTGRES_URL,
        `SELECT * FROM ${table} ORDER BY id`,
        "--keyspace",
        "order",
        "--fetch",
        "100",
        "--json",
      ]);
      assert.equal(run.code, 0, run.err);
      const result = jsonOf(run);
      assert.equal(result.read, 2500);
      assert.equal(result.written, 2500);
      assert.equal(result.total, 2500);
      assert.deepEqual(await hashOf(server, "order:3"), {
        id: "3",
        big: "9223372036854775804",
        price: "3.30",
        ratio: "0.30000000000000004",
        active: "false",
        at: "2024-05-01T10:30:03.5+00:00",
        day: "2024-05-01",
        raw: "\u0000\ufffd",
        doc: '{"a": [1, 2]}',
      });
      assert.deepEqual(await bytesField(server, "order:3", "raw"), [0, 255]);
      assert.equal((await hashOf(server, "order:4")).note, "n4");
      assert.equal(await server.cli("DBSIZE"), "2500");
    } finally {
      await db.execute(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
      await db.close();
    }
  },
});

sqlTest("mysql", {
  name: "db-import from MariaDB: rows streamed, decimals as printed, dates ISO, JSON as text, BLOB as bytes",
  async fn() {
    await using server = await RedisServer.start();
    const db = await openTestDatabase(MARIADB_URL);
    const table = tableName("my");
    try {
      await db.execute(`CREATE TABLE ${table} (id int PRIMARY KEY, big bigint, price decimal(12,2),
        at datetime(3), day date, raw blob, doc json, note varchar(20))`);
      const rows = Array.from(
        { length: 1200 },
        (_, i) =>
          `(${i + 1}, ${9007199254740993n + BigInt(i)}, ${
            i + 1
          }.10, '2024-05-01 12:30:00.250', '2024-05-01', x'00ff',
          '{"a": 1}', ${i % 3 === 0 ? "NULL" : `'n${i + 1}'`})`,
      );
      await db.execute(`INSERT INTO ${table} VALUES ${rows.join(",")}`);
      const run = await riot([
        "db-import",
        "-u",
        uri(server),
        "--jdbc-url",
        MARIADB_URL.replace("mysql://root@", "jdbc:mariadb://"),
        "--jdbc-user",
        "root",
        `SELECT * FROM ${table}`,
        "--json",
        "hset",
        "--keyspace",
        "o",
        "--key",
        "id",
      ]);
      assert.equal(run.code, 0, run.err);
      assert.equal(jsonOf(run).written, 1200);
      assert.deepEqual(await hashOf(server, "o:1"), {
        id: "1",
        big: "9007199254740993",
        price: "1.10",
        at: "2024-05-01T12:30:00.250",
        day: "2024-05-01",
        raw: "\u0000\ufffd",
        doc: '{"a": 1}',
      });
      assert.deepEqual(await bytesField(server, "o:1", "raw"), [0, 255]);
      assert.equal((await hashOf(server, "o:2")).note, "n2");
      assert.equal(await server.cli("DBSIZE"), "1200");
    } finally {
      await db.execute(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
      await db.close();
    }
  },
});

serverTest({
  name: "db-import from a SQLite file: big integers exact, BLOBs as bytes, NULL left out, --filter applies",
  async fn() {
    await using server = await RedisServer.start();
    const dir = await Deno.makeTempDir();
    const path = `${dir}/data.db`;
    try {
      const { DatabaseSync } = await import("node:sqlite");
      const db = new DatabaseSync(path);
      db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, big INTEGER, r REAL, b BLOB, s TEXT)");
      const insert = db.prepare("INSERT INTO t VALUES (?, ?, ?, ?, ?)");
      db.exec("BEGIN"); // one transaction: a commit per row waits for the disk each time
      for (let i = 1; i <= 300; i++) {
        insert.run(
          i,
          9223372036854775807n - BigInt(i),
          i / 10,
          Uint8Array.of(0, 255, i),
          i % 2 ? null : `s${i}`,
        );
      }
      db.exec("COMMIT");
      db.close();
      const run = await riot([
        "db-import",
        "-u",
        uri(server),
        "--url",
        `sqlite:${path}`,
        "SELECT * FROM t",
        "--filter",
        "id <= 100",
        "--keyspace",
        "t",
        "--key-column",
        "id",
        "--json",
      ]);
      assert.equal(run.code, 0, run.err);
      const result = jsonOf(run);
      assert.equal(result.read, 300);
      assert.equal(result.written, 100);
      assert.equal(result.filtered, 200);
      assert.deepEqual(await hashOf(server, "t:1"), {
        id: "1",
        big: "9223372036854775806",
        r: "0.1",
        b: "\u0000\ufffd\u0001",
      });
      assert.equal((await hashOf(server, "t:2")).s, "s2");
      assert.deepEqual(await bytesField(server, "t:7", "b"), [0, 255, 7]);
      assert.equal(await server.cli("DBSIZE"), "100");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

serverTest({
  name: "db-import: a missing SQLite file, a bad query and bad options fail with one clear line",
  async fn() {
    await using server = await RedisServer.start();
    const dir = await Deno.makeTempDir();
    try {
      let run = await riot([
        "db-import",
        "-u",
        uri(server),
        "--url",
        `sqlite:${dir}/nope.db`,
        "SELECT 1",
        "--keyspace",
        "a",
      ]);
      assert.equal(run.code, 1);
      assert.match(run.err, /Cannot open sqlite:.*nope\.db: the file does not exist/);
      const { DatabaseSync } = await import("node:sqlite");
      new DatabaseSync(`${dir}/ok.db`).close();
      run = await riot([
        "db-import",
        "-u",
        uri(server),
        "--url",
        `sqlite:${dir}/ok.db`,
        "SELEC 1",
        "--keyspace",
        "a",
      ]);
      assert.equal(run.code, 1);
      assert.match(run.err, /The query failed on sqlite:.*ok\.db: .*syntax error/);
      run = await riot(["db-import", "-u", uri(server), "SELECT 1", "--keyspace", "a"]);
      assert.equal(run.code, 2);
      assert.match(run.err, /--url/);
      run = await riot([
        "db-import",
        "-u",
        uri(server),
        "--url",
        "oracle://x",
        "SELECT 1",
        "--keyspace",
        "a",
      ]);
      assert.equal(run.code, 2);
      assert.match(run.err, /expected postgres:\/\/, mysql:\/\/, mariadb:\/\/, sqlite:PATH/);
      run = await riot(["db-import", "-u", uri(server), "--url", `sqlite:${dir}/ok.db`, "SELECT 1"]);
      assert.equal(run.code, 2);
      assert.match(run.err, /--keyspace PREFIX \[--key-column COLUMN\]/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

sqlTest("postgres", {
  name: "db-import from PostgreSQL: a bad query fails with the server's words",
  async fn() {
    await using server = await RedisServer.start();
    const run = await riot([
      "db-import",
      "-u",
      uri(server),
      "--url",
      POSTGRES_URL,
      "SELECT * FROM imports_db_no_such_table",
      "--keyspace",
      "x",
      "--progress",
      "none",
    ]);
    assert.equal(run.code, 1);
    assert.match(
      run.err,
      /The query failed on PostgreSQL 127\.0\.0\.1:5432\/test: relation "imports_db_no_such_table" does not exist/,
    );
  },
});

sqlTest("mysql", {
  name: "db-import from MariaDB: wrong credentials fail with the server's words and never show the password",
  async fn() {
    await using server = await RedisServer.start();
    const run = await riot([
      "db-import",
      "-u",
      uri(server),
      "--url",
      MARIADB_URL,
      "--jdbc-user",
      "imports_db_nobody",
      "--jdbc-pass-env",
      "DB_PW",
      "SELECT 1",
      "--keyspace",
      "x",
    ], { DB_PW: "s3cret-pw" });
    assert.equal(run.code, 1);
    assert.match(
      run.err,
      /Cannot connect to MySQL 127\.0\.0\.1:3306\/test: Access denied/,
    );
    assert.doesNotMatch(run.err + run.out, /s3cret-pw/);
  },
});
