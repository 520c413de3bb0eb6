/**
 * Clear lines instead of riddles, against real servers: TLS to a plain port, certificate files that are
 * not PEM, a busy --metrics-port, and passwords that reach the server intact whatever their characters.
 */

import assert from "node:assert/strict";
import { riot } from "./_riot.ts";
import { RedisServer, redisServerMissing } from "./_server.ts";
import { getTlsFiles } from "./_tls.ts";

const ignore = !!redisServerMissing;

function oneLine(text: string): string {
  const lines = text.split("\n").filter((line) => line !== "");
  assert.equal(lines.length, 1, text);
  return lines[0];
}

Deno.test({
  name: "ping --tls against a plain port says within 3 s that the port answers in plain RESP",
  ignore,
  async fn() {
    await using server = await RedisServer.start({ password: "pw" });
    const port = String(server.port);
    for (
      const args of [
        ["ping", "--tls", "-p", port, "--count", "1"],
        ["ping", "-u", `rediss://127.0.0.1:${port}`, "--count", "1"],
        ["ping", "--tls", "--insecure", "-p", port, "-a", "pw", "--count", "1", "--timeout", "30s"],
      ]
    ) {
      const started = performance.now();
      const run = await riot(args);
      const ms = performance.now() - started;
      assert.equal(run.code, 1, run.err);
      assert.equal(
        oneLine(run.err),
        `error: 127.0.0.1:${port} answers in plain RESP, not TLS: drop --tls (use redis://, not rediss://), or give the server's TLS port.`,
      );
      assert.ok(ms < 3_000, `answered in ${ms.toFixed(0)} ms`);
    }
  },
});

Deno.test({
  name: "ping --cacert with a file that is not a PEM certificate exits 2 naming the file and --cacert",
  ignore,
  async fn() {
    await using server = await RedisServer.start({ tls: true });
    const tls = await getTlsFiles();
    const der = `${tls.dir}/ca.der`;
    const converted = await new Deno.Command("openssl", {
      args: ["x509", "-in", tls.caFile, "-outform", "DER", "-out", der],
    }).output();
    assert.ok(converted.success);
    const port = String(server.port);
    for (const [file, option] of [[der, "--cacert"], [tls.keyFile, "--cacert"]]) {
      const run = await riot(["ping", "--tls", "-p", port, option, file, "--count", "1"]);
      assert.equal(run.code, 2, run.err);
      assert.match(
        oneLine(run.err),
        new RegExp(`^error: ${file.replaceAll(".", "\\.")} \\(--cacert\\) is not a PEM certificate`),
      );
    }
    const key = await riot([
      "ping",
      "-p",
      port,
      "--cacert",
      tls.caFile,
      "--cert",
      tls.clientCertFile,
      "--key",
      tls.clientCertFile,
      "--count",
      "1",
    ]);
    assert.equal(key.code, 2, key.err);
    assert.match(oneLine(key.err), /\(--key\) is not a PEM private key/);
    // The same files, right way round, connect.
    const ok = await riot(["ping", "-p", port, "--cacert", tls.caFile, "--count", "1"]);
    assert.equal(ok.code, 0, ok.err);
  },
});

Deno.test({
  name: "replicate --live with a busy --metrics-port names the option and the port",
  ignore,
  async fn() {
    await using source = await RedisServer.start({ notifyKeyspaceEvents: "KA" });
    await using target = await RedisServer.start();
    using busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (busy.addr as Deno.NetAddr).port;
    const run = await riot([
      "-p",
      String(source.port),
      "replicate",
      "-p",
      String(target.port),
      "--live",
      "--idle-timeout",
      "200ms",
      "--progress",
      "none",
      "--metrics-port",
      String(port),
    ]);
    assert.equal(run.code, 1, run.err);
    assert.equal(
      oneLine(run.err),
      `error: --metrics-port ${port}: 127.0.0.1:${port} is already in use: pick another port, or 0 for any free one`,
    );
  },
});

/** Passwords with every character a URI reserves, as redis-cli users type them (unencoded). */
const PASSWORDS = ["pw#frag", "p?w", "p/w", "p@w", "p:w", "p%w", "p+w x", "-dash", "é#?/"];

Deno.test({
  name: "ping authenticates with passwords holding URI-reserved characters, by URI, -a and --pass-env",
  ignore,
  async fn() {
    for (const password of PASSWORDS) {
      await using server = await RedisServer.start({ password });
      const port = server.port;
      const escaped = password.replaceAll("%", "%25");
      for (
        const [args, env] of [
          [["ping", "-u", `redis://:${escaped}@127.0.0.1:${port}`, "--count", "1"], {}],
          [["ping", "-u", `redis://default:${escaped}@127.0.0.1:${port}/0`, "--count", "1"], {}],
          [["ping", "-u", `redis://127.0.0.1:${port}`, "--pass-env", "RIOT_PW", "--count", "1"], {
            RIOT_PW: password,
          }],
          [["ping", "-p", String(port), `--pass=${password}`, "--count", "1"], {}],
        ] as [string[], Record<string, string>][]
      ) {
        const run = await riot(args, env);
        assert.equal(run.code, 0, `${password}: ${run.err}`);
        assert.ok(!run.out.includes(password) && !run.err.includes(password), run.out + run.err);
      }
    }
  },
});

Deno.test({
  name: "replicate takes each side's password from --source-pass-env and --target-pass-env",
  ignore,
  async fn() {
    await using source = await RedisServer.start({ password: "src#pw" });
    await using target = await RedisServer.start({ password: "tgt/pw" });
    const run = await riot([
      "replicate",
      `127.0.0.1:${source.port}`,
      `127.0.0.1:${target.port}`,
      "--source-pass-env",
      "SRC_PW",
      "--target-pass-env",
      "TGT_PW",
      "--progress",
      "none",
    ], { SRC_PW: "src#pw", TGT_PW: "tgt/pw" });
    assert.equal(run.code, 0, run.err);
    assert.ok(!/src#pw|tgt\/pw/.test(run.out + run.err));
  },
});

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const scriptMissing = new Deno.Command("script", { args: ["--version"], stdout: "null", stderr: "null" })
  .output().then((output) => !output.success, () => true);

Deno.test({
  name: "main.ts -a without a value asks on the terminal and never echoes the password",
  ignore: ignore || await scriptMissing,
  async fn() {
    await using server = await RedisServer.start({ password: "typed#secret" });
    // `script` gives riot a pseudo-terminal; what riot and the terminal print comes back on stdout.
    const command = `${Deno.execPath()} run -A --no-check ${MAIN} ping -p ${server.port} -a --count 1`;
    const child = new Deno.Command("script", {
      args: ["-qec", command, "/dev/null"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let screen = "";
    while (!screen.includes("Password: ")) {
      const { value, done } = await reader.read();
      if (done) break;
      screen += value;
    }
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode("typed#secret\r"));
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      screen += value;
    }
    await writer.close().catch(() => {});
    const status = await child.status;
    await child.stderr.cancel();
    assert.equal(status.code, 0, screen);
    assert.match(screen, new RegExp(`PONG from 127\\.0\\.0\\.1:${server.port}`));
    assert.ok(!screen.includes("typed"), `echoed: ${screen}`);
  },
});
