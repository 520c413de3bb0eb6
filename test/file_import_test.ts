/**
 * `riot file-import` end to end against a real server: each file format and its edge cases, gzip, stdin,
 * an HTTP URL served by the test, globs, processing, and the failures a user must hear about. Fixtures are
 * written by the tests; what arrived is read back with our own connection.
 */
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { connect } from "../src/redis/connect.ts";
import type { RedisConnection } from "../src/redis/connection.ts";
import { DEFAULT_CONNECTION } from "../src/redis/options.ts";
import { toText } from "../resp/mod.ts";
import { riot } from "./_riot.ts";
import { RedisServer, serverTest } from "./_server.ts";

interface Env {
  port: string;
  dir: string;
  c: RedisConnection;
  write(name: string, content: string | Uint8Array): Promise<string>;
}

async function withEnv(fn: (env: Env) => Promise<void>) {
  await using server = await RedisServer.start();
  const dir = await Deno.makeTempDir({ prefix: "riot-files-" });
  const c = await connect({ ...DEFAULT_CONNECTION, port: server.port, resp: 2 });
  try {
    await fn({
      port: String(server.port),
      dir,
      c,
      async write(name, content) {
        const path = `${dir}/${name}`;
        if (typeof content === "string") await Deno.writeTextFile(path, content);
        else await Deno.writeFile(path, content);
        return path;
      },
    });
  } finally {
    c.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const text = (value: unknown) => toText(value as Uint8Array);
async function hash(c: RedisConnection, key: string): Promise<Record<string, string>> {
  const flat = (await c.call("HGETALL", key)) as Uint8Array[];
  const out: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) out[text(flat[i])] = text(flat[i + 1]);
  return out;
}

const HSET = ["hset", "--keyspace", "r", "--key", "id"];

serverTest({
  name: "CSV: quotes, doubled quotes, embedded newlines, a UTF-8 BOM, empty fields, short lines",
  fn: () =>
    withEnv(async ({ port, c, write }) => {
      const file = await write(
        "people.csv",
        '\ufeffid,name,note,city\r\n1,"Lovelace, Ada","said ""hi""",London\r\n2,Grace,"two\nlines",\r\n\r\n3,Linus\r\n',
      );
      const run = await riot(["file-import", "-p", port, file, "--header", ...HSET]);
      assert.equal(run.code, 0, run.err);
      assert.deepEqual(await hash(c, "r:1"), {
        id: "1",
        name: "Lovelace, Ada",
        note: 'said "hi"',
        city: "London",
      });
      assert.deepEqual(await hash(c, "r:2"), { id: "2", name: "Grace", note: "two\nlines", city: "" });
      assert.deepEqual(await hash(c, "r:3"), { id: "3", name: "Linus" });
      assert.match(run.err, /read 3, written 3, failed 0/);
    }),
});

serverTest({
  name:
    "CSV: a malformed line and a line with too many values in the middle are reported; the rest is imported",
  fn: () =>
    withEnv(async ({ port, c, write }) => {
      const file = await write("bad.csv", 'id,name\n1,a\n2,"b"x\n3,c\n4,d,extra\n5,e\n');
      const run = await riot(["file-import", "-p", port, file, "--header", ...HSET]);
      assert.equal(run.code, 1);
      assert.match(run.err, /bad\.csv:3: malformed line/);
      assert.match(run.err, /bad\.csv:5: 3 values on a line of 2 fields/);
      assert.equal(await c.call("EXISTS", "r:1", "r:3", "r:5"), 3);
      assert.equal(await c.call("EXISTS", "r:2", "r:4"), 0);
      assert.match(run.err, /failed 2/);
    }),
});

serverTest({
  name: "TSV, PSV, --delimiter, --fields without a header, --skip-lines, --header-line, --max",
  fn: () =>
    withEnv(async ({ port, c, write }) => {
      const tsv = await write("a.tsv", "id\tname\n1\tx\n");
      const psv = await write("b.psv", "id|name\n2|y\n");
      const semi = await write("c.txt", "junk\n3;z\n4;w\n5;v\n");
      const late = await write("d.csv", "# export\n# of 2024\nid,name\n6,u\n");
      assert.equal((await riot(["file-import", "-p", port, tsv, psv, "--header", ...HSET])).code, 0);
      const run = await riot([
        "file-import",
        "-p",
        port,
        semi,
        "--type",
        "csv",
        "--delimiter",
        ";",
        "--fields",
        "id",
        "name",
        "--skip-lines",
        "1",
        "--max",
        "2",
        ...HSET,
      ]);
      assert.equal(run.code, 0, run.err);
      assert.equal((await riot(["file-import", "-p", port, late, "--header-line", "3", ...HSET])).code, 0);
      assert.equal(text(await c.call("HGET", "r:1", "name")), "x");
      assert.equal(text(await c.call("HGET", "r:2", "name")), "y");
      assert.equal(text(await c.call("HGET", "r:4", "name")), "w");
      assert.equal(await c.call("EXISTS", "r:5"), 0);
      assert.equal(text(await c.call("HGET", "r:6", "name")), "u");
    }),
});

serverTest({
  name: "fixed-width: --ranges as start columns or from-to, values trimmed",
  fn: () =>
    withEnv(async ({ port, c, write }) => {
      const file = await write("cities.dat", "1       Paris          FR\n22      Rome           IT\n");
      const run = await riot([
        "file-import",
        "-p",
        port,
        file,
        "--type",
        "fw",
        "--ranges",
        "1",
        "9",
        "24",
        "--fields",
        "id",
        "name",
        "country",
        ...HSET,
      ]);
      assert.equal(run.code, 0, run.err);
      assert.deepEqual(await hash(c, "r:22"), { id: "22", name: "Rome", country: "IT" });
      const ranged = await riot([
        "file-import",
        "-p",
        port,
        file,
        "--type",
        "fw",
        "--ranges",
        "1-8,9-15",
        "--fields",
        "id",
        "name",
        "hset",
        "--keyspace",
        "f",
        "--key",
        "id",
      ]);
      assert.equal(ranged.code, 0, ranged.err);
      assert.deepEqual(await hash(c, "f:1"), { id: "1", name: "Paris" });
    }),
});

serverTest({
  name: "JSON: an array streamed element by element, nested fields flattened to a.b and a[0]; JSON lines",
  fn: () =>
    withEnv(async ({ port, c, write }) => {
      const array = await write(
        "beers.json",
        '[\n {"id": 1, "name": "IPA", "brewery": {"name": "B", "city": "X"}, "tags": ["hop", "bitter"], "abv": 6.5},\n' +
          ' {"id": 2, "name": "Stout \\"dark\\"", "ok": true, "none": null}\n]\n',
      );
      const lines = await write("more.jsonl", '{"id": 3, "name": "Lager"}\n\n{"id": 4, "name": "Ale"}\n');
      const run = await riot(["file-import", "-p", port, array, lines, ...HSET]);
      assert.equal(run.code, 0, run.err);
      assert.deepEqual(await hash(c, "r:1"), {
        id: "1",
        name: "IPA",
        "brewery.name": "B",
        "brewery.city": "X",
        "tags[0]": "hop",
        "tags[1]": "bitter",
        abv: "6.5",
      });
      assert.deepEqual(await hash(c, "r:2"), { id: "2", name: 'Stout "dark"', ok: "true" });
      assert.equal(text(await c.call("HGET", "r:4", "name")), "Ale");
    }),
});

serverTest({
  name: "JSON: an invalid element is reported with its line; an array left open is reported at the end",
  fn: () =>
    withEnv(async ({ port, c, write }) => {
      const bad = await write("bad.json", '[{"id": 1},\n{"id": 2, oops},\n{"id": 3}\n');
      const run = await riot(["file-import", "-p", port, bad, ...HSET]);
      assert.equal(run.code, 1);
      assert.match(run.err, /bad\.json:2: invalid JSON/);
      assert.match(run.err, /bad\.json:4: not a JSON array of records: the JSON array is not closed/);
      assert.equal(await c.call("EXISTS", "r:1", "r:3"), 2);
    }),
});

serverTest({
  name: "XML: each child of the root is a record; attributes and nested elements become fields",
  fn: () =>
    withEnv(async ({ port, c, write }) => {
      const file = await write(
        "trades.xml",
        '<?xml version="1.0"?>\n<records>\n  <trade kind="buy">\n    <id>1</id>\n    <isin>XYZ0001</isin>\n' +
          "    <price><![CDATA[10.5]]></price>\n    <customer><name>Ann &amp; Co</name></customer>\n  </trade>\n" +
          "  <trade><id>2</id><isin>XYZ0002</isin></trade>\n</records>\n",
      );
      const run = await riot(["file-import", "-p", port, file, ...HSET]);
      assert.equal(run.code, 0, run.err);
      assert.deepEqual(await hash(c, "r:1"), {
        kind: "buy",
        id: "1",
        isin: "XYZ0001",
        price: "10.5",
        "customer.name": "Ann & Co",
      });
      assert.equal(text(await c.call("HGET", "r:2", "isin")), "XYZ0002");
    }),
});

serverTest({
  name: ".gz files are gunzipped on the fly, the type taken from the name before .gz; globs expand sorted",
  fn: () =>
    withEnv(async ({ port, c, dir, write }) => {
      await write("part-1.csv.gz", gzipSync(new TextEncoder().encode("id,name\n1,one\n")));
      await write("part-2.csv", "id,name\n2,two\n");
      const run = await riot(["file-import", "-p", port, `${dir}/part-*`, "--header", ...HSET, "--json"]);
      assert.equal(run.code, 0, run.err);
      assert.equal(JSON.parse(run.out).written, 2);
      assert.equal(text(await c.call("HGET", "r:1", "name")), "one");
      assert.equal(text(await c.call("HGET", "r:2", "name")), "two");
    }),
});

serverTest({
  name: "an http:// URL served by the test is streamed (gzip too); an HTTP error status is one clear line",
  fn: () =>
    withEnv(async ({ port, c }) => {
      const body = "id,name\n" + Array.from({ length: 500 }, (_, i) => `${i},n${i}`).join("\n") + "\n";
      await using http = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (request) => {
        const path = new URL(request.url).pathname;
        if (path === "/data.csv") return new Response(body);
        if (path === "/data.csv.gz") {
          return new Response(new Uint8Array(gzipSync(new TextEncoder().encode(body))));
        }
        return new Response("nope", { status: 404, statusText: "Not Found" });
      });
      const base = `http://127.0.0.1:${http.addr.port}`;
      const run = await riot(["file-import", "-p", port, `${base}/data.csv`, "--header", ...HSET]);
      assert.equal(run.code, 0, run.err);
      assert.equal(await c.call("DBSIZE"), 500);
      const gz = await riot([
        "file-import",
        "-p",
        port,
        `${base}/data.csv.gz`,
        "--header",
        "hset",
        "--keyspace",
        "g",
        "--key",
        "id",
      ]);
      assert.equal(gz.code, 0, gz.err);
      assert.equal(text(await c.call("HGET", "g:499", "name")), "n499");
      const missing = await riot(["file-import", "-p", port, `${base}/gone.csv`, "--header", ...HSET]);
      assert.equal(missing.code, 1);
      assert.match(missing.err, /Cannot fetch http:\/\/127\.0\.0\.1:\d+\/gone\.csv: HTTP 404 Not Found/);
    }),
});

