/**
 * What every subcommand is: a name, its options as data, and `run`, which returns the exit code.
 * Global options (before the command) reach `run` as `global`; for commands with one server they are the
 * defaults that the options after the command override, for replicate/compare they describe the source.
 */
import type { Logger } from "../ui/log.ts";
import type { Environment } from "./connection_flags.ts";
import { type OptionSpec, parseArgs, type ParsedValues } from "./parse.ts";

export interface CommandContext {
  /** Values of options given before the command. */
  global: ParsedValues;
  /** Options and arguments after the command name. */
  argv: string[];
  env: Environment;
  log: Logger;
  /** Writes to stdout (results, JSON). */
  out: (text: string) => void;
  /** Ends the process at once with `code` (a second Ctrl-C); main.ts owns the actual exit. */
  exit: (code: number) => void;
}

export interface CommandModule {
  name: string;
  /** Other names it answers to (RIOT's: `sync` for replicate, `gen` for generate). */
  aliases?: readonly string[];
  summary: string;
  /** Usage lines and explanation printed by --help, before the option list. */
  usage: string;
  specs: readonly OptionSpec[];
  /**
   * The part of argv that `specs` describe, when not all of it (imports: the options before the first
   * write operation, which has options of its own). runMain reads the log level and secrets from it.
   */
  ownArgv?(argv: readonly string[]): string[];
  run(context: CommandContext): Promise<number>;
}

export const LOG_SPECS: readonly OptionSpec[] = [
  { long: "quiet", short: "q", kind: "flag", key: "quiet", help: "Log errors only" },
  { long: "info", short: "i", kind: "flag", key: "info", help: "Log progress information" },
  { long: "debug", short: "d", kind: "flag", key: "debug", help: "Log debug details (and stack traces)" },
  { long: "help", kind: "flag", key: "help", help: "Show this help" },
];

/** Parse the command's own argv (its specs plus the logging flags). */
export function parseCommandArgs(command: CommandModule, argv: readonly string[]) {
  return parseArgs(argv, [...command.specs, ...LOG_SPECS], `riot ${command.name}`);
}
