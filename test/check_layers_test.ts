/**
 * scripts/check_layers.ts: made-up file contents that import against the layer order are caught, legal
 * ones are not; and the tree as it is has no violation.
 */
import assert from "node:assert/strict";
import { rankOf, violations } from "../scripts/check_layers.ts";

Deno.test("check_layers: an engine file importing a command, the UI or the CLI is a violation", {
  permissions: "none",
}, () => {
  const source = `/** doc */
import { replicateCommand } from "../commands/replicate.ts";
import type { Logger } from "../ui/log.ts";
export { parse } from "../cli/parse.ts";
import {
  a,
  b,
} from "../jobs/replicate.ts";
`;
  assert.deepEqual(violations("src/pipeline/transfer.ts", source), [
    "src/pipeline/transfer.ts imports src/commands/replicate.ts",
    "src/pipeline/transfer.ts imports src/ui/log.ts",
    "src/pipeline/transfer.ts imports src/cli/parse.ts",
    "src/pipeline/transfer.ts imports src/jobs/replicate.ts",
  ]);
});

Deno.test("check_layers: resp/ and src/rdb/ import nothing above them; src/redis/ not the engine", {
  permissions: "none",
}, () => {
  assert.deepEqual(violations("resp/decoder.ts", `import { x } from "../src/redis/connection.ts";`), [
    "resp/decoder.ts imports src/redis/connection.ts",
  ]);
  assert.deepEqual(violations("src/rdb/payload.ts", `import { y } from "../redis/errors.ts";`), [
    "src/rdb/payload.ts imports src/redis/errors.ts",
  ]);
  assert.deepEqual(violations("src/redis/endpoint.ts", `import { retry } from "../retry.ts";`), [
    "src/redis/endpoint.ts imports src/retry.ts",
  ]);
});

Deno.test("check_layers: imports of the same or lower layers, and packages, are fine", {
  permissions: "none",
}, () => {
  const source = `import assert from "node:assert/strict";
import { ErrorReply } from "../../resp/mod.ts";
import { Endpoint } from "../redis/endpoint.ts";
import { retry } from "../retry.ts";
import { BoundedQueue } from "./queue.ts";
`;
  assert.deepEqual(violations("src/pipeline/transfer.ts", source), []);
  assert.deepEqual(violations("src/commands/replicate.ts", `import { x } from "../ui/report.ts";`), []);
  assert.deepEqual(violations("main.ts", `import { x } from "./src/commands/replicate.ts";`), []);
  // Tests and files outside the layered tree are not checked.
  assert.deepEqual(violations("src/rdb/lzf_test.ts", `import { x } from "../commands/compare.ts";`), []);
  assert.deepEqual(violations("scripts/bench/replicate.ts", `import { x } from "../../main.ts";`), []);
});

Deno.test("check_layers: side-effect imports and dynamic imports are checked too", {
  permissions: "none",
}, () => {
  assert.deepEqual(violations("src/sources/scan_source.ts", `import "../commands/replicate.ts";\n`), [
    "src/sources/scan_source.ts imports src/commands/replicate.ts",
  ]);
  assert.deepEqual(
    violations("src/verify/verify.ts", `const m = await import("../ui/report.ts");\n`),
    ["src/verify/verify.ts imports src/ui/report.ts"],
  );
});

Deno.test("check_layers: the longest matching prefix decides the layer", { permissions: "none" }, () => {
  assert.equal(rankOf("src/pipeline/transfer.ts"), rankOf("src/retry.ts"));
  assert.ok(rankOf("src/redis/endpoint.ts")! < rankOf("src/pipeline/transfer.ts")!);
  assert.ok(rankOf("src/jobs/replicate.ts")! < rankOf("src/ui/report.ts")!);
  assert.equal(rankOf("test/transfer_test.ts"), undefined);
});

Deno.test("check_layers: the tree as it is has no import against the layer order", async () => {
  const run = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "scripts/check_layers.ts"],
    cwd: new URL("..", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(run.code, 0, new TextDecoder().decode(run.stderr));
});
