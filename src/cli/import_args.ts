/**
 * The command line of every import (file-import, db-import): the command's own options, then a chain of
 * write operations, each with its own options (`... hset --keyspace user --key id expire --ttl 3600000`).
 *
 *   splitOperations(argv, specs)   -> { head, operations }: argv cut at each operation name (a token that
 *                                     is not the value of an option before it)
 *   toOperations(operations)       -> WriteOperation[]; UsageError naming the operation and option
 *   toProcessing(values)           -> Processing from --filter/--proc/--regex/--date-format; a parse error
 *                                     is a UsageError that shows the expression with a caret at the column
 *   toImportConfig(values, target) -> ImportConfig (batch, threads, skip limit, queue, retries)
 *   PROCESSING_SPECS, IMPORT_SPECS  the options, as data
 * An operation may be followed by a key template (RIOT-X's `hset beer:#{id}`).
 */
import { ExprSyntaxError } from "../expr/mod.ts";
import type { ImportConfig } from "../imports/import_job.ts";
import { compileProcessing, type Processing } from "../imports/record_processor.ts";
import type { ConnectionOptions } from "../redis/options.ts";
import { type OperationOptions, type WriteOperation } from "../writers/operations/operation.ts";
import { createOperation, OPERATION_NAMES, type OperationName } from "../writers/operations/operations.ts";
import { type OptionSpec, parseArgs, type ParsedValues, UsageError } from "./parse.ts";
import { OUTPUT_SPECS, RETRY_SPECS, retryPolicyFrom } from "./replication_specs.ts";

export const PROCESSING_SPECS: readonly OptionSpec[] = [
  {
    long: "filter",
    kind: "string",
    key: "filter",
    arg: "EXPR",
    help: "Import only records for which EXPR is true",
  },
  {
    long: "proc",
    kind: "list",
    key: "procs",
    arg: "FIELD=EXPR",
    splitCommas: false,
    help: "Set FIELD to EXPR's value (repeatable, in order; null removes the field)",
  },
  {
    long: "regex",
    kind: "list",
    key: "regexes",
    arg: "FIELD=REGEX",
    splitCommas: false,
    help: "Match FIELD against REGEX: its named groups (?<name>...) become fields (repeatable)",
  },
  {
    long: "date-format",
    kind: "string",
    key: "dateFormat",
    arg: "PATTERN",
    help: "How #date.parse() reads dates (Java letters: yyyy-MM-dd HH:mm:ss)",
    defaultText: "ISO 8601",
  },
];

export const IMPORT_SPECS: readonly OptionSpec[] = [
  {
    long: "batch",
    kind: "int",
    key: "batch",
    arg: "N",
    min: 1,
    help: "Records per write round trip",
    defaultText: "500",
  },
  {
    long: "threads",
    kind: "int",
    key: "threads",
    arg: "N",
    min: 1,
    max: 64,
    help: "Writer connections",
    defaultText: "1",
  },
  {
    long: "skip-limit",
    kind: "int",
    key: "skipLimit",
    arg: "N",
    min: 0,
    help: "Stop once more than N records failed",
    defaultText: "no limit: every failure is listed and the run exits 1",
  },
  {
    long: "queue-bytes",
    kind: "bytes",
    key: "queueBytes",
    arg: "SIZE",
    min: 1,
    help: "Record bytes waiting for the writers",
    defaultText: "32mb",
  },
  { long: "rate", kind: "int", key: "rate", arg: "N", min: 1, help: "Records per second at most" },
  { long: "dry-run", kind: "flag", key: "dryRun", help: "Read and process everything, write nothing" },
  ...RETRY_SPECS,
  ...OUTPUT_SPECS,
];

const COMMON: OptionSpec[] = [
  { long: "keyspace", kind: "string", key: "keyspace", arg: "PREFIX", help: "Key prefix" },
  {
    long: "key",
    aliases: ["keys"],
    kind: "list",
    key: "keys",
    arg: "FIELD",
    multiple: true,
    help: "Fields whose values make the key (repeatable)",
  },
  {
    long: "key-separator",
    kind: "string",
    key: "keySeparator",
    arg: "SEP",
    help: "Between keyspace and key values",
    defaultText: ":",
  },
  {
    long: "ignore-missing",
    kind: "flag",
    key: "ignoreMissing",
    help: "A record without a field this operation needs skips the operation instead of failing",
  },
];

