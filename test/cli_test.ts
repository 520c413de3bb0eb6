/** The CLI end to end: runMain in-process with captured output, and main.ts as a real process for exit codes. */

import assert from "node:assert/strict";
import { runMain } from "../src/cli/main.ts";
import { pingCommand } from "../src/commands/ping.ts";
import { VERSION } from "../src/version.ts";
import { freePort, RedisServer, serverTest } from "./_server.ts";

interface Run {
  code: number;
  out: string;
  err: string;
}

/** runMain with captured stdout and stderr; `env` stands in for the process environment. */
async function riot(args: string[], env: Record<string, string> = {}): Promise<Run> {
  let out = "";
  let err = "";
  const code = await runMain(args, {
    out: (text) => out += text,
    err: (text) => err += text,
    env: { get: (name) => env[name] },
  }, [pingCommand]);
  return { code, out, err };
}

const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** main.ts as a child process; `deno run` without type checking, so it starts fast. */
function spawnRiot(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--no-check", MAIN, ...args],
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function riotProcess(args: string[]): Promise<Run> {
  const output = await spawnRiot(args).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, out: decode(output.stdout), err: decode(output.stderr) };
}

function lines(text: string): string[] {
  return text.split("\n").filter((line) => line !== "");
}

const SUMMARY =
  /^127\.0\.0\.1:\d+: (\d+) PINGs?, min\/avg\/p50\/p99\/max = [\d.]+\/[\d.]+\/[\d.]+\/[\d.]+\/[\d.]+ ms$/;

Deno.test("runMain() --version prints the version and exits 0", async () => {
  const run = await riot(["--version"]);
  assert.deepEqual(run, { code: 0, out: `riot ${VERSION}\n`, err: "" });
});

Deno.test("runMain() rejects an unknown option with exit 2 and one line naming it", async () => {
  for (const args of [["--nope"], ["ping", "--nope"], ["-p", "1", "ping", "--count", "1", "--nope=3"]]) {
    const run = await riot(args);
    assert.equal(run.code, 2, args.join(" "));
    assert.equal(run.out, "");
    assert.equal(lines(run.err).length, 1, run.err);
    assert.match(run.err, /^error: Unknown option --nope for 'riot( ping)?'/);
  }
  const bad = await riot(["ping", "--count", "many"]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /^error: --count must be a whole number \(got 'many'\)\n$/);
});

Deno.test("runMain() ping --help lists the ping options", async () => {
  const run = await riot(["ping", "--help"]);
  assert.equal(run.code, 0);
  for (const option of ["--count N", "--interval TIME", "-l, --latency", "--json", "-p, --port PORT"]) {
    assert.ok(run.out.includes(option), option);
  }
  assert.ok((await riot(["--help"])).out.includes("ping"), "listed in riot --help");
});

serverTest({
  name: "runMain() ping --count 3 prints three replies and a summary",
  async fn() {
    await using server = await RedisServer.start();
    const run = await riot(["ping", "--count", "3", "--interval", "0", "-p", String(server.port)]);
    assert.equal(run.code, 0, run.err);
    assert.equal(run.err, "");
    const out = lines(run.out);
    assert.equal(out.length, 4, run.out);
    out.slice(0, 3).forEach((line, i) =>
      assert.match(
        line,
        new RegExp(`^PONG from 127\\.0\\.0\\.1:${server.port}: seq=${i + 1} time=[\\d.]+ ms$`),
      )
    );
    assert.equal(SUMMARY.exec(out[3])?.[1], "3");
    assert.ok(out[3].startsWith(`127.0.0.1:${server.port}: `));
  },
});

serverTest({
  name: "runMain() takes connection options before the command, and those after it win",
  async fn() {
    await using server = await RedisServer.start();
    const port = String(server.port);
    const before = await riot(["-p", port, "ping", "--count", "2", "--interval", "0"]);
    assert.equal(before.code, 0, before.err);
    assert.equal(SUMMARY.exec(lines(before.out).at(-1)!)?.[1], "2");

    const closed = String(await freePort());
    const after = await riot(["-p", closed, "ping", "-p", port, "--count", "1"]);
    assert.equal(after.code, 0, after.err);
    const wrong = await riot(["-p", port, "ping", "-p", closed, "--count", "1"]);
    assert.equal(wrong.code, 1);
    assert.match(
      wrong.err,
      new RegExp(`^error: Cannot connect to 127\\.0\\.0\\.1:${closed}: connection refused`),
    );
  },
});

serverTest({
  name: "runMain() ping --json prints one JSON object without the password",
  async fn() {
    await using server = await RedisServer.start({ password: "secret" });
    const run = await riot([
      "-a",
      "secret",
      "ping",
      "--json",
      "--count",
      "5",
      "--interval",
      "0",
      "-p",
      String(
        server.port,
      ),
    ]);
    assert.equal(run.code, 0, run.err);
    assert.equal(lines(run.out).length, 1);
    const report = JSON.parse(run.out);
    assert.deepEqual(Object.keys(report), ["endpoint", "samples", "min", "avg", "p50", "p99", "max"]);
    assert.equal(report.endpoint, `127.0.0.1:${server.port}`);
    assert.equal(report.samples, 5);
    assert.ok(report.min > 0 && report.min <= report.p50 && report.p50 <= report.p99);
    assert.ok(report.p99 <= report.max && report.min <= report.avg && report.avg <= report.max);
    assert.ok(!run.out.includes("secret") && !run.err.includes("secret"));

    // The same through REDISCLI_AUTH and through a URI.
    const env = await riot(["ping", "--json", "--count", "1", "-p", String(server.port)], {
      REDISCLI_AUTH: "secret",
    });
    assert.equal(env.code, 0, env.err);
    const uri = await riot([
      "-u",
      `redis://:secret@127.0.0.1:${server.port}`,
      "ping",
      "--json",
      "--count",
      "1",
    ]);
    assert.equal(uri.code, 0, uri.err);
    assert.equal(JSON.parse(uri.out).endpoint, `127.0.0.1:${server.port}`);
    assert.ok(!uri.out.includes("secret"));
  },
});

