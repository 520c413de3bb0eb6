/** riot: Redis Input/Output Tools. The only place that calls Deno.exit. */
import "./src/commands/all.ts";
import { runMain } from "./src/cli/main.ts";

const encoder = new TextEncoder();
const code = await runMain(Deno.args, {
  out: (text) => Deno.stdout.writeSync(encoder.encode(text)),
  err: (text) => Deno.stderr.writeSync(encoder.encode(text)),
  env: { get: (name) => Deno.env.get(name) },
  exit: (code) => Deno.exit(code),
});
Deno.exit(code);
