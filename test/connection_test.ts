/** The connection layer against real servers: handshake, auth, transports, failures, pipelining. */

import assert from "node:assert/strict";
import { encodeCommands, ErrorReply, RespMap, type RespValue, toText } from "../resp/mod.ts";
import { connect, connectWithHello } from "../src/redis/connect.ts";
import { RedisConnection } from "../src/redis/connection.ts";
import { AuthError, ConnectionError, TimeoutError } from "../src/redis/errors.ts";
import { type ConnectionOptions, DEFAULT_CONNECTION } from "../src/redis/options.ts";
import { toConnectionOptions } from "../src/cli/connection_flags.ts";
import { freePort, RedisServer, serverTest } from "./_server.ts";
import { TcpProxy } from "./_proxy.ts";
import { getTlsFiles } from "./_tls.ts";

function options(server: { host: string; port: number }, extra: Partial<ConnectionOptions> = {}) {
  return { ...DEFAULT_CONNECTION, host: server.host, port: server.port, timeoutMs: 5_000, ...extra };
}

/** Rejects with the error `promise` rejects with (or fails when it resolves). */
async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  assert.fail("expected a rejection");
}

/** A TCP listener on 127.0.0.1 that runs `serve` for each client; disposed with `await using`. */
function listener(serve: (conn: Deno.Conn) => Promise<void>) {
  const socket = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const clients = new Set<Deno.Conn>();
  const loop = (async () => {
    for await (const conn of socket) {
      clients.add(conn);
      serve(conn).catch(() => {});
    }
  })().catch(() => {});
  return {
    port: socket.addr.port,
    async [Symbol.asyncDispose]() {
      socket.close();
      for (const conn of clients) {
        try {
          conn.close();
        } catch {
          // already closed
        }
      }
      await loop;
    },
  };
}

serverTest({
  name: "RedisConnection over TCP answers PING and round-trips all 256 byte values",
  async fn() {
    await using server = await RedisServer.start();
    const connection = await connect(options(server));
    try {
      assert.equal(await connection.call("PING"), "PONG");
      const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
      const key = Uint8Array.from([0, 13, 10, 255, 36, 42]);
      assert.equal(await connection.call("SET", key, bytes), "OK");
      assert.deepEqual(await connection.call("GET", key), bytes);
      assert.deepEqual(await connection.call("STRLEN", key), 256);
    } finally {
      connection.close();
    }
  },
});

serverTest({
  name: "RedisConnection.pipeline() answers 10,000 commands in order",
  async fn() {
    await using server = await RedisServer.start();
    const connection = await connect(options(server));
    try {
      const commands = Array.from({ length: 10_000 }, (_, i) => ["ECHO", `m${i}`]);
      const replies = await connection.pipeline(commands);
      assert.equal(replies.length, 10_000);
      replies.forEach((reply, i) => assert.equal(toText(reply), `m${i}`));
      assert.equal(connection.pending, 0);
    } finally {
      connection.close();
    }
  },
});

serverTest({
  name: "RedisConnection.pipeline() returns an ErrorReply for one bad command, the others succeed",
  async fn() {
    await using server = await RedisServer.start();
    const connection = await connect(options(server));
    try {
      const replies = await connection.pipeline([
        ["SET", "a", "1"],
        ["NOSUCHCOMMAND", "x"],
        ["INCR", "a"],
        ["LPUSH", "a", "x"],
        ["GET", "a"],
      ]);
      assert.equal(replies[0], "OK");
      assert.ok(replies[1] instanceof ErrorReply);
      assert.equal(replies[1].code, "ERR");
      assert.match(replies[1].message, /unknown command/);
      assert.equal(replies[2], 2);
      assert.ok(replies[3] instanceof ErrorReply);
      assert.equal(replies[3].code, "WRONGTYPE");
      assert.equal(toText(replies[4]), "2");
      await assert.rejects(connection.call("NOSUCHCOMMAND"), ErrorReply);
      assert.equal(await connection.call("PING"), "PONG", "the connection stays usable");
    } finally {
      connection.close();
    }
  },
});

