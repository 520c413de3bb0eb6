/**
 * Passwords never reach an error or the output, tested where redaction has something to remove: a real
 * server whose AUTH and HELLO are renamed away answers `ERR unknown command 'AUTH', with args beginning
 * with: '<password>'`, so the handshake error riot gets back carries the password in the server's own words.
 */
import assert from "node:assert/strict";
import { connect } from "../src/redis/connect.ts";
import { ConnectionError } from "../src/redis/errors.ts";
import { DEFAULT_CONNECTION } from "../src/redis/options.ts";
import { riot } from "./_riot.ts";
import { RedisServer, serverTest } from "./_server.ts";

const PASSWORD = "Pa55-w0rd!x";

/** A server that echoes whatever AUTH or HELLO is sent to it in its "unknown command" error. */
function echoingServer(): Promise<RedisServer> {
  return RedisServer.start({ args: ["--rename-command", "AUTH", "", "--rename-command", "HELLO", ""] });
}

serverTest({
  name: "connect() removes the password from a handshake error that quotes it (RESP3 and RESP2, with a user)",
  async fn() {
    await using server = await echoingServer();
    for (const resp of [3, 2] as const) {
      for (const user of [undefined, "alice"]) {
        const what = `RESP${resp}, user ${user ?? "(default)"}`;
        const error = await connect({
          ...DEFAULT_CONNECTION,
          host: server.host,
          port: server.port,
          password: PASSWORD,
          user,
          resp,
          timeoutMs: 10_000,
        }).then(() => undefined, (caught) => caught);
        assert.ok(error instanceof ConnectionError, `${what}: ${error}`);
        // The server did quote it: the message keeps the quote's place, with *** for the password.
        assert.match(error.message, /unknown command 'AUTH', with args beginning with: .*'\*\*\*'/, what);
        assert.ok(error.message.includes(`127.0.0.1:${server.port}`), `${what}: names the endpoint`);
        assert.ok(!error.message.includes(PASSWORD), `${what}: ${error.message}`);
      }
    }
  },
});

serverTest({
  name: "riot never prints a password the server quotes back: -a, --user, source and target URIs",
  async fn() {
    await using echoing = await echoingServer();
    await using plain = await RedisServer.start();
    const bad = `${echoing.host}:${echoing.port}`;
    const good = `redis://${plain.host}:${plain.port}`;
    const runs = [
      ["-p", String(echoing.port), "-a", PASSWORD, "ping", "--count", "1"],
      ["-p", String(echoing.port), "--user", "alice", "-a", PASSWORD, "ping", "--count", "1"],
      ["replicate", `redis://:${PASSWORD}@${bad}`, good, "--progress", "none"],
      ["replicate", good, `redis://alice:${PASSWORD}@${bad}`, "--progress", "none"],
      ["compare", `redis://alice:${PASSWORD}@${bad}`, good, "--progress", "none"],
      ["replicate", "--source-uri", good, "--target-port", String(echoing.port), "--target-pass", PASSWORD],
      ["-d", "replicate", `redis://:${PASSWORD}@${bad}`, good, "--progress", "none", "--json"],
    ];
    for (const args of runs) {
      const shown = args.join(" ").replaceAll(PASSWORD, "<password>");
      const run = await riot(args);
      assert.equal(run.code, 1, `${shown}: ${run.err}`);
      assert.match(run.err, /unknown command 'AUTH'/, `${shown}: the server's words are shown`);
      assert.ok(!run.err.includes(PASSWORD), `${shown}: stderr: ${run.err}`);
      assert.ok(!run.out.includes(PASSWORD), `${shown}: stdout: ${run.out}`);
    }
  },
});
