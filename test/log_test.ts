/**
 * Logger: every line it writes, at every level and as a notice, has the registered secrets replaced by `***`,
 * wherever they appear in the line and however often. Pure (a sink in memory): runs with permissions "none".
 */
import assert from "node:assert/strict";
import { Logger } from "../src/ui/log.ts";

const NONE = { permissions: "none" } as const;

function logger(level: "error" | "warn" | "info" | "debug" = "debug") {
  const lines: string[] = [];
  const log = new Logger(level, { write: (line) => lines.push(line) });
  return { log, lines };
}

Deno.test({
  name: "Logger redacts a registered password from error, warn, info, debug and notice lines",
  ...NONE,
  fn() {
    const { log, lines } = logger();
    log.addSecret("hunter2");
    log.error("AUTH hunter2 refused");
    log.warn("Reconnecting to redis://:hunter2@db:6379");
    log.info("hunter2");
    log.debug("password=hunter2;again=hunter2");
    log.debug(() => "lazy hunter2");
    log.notice("summary for hunter2hunter2");
    assert.deepEqual(lines, [
      "error: AUTH *** refused\n",
      "warning: Reconnecting to redis://:***@db:6379\n",
      "***\n",
      "password=***;again=***\n",
      "lazy ***\n",
      "summary for ******\n",
    ]);
  },
});

Deno.test({
  name: "Logger redacts every registered secret (source and target passwords), and ignores empty ones",
  ...NONE,
  fn() {
    const { log, lines } = logger("warn");
    log.addSecret("src-pass");
    log.addSecret("tgt:pass@x");
    log.addSecret("");
    log.addSecret(undefined);
    log.warn("source src-pass, target tgt:pass@x, both src-pass tgt:pass@x");
    assert.deepEqual(lines, ["warning: source ***, target ***, both *** ***\n"]);
    assert.equal(log.redact("nothing secret"), "nothing secret");
  },
});

Deno.test({
  name: "Logger writes nothing below its level (and never builds a lazy debug message)",
  ...NONE,
  fn() {
    const { log, lines } = logger("error");
    log.addSecret("pw");
    log.warn("pw");
    log.info("pw");
    log.notice("pw");
    log.debug(() => {
      throw new Error("debug message built at level error");
    });
    log.error("pw");
    assert.deepEqual(lines, ["error: ***\n"]);
  },
});
