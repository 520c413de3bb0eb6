/** Tests of the test harness itself: real redis-server processes, TLS material and the TCP proxy. */

import assert from "node:assert/strict";
import { RedisServer, serverTest, withServerCheck } from "./_server.ts";
import { TcpProxy } from "./_proxy.ts";
import { getTlsFiles } from "./_tls.ts";

/** Reads until `expected` bytes have arrived or the peer closes; returns what was read. */
async function readAtLeast(conn: Deno.Conn, expected: number): Promise<string> {
  const buf = new Uint8Array(1024);
  let text = "";
  while (text.length < expected) {
    const n = await conn.read(buf);
    if (n === null) break;
    text += new TextDecoder().decode(buf.subarray(0, n));
  }
  return text;
}

/** Sends an inline PING on `conn` and returns the reply line, e.g. "+PONG\r\n". */
async function rawPing(conn: Deno.Conn): Promise<string> {
  await conn.write(new TextEncoder().encode("PING\r\n"));
  return await readAtLeast(conn, "+PONG\r\n".length);
}

serverTest({
  name: "RedisServer.start() serves PING to cli() and to a raw socket",
  async fn() {
    await using server = await RedisServer.start();
    assert.equal(server.host, "127.0.0.1");
    assert.ok(server.pid > 0);
    assert.equal(await server.cli("PING"), "PONG");
    await server.cli("SET", "k", "v");
    assert.equal(await server.cli("GET", "k"), "v");
    using conn = await Deno.connect({ hostname: server.host, port: server.port });
    assert.equal(await rawPing(conn), "+PONG\r\n");
  },
});

serverTest({
  name: "RedisServer.cli() rejects on an error reply",
  async fn() {
    await using server = await RedisServer.start();
    await assert.rejects(server.cli("NOSUCHCOMMAND"), /unknown command/);
  },
});

serverTest({
  name: "RedisServer.start() with password and aclUsers enforces AUTH",
  async fn() {
    await using server = await RedisServer.start({
      password: "default secret",
      aclUsers: [{ name: "alice", password: "wonder" }, {
        name: "reader",
        password: "r",
        rules: "~* +@read",
      }],
    });
    assert.equal(await server.cli("PING"), "PONG");
    assert.equal(await server.cli("--user", "alice", "--pass", "wonder", "ACL", "WHOAMI"), "alice");
    await server.cli("--user", "alice", "--pass", "wonder", "SET", "k", "v");
    assert.equal(await server.cli("--user", "reader", "--pass", "r", "GET", "k"), "v");
    await assert.rejects(server.cli("--user", "reader", "--pass", "r", "SET", "k", "w"), /NOPERM/);
    await assert.rejects(server.cli("--user", "alice", "--pass", "wrong", "PING"), /WRONGPASS|AUTH failed/);
    using conn = await Deno.connect({ hostname: server.host, port: server.port });
    assert.match(await rawPing(conn), /^-NOAUTH/);
  },
});

serverTest({
  name: "RedisServer.start() with unixSocket serves PING on socketPath",
  async fn() {
    await using server = await RedisServer.start({ unixSocket: true });
    assert.ok(server.socketPath?.startsWith(server.dir));
    assert.equal((await Deno.stat(server.socketPath!)).mode! & 0o777, 0o700);
    using conn = await Deno.connect({ transport: "unix", path: server.socketPath! });
    assert.equal(await rawPing(conn), "+PONG\r\n");
    assert.equal(await server.cli("-s", server.socketPath!, "PING"), "PONG");
  },
});

serverTest({
  name: "RedisServer.start() with tls accepts the test CA and rejects an untrusted one",
  async fn() {
    await using server = await RedisServer.start({ tls: true });
    const tls = await getTlsFiles();
    assert.deepEqual(server.tls, tls);
    assert.equal(await server.cli("PING"), "PONG");

    const ca = await Deno.readTextFile(tls.caFile);
    for (const hostname of ["127.0.0.1", "localhost"]) {
      using conn = await Deno.connectTls({ hostname, port: server.port, caCerts: [ca] });
      assert.equal(await rawPing(conn), "+PONG\r\n");
    }

    // Mutual TLS: the client certificate is accepted too.
    const cert = await Deno.readTextFile(tls.clientCertFile);
    const key = await Deno.readTextFile(tls.clientKeyFile);
    {
      using conn = await Deno.connectTls({
        hostname: "127.0.0.1",
        port: server.port,
        caCerts: [ca],
        cert,
        key,
      });
      assert.equal(await rawPing(conn), "+PONG\r\n");
    }

    const untrusted = await Deno.readTextFile(tls.untrustedCaFile);
    using bad = await Deno.connectTls({ hostname: "127.0.0.1", port: server.port, caCerts: [untrusted] });
    await assert.rejects(bad.handshake(), /certificate|UnknownIssuer/i);

    // The plain port is off: only TLS is served.
    using plain = await Deno.connect({ hostname: server.host, port: server.port });
    assert.notEqual(await rawPing(plain).catch((err) => String(err)), "+PONG\r\n");
  },
});