serverTest({
  name: "connectWithHello() speaks RESP3 by default and RESP2 with resp: 2",
  async fn() {
    await using server = await RedisServer.start();
    const three = await connectWithHello(options(server));
    const two = await connectWithHello(options(server, { resp: 2 }));
    try {
      assert.equal(three.hello.protocol, 3);
      assert.equal(three.connection.protocol, 3);
      assert.match(three.hello.version ?? "", /^\d+\.\d+/);
      assert.equal(three.hello.role, "master");
      assert.equal(two.hello.protocol, 2);
      assert.equal(two.connection.protocol, 2);
      await three.connection.call("HSET", "h", "f", "v");
      assert.ok(await three.connection.call("HGETALL", "h") instanceof RespMap);
      const flat = await two.connection.call("HGETALL", "h");
      assert.ok(Array.isArray(flat));
      assert.deepEqual(flat.map(toText), ["f", "v"]);
      assert.equal(toText(await two.connection.call("CLIENT", "INFO")).match(/resp=(\d)/)?.[1], "2");
      assert.equal(toText(await three.connection.call("CLIENT", "INFO")).match(/resp=(\d)/)?.[1], "3");
    } finally {
      three.connection.close();
      two.connection.close();
    }
  },
});

serverTest({
  name: "connect() with db: 3 (-n 3) puts keys in database 3",
  async fn() {
    await using server = await RedisServer.start();
    const connection = await connect(toConnectionOptions([{ port: server.port, db: 3 }], { get: () => "" }));
    try {
      await connection.call("SET", "in-three", "yes");
      assert.equal(await server.cli("-n", "3", "GET", "in-three"), "yes");
      assert.equal(await server.cli("-n", "0", "EXISTS", "in-three"), "0");
      const error = await failure(connect(options(server, { db: 99 })));
      assert.ok(error instanceof ConnectionError);
      assert.match(error.message, /DB index is out of range.*database 99/);
    } finally {
      connection.close();
    }
  },
});

serverTest({
  name:
    "connect() authenticates with requirepass and rejects a wrong or missing password without printing it",
  async fn() {
    const password = "s3cr3t-pw";
    await using server = await RedisServer.start({ password });
    for (const resp of [3, 2] as const) {
      const connection = await connect(options(server, { password, resp }));
      assert.equal(await connection.call("PING"), "PONG");
      connection.close();

      const wrong = "wr0ng-pw-value";
      const error = await failure(connect(options(server, { password: wrong, resp })));
      assert.ok(error instanceof AuthError, `resp ${resp}: ${error}`);
      assert.match(error.message, /Authentication failed at 127\.0\.0\.1:\d+/);
      assert.match(error.message, /WRONGPASS/);
      assert.ok(!error.message.includes(wrong));
      assert.ok(!String(error.stack).includes(wrong));
    }
    const missing = await failure(connect(options(server)));
    assert.ok(missing instanceof AuthError);
    assert.match(missing.message, /NOAUTH/);
    assert.match(missing.message, /requires a password/);
  },
});

serverTest({
  name: "connect() authenticates an ACL user and rejects a wrong user password",
  async fn() {
    await using server = await RedisServer.start({
      aclUsers: [{ name: "alice", password: "wonderland" }],
    });
    const connection = await connect(options(server, { user: "alice", password: "wonderland" }));
    assert.equal(toText(await connection.call("ACL", "WHOAMI")), "alice");
    connection.close();
    const resp2 = await connect(options(server, { user: "alice", password: "wonderland", resp: 2 }));
    assert.equal(toText(await resp2.call("ACL", "WHOAMI")), "alice");
    resp2.close();
    for (const [user, password] of [["alice", "looking-glass"], ["bob", "wonderland"]]) {
      const error = await failure(connect(options(server, { user, password })));
      assert.ok(error instanceof AuthError);
      assert.match(error.message, /WRONGPASS/);
      assert.ok(!error.message.includes(password));
    }
  },
});

