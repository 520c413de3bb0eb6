/**
 * `riot generate`: fill one Redis with synthetic data (see src/pipeline/data_generator.ts for the layout).
 * Exit 0 when every command succeeded, 1 when the server answered any with an error (the first few are
 * printed), 2 for bad options.
 */
import { type CommandContext, type CommandModule, parseCommandArgs } from "../cli/command.ts";
import { CONNECTION_SPECS, toConnectionOptions } from "../cli/connection_flags.ts";
import { type OptionSpec, UsageError } from "../cli/parse.ts";
import {
  DEFAULT_GENERATE_CONFIG,
  type GenerateConfig,
  parseTypes,
  resolveGenerateConfig,
} from "../generate/generate_config.ts";
import { generate, type GenerateProgress } from "../generate/generate_data.ts";
import { formatCount, formatDuration, formatThousands } from "../ui/format.ts";
import { defaultProgressStyle, Progress, type ProgressStyle } from "../ui/progress.ts";

const D = DEFAULT_GENERATE_CONFIG;

const GENERATE_SPECS: readonly OptionSpec[] = [
  { long: "count", kind: "int", key: "count", arg: "N", min: 0, help: "Keys to write", defaultText: "1000" },
  {
    long: "keyspace",
    kind: "string",
    key: "keyspace",
    arg: "PREFIX",
    help: "Key prefix: keys are PREFIX:TYPE:N",
    defaultText: "gen",
  },
  {
    long: "types",
    kind: "list",
    key: "types",
    arg: "LIST",
    help: "Data types, comma-separated; TYPE:WEIGHT for more turns (string:3,hash)",
    defaultText: "string,hash,list,set,zset,stream",
  },
  {
    long: "string-size",
    kind: "bytes",
    key: "stringSize",
    arg: "BYTES",
    min: 0,
    help: "Bytes per string value",
    defaultText: "100",
  },
  {
    long: "hash-fields",
    kind: "int",
    key: "hashFields",
    arg: "N",
    min: 1,
    help: "Fields per hash",
    defaultText: "10",
  },
  {
    long: "list-size",
    kind: "int",
    key: "listSize",
    arg: "N",
    min: 1,
    help: "Elements per list",
    defaultText: "10",
  },
  {
    long: "set-size",
    kind: "int",
    key: "setSize",
    arg: "N",
    min: 1,
    help: "Members per set",
    defaultText: "10",
  },
  {
    long: "zset-size",
    kind: "int",
    key: "zsetSize",
    arg: "N",
    min: 1,
    help: "Members per sorted set",
    defaultText: "10",
  },
  {
    long: "stream-size",
    kind: "int",
    key: "streamSize",
    arg: "N",
    min: 1,
    help: "Entries per stream",
    defaultText: "10",
  },
  {
    long: "field-size",
    kind: "bytes",
    key: "fieldSize",
    arg: "BYTES",
    min: 0,
    help: "Bytes per hash value, list element, member and stream value",
    defaultText: "10",
  },
  {
    long: "binary",
    kind: "flag",
    key: "binary",
    help: "Values hold any byte (default: letters, digits, - and _)",
  },
  {
    long: "ttl-ratio",
    kind: "number",
    key: "ttlRatio",
    arg: "R",
    min: 0,
    max: 1,
    help: "Fraction of keys with a TTL",
    defaultText: "0",
  },
  {
    long: "ttl-min",
    kind: "duration",
    key: "ttlMinMs",
    arg: "DURATION",
    min: 1,
    help: "Shortest TTL (500ms, 60s, 1h; a bare number is ms)",
    defaultText: "60s",
  },
  {
    long: "ttl-max",
    kind: "duration",
    key: "ttlMaxMs",
    arg: "DURATION",
    min: 1,
    help: "Longest TTL",
    defaultText: "1h",
  },
  {
    long: "seed",
    kind: "int",
    key: "seed",
    arg: "N",
    min: 0,
    max: 0xffffffff,
    help: "Seed of the data: the same seed writes the same bytes",
    defaultText: "random",
  },
  {
    long: "batch",
    kind: "int",
    key: "batch",
    arg: "N",
    min: 1,
    help: "Writes per pipeline (a command, or one key of an MSET)",
    defaultText: String(D.batch),
  },
  {
    long: "threads",
    kind: "int",
    key: "threads",
    arg: "N",
    min: 1,
    max: 256,
    help: "Parallel connections",
    defaultText: String(D.threads),
  },
  {
    long: "progress",
    kind: "string",
    key: "progress",
    arg: "STYLE",
    choices: ["bar", "log", "none"],
    help: "Progress on stderr: bar, log or none",
    defaultText: "bar on a terminal, else log; none with -q or --json",
  },
  { long: "json", kind: "flag", key: "json", help: "Print the summary as JSON on stdout" },
];

