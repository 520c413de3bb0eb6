/**
 * `deno task compile`: builds the single executable `dist/riot` with `deno compile`.
 *
 * `deno compile` needs the `denort` runtime of the same Deno version: on a connected machine Deno
 * downloads it; on an air-gapped builder, point DENORT_BIN at a denort binary (from the `denort-<target>`
 * zip of the Deno release, copied in by hand). `--target` may be given to cross-compile.
 */
/**
 * V8 flags baked into the executable. An 8 MiB semi-space (V8's default is 16) keeps peak RSS of a 1 M key
 * copy near 100 MiB instead of 130-170 MiB; 4 MiB saved ~8 MiB more but cost ~20% more client CPU in
 * garbage collection, which on 2 cores the source server needs (BENCHMARKS.md). `deno task riot` uses the same.
 */
export const V8_FLAGS = "--max-semi-space-size=8";

const args = Deno.args;
const output = args.includes("--output") ? args[args.indexOf("--output") + 1] : "dist/riot";
const extra = args.filter((arg, i) => arg !== "--output" && args[i - 1] !== "--output");
const denort = Deno.env.get("DENORT_BIN");
if (denort) {
  try {
    Deno.statSync(denort);
  } catch {
    console.error(
      `compile: DENORT_BIN=${denort} does not exist: point it at a denort binary of Deno ${Deno.version.deno}`,
    );
    Deno.exit(2);
  }
  console.error(`compile: using the runtime from DENORT_BIN=${denort}`);
}
const command = new Deno.Command(Deno.execPath(), {
  args: [
    "compile",
    "--allow-all",
    "--no-check",
    `--v8-flags=${V8_FLAGS}`,
    "--output",
    output,
    ...extra,
    "main.ts",
  ],
  stdout: "inherit",
  stderr: "piped",
});
const result = await command.output();
const stderr = new TextDecoder().decode(result.stderr);
Deno.stderr.writeSync(result.stderr);
if (!result.success) {
  if (!denort && /download|denort|dns|connect|network|resolve/i.test(stderr)) {
    console.error(
      `compile: deno could not download its runtime (denort ${Deno.version.deno}). On an offline machine, copy ` +
        `denort in and run: DENORT_BIN=/path/to/denort deno task compile`,
    );
  }
  Deno.exit(1);
}
console.error(`compile: wrote ${output}`);
