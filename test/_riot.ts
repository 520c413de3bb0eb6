/** Runs riot in-process, as main.ts would, with stdout and stderr captured and an empty environment. */
import "../src/commands/all.ts";
import { runMain } from "../src/cli/main.ts";

export interface Run {
  code: number;
  out: string;
  err: string;
}

export async function riot(args: string[], env: Record<string, string> = {}): Promise<Run> {
  let out = "";
  let err = "";
  const code = await runMain(args, {
    out: (text) => out += text,
    err: (text) => err += text,
    env: { get: (name) => env[name] },
  });
  return { code, out, err };
}