serverTest({
  name: "- reads stdin (riot run as a process)",
  fn: () =>
    withEnv(async ({ port, c }) => {
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-all", "main.ts", "file-import", "-p", port, "-", "--type", "jsonl", ...HSET],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode('{"id": 1, "name": "in"}\n{"id": 2, "name": "put"}\n'));
      await writer.close();
      const { code, stderr } = await child.output();
      assert.equal(code, 0, new TextDecoder().decode(stderr));
      assert.equal(text(await c.call("HGET", "r:2", "name")), "put");
    }),
});

serverTest({
  name: "a missing file is one clear line and exit 1; bad usage is exit 2",
  fn: () =>
    withEnv(async ({ port, dir, write }) => {
      const run = await riot(["file-import", "-p", port, `${dir}/nope.csv`, "--header", ...HSET]);
      assert.equal(run.code, 1);
      assert.match(run.err, /Cannot read .*nope\.csv: no such file/);
      const file = await write("x.csv", "id\n1\n");
      const noHeader = await riot(["file-import", "-p", port, file, ...HSET]);
      assert.equal(noHeader.code, 2);
      assert.match(noHeader.err, /give --header .* or --fields/);
      const noOp = await riot(["file-import", "-p", port, file, "--header"]);
      assert.equal(noOp.code, 2);
      const unknownType = await riot(["file-import", "-p", port, `${dir}/x.bin`, ...HSET]);
      assert.equal(unknownType.code, 2);
      assert.match(unknownType.err, /give --type/);
    }),
});

