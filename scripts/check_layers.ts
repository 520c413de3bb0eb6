/**
 * Fails when an import runs against the layer order: resp/ <- src/redis/ <- the engine <- src/commands/,
 * with src/ui/ used by commands and the CLI only. Run by `deno task check`.
 *
 * Each file's layer comes from its folder; a file may import its own layer and the layers below it.
 */
const LAYERS: [prefix: string, rank: number][] = [
  ["resp/", 0],
  ["src/rdb/", 0],
  ["src/expr/", 0],
  ["src/log.ts", 1],
  ["src/bytes.ts", 1],
  ["src/version.ts", 1],
  ["src/redis/", 2],
  ["src/retry.ts", 3],
  ["src/pipeline/", 3],
  ["src/sources/", 4],
  ["src/readers/", 4],
  ["src/writers/", 4],
  ["src/generate/", 4],
  ["src/exports/", 4],
  ["src/sql/", 4],
  ["src/faker/", 4],
  ["src/verify/", 4],
  ["src/live/", 5],
  ["src/sync/", 5],
  ["src/jobs/", 6],
  ["src/imports/", 6],
  ["src/ui/", 7],
  ["src/cli/", 8],
  ["src/commands/", 9],
  ["main.ts", 10],
];

/** The layer rank of a path relative to the repository, or undefined outside the layered tree. */
export function rankOf(path: string): number | undefined {
  let best: [string, number] | undefined;
  for (const entry of LAYERS) {
    if (path.startsWith(entry[0]) && (!best || entry[0].length > best[0].length)) best = entry;
  }
  return best?.[1];
}

/** Relative specifiers of `import/export ... from "x"`, `import "x"` (side effect) and `import("x")`. */
const IMPORT =
  /(?:(?:^|\n)\s*(?:import|export)[^"']*?from\s+|(?:^|\n)\s*import\s+|\bimport\s*\(\s*)["'](\.[^"']+)["']/g;

/** Imports of `from` (a repository path) that point to a higher layer. */
export function violations(from: string, source: string): string[] {
  const own = rankOf(from);
  if (own === undefined || from.endsWith("_test.ts")) return [];
  const found: string[] = [];
  for (const match of source.matchAll(IMPORT)) {
    const target = normalize(dirname(from), match[1]);
    const rank = rankOf(target);
    if (rank !== undefined && rank > own) found.push(`${from} imports ${target}`);
  }
  return found;
}

function dirname(path: string): string {
  const at = path.lastIndexOf("/");
  return at === -1 ? "" : path.slice(0, at);
}

function normalize(base: string, relative: string): string {
  const parts = base === "" ? [] : base.split("/");
  for (const part of relative.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== ".") parts.push(part);
  }
  return parts.join("/");
}

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = dir === "." ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* walk(path);
    else if (path.endsWith(".ts")) yield path;
  }
}

if (import.meta.main) {
  const found: string[] = [];
  for (const root of ["resp", "src"]) {
    for await (const path of walk(root)) found.push(...violations(path, await Deno.readTextFile(path)));
  }
  found.push(...violations("main.ts", await Deno.readTextFile("main.ts")));
  if (found.length > 0) {
    console.error(
      `Imports against the layer order (resp <- redis <- engine <- jobs <- ui <- cli <- commands):`,
    );
    for (const line of found) console.error(`  ${line}`);
    Deno.exit(1);
  }
}