serverTest({
  name: "toConnectionOptions() takes the password from REDISCLI_AUTH when none is given",
  async fn() {
    await using server = await RedisServer.start({ password: "from-env" });
    const env = { get: (name: string) => name === "REDISCLI_AUTH" ? "from-env" : undefined };
    const resolved = toConnectionOptions([{ port: server.port }], env);
    assert.equal(resolved.password, "from-env");
    const connection = await connect(resolved);
    assert.equal(await connection.call("PING"), "PONG");
    connection.close();
    // An explicit password wins over the environment.
    const explicit = toConnectionOptions([{ port: server.port, password: "other" }], env);
    assert.equal(explicit.password, "other");
    await assert.rejects(connect(explicit), AuthError);
  },
});

serverTest({
  name: "connect() over a unix socket",
  async fn() {
    await using server = await RedisServer.start({ unixSocket: true });
    const connection = await connect(options(server, { socket: server.socketPath, port: 1 }));
    try {
      assert.equal(connection.endpoint, `unix:${server.socketPath}`);
      assert.equal(await connection.call("PING"), "PONG");
      assert.match(toText(await connection.call("CLIENT", "INFO")), /addr=\/|laddr=\S*redis\.sock/);
    } finally {
      connection.close();
    }
    const error = await failure(connect(options(server, { socket: `${server.dir}/missing.sock` })));
    assert.ok(error instanceof ConnectionError);
    assert.match(error.message, /Cannot open the socket unix:.*missing\.sock/);
  },
});

serverTest({
  name: "connect() with TLS accepts the right CA and a client certificate, rejects an untrusted CA",
  async fn() {
    const tls = await getTlsFiles();
    await using server = await RedisServer.start({ tls: true });
    // From now on the server demands a client certificate (the harness' readiness probe has none).
    await server.cli("CONFIG", "SET", "tls-auth-clients", "yes");
    const base = options(server, { tls: true, caFile: tls.caFile });
    const withCert = { ...base, certFile: tls.clientCertFile, keyFile: tls.clientKeyFile };
    for (const host of ["127.0.0.1", "localhost"]) {
      const connection = await connect({ ...withCert, host });
      assert.equal(await connection.call("PING"), "PONG");
      connection.close();
    }

    const untrusted = await failure(connect({ ...withCert, caFile: tls.untrustedCaFile }));
    assert.ok(untrusted instanceof ConnectionError);
    assert.match(untrusted.message, /^TLS handshake with 127\.0\.0\.1:\d+ failed: .*--cacert/);

    // The server demands a client certificate: without one the handshake (or the first read) fails.
    const noCert = await failure(connect(base));
    assert.ok(noCert instanceof ConnectionError);
    assert.match(noCert.message, /127\.0\.0\.1:\d+/);

    // Plain RESP to a TLS port: the server hangs up.
    const plain = await failure(connect(options(server, { timeoutMs: 2_000 })));
    assert.ok(plain instanceof ConnectionError);
    assert.match(plain.message, /closed the connection during the handshake: if it serves TLS, add --tls/);
  },
});

Deno.test({
  name: "connect() to a closed port fails with connection refused naming 127.0.0.1:PORT",
  async fn() {
    const port = await freePort();
    const error = await failure(connect({ ...DEFAULT_CONNECTION, port, timeoutMs: 2_000 }));
    assert.ok(error instanceof ConnectionError);
    assert.equal(error.endpoint, `127.0.0.1:${port}`);
    assert.match(error.message, new RegExp(`^Cannot connect to 127\\.0\\.0\\.1:${port}: connection refused`));
  },
});

Deno.test({
  name: "connect() to an unknown host says it cannot resolve it",
  async fn() {
    const error = await failure(
      connect({ ...DEFAULT_CONNECTION, host: "no-such-host.invalid", timeoutMs: 3_000 }),
    );
    assert.ok(error instanceof ConnectionError);
    assert.match(error.message, /no-such-host\.invalid:6379/);
    assert.match(error.message, /Cannot resolve the host|timed out/);
  },
});