const FIELDS: OptionSpec[] = [
  { long: "include", kind: "list", key: "include", arg: "FIELD", multiple: true, help: "Only these fields" },
  {
    long: "exclude",
    kind: "list",
    key: "exclude",
    arg: "FIELD",
    multiple: true,
    help: "All fields but these",
  },
];
const MEMBER: OptionSpec[] = [
  {
    long: "member",
    aliases: ["members"],
    kind: "list",
    key: "members",
    arg: "FIELD",
    multiple: true,
    help: "Fields whose values make the member",
  },
  { long: "member-space", kind: "string", key: "memberSpace", arg: "PREFIX", help: "Member prefix" },
];
const RAW_FIELD: OptionSpec = {
  long: "field",
  aliases: ["value"],
  kind: "string",
  key: "field",
  arg: "FIELD",
  help: "Write this field's value as it is (default: the record as JSON)",
};

/** The options of each operation (besides COMMON). */
const OPERATION_SPECS: Record<OperationName, OptionSpec[]> = {
  hset: FIELDS,
  set: [RAW_FIELD, ...FIELDS],
  "json.set": [RAW_FIELD, ...FIELDS, {
    long: "path",
    kind: "string",
    key: "path",
    arg: "PATH",
    help: "JSON path",
    defaultText: "$",
  }],
  rpush: MEMBER,
  lpush: MEMBER,
  sadd: MEMBER,
  zadd: [...MEMBER, { long: "score", kind: "string", key: "score", arg: "FIELD", help: "Score field" }, {
    long: "score-default",
    kind: "number",
    key: "scoreDefault",
    arg: "N",
    help: "Score when the field is missing",
  }],
  xadd: [...FIELDS, {
    long: "maxlen",
    kind: "int",
    key: "maxlen",
    arg: "N",
    min: 0,
    help: "Trim the stream to N entries",
  }, { long: "approximate", kind: "flag", key: "approximate", help: "Trim with ~ (faster)" }],
  geoadd: [
    ...MEMBER,
    {
      long: "lon",
      aliases: ["longitude"],
      kind: "string",
      key: "lon",
      arg: "FIELD",
      help: "Longitude field",
    },
    { long: "lat", aliases: ["latitude"], kind: "string", key: "lat", arg: "FIELD", help: "Latitude field" },
  ],
  expire: [
    { long: "ttl", kind: "int", key: "ttl", arg: "MS", min: 1, help: "Time to live in milliseconds" },
    { long: "ttl-field", kind: "string", key: "ttlField", arg: "FIELD", help: "Field holding the TTL (ms)" },
    { long: "abs", kind: "flag", key: "abs", help: "The TTL is an absolute unix time in ms (PEXPIREAT)" },
  ],
  del: [],
  "ts.add": [
    {
      long: "timestamp",
      kind: "string",
      key: "timestamp",
      arg: "FIELD",
      help: "Timestamp field (ms)",
      defaultText: "* (the server's clock)",
    },
    { long: "value", kind: "string", key: "value", arg: "FIELD", help: "Value field" },
  ],
};

export interface OperationArgs {
  name: OperationName;
  argv: string[];
}

function isOperationName(token: string): token is OperationName {
  return (OPERATION_NAMES as readonly string[]).includes(token);
}

/** True when `token` is an option of `specs` that takes its value from the next token. */
function takesValue(token: string, specs: readonly OptionSpec[]): boolean {
  if (!token.startsWith("-") || token.includes("=")) return false;
  const spec = token.startsWith("--")
    ? specs.find((one) => one.long === token.slice(2) || one.aliases?.includes(token.slice(2)))
    : token.length === 2
    ? specs.find((one) => one.short === token[1])
    : undefined;
  return spec !== undefined && spec.kind !== "flag" && spec.bare === undefined && !spec.multiple;
}

/** The spec `token` names (`--long`, `--long=x`, `-s`, `-sVALUE`), if any. */
function specOf(token: string, specs: readonly OptionSpec[]): OptionSpec | undefined {
  if (token.startsWith("--")) {
    const name = token.slice(2).split("=")[0];
    return specs.find((one) => one.long === name || one.aliases?.includes(name));
  }
  if (token.startsWith("-") && token.length >= 2 && !/^-\d/.test(token)) {
    return specs.find((one) => one.short === token[1]);
  }
  return undefined;
}

/**
 * Cut argv at each write operation name. `specs` are the command's own: their values are skipped, and
 * when one of them comes after an operation (`... hset --key id --json`) it is moved back to the command,
 * except the connection options in `placed` (they must come before the first operation: UsageError).
 */
