/** Runs riot in-process, as main.ts would, with stdout and stderr captured and an empty environment. */
import type { CommandModule } from "../src/cli/command.ts";
import { runMain } from "../src/cli/main.ts";
import { compareCommand } from "../src/commands/compare.ts";
import { dbExportCommand } from "../src/commands/db_export.ts";
import { dbImportCommand } from "../src/commands/db_import.ts";
import { fakerCommand } from "../src/commands/faker.ts";
import { fileImportCommand } from "../src/commands/file_import.ts";
import { fileExportCommand } from "../src/commands/file_export.ts";
import { generateCommand } from "../src/commands/generate.ts";
import { pingCommand } from "../src/commands/ping.ts";
import { rdbExportCommand } from "../src/commands/rdb_export.ts";
import { rdbImportCommand } from "../src/commands/rdb_import.ts";
import { replicateCommand } from "../src/commands/replicate.ts";

/** The commands main.ts runs, in the same order. */
export const COMMANDS: readonly CommandModule[] = [
  pingCommand,
  replicateCommand,
  generateCommand,
  compareCommand,
  fileImportCommand,
  fileExportCommand,
  dbImportCommand,
  dbExportCommand,
  fakerCommand,
  rdbImportCommand,
  rdbExportCommand,
];

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
  }, COMMANDS);
  return { code, out, err };
}