Deno.test({
  name: "connect() to a port that answers HTTP says it does not speak RESP",
  async fn() {
    await using http = listener(async (conn) => {
      await conn.read(new Uint8Array(1024));
      await conn.write(new TextEncoder().encode("HTTP/1.1 400 Bad Request\r\n\r\n"));
      conn.close();
    });
    const error = await failure(connect({ ...DEFAULT_CONNECTION, port: http.port, timeoutMs: 2_000 }));
    assert.ok(error instanceof ConnectionError);
    assert.match(error.message, new RegExp(`^127\\.0\\.0\\.1:${http.port} does not speak RESP`));
  },
});

Deno.test({
  name: "connect() to a server that never answers fails with a TimeoutError",
  async fn() {
    await using silent = listener(async (conn) => {
      const buffer = new Uint8Array(1024);
      while (await conn.read(buffer) !== null) {
        // Swallow everything, answer nothing.
      }
    });
    const start = performance.now();
    const error = await failure(connect({ ...DEFAULT_CONNECTION, port: silent.port, timeoutMs: 200 }));
    assert.ok(error instanceof TimeoutError, String(error));
    assert.match(error.message, /No reply from 127\.0\.0\.1:\d+ within 0\.2 s/);
    assert.ok(performance.now() - start < 2_000);
  },
});

serverTest({
  name: "RedisConnection rejects every pending command at once when the connection is cut",
  async fn() {
    await using server = await RedisServer.start();
    await using proxy = await TcpProxy.start(server.host, server.port);
    const connection = await connect(options({ host: "127.0.0.1", port: proxy.port }));
    assert.equal(await connection.call("PING"), "PONG");
    proxy.pause();
    const pending = Array.from({ length: 50 }, (_, i) => connection.pipeline([["ECHO", `${i}`], ["PING"]]));
    const settled = Promise.allSettled(pending);
    assert.equal(connection.pending, 100);
    proxy.cutAll();
    const results = await settled;
    const errors = results.map((result) => {
      assert.equal(result.status, "rejected");
      return (result as PromiseRejectedResult).reason;
    });
    assert.ok(errors[0] instanceof ConnectionError);
    assert.ok(errors.every((error) => error === errors[0]), "one error for all");
    assert.equal(await connection.closed, errors[0]);
    assert.equal(connection.isOpen, false);
    assert.equal(connection.pending, 0);
    assert.equal(await failure(connection.call("PING")), errors[0]);
    proxy.resume();
  },
});

serverTest({
  name: "RedisConnection rejects pending commands when CLIENT KILL closes it",
  async fn() {
    await using server = await RedisServer.start();
    const victim = await connect(options(server, { clientName: "victim" }));
    const killer = await connect(options(server));
    try {
      const blocked = failure(victim.call("BLPOP", "never", "0"));
      const behind = failure(victim.pipeline([["PING"], ["PING"]]));
      assert.equal(victim.pending, 3);
      assert.equal(await killer.call("CLIENT", "KILL", "SKIPME", "yes", "USER", "default"), 1);
      const error = await blocked;
      assert.ok(error instanceof ConnectionError);
      assert.match(error.message, /127\.0\.0\.1:\d+ (closed the connection|lost)/);
      assert.equal(await behind, error);
      assert.equal(await victim.closed, error);
    } finally {
      victim.close();
      killer.close();
    }
  },
});