serverTest({
  name:
    "--filter, --proc (with remove, #date.parse), --regex named groups; a bad expression points at its column",
  fn: () =>
    withEnv(async ({ port, c, write }) => {
      const file = await write(
        "p.csv",
        "id,first,last,age,when,code\n1,Ada,L,36,2024-01-31 10:00:00,FR-75\n2,Kid,K,9,2024-02-01 00:00:00,IT-00\n",
      );
      const run = await riot([
        "file-import",
        "-p",
        port,
        file,
        "--header",
        "--date-format",
        "yyyy-MM-dd HH:mm:ss",
        "--filter",
        "age > 18",
        "--proc",
        "name=first + ' ' + remove('last')",
        "--proc",
        "epoch=#date.parse(when).getTime()",
        "--regex",
        "code=(?<country>[A-Z]+)-(?<zip>\\d+)",
        "--json",
        ...HSET,
      ]);
      assert.equal(run.code, 0, run.err);
      const h = await hash(c, "r:1");
      assert.equal(h.name, "Ada L");
      assert.equal(h.last, undefined);
      assert.equal(h.epoch, String(Date.UTC(2024, 0, 31, 10)));
      assert.equal(h.country, "FR");
      assert.equal(h.zip, "75");
      assert.equal(await c.call("EXISTS", "r:2"), 0);
      assert.equal(JSON.parse(run.out).filtered, 1);
      const bad = await riot(["file-import", "-p", port, file, "--header", "--filter", "age >> 3", ...HSET]);
      assert.equal(bad.code, 2);
      assert.match(
        bad.err,
        /--filter: the expression does not parse: expected a value, found '>' at column 6\nage >> 3\n {5}\^/,
      );
    }),
});

