/**
 * `FIELD=EXPRESSION` specs of `riot faker`, compiled against a seeded @faker-js/faker instance: the same
 * seed gives the same records. An expression is a faker method path with optional JSON arguments
 * (`person.fullName`, `number.int({"min": 1, "max": 99})`, `string.alpha(10)`), `index` (1, 2, 3 ...), or
 * RIOT's Java Faker spellings: `name.*` is `person.*`, `address.*` is `location.*`, and `numerify`,
 * `letterify`, `bothify` replace `#` with a digit and `?` with a letter.
 *
 * Bad specs are a RangeError saying which part is wrong (the CLI shows it as a usage error).
 */
import { en, Faker } from "@faker-js/faker";
import type { Fields, FieldValue } from "../expr/mod.ts";

export interface FakeField {
  name: string;
  make(index: number): FieldValue;
}

const MODULE_ALIASES: Record<string, string> = { name: "person", address: "location" };
const SYMBOL_HELPERS = new Set(["numerify", "letterify", "bothify"]);

export function createFaker(seed: number): Faker {
  const faker = new Faker({ locale: [en] });
  faker.seed(seed);
  return faker;
}

export function compileFakeFields(specs: readonly string[], faker: Faker): FakeField[] {
  return specs.map((spec) => {
    const at = spec.indexOf("=");
    if (at <= 0) {
      throw new RangeError(`expected FIELD=EXPRESSION, such as name=person.fullName (got '${spec}')`);
    }
    const name = spec.slice(0, at).trim();
    return { name, make: compileExpression(spec.slice(at + 1).trim(), faker, name) };
  });
}

function compileExpression(text: string, faker: Faker, field: string): (index: number) => FieldValue {
  if (text === "index") return (index) => String(index);
  const match = /^([A-Za-z_][\w.]*)\s*(?:\((.*)\))?$/s.exec(text);
  if (!match) {
    throw new RangeError(
      `${field}: '${text}' is not a faker method such as person.firstName or number.int(10)`,
    );
  }
  const args = parseArgs(match[2], field);
  const path = match[1].split(".");
  if (path.length === 1 && SYMBOL_HELPERS.has(path[0])) {
    return () => faker.helpers.replaceSymbols(String(args[0] ?? ""));
  }
  if (MODULE_ALIASES[path[0]]) path[0] = MODULE_ALIASES[path[0]];
  let owner: unknown = faker;
  let target: unknown = faker;
  for (const part of path) {
    owner = target;
    target = (target as Record<string, unknown> | undefined)?.[part];
    if (target === undefined) {
      throw new RangeError(
        `${field}: faker has no '${match[1]}' (see fakerjs.dev/api, e.g. person.fullName)`,
      );
    }
  }
  if (typeof target !== "function") throw new RangeError(`${field}: '${match[1]}' is not a faker method`);
  const method = target as (...args: unknown[]) => unknown;
  return () => toField(method.apply(owner, args));
}

/** `(1, "a", {"min": 1})` as JSON values; single-quoted strings are read as double-quoted. */
function parseArgs(text: string | undefined, field: string): unknown[] {
  if (text === undefined || text.trim() === "") return [];
  try {
    return JSON.parse(`[${text.replace(/'([^'"\\]*)'/g, '"$1"')}]`);
  } catch {
    throw new RangeError(`${field}: the arguments (${text}) must be JSON values, such as 10 or {"min": 1}`);
  }
}

function toField(value: unknown): FieldValue {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") {
    return String(value);
  }
  return JSON.stringify(value);
}

/** The records of a faker run, as an import input (the ImportInput shape of src/imports/import_source.ts). */
export class FakerInput {
  readonly progress: { done: number; total?: number; unit: string };

  constructor(private readonly fields: FakeField[], private readonly count: number) {
    this.progress = { done: 0, total: count, unit: "records" };
  }

  /** Chunks of up to 500 records; a timer turn between chunks lets progress and signals run. */
  async *items(signal?: AbortSignal): AsyncGenerator<{ value: Fields; origin: string }[]> {
    for (let index = 1; index <= this.count;) {
      const chunk: { value: Fields; origin: string }[] = [];
      for (; index <= this.count && chunk.length < 500; index++) {
        const record: Fields = new Map();
        for (const field of this.fields) record.set(field.name, field.make(index));
        chunk.push({ value: record, origin: `record ${index}` });
      }
      this.progress.done = index - 1;
      yield chunk;
      if (signal?.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }
}