serverTest({
  name: "RedisConnection sends RESP3 pub/sub pushes to onPush, never to a pending command",
  async fn() {
    await using server = await RedisServer.start();
    const subscriber = await connect(options(server));
    const publisher = await connect(options(server));
    try {
      const pushes: RespValue[][] = [];
      let onMessage!: () => void;
      const message = new Promise<void>((resolve) => onMessage = resolve);
      subscriber.onPush = (items) => {
        pushes.push(items);
        if (toText(items[0]) === "pmessage") onMessage();
      };
      subscriber.sendUnanswered(encodeCommands([["PSUBSCRIBE", "news.*"]]));
      // The PING is queued behind the subscription; its reply is the only thing that settles it.
      assert.equal(await subscriber.call("PING"), "PONG");
      assert.equal(toText(pushes[0][0]), "psubscribe");
      const receivers = await publisher.call("PUBLISH", "news.today", "hello");
      assert.equal(receivers, 1);
      await message;
      const [kind, pattern, channel, payload] = pushes[1].map(toText);
      assert.deepEqual([kind, pattern, channel, payload], ["pmessage", "news.*", "news.today", "hello"]);
      assert.equal(await subscriber.call("PING"), "PONG");
      assert.equal(subscriber.pending, 0);
    } finally {
      subscriber.close();
      publisher.close();
    }
  },
});

serverTest({
  name: "RedisConnection.pipeline() waits for window room and keeps the order of its callers",
  async fn() {
    await using server = await RedisServer.start();
    await using proxy = await TcpProxy.start(server.host, server.port);
    const endpoint = { host: "127.0.0.1", port: proxy.port };
    const conn = await Deno.connect({ hostname: endpoint.host, port: endpoint.port });
    const connection = new RedisConnection(conn, "proxy", 5_000, { maxCommands: 10, maxBytes: 1 << 20 });
    try {
      let maxSeen = 0;
      const watch = () => maxSeen = Math.max(maxSeen, connection.pending);
      const incr = (n: number) => Array.from({ length: n }, () => ["INCR", "counter"]);
      proxy.pause();
      const sizes = [8, 5, 1, 10, 3, 2, 7, 1];
      const batches = sizes.map((n) => {
        const batch = connection.pipeline(incr(n));
        watch();
        return batch.then((replies) => {
          watch();
          return replies;
        });
      });
      assert.equal(connection.pending, 8, "the first batch fills the window, the next ones wait");
      proxy.resume();
      const replies = (await Promise.all(batches)).flat();
      assert.deepEqual(replies, Array.from({ length: 37 }, (_, i) => i + 1), "sent in call order");
      assert.ok(maxSeen <= 10, `at most 10 in flight, saw ${maxSeen}`);
      assert.equal(connection.pending, 0);

      // Many small callers at once never exceed the window either.
      const many = Array.from({ length: 200 }, (_, i) => {
        const batch = connection.pipeline([["ECHO", `${i}`], ["ECHO", `${i}`], ["ECHO", `${i}`]]);
        watch();
        return batch;
      });
      const echoed = await Promise.all(many);
      echoed.forEach((replies, i) => assert.deepEqual(replies.map(toText), [`${i}`, `${i}`, `${i}`]));
      assert.ok(maxSeen <= 10, `at most 10 in flight, saw ${maxSeen}`);
    } finally {
      connection.close();
    }
  },
});

serverTest({
  name: "connect() with --sni verifies another name than the host; --insecure skips only the hostname check",
  async fn() {
    const tls = await getTlsFiles();
    await using server = await RedisServer.start({ tls: true });
    const base = options(server, { tls: true, caFile: tls.caFile });

    // The certificate names localhost and 127.0.0.1: an SNI of localhost passes, another name fails.
    const bySni = await connect({ ...base, sni: "localhost" });
    assert.equal(await bySni.call("PING"), "PONG");
    bySni.close();
    const wrongName = await failure(connect({ ...base, sni: "cache.example.net" }));
    assert.ok(wrongName instanceof ConnectionError);
    assert.match(wrongName.message, /TLS handshake with 127\.0\.0\.1:\d+ failed/);

    // --insecure accepts the name mismatch but still verifies the chain.
    const insecure = await connect({ ...base, sni: "cache.example.net", insecure: true });
    assert.equal(await insecure.call("PING"), "PONG");
    insecure.close();
    const untrusted = await failure(connect({ ...base, insecure: true, caFile: tls.untrustedCaFile }));
    assert.ok(untrusted instanceof ConnectionError);
  },
});