export function splitOperations(
  argv: readonly string[],
  specs: readonly OptionSpec[],
  placed: readonly OptionSpec[] = [],
): { head: string[]; operations: OperationArgs[] } {
  const head: string[] = [];
  const operations: OperationArgs[] = [];
  let current: string[] = head;
  let currentSpecs: readonly OptionSpec[] = specs;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (isOperationName(token)) {
      current = [];
      operations.push({ name: token, argv: current });
      currentSpecs = [...COMMON, ...OPERATION_SPECS[token]];
      continue;
    }
    let into = current;
    let intoSpecs = currentSpecs;
    if (current !== head && specOf(token, currentSpecs) === undefined) {
      const own = specOf(token, specs);
      if (own !== undefined) {
        if (placed.includes(own)) {
          throw new UsageError(
            `${token.split("=")[0]} names the target: put it before the first write operation (${
              operations[0].name
            })`,
          );
        }
        into = head;
        intoSpecs = specs;
      }
    }
    into.push(token);
    if (takesValue(token, intoSpecs) && i + 1 < argv.length) into.push(argv[++i]);
  }
  return { head, operations };
}

export function toOperations(operations: readonly OperationArgs[]): WriteOperation[] {
  return operations.map(({ name, argv }) => {
    const parsed = parseArgs(argv, [...COMMON, ...OPERATION_SPECS[name]], name);
    if (parsed.positionals.length > 1) {
      throw new UsageError(`${name} takes at most one key template (got '${parsed.positionals.join(" ")}')`);
    }
    const values = parsed.values;
    const options: OperationOptions = {
      keyspace: values.keyspace as string | undefined,
      keys: (values.keys as string[] | undefined) ?? [],
      keySeparator: (values.keySeparator as string | undefined) ?? ":",
      keyTemplate: parsed.positionals[0],
      ignoreMissing: values.ignoreMissing === true,
      include: values.include as string[] | undefined,
      exclude: values.exclude as string[] | undefined,
      field: values.field as string | undefined,
      members: values.members as string[] | undefined,
      memberSpace: values.memberSpace as string | undefined,
      score: values.score as string | undefined,
      scoreDefault: values.scoreDefault as number | undefined,
      maxlen: values.maxlen as number | undefined,
      approximate: values.approximate === true,
      lon: values.lon as string | undefined,
      lat: values.lat as string | undefined,
      ttl: values.ttl as number | undefined,
      ttlField: values.ttlField as string | undefined,
      abs: values.abs === true,
      path: values.path as string | undefined,
      timestamp: values.timestamp as string | undefined,
      value: values.value as string | undefined,
    };
    try {
      return createOperation(name, options);
    } catch (error) {
      if (error instanceof ExprSyntaxError) throw templateError(name, error);
      if (error instanceof RangeError) throw new UsageError(error.message);
      throw error;
    }
  });
}

function templateError(name: string, error: ExprSyntaxError): UsageError {
  return new UsageError(`${name}: the key template does not parse: ${error.message}\n${error.pointer()}`);
}

export function toProcessing(values: ParsedValues): Processing {
  try {
    return compileProcessing({
      filter: values.filter as string | undefined,
      procs: values.procs as string[] | undefined,
      regexes: values.regexes as string[] | undefined,
      dateFormat: values.dateFormat as string | undefined,
    });
  } catch (error) {
    if (error instanceof ExprSyntaxError) {
      const option = values.filter === error.source ? "--filter" : "--proc";
      throw new UsageError(`${option}: the expression does not parse: ${error.message}\n${error.pointer()}`);
    }
    if (error instanceof RangeError) throw new UsageError(error.message);
    throw error;
  }
}

export function toImportConfig(values: ParsedValues, target: ConnectionOptions): ImportConfig {
  const threads = (values.threads as number | undefined) ?? 1;
  if (1 + threads > target.pool) {
    throw new UsageError(
      `--threads ${threads} needs ${1 + threads} connections, above -m/--pool ${target.pool}`,
    );
  }
  return {
    target,
    threads,
    batch: (values.batch as number | undefined) ?? 500,
    queueBatches: 2,
    queueBytes: (values.queueBytes as number | undefined) ?? 32 * 1024 * 1024,
    dryRun: values.dryRun === true,
    retry: retryPolicyFrom(values),
    skipLimit: values.skipLimit as number | undefined,
    rate: values.rate as number | undefined,
  };
}

/** Help lines listing the operations and their options. */
export function operationsHelp(): string {
  return OPERATION_NAMES.map((name) =>
    `  ${name.padEnd(9)} ${
      [...OPERATION_SPECS[name], ...COMMON].map((spec) => `--${spec.long}${spec.arg ? ` ${spec.arg}` : ""}`)
        .join(
          " ",
        )
    }`
  ).join("\n");
}
