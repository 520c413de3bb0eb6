/**
 * Bad command lines: each gives one line on stderr saying what is wrong and what to do, the documented
 * exit code, and never a password. The table is the README's "Bad input" table. No server is reached: a
 * usage error stops riot before it connects.
 */

import assert from "node:assert/strict";
import { riot } from "./_riot.ts";
import { freePort } from "./_server.ts";

/** A port nothing listens on: a test that wrongly connects fails fast and touches no one's server. */
const CLOSED = String(await freePort());

const NOT_PEM = await Deno.makeTempFile({ prefix: "riot-not-pem-", suffix: ".crt" });
await Deno.writeTextFile(NOT_PEM, "this is not a certificate\n");
addEventListener("unload", () => Deno.removeSync(NOT_PEM));

interface BadInput {
  args: string[];
  env?: Record<string, string>;
  /** The whole stderr: `error: ` and this, on one line. */
  message: RegExp;
  code?: number;
}

/** Every password in this table contains "top" and "secret"; neither may be printed. */
const BAD_INPUT: BadInput[] = [
  // Secrets in URIs that cannot be used.
  {
    args: ["ping", "-u", "redis://:top#secret@h:99999"],
    message: /^Invalid URI redis:\/\/\*\*\*@h:99999: port must be 1 to 65535, got 99999$/,
  },
  {
    args: ["ping", "-u", "redis://top?secret@h:0"],
    message: /^Invalid URI redis:\/\/\*\*\*@h:0: port must be 1 to 65535, got 0$/,
  },
  {
    args: ["ping", "-u", "redis://alice:top/secret@h/x"],
    message: /^Invalid URI redis:\/\/\*\*\*@h\/x: database must be a number >= 0, got x$/,
  },
  {
    args: ["ping", "-d", "-u", "redis://:top%zzsecret@127.0.0.1:1"],
    message:
      /^Invalid URI redis:\/\/\*\*\*@127\.0\.0\.1:1: bad %-escape in the password: write a literal % as %25/,
  },
  {
    args: ["ping", "-u", "redis://:top%secret@h"],
    message: /^Invalid URI redis:\/\/\*\*\*@h: bad %-escape in the password/,
  },
  {
    args: ["ping", "-u", "redis://h?password=top%secret"],
    message: /^Invalid URI redis:\/\/h\?password=\*\*\*: bad %-escape in the password/,
  },
  { args: ["ping", "-u", "redis://h#top"], message: /^Invalid URI redis:\/\/h#top: '#' after the host/ },
  {
    args: ["ping", "-u", "localhost"],
    message: /^Invalid URI localhost: expected redis:\/\/, rediss:\/\/, unix:\/\/ or host:port$/,
  },
  {
    args: ["replicate", "redis://:top?secret@a:1", "redis://b:2", "redis://:top/secret@c:3"],
    message: /^Too many arguments: redis:\/\/\*\*\*@c:3 \(expected at most SOURCE TARGET\)$/,
  },
  {
    args: ["compare", "redis://:top#secret@a:1", "b:99999"],
    message: /^Invalid URI b:99999: port must be 1 to 65535/,
  },
  // One server described twice.
  {
    args: ["replicate", "redis://a:1", "redis://b:2", "-p", "3"],
    message:
      /^The target is given twice: by the URI redis:\/\/b:2 and by -p\/--port: give it in the URI or drop the URI$/,
  },
  {
    args: ["replicate", "redis://a:1", "redis://b:2", "--target-port", "3"],
    message: /^The target is given twice: by the URI redis:\/\/b:2 and by --target-port/,
  },
  {
    args: ["replicate", "redis://a:1", "b:2", "--target-host", "c"],
    message: /^The target is given twice: by the URI b:2 and by --target-hostname/,
  },
  {
    args: ["-u", "redis://a:1", "-p", "3", "replicate", "redis://b:2"],
    message: /^The source is given twice: by the URI redis:\/\/a:1 and by -p\/--port/,
  },
  {
    args: ["ping", "-u", "redis://a:1", "-p", "3"],
    message: /^The server is given twice: by the URI redis:\/\/a:1 and by -p\/--port/,
  },
  {
    args: ["-u", "redis://a:1", "ping", "-h", "b"],
    message: /^The server is given twice: .* by -h\/--hostname/,
  },
  { args: ["ping", "-u", "redis://a:1/2", "-n", "3"], message: /^The server is given twice: .* by -n\/--db/ },
  {
    args: ["ping", "-u", "redis://:top-secret@a:1", "-a", "other"],
    message: /^The server is given twice: by the URI redis:\/\/:\*\*\*@a:1 and by -a\/--pass/,
  },
  {
    args: ["ping", "-u", "redis://a:1", "--tls"],
    message:
      /^The server is given twice: .* by -t\/--tls: redis:\/\/ is a plain connection: write rediss:\/\/ for TLS$/,
  },
  {
    args: ["ping", "-u", "redis://a:1", "--cacert", "ca.pem"],
    message: /by --cacert: redis:\/\/ is a plain connection/,
  },
  {
    args: ["ping", "-u", "unix:///tmp/r.sock", "-p", "7"],
    message: /^The server is given twice: .* by -p\/--port/,
  },
  {
    args: ["compare", "--quick", "--mode", "full", "a:1", "b:2"],
    message: /^--mode conflicts with --quick: give one of them$/,
  },
  // Passwords kept off the command line.
  {
    args: ["ping", "-p", CLOSED, "--pass-env", "RIOT_TEST_NOT_SET"],
    message:
      /^--pass-env RIOT_TEST_NOT_SET: the environment variable RIOT_TEST_NOT_SET is not set \(or is empty\)$/,
  },
  {
    args: ["replicate", "a:1", "b:2", "--target-pass-env", "NOPE"],
    message: /^--target-pass-env NOPE: the environment variable NOPE is not set/,
  },
  {
    args: ["ping", "-p", CLOSED, "-a", "top-secret", "--pass-env", "PW"],
    env: { PW: "x" },
    message: /^-a\/--pass and --pass-env both give the password: keep one of them$/,
  },
  {
    args: ["ping", "-p", CLOSED, "-a"],
    message:
      /^-a\/--pass needs a value: there is no terminal to ask on\. Give it, or use --pass-env VAR or REDISCLI_AUTH$/,
  },
  {
    args: ["-p", CLOSED, "-a", "ping"],
    message: /^-a\/--pass needs a value: there is no terminal to ask on/,
  },
  { args: ["ping", "-p", CLOSED, "-o", "0"], message: /^-o must be at least 1ms$/ },
  // Options that name their side.
  { args: ["-p", "1", "replicate", "-p", "0"], message: /^the target's -p must be at least 1$/ },
  { args: ["replicate", "a:1", "--target-port", "0"], message: /^--target-port must be at least 1$/ },
  {
    args: ["ping", "-p", CLOSED, "--resp", "RESP4"],
    message: /^--resp must be one of 2, 3 \(got 'RESP4'\)$/,
  },
  {
    args: ["ping", "-p", CLOSED, "--timeout", "soon"],
    message: /^--timeout must be a duration such as 30 \(seconds\), 500ms, 2s or 1m/,
  },
  // Files that are not what they should be.
  {
    args: ["ping", "-p", CLOSED, "--cacert", NOT_PEM],
    message:
      /is not a PEM certificate \(no -----BEGIN CERTIFICATE----- line\): give the CA certificate in PEM form/,
  },
  {
    args: ["ping", "-p", CLOSED, "--cacert", "/nonexistent/ca.pem"],
    message:
      /^Cannot read the CA certificate file \/nonexistent\/ca\.pem \(--cacert, for 127\.0\.0\.1:\d+\): /,
  },
];

for (const { args, env, message, code = 2 } of BAD_INPUT) {
  Deno.test(`runMain() ${args.join(" ")} exits ${code} with one line`, async () => {
    const run = await riot(args, env);
    assert.equal(run.code, code, run.err);
    assert.equal(run.out, "");
    assert.equal(run.err.split("\n").filter((line) => line !== "").length, 1, run.err);
    assert.match(run.err.replace(/^error: /, "").trimEnd(), message);
    assert.ok(!/top|secret/.test(run.err.replace(/h#top/, "")), `no password: ${run.err}`);
  });
}

Deno.test("runMain() --json prints a JSON error object on stdout for a usage error", async () => {
  const run = await riot(["compare", "--json", "redis://:top#secret@a:1", "b:99999"]);
  assert.equal(run.code, 2);
  const report = JSON.parse(run.out);
  assert.deepEqual(Object.keys(report), ["error"]);
  assert.equal(report.error.exitCode, 2);
  assert.match(report.error.message, /^Invalid URI b:99999: port must be 1 to 65535/);
  assert.match(run.err, /^error: Invalid URI/);
  const unknown = await riot(["ping", "--json", "--nope"]);
  assert.equal(unknown.code, 2);
  assert.match(JSON.parse(unknown.out).error.message, /^Unknown option --nope/);
});

Deno.test("runMain() --json prints a JSON error object on stdout for a runtime failure", async () => {
  const run = await riot(["ping", "--json", "-p", CLOSED, "--count", "1"]);
  assert.equal(run.code, 1, run.err);
  assert.deepEqual(JSON.parse(run.out), {
    error: {
      message:
        `Cannot connect to 127.0.0.1:${CLOSED}: connection refused. Check that Redis runs there and the host and port (-h, -p) are right.`,
      exitCode: 1,
    },
  });
});
