/** Tests of the test harness itself: real redis-server processes, TLS material and the TCP proxy. */

import assert from "node:assert/strict";
import { RedisServer, redisServerMissing } from "./_server.ts";
import { TcpProxy } from "./_proxy.ts";
import { getTlsFiles } from "./_tls.ts";

const ignore = !!redisServerMissing;

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

Deno.test({
  name: "RedisServer.start() serves PING to cli() and to a raw socket",
  ignore,
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

Deno.test({
  name: "RedisServer.cli() rejects on an error reply",
  ignore,
  async fn() {
    await using server = await RedisServer.start();
    await assert.rejects(server.cli("NOSUCHCOMMAND"), /unknown command/);
  },
});

Deno.test({
  name: "RedisServer.start() with password and aclUsers enforces AUTH",
  ignore,
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

Deno.test({
  name: "RedisServer.start() with unixSocket serves PING on socketPath",
  ignore,
  async fn() {
    await using server = await RedisServer.start({ unixSocket: true });
    assert.ok(server.socketPath?.startsWith(server.dir));
    assert.equal((await Deno.stat(server.socketPath!)).mode! & 0o777, 0o700);
    using conn = await Deno.connect({ transport: "unix", path: server.socketPath! });
    assert.equal(await rawPing(conn), "+PONG\r\n");
    assert.equal(await server.cli("-s", server.socketPath!, "PING"), "PONG");
  },
});

Deno.test({
  name: "RedisServer.start() with tls accepts the test CA and rejects an untrusted one",
  ignore,
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

Deno.test({
  name: "RedisServer.restart() keeps the port and serves again",
  ignore,
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

Deno.test({
  name: "TcpProxy forwards PING and cutAll() closes the client side",
  ignore,
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

Deno.test({
  name: "TcpProxy.pause() holds bytes until resume(), setDelay() slows each chunk",
  ignore,
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
