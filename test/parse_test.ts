/** parseArgs(): option values that may be left out, several values, other names, conflicts (pure). */

import assert from "node:assert/strict";
import { type OptionSpec, parseArgs, UsageError } from "../src/cli/parse.ts";

const SPECS: OptionSpec[] = [
  { long: "pass", short: "a", kind: "string", key: "password", bare: true, help: "" },
  { long: "port", short: "p", kind: "int", key: "port", help: "" },
  { long: "show-diffs", kind: "int", key: "showDiffs", bare: Infinity, min: 0, help: "" },
  { long: "key-include", kind: "list", key: "include", multiple: true, splitCommas: false, help: "" },
  { long: "mode", kind: "string", key: "mode", choices: ["snapshot", "live"], help: "" },
  { long: "quick", kind: "flag", key: "mode", value: "snapshot", help: "" },
  {
    long: "resp",
    kind: "string",
    key: "resp",
    choices: ["2", "3"],
    normalize: (raw) => raw.replace(/^resp/i, ""),
    help: "",
  },
  { long: "hostname", aliases: ["host"], kind: "string", key: "host", help: "" },
  { long: "timeout", kind: "duration", unit: "s", key: "timeout", help: "" },
];

const parse = (...argv: string[]) => parseArgs(argv, SPECS, "riot test", false, ["replicate"]);
const permissions = "none" as const;

Deno.test({
  name: "parseArgs() takes a bare -a as 'ask', and a value that is not an option as the password",
  permissions,
  fn() {
    assert.equal(parse("-a").values.password, true);
    assert.equal(parse("-a", "-p", "1").values.password, true);
    assert.equal(parse("-a", "--port=1").values.password, true);
    assert.equal(parse("-a", "-secret").values.password, "-secret");
    assert.equal(parse("-a", "-pw").values.password, "-pw");
    assert.equal(parse("-a", "s3cret").values.password, "s3cret");
    assert.equal(parseArgs(["-a", "replicate"], SPECS, "riot", true, ["replicate"]).values.password, true);
  },
});

Deno.test({
  name: "parseArgs() --show-diffs alone, before an option or before a non-number means every difference",
  permissions,
  fn() {
    assert.equal(parse("--show-diffs").values.showDiffs, Infinity);
    assert.equal(parse("--show-diffs", "-p", "1").values.showDiffs, Infinity);
    const parsed = parse("--show-diffs", "redis://a:1");
    assert.equal(parsed.values.showDiffs, Infinity);
    assert.deepEqual(parsed.positionals, ["redis://a:1"]);
    assert.equal(parse("--show-diffs", "5").values.showDiffs, 5);
  },
});

Deno.test({
  name: "parseArgs() --key-include takes the values up to the next option or URI",
  permissions,
  fn() {
    const parsed = parse("--key-include", "a*", "b,c*", "--key-include", "d", "-p", "1", "x");
    assert.deepEqual(parsed.values.include, ["a*", "b,c*", "d"]);
    assert.deepEqual(parsed.positionals, ["x"]);
    const before = parse("--key-include", "a*", "redis://s:1", "redis://t:2");
    assert.deepEqual(before.values.include, ["a*"]);
    assert.deepEqual(before.positionals, ["redis://s:1", "redis://t:2"]);
    assert.deepEqual(parse("--key-include=a*", "b").positionals, ["b"]);
  },
});

Deno.test({
  name: "parseArgs() reads other names, normalized values and choices in any case",
  permissions,
  fn() {
    assert.equal(parse("--host", "h").values.host, "h");
    assert.equal(parse("--resp", "RESP3").values.resp, "3");
    assert.equal(parse("--mode", "LIVE").values.mode, "live");
    assert.equal(parse("--timeout", "30").values.timeout, 30_000);
    assert.equal(parse("--timeout", "250ms").values.timeout, 250);
  },
});

Deno.test({
  name: "parseArgs() lets the same option repeat (later wins) but refuses two options that disagree",
  permissions,
  fn() {
    assert.equal(parse("-p", "1", "--port", "2").values.port, 2);
    assert.equal(parse("--quick", "--mode", "snapshot").values.mode, "snapshot");
    assert.throws(
      () => parse("--quick", "--mode", "live"),
      (error) =>
        error instanceof UsageError && error.message === "--mode conflicts with --quick: give one of them",
    );
  },
});