serverTest({
  name: "runMain() ping -l prints the redis-cli --latency line",
  async fn() {
    await using server = await RedisServer.start();
    const run = await riot(["ping", "-l", "--count", "20", "--interval", "1ms", "-p", String(server.port)]);
    assert.equal(run.code, 0, run.err);
    const out = lines(run.out.replaceAll("\r\x1b[K", "\n"));
    assert.match(out.at(-2)!, /^min: [\d.]+, max: [\d.]+, avg: [\d.]+ \(20 samples\)$/);
    assert.equal(SUMMARY.exec(out.at(-1)!)?.[1], "20");
  },
});

serverTest({
  name: "runMain() ping with a wrong password exits 1 with one line that does not contain it",
  async fn() {
    await using server = await RedisServer.start({ password: "right-one" });
    const port = String(server.port);
    for (
      const args of [
        ["ping", "-p", port, "-a", "wrong-secret"],
        ["-a", "wrong-secret", "ping", "-p", port],
        ["ping", "-u", `redis://:wrong-secret@127.0.0.1:${port}`],
        ["ping", "-u", `redis://default:wrong-secret@127.0.0.1:${port}/0`, "--resp", "2"],
      ]
    ) {
      const run = await riot(args);
      assert.equal(run.code, 1, args.join(" "));
      assert.equal(run.out, "");
      assert.equal(lines(run.err).length, 1, run.err);
      assert.match(
        run.err,
        new RegExp(`^error: Authentication failed at 127\\.0\\.0\\.1:${port}: WRONGPASS`),
      );
      assert.ok(!run.err.includes("wrong-secret"), run.err);
    }
    const missing = await riot(["ping", "-p", port]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /NOAUTH.*requires a password: pass -a\/--pass/);
  },
});

Deno.test("runMain() keeps the password of a -u URI out of every error", async () => {
  const closed = await freePort();
  const refused = await riot(["-u", `redis://:secret@127.0.0.1:${closed}`, "ping"]);
  assert.equal(refused.code, 1);
  assert.match(
    refused.err,
    new RegExp(`^error: Cannot connect to 127\\.0\\.0\\.1:${closed}: connection refused`),
  );
  for (
    const uri of [
      "redis://:secret@127.0.0.1:99999",
      "redis://user:secret@127.0.0.1/notadb",
      "redis://:sec@ret@127.0.0.1/x",
      "unix:///tmp/r.sock?password=secret&db=x",
    ]
  ) {
    const run = await riot(["ping", "-u", uri]);
    assert.equal(run.code, 2, uri);
    assert.match(run.err, /^error: Invalid URI /);
    assert.ok(!run.err.includes("secret") && !run.err.includes("ret@"), run.err);
  }
});

serverTest({
  name: "main.ts exits 0 for --version and a ping, 2 for bad usage, 1 for a refused password",
  async fn() {
    await using server = await RedisServer.start({ password: "pw-123" });
    const port = String(server.port);
    const [version, usage, ok, denied] = await Promise.all([
      riotProcess(["--version"]),
      riotProcess(["ping", "--nope"]),
      riotProcess(["-a", "pw-123", "ping", "-p", port, "--count", "2", "--interval", "0"]),
      riotProcess(["ping", "-p", port, "-a", "pw-wrong"]),
    ]);
    assert.deepEqual([version.code, version.out], [0, `riot ${VERSION}\n`]);
    assert.equal(usage.code, 2);
    assert.match(usage.err, /^error: Unknown option --nope for 'riot ping'/);
    assert.equal(ok.code, 0, ok.err);
    assert.equal(SUMMARY.exec(lines(ok.out).at(-1)!)?.[1], "2");
    assert.equal(denied.code, 1);
    assert.equal(lines(denied.err).length, 1);
    assert.ok(!denied.err.includes("pw-wrong"));
  },
});

serverTest({
  name: "main.ts ping --count 0 stops on SIGINT, prints the summary and exits 0",
  ignore: Deno.build.os === "windows",
  async fn() {
    await using server = await RedisServer.start();
    const child = spawnRiot(["ping", "-p", String(server.port), "--count", "0", "--interval", "5ms"]);
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let out = "";
    while (!/seq=3 /.test(out)) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    child.kill("SIGINT");
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    const status = await child.status;
    const err = await new Response(child.stderr).text();
    assert.equal(status.code, 0, err);
    const count = Number(SUMMARY.exec(lines(out).at(-1)!)?.[1]);
    assert.ok(count >= 3, out);
  },
});
