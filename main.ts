/** riot: Redis Input/Output Tools. Builds the command list, runs it, and is the only place that calls Deno.exit. */
import type { CommandModule } from "./src/cli/command.ts";
import { runMain } from "./src/cli/main.ts";
import { compareCommand } from "./src/commands/compare.ts";
import { dbExportCommand } from "./src/commands/db_export.ts";
import { dbImportCommand } from "./src/commands/db_import.ts";
import { fakerCommand } from "./src/commands/faker.ts";
import { fileImportCommand } from "./src/commands/file_import.ts";
import { fileExportCommand } from "./src/commands/file_export.ts";
import { generateCommand } from "./src/commands/generate.ts";
import { pingCommand } from "./src/commands/ping.ts";
import { rdbExportCommand } from "./src/commands/rdb_export.ts";
import { rdbImportCommand } from "./src/commands/rdb_import.ts";
import { replicateCommand } from "./src/commands/replicate.ts";
import { askSecretOnTerminal } from "./src/ui/ask_secret.ts";

/** Every command, in the order `riot --help` lists them. */
const COMMANDS: readonly CommandModule[] = [
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

const encoder = new TextEncoder();
const code = await runMain(Deno.args, {
  out: (text) => Deno.stdout.writeSync(encoder.encode(text)),
  err: (text) => Deno.stderr.writeSync(encoder.encode(text)),
  env: { get: (name) => Deno.env.get(name), askSecret: askSecretOnTerminal },
  exit: (code) => Deno.exit(code),
}, COMMANDS);
Deno.exit(code);
