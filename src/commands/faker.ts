/**
 * `riot faker FIELD=EXPRESSION... --count N [--seed S] OPERATION [OPTIONS]...`: RIOT's test-data command.
 * Records of fake data (@faker-js/faker, seeded: the same seed writes the same data) go through the same
 * write operations as file-import and db-import. Exit 0 when every record was written, 1 when any failed,
 * 2 for bad usage.
 */
import { type CommandContext, type CommandModule, LOG_SPECS } from "../cli/command.ts";
import { CONNECTION_SPECS, toConnectionOptions } from "../cli/connection_flags.ts";
import {
  IMPORT_SPECS,
  operationsHelp,
  PROCESSING_SPECS,
  splitOperations,
  toImportConfig,
  toOperations,
  toProcessing,
} from "../cli/import_args.ts";
import { type OptionSpec, parseArgs, UsageError } from "../cli/parse.ts";
import type { Fields } from "../expr/mod.ts";
import { compileFakeFields, createFaker, FakerInput } from "../faker/fake_fields.ts";
import { ImportJob } from "../imports/import_job.ts";
import { RecordProcessor } from "../imports/record_processor.ts";
import { runImport } from "./run_import.ts";

const FAKER_SPECS: readonly OptionSpec[] = [
  {
    long: "count",
    kind: "int",
    key: "count",
    arg: "N",
    min: 0,
    help: "Records to generate",
    defaultText: "1000",
  },
  {
    long: "seed",
    kind: "int",
    key: "seed",
    arg: "N",
    min: 0,
    max: 0xffffffff,
    help: "Seed of the data: the same seed writes the same records",
    defaultText: "random (printed)",
  },
];

const SPECS: readonly OptionSpec[] = [
  ...FAKER_SPECS,
  ...PROCESSING_SPECS,
  ...IMPORT_SPECS,
  ...CONNECTION_SPECS,
];

const USAGE =
  `Usage: riot [REDIS OPTIONS] faker FIELD=EXPRESSION... [OPTIONS] OPERATION [OPTIONS] [OPERATION ...]

Generates --count records of fake data and writes each through the write operations. An EXPRESSION is
a @faker-js/faker method (person.fullName, internet.email, number.int({"min": 1, "max": 99}),
string.alpha(8), date.past), index (1, 2, 3 ...), or RIOT's spellings (name.firstName,
address.city, numerify('###-####')).

Operations and their options:
${operationsHelp()}

Examples:
  riot faker id=index name=person.fullName email=internet.email --count 1000 --seed 7 hset --keyspace person --key id
  riot faker id=index score='number.int({"max": 100})' zadd --keyspace leaders --member id --score score
`;

export const fakerCommand: CommandModule = {
  name: "faker",
  aliases: ["fake"],
  summary: "Write fake records (names, emails, numbers ...) through write operations",
  usage: USAGE,
  specs: SPECS,
  ownArgv: (argv) => splitOperations(argv, [...SPECS, ...LOG_SPECS]).head,
  async run(context: CommandContext): Promise<number> {
    const { head, operations } = splitOperations(context.argv, [...SPECS, ...LOG_SPECS]);
    const { values, positionals } = parseArgs(head, [...SPECS, ...LOG_SPECS], "riot faker");
    if (positionals.length === 0) {
      throw new UsageError("riot faker needs at least one FIELD=EXPRESSION, such as name=person.fullName");
    }
    if (operations.length === 0) {
      throw new UsageError(
        "Give at least one write operation after the fields, such as hset --keyspace person --key id",
      );
    }
    const seed = (values.seed as number | undefined) ?? Math.floor(Math.random() * 0x1_0000_0000);
    let fields;
    try {
      fields = compileFakeFields(positionals, await createFaker(seed));
    } catch (error) {
      if (error instanceof RangeError) throw new UsageError(error.message);
      throw error;
    }
    const target = toConnectionOptions([context.global, values], context.env);
    const processor = new RecordProcessor(toProcessing(values), toOperations(operations));
    const config = toImportConfig(values, target);
    const input = new FakerInput(fields, (values.count as number | undefined) ?? 1000);
    const job = new ImportJob(config, context.log);
    return await runImport(
      job,
      () => job.run<Fields>(input, (record, origin) => processor.process(record, origin)),
      values,
      context,
      { json: { seed }, suffix: `; seed ${seed}` },
    );
  },
};