serverTest({
  name: "--skip-limit stops the run once more records failed; the key template form hset 'k:#{id}' works",
  fn: () =>
    withEnv(async ({ port, c, write }) => {
      const rows = Array.from({ length: 2000 }, (_, i) => i % 2 === 0 ? `${i},${i}` : `${i},x`).join("\n");
      const file = await write("s.csv", `id,name\n${rows}\n`);
      const run = await riot([
        "file-import",
        "-p",
        port,
        file,
        "--header",
        "--batch",
        "100",
        "--skip-limit",
        "10",
        "hset",
        "k:#{id}",
        "zadd",
        "--keyspace",
        "z",
        "--member",
        "id",
        "--score",
        "name",
        "--json",
      ]);
      assert.equal(run.code, 1);
      const result = JSON.parse(run.out);
      assert.match(result.skipLimit, /more than --skip-limit 10/);
      assert.ok(result.read < 2000, String(result.read));
      assert.ok(await c.call("EXISTS", "k:0") === 1);
    }),
});

serverTest({
  name: "the target may be named before the command (classic form); after a write operation it is refused",
  fn: () =>
    withEnv(async ({ port, c, write }) => {
      const file = await write("x.csv", "id,name\n1,a\n");
      const classic = await riot(["-p", port, "file-import", file, "--header", ...HSET]);
      assert.equal(classic.code, 0, classic.err);
      assert.equal(text(await c.call("HGET", "r:1", "name")), "a");
      const late = await riot(["file-import", file, "--header", ...HSET, "-p", port]);
      assert.equal(late.code, 2);
      assert.match(late.err, /-p names the target: put it before the first write operation \(hset\)/);
      const cluster = await riot(["file-import", "-p", port, "-c", file, "--header", ...HSET]);
      assert.equal(cluster.code, 2);
    }),
});

serverTest({
  name: "XML: malformed XML ends the file with its line reported; the records before it are imported",
  fn: () =>
    withEnv(async ({ port, c, write }) => {
      const file = await write(
        "bad.xml",
        "<records>\n<r><id>1</id></r>\n<r><id>2</id></oops>\n<r><id>3</id></r>\n</records>\n",
      );
      const run = await riot(["file-import", "-p", port, file, ...HSET]);
      assert.equal(run.code, 1);
      assert.match(run.err, /bad\.xml:3: malformed XML/);
      assert.equal(await c.call("EXISTS", "r:1"), 1);
    }),
});