const USAGE = `Usage: riot [OPTIONS] generate [OPTIONS]

Fill a Redis with synthetic data for tests, demos and benchmarks. The n-th key of a type is
PREFIX:TYPE:n (gen:string:1, gen:hash:1, gen:string:2 ...); types take turns, TYPE:WEIGHT gives a
type more turns. Collections are deleted before they are written, so a second run rewrites the
same keys. With --seed the data is byte-identical on every run (TTLs count from the time of writing).

Exit codes: 0 done, 1 the server answered some commands with an error, 2 bad usage.

Examples:
  riot generate --count 1000000 --types string --string-size 100
  riot -p 6380 generate -n 2 --types hash,zset:2 --ttl-ratio 0.1 --seed 42 --json
`;

/** Parsed values -> a generate config; UsageError (one line naming the option) when they do not fit. */
export function toGenerateConfig(values: Record<string, unknown>): GenerateConfig {
  const partial: Partial<GenerateConfig> = {};
  const numbers = [
    "count",
    "stringSize",
    "hashFields",
    "listSize",
    "setSize",
    "zsetSize",
    "streamSize",
    "fieldSize",
    "ttlRatio",
    "ttlMinMs",
    "ttlMaxMs",
    "seed",
    "batch",
    "threads",
  ] as const;
  for (const key of numbers) {
    if (typeof values[key] === "number") partial[key] = values[key] as number;
  }
  if (typeof values.keyspace === "string") {
    if (values.keyspace === "") throw new UsageError("--keyspace must not be empty");
    partial.keyspace = values.keyspace;
  }
  if (values.binary === true) partial.binary = true;
  if (Array.isArray(values.types)) {
    try {
      partial.types = parseTypes(values.types as string[]);
    } catch (error) {
      if (error instanceof RangeError) throw new UsageError(`Invalid --types: ${error.message}`);
      throw error;
    }
  }
  partial.seed ??= Math.floor(Math.random() * 0x1_0000_0000);
  if ((partial.ttlMaxMs ?? D.ttlMaxMs) < (partial.ttlMinMs ?? D.ttlMinMs)) {
    throw new UsageError(
      `--ttl-max (${formatDuration(partial.ttlMaxMs ?? D.ttlMaxMs)}) must not be shorter than --ttl-min (${
        formatDuration(partial.ttlMinMs ?? D.ttlMinMs)
      })`,
    );
  }
  try {
    return resolveGenerateConfig(partial);
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(`Invalid option: ${error.message}`);
    throw error;
  }
}

export const generateCommand: CommandModule = {
  name: "generate",
  aliases: ["gen"],
  summary: "Fill a Redis with synthetic data (tests, demos, benchmarks)",
  usage: USAGE,
  specs: [...CONNECTION_SPECS, ...GENERATE_SPECS],
  async run(context: CommandContext): Promise<number> {
    const own = parseCommandArgs(generateCommand, context.argv);
    if (own.positionals.length > 0) {
      throw new UsageError(`riot generate takes no arguments (got '${own.positionals[0]}')`);
    }
    const values = own.values;
    const options = toConnectionOptions([context.global, values], context.env);
    if (options.cluster) {
      throw new UsageError(
        "riot generate does not support cluster mode (-c) yet: point it at a standalone server",
      );
    }
    const config = toGenerateConfig(values);
    if (config.threads > options.pool) {
      throw new UsageError(
        `--threads ${config.threads} needs ${config.threads} connections, above -m/--pool ${options.pool}: raise --pool or lower --threads`,
      );
    }
    const log = context.log;
    const quiet = !log.enabled("warn");
    const style = (values.progress as ProgressStyle | undefined) ??
      (quiet || values.json ? "none" : defaultProgressStyle());
    log.debug(() => `generate: seed ${config.seed}, ${config.threads} connections, batch ${config.batch}`);

    let counters: Readonly<GenerateProgress> = { keys: 0, commands: 0, errors: 0 };
    const progress = new Progress({
      label: "generate",
      style,
      logger: log,
      poll: () => ({
        done: counters.keys,
        total: config.count,
        extra: `${formatCount(counters.commands)} commands${
          counters.errors > 0 ? `, ${formatCount(counters.errors)} errors` : ""
        }`,
      }),
    });
    progress.start();
    let result;
    try {
      result = await generate(options, config, (now) => counters = now);
    } finally {
      progress.stop(result !== undefined);
    }

    for (const line of result.firstErrors) log.error(line);
    if (result.errors > 0) {
      log.error(
        `${formatThousands(result.errors)} of ${formatThousands(result.commands)} commands failed${
          result.errors > result.firstErrors.length ? ` (first ${result.firstErrors.length} shown)` : ""
        }`,
      );
    }
    if (values.json) {
      context.out(
        `${
          JSON.stringify({
            keys: result.keys,
            commands: result.commands,
            errors: result.errors,
            seconds: Math.round(result.seconds * 1000) / 1000,
            keysPerSecond: Math.round(result.keysPerSecond),
            seed: result.seed,
          })
        }\n`,
      );
    }
    log.notice(
      `Generated ${formatThousands(result.keys)} keys (${formatThousands(result.commands)} commands) in ${
        formatDuration(result.seconds * 1000)
      }: ${formatCount(result.keysPerSecond)} keys/s, seed ${result.seed}`,
    );
    return result.errors > 0 ? 1 : 0;
  },
};