serverTest({
  name: "RedisServer.restart() keeps the port and serves again",
  async fn() {
    await using server = await RedisServer.start({ password: "pw" });
    const { port, pid } = server;
    await server.restart();
    assert.equal(server.port, port);
    assert.notEqual(server.pid, pid);
    assert.equal(await server.cli("PING"), "PONG");
    await server.stop();
    await server.stop(); // idempotent
    await assert.rejects(Deno.connect({ hostname: server.host, port }), Deno.errors.ConnectionRefused);
  },
});

serverTest({
  name: "TcpProxy forwards PING and cutAll() closes the client side",
  async fn() {
    await using server = await RedisServer.start();
    await using proxy = await TcpProxy.start(server.host, server.port);
    using conn = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
    assert.equal(await rawPing(conn), "+PONG\r\n");
    assert.equal(proxy.connections, 1);

    proxy.cutAll();
    assert.equal(proxy.connections, 0);
    assert.equal(await conn.read(new Uint8Array(16)).catch(() => null), null);

    // New clients are still accepted after a cut.
    using again = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
    assert.equal(await rawPing(again), "+PONG\r\n");
  },
});

serverTest({
  name: "TcpProxy.pause() holds bytes until resume(), setDelay() slows each chunk",
  async fn() {
    await using server = await RedisServer.start();
    await using proxy = await TcpProxy.start(server.host, server.port);
    using conn = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
    assert.equal(await rawPing(conn), "+PONG\r\n");

    const pings = async () =>
      Number(/cmdstat_ping:calls=(\d+)/.exec(await server.cli("INFO", "commandstats"))![1]);
    proxy.pause();
    await conn.write(new TextEncoder().encode("PING\r\n"));
    const reply = readAtLeast(conn, "+PONG\r\n".length);
    // The PING reaches the server only after resume(): held, not dropped.
    const held = await pings();
    proxy.resume();
    assert.equal(await reply, "+PONG\r\n");
    assert.equal(await pings(), held + 1);

    proxy.setDelay(50);
    const start = performance.now();
    assert.equal(await rawPing(conn), "+PONG\r\n");
    assert.ok(performance.now() - start >= 90, "a round trip is delayed once each way");
    proxy.setDelay(0);
  },
});

Deno.test({
  name: "withServerCheck() ignores a test whose tools are missing and says which in its name",
  permissions: "none",
  fn() {
    const fn = () => {};
    const definition = { name: "copies keys", fn };
    assert.equal(withServerCheck(definition, undefined), definition, "unchanged when the tools are there");
    assert.deepEqual(
      withServerCheck(
        definition,
        "redis-server is not on PATH: install redis-server (e.g. apt-get install redis-server)",
      ),
      { name: "copies keys (skipped: redis-server not found)", fn, ignore: true },
    );
    assert.equal(
      withServerCheck(definition, "redis-cli is not on PATH: install redis-server").name,
      "copies keys (skipped: redis-cli not found)",
    );
  },
});

Deno.test({
  name: "serverTest() where redis-server is not on PATH: the test is ignored and its name says why",
  async fn() {
    // The same test file, run by a second `deno test` whose PATH has no redis-server.
    const file = new URL("./restore_writer_test.ts", import.meta.url).pathname;
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["test", "--allow-all", "--no-check", file],
      env: { PATH: "/nonexistent", NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 0, text);
    assert.match(text, /\(skipped: redis-server not found\) \.\.\. ignored/);
    assert.match(text, /Tests that need redis-server are skipped: redis-server is not on PATH/);
    assert.doesNotMatch(text, / \.\.\. ok/, "nothing ran as if it had passed");
  },
});
