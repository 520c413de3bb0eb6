/**
 * replicate and compare pointed at the wrong kind of server, on either side: a Redis Cluster node without
 * its cluster flag, or a cluster flag against a standalone server. Each must end with exit 2 and one line
 * that names the side and the flag to add or drop, before anything is written (checked with our own
 * connections on both sides). The same for generate (which writes to clusters with -c). file-export and
 * db-export read one server only: -c is refused in one line, and a cluster node without it is read (its
 * own keys, the way to export a cluster master by master) with a warning that says so. One 3-master
 * cluster for the file.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { RedisCluster } from "./_cluster.ts";
import { uri } from "./_replicate_util.ts";
import { riot } from "./_riot.ts";
import { RedisServer, redisServerMissing } from "./_server.ts";

/** Keys per server, as DBSIZE says: what the run must leave unchanged. */
async function sizes(servers: RedisServer[]): Promise<number[]> {
  return await Promise.all(servers.map(async (server) => Number((await server.cli("DBSIZE")).trim())));
}

Deno.test({
  name: "a cluster node without its flag, or a flag on a standalone server: one line naming side and flag",
  ignore: !!redisServerMissing,
  sanitizeResources: false,
  async fn(t) {
    await using cluster = await RedisCluster.start({ masters: 3 });
    await using plain = await RedisServer.start();
    await using other = await RedisServer.start();
    const node = cluster.nodes[0];
    for (let i = 0; i < 30; i++) await node.cli("-c", "SET", `c:${i}`, "v");
    await plain.cli("SET", "p", "1");
    const everyone = [...cluster.nodes, plain, other];
    const before = await sizes(everyone);
    const addr = (server: RedisServer) => ["-h", server.host, "-p", String(server.port)];

    const cases: { name: string; args: (command: string) => string[]; line: RegExp }[] = [
      {
        name: "cluster source without a flag",
        args: (command) => [command, uri(node), uri(other)],
        line: new RegExp(
          `^error: the source ${node.host}:${node.port} is a Redis Cluster node .*: add --source-cluster \\(or -c before the command\\)`,
        ),
      },
      {
        name: "cluster target without a flag",
        args: (command) => [command, uri(plain), uri(node)],
        line: new RegExp(
          `^error: the target ${node.host}:${node.port} is a Redis Cluster node .*: add --target-cluster \\(or -c after the command\\)`,
        ),
      },
      {
        name: "--source-cluster on a standalone source",
        args: (command) => [command, uri(plain), uri(other), "--source-cluster"],
        line: new RegExp(
          `^error: the source ${plain.host}:${plain.port} is not a cluster node .*: drop --source-cluster `,
        ),
      },
      {
        name: "-c after the command on a standalone target",
        args: (command) => [...addr(plain), command, ...addr(other), "-c"],
        line: new RegExp(`^error: the target ${other.host}:${other.port} is not a cluster node .*: drop -c `),
      },
      {
        name: "-c before the command on a standalone source, the cluster as target with its flag",
        args: (command) => [...addr(plain), "-c", command, uri(node), "--target-cluster"],
        line: new RegExp(`^error: the source ${plain.host}:${plain.port} is not a cluster node .*: drop -c `),
      },
    ];
    for (const command of ["replicate", "compare"]) {
      for (const { name, args, line } of cases) {
        await t.step(`${command}: ${name}`, async () => {
          const run = await riot([...args(command), "--progress", "none"]);
          assert.equal(run.code, 2, run.err);
          assert.equal(run.out, "");
          const lines = run.err.split("\n").filter((text) => text !== "");
          assert.equal(lines.length, 1, run.err);
          assert.match(lines[0], line);
          assert.deepEqual(await sizes(everyone), before, "nothing written on any server");
        });
      }
    }

    /** exit 2, one line matching `line`, nothing on stdout, no server changed. */
    const refused = async (args: string[], line: RegExp) => {
      const run = await riot([...args, "--progress", "none"]);
      assert.equal(run.code, 2, run.err);
      assert.equal(run.out, "");
      assert.deepEqual(run.err.split("\n").filter((text) => text !== ""), [run.err.trim()]);
      assert.match(run.err, line);
      assert.deepEqual(await sizes(everyone), before, "nothing written on any server");
    };

    await t.step("replicate --mode sync: a cluster target without its flag", async () => {
      await refused(
        ["replicate", uri(plain), uri(node), "--mode", "sync"],
        new RegExp(
          `^error: the target ${node.host}:${node.port} is a Redis Cluster node .*: add --target-cluster `,
        ),
      );
    });

    await t.step("generate: a cluster node without -c, -c on a standalone server", async () => {
      const count = ["--count", "100"];
      await refused(
        [...addr(node), "generate", ...count],
        new RegExp(`^error: ${node.host}:${node.port} is a Redis Cluster node .*: add -c `),
      );
      await refused(
        [...addr(other), "-c", "generate", ...count],
        new RegExp(`^error: ${other.host}:${other.port} is not a cluster node .*: drop -c `),
      );
    });

    const dir = await Deno.makeTempDir({ prefix: "cluster-mode-errors-" });
    try {
      await t.step(
        "file-export and db-export: -c is refused; a cluster node alone is read, with a warning",
        async () => {
          const file = `${dir}/out.jsonl`;
          await refused(
            [...addr(node), "-c", "file-export", file],
            /^error: Cluster mode \(-c\) is not supported by file-export yet/,
          );
          await assert.rejects(Deno.stat(file), Deno.errors.NotFound);
          const insert = "INSERT INTO t (k) VALUES (:key)";
          const sqlite = `sqlite:${dir}/db.sqlite`;
          await refused(
            [...addr(node), "-c", "db-export", "--url", sqlite, insert],
            /^error: Cluster mode \(-c\) is not supported by db-export yet/,
          );

          const own = Number((await node.cli("DBSIZE")).trim());
          assert.ok(own > 0 && own < 30, `keys on the node: ${own}`);
          const exported = await riot([...addr(node), "file-export", file, "--progress", "none"]);
          assert.equal(exported.code, 0, exported.err);
          assert.match(exported.err, /is a Redis Cluster node: file-export reads the keys of this node only/);
          const lines = (await Deno.readTextFile(file)).split("\n").filter((text) => text !== "");
          assert.equal(lines.length, own);

          const database = new DatabaseSync(`${dir}/db.sqlite`);
          try {
            database.exec("CREATE TABLE t (k TEXT)");
            const rows = await riot([
              ...addr(node),
              "db-export",
              "--url",
              sqlite,
              "--progress",
              "none",
              insert,
            ]);
            assert.equal(rows.code, 0, rows.err);
            assert.match(rows.err, /is a Redis Cluster node: db-export reads the keys of this node only/);
            const counted = database.prepare("SELECT count(*) AS n FROM t").get() as { n: number };
            assert.equal(counted.n, own);
          } finally {
            database.close();
          }
        },
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
