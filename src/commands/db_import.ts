/**
 * `riot db-import "SELECT ..." [OPERATION [OPTIONS]]...`: rows of a SQL query become Redis writes, a hash
 * `--keyspace:--key` per row by default, or through the chain of write operations (as file-import). Rows
 * are streamed (a server-side cursor, --fetch rows per round trip, on PostgreSQL), never loaded whole;
 * columns map to text as src/sql/type_mapping.ts says. Exit 0 when every row was written, 1 when any
 * failed or the database failed, 2 for bad usage.
 */
import { type CommandContext, type CommandModule, LOG_SPECS } from "../cli/command.ts";
import { CONNECTION_SPECS, toConnectionOptions } from "../cli/connection_flags.ts";
import { DATABASE_SPECS, databaseFrom } from "../cli/database_specs.ts";
import {
  IMPORT_SPECS,
  operationsHelp,
  PROCESSING_SPECS,
  splitOperations,
  toImportConfig,
  toOperations,
  toProcessing,
} from "../cli/import_args.ts";
import { type OptionSpec, parseArgs, type ParsedValues, UsageError } from "../cli/parse.ts";
import type { Fields } from "../expr/mod.ts";
import { ImportJob } from "../imports/import_job.ts";
import { RecordProcessor } from "../imports/record_processor.ts";
import { describe } from "../sql/database_url.ts";
import { openDatabase } from "../sql/open_database.ts";
import { SqlRowInput } from "../sql/row_input.ts";
import { SqlError } from "../sql/sql_client.ts";
import type { WriteOperation } from "../writers/operations/operation.ts";
import { createOperation } from "../writers/operations/operations.ts";
import { runImport } from "./run_import.ts";

/**
 * Rows per cursor fetch: 500 rather than 1000, by measure (300 k rows of 8 columns: peak RSS 146-148 MB with
 * 1000, 120-124 MB with 500, 117 MB with 250 for more CPU). The likely reason: two fetches of 1000 rows (the
 * one processed, the one asked for ahead) outlive V8's young generation, and promoted rows grow old space.
 */
const DEFAULT_FETCH = 500;

const DB_IMPORT_SPECS: readonly OptionSpec[] = [
  ...DATABASE_SPECS,
  {
    long: "fetch",
    kind: "int",
    key: "fetch",
    arg: "N",
    min: 1,
    help: "Rows per round trip of the server-side cursor (PostgreSQL)",
    defaultText: String(DEFAULT_FETCH),
  },
  {
    long: "no-count",
    kind: "flag",
    key: "noCount",
    help: "Do not run SELECT count(*) of the query first (no total, no ETA)",
  },
  {
    long: "keyspace",
    kind: "string",
    key: "keyspace",
    arg: "PREFIX",
    help: "Without an operation: each row is a hash PREFIX:KEY",
  },
  {
    long: "key-column",
    aliases: ["key-columns"],
    kind: "list",
    key: "keyColumns",
    arg: "COLUMN",
    multiple: true,
    help: "Without an operation: the columns whose values make the key",
    defaultText: "the first column",
  },
];

const SPECS: readonly OptionSpec[] = [
  ...DB_IMPORT_SPECS,
  ...PROCESSING_SPECS,
  ...IMPORT_SPECS,
  ...CONNECTION_SPECS,
];

const USAGE = `Usage: riot [REDIS OPTIONS] db-import --url URL "SELECT ..." [OPTIONS] [OPERATION [OPTIONS]]...

Runs the query and writes each row: as a hash KEYSPACE:KEY-COLUMN (the default), or through the chain of write
operations after it. Columns become fields: numbers exactly as the database prints them, dates in ISO
8601, booleans true/false, JSON as its text, binary columns as their bytes; NULL columns are left out.

Operations and their options:
${operationsHelp()}

Examples:
  riot db-import --url postgres://postgres@localhost/shop "SELECT * FROM orders" --keyspace order --key-column id
  riot db-import --jdbc-url jdbc:mysql://db:3306/shop --jdbc-user app --jdbc-pass-env DB_PW \\
    "SELECT id, name FROM users" hset --keyspace user --key id expire --keyspace user --key id --ttl 3600000
  riot db-import --url sqlite:data.db "SELECT * FROM events" xadd --keyspace events
`;

export const dbImportCommand: CommandModule = {
  name: "db-import",
  summary: "Import the rows of a SQL query (PostgreSQL, MySQL/MariaDB, SQLite) into Redis",
  usage: USAGE,
  specs: SPECS,
  ownArgv: (argv) => splitOperations(argv, [...SPECS, ...LOG_SPECS]).head,
  async run(context: CommandContext): Promise<number> {
    const { head, operations } = splitOperations(context.argv, [...SPECS, ...LOG_SPECS]);
    const { values, positionals } = parseArgs(head, [...SPECS, ...LOG_SPECS], "riot db-import");
    if (positionals.length !== 1) {
      throw new UsageError(
        positionals.length === 0
          ? 'riot db-import needs the query: riot db-import --url URL "SELECT ..."'
          : `riot db-import takes one query (got ${positionals.length} arguments: quote the query)`,
      );
    }
    const query = positionals[0];
    const database = databaseFrom(values, context.env);
    const target = toConnectionOptions([context.global, values], context.env);
    const writes = operations.length > 0 ? toOperations(operations) : [defaultHash(values)];
    if (operations.length > 0 && (values.keyspace !== undefined || values.keys !== undefined)) {
      throw new UsageError(
        "--keyspace/--key before the operations make the default hash: give them to the operation",
      );
    }
    const processor = new RecordProcessor(toProcessing(values), writes);
    const config = toImportConfig(values, target);

    const client = await openDatabase(database, target.timeoutMs);
    try {
      context.log.info(`Database ${describe(database)}`);
      const total = values.noCount === true ? undefined : await client.count(query);
      const input = new SqlRowInput(
        client,
        query,
        (values.fetch as number | undefined) ?? DEFAULT_FETCH,
        total,
      );
      const job = new ImportJob(config, context.log);
      return await runImport(
        job,
        () => job.run<Fields>(input, (fields, origin) => processor.process(fields, origin)),
        values,
        context,
        { json: { total } },
      );
    } catch (error) {
      if (error instanceof SqlError) {
        context.log.error(error.message);
        return 1;
      }
      throw error;
    } finally {
      await client.close();
    }
  },
};

/**
 * The default write: HSET KEYSPACE:KEY with every non-null column, the key made of --key-column values
 * (the first column of each row when not given).
 */
function defaultHash(values: ParsedValues): WriteOperation {
  const keyspace = values.keyspace as string | undefined;
  if (keyspace === undefined) {
    throw new UsageError(
      "Say how rows become keys: --keyspace PREFIX [--key-column COLUMN] (a hash per row), or write operations after the query",
    );
  }
  const build = (keys: string[]) => {
    try {
      return createOperation("hset", { keyspace, keys, keySeparator: ":", ignoreMissing: false });
    } catch (error) {
      if (error instanceof RangeError) throw new UsageError(error.message);
      throw error;
    }
  };
  const columns = values.keyColumns as string[] | undefined;
  if (columns !== undefined) return build(columns);
  const byFirstColumn = new Map<string, WriteOperation>();
  return {
    name: "hset",
    ignoreMissing: false,
    write(fields) {
      const first = fields.keys().next().value ?? "";
      let operation = byFirstColumn.get(first);
      if (operation === undefined) byFirstColumn.set(first, operation = build([first]));
      return operation.write(fields);
    },
  };
}
