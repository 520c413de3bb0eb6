/**
 * argv -> command -> exit code. The one place that maps errors to exit codes:
 * UsageError 2, everything else 1, with one line on stderr (stack trace only with -d).
 */
import { ConnectionError } from "../redis/errors.ts";
import { OptionError } from "../redis/options.ts";
import { Logger, type LogLevel } from "../ui/log.ts";
import { type CommandContext, type CommandModule, LOG_SPECS, parseCommandArgs } from "./command.ts";
import { CONNECTION_SPECS, type Environment } from "./connection_flags.ts";
import { formatOptions, type OptionSpec, parseArgs, type ParsedValues, UsageError } from "./parse.ts";
import { uriSecrets } from "../redis/uri.ts";
import { VERSION } from "../version.ts";

const GLOBAL_SPECS: readonly OptionSpec[] = [
  ...CONNECTION_SPECS,
  ...LOG_SPECS,
  { long: "version", short: "V", kind: "flag", key: "version", help: "Print the version and exit" },
];

export interface MainIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** The process environment, and a terminal to ask for passwords on (absent: never ask). */
  env: Environment;
  /** Ends the process at once (main.ts: Deno.exit); absent in tests. */
  exit?: (code: number) => void;
}

function levelOf(values: ParsedValues, fallback: LogLevel): LogLevel {
  if (values.debug) return "debug";
  if (values.info) return "info";
  if (values.quiet) return "error";
  return fallback;
}

/** `riot --help`: usage, the commands given to runMain in their order, the global options. */
export function rootHelp(commands: readonly CommandModule[]): string {
  const list = commands.map((command) =>
    `  ${command.name.padEnd(12)}${command.summary}${
      command.aliases?.length ? ` (also: ${command.aliases.join(", ")})` : ""
    }`
  ).join("\n");
  return `riot ${VERSION}: Redis Input/Output Tools

Usage: riot [SOURCE OPTIONS] COMMAND [OPTIONS]
       riot -h SRC -p 6379 replicate -h TGT -p 6380 --live

Commands:
${list}

Options before the command describe the source server (or the only one); options after it
describe the target (replicate, compare) or override them. 'riot COMMAND --help' for each.

${formatOptions(GLOBAL_SPECS)}

Exit codes: 0 success, 1 failure (or differences found), 2 bad usage, 130 SIGINT, 143 SIGTERM.
`;
}

/**
 * Run riot with `args` against the given commands (main.ts passes them all; a test may pass fewer);
 * resolves with the exit code. Never calls Deno.exit. With --json, a failure also prints
 * `{"error": {"message", "exitCode"}}` on stdout, so that a script reading stdout always gets JSON.
 */
export async function runMain(
  args: readonly string[],
  io: MainIo,
  commands: readonly CommandModule[],
): Promise<number> {
  const log = new Logger("warn", { write: io.err });
  for (const arg of args) for (const secret of uriSecrets(arg)) log.addSecret(secret);
  log.addSecret(io.env.get("REDISCLI_AUTH"));
  const end = args.indexOf("--");
  const json = (end === -1 ? args : args.slice(0, end)).some((arg) =>
    arg === "--json" || arg === "--json=true"
  );
  let debug = false;
  try {
    const names = commands.flatMap((command) => [command.name, ...command.aliases ?? []]);
    const global = parseArgs(args, GLOBAL_SPECS, "riot", true, names);
    log.level = levelOf(global.values, "warn");
    debug = log.level === "debug";
    addSecrets(log, global.values, io.env);
    if (global.values.version) {
      io.out(`riot ${VERSION}\n`);
      return 0;
    }
    const [name, ...rest] = global.rest;
    if (name === undefined || name === "help") {
      if (name === undefined && !global.values.help) {
        io.err(rootHelp(commands));
        return 2;
      }
      io.out(rootHelp(commands));
      return 0;
    }
    const command = commands.find((candidate) =>
      candidate.name === name || candidate.aliases?.includes(name)
    );
    if (!command) {
      throw new UsageError(`Unknown command '${name}'. Commands: ${commands.map((c) => c.name).join(", ")}`);
    }
    if (rest.includes("--help") || global.values.help) {
      io.out(`${command.usage}\nOptions:\n${formatOptions([...command.specs, ...LOG_SPECS])}\n`);
      return 0;
    }
    const own = parseCommandArgs(command, command.ownArgv ? command.ownArgv(rest) : rest).values;
    log.level = levelOf(own, log.level);
    debug = log.level === "debug";
    addSecrets(log, own, io.env);
    const context: CommandContext = {
      global: global.values,
      argv: rest,
      env: io.env,
      log,
      out: io.out,
      exit: io.exit ?? (() => {}),
    };
    return await command.run(context);
  } catch (error) {
    const code = reportFailure(error, log, debug);
    if (json) {
      const message = log.redact(error instanceof Error ? error.message : String(error));
      io.out(`${JSON.stringify({ error: { message, exitCode: code } })}\n`);
    }
    return code;
  }
}

/** Passwords given as options (-a, --source-pass, ...) and read from --pass-env variables. */
function addSecrets(log: Logger, values: ParsedValues, env: Environment): void {
  for (const [key, value] of Object.entries(values)) {
    if (typeof value !== "string") continue;
    if (key === "password" || key.endsWith(".password")) log.addSecret(value);
    if (key === "passEnv" || key.endsWith(".passEnv")) log.addSecret(env.get(value));
  }
}

/** One line for the user; exit 2 for usage errors, 1 otherwise. */
export function reportFailure(error: unknown, log: Logger, debug: boolean): number {
  const usage = error instanceof UsageError || error instanceof OptionError;
  const message = error instanceof Error ? error.message : String(error);
  log.beforeWrite?.();
  if (usage) {
    log.error(message);
    return 2;
  }
  if (error instanceof ConnectionError || !debug) log.error(message);
  else log.error((error as Error).stack ?? message);
  return 1;
}
