/**
 * Processing shared by every import (file-import, db-import): one source record in, one `commands` record
 * (src/pipeline/record.ts) or a reason why not out.
 *
 *   compileProcessing(options) -> Processing      ExprSyntaxError / RangeError for bad options (usage)
 *   new RecordProcessor(processing, operations)
 *   processor.process(fields, origin) -> Processed
 *
 * Steps, in order: each `--regex FIELD=PATTERN` (named groups become fields; no match leaves the record as
 * it is), each `--proc FIELD=EXPRESSION` in the order given (a null result removes the field), the
 * `--filter` (a false record is `filtered`), then every write operation in the order given. Their commands
 * travel together as one record keyed by the first operation's key, with `origin` ("file:line", "row 12"),
 * encoded as RESP (an `encoded` record).
 *
 * Outcomes: `record`; `filtered`; `ignored` (--ignore-missing skipped every operation, or none had a
 * command to send); `failed` with a KeyFailure naming the origin (an expression that cannot be computed, a
 * missing field without --ignore-missing, a score that is not a number).
 */
import {
  compileDateFormat,
  type DateFormat,
  type EvalContext,
  evaluate,
  type Expr,
  ExprEvalError,
  type Fields,
  isTrue,
  parseExpression,
  toText,
} from "../expr/mod.ts";
import { type KeyFailure, recordFailure } from "../pipeline/failure.ts";
import type { CommandsRecord, EncodedRecord } from "../pipeline/record.ts";
import { RecordError, type WriteOperation } from "../writers/operations/operation.ts";
import { type Command, encodeCommandsShared } from "../../resp/mod.ts";

export interface ProcessingOptions {
  filter?: string;
  /** FIELD=EXPRESSION, in order. */
  procs?: readonly string[];
  /** FIELD=PATTERN, in order. */
  regexes?: readonly string[];
  dateFormat?: string;
}

export interface Processing {
  filter?: Expr;
  procs: { field: string; expr: Expr }[];
  regexes: { field: string; regex: RegExp }[];
  context: EvalContext;
}

export type Processed =
  | { kind: "record"; record: CommandsRecord | EncodedRecord }
  | { kind: "filtered" }
  | { kind: "ignored" }
  | { kind: "failed"; failure: KeyFailure };

const NO_KEY = new Uint8Array(0);
const FILTERED: Processed = { kind: "filtered" };
const IGNORED: Processed = { kind: "ignored" };

/** Parse every expression and pattern once. Throws ExprSyntaxError (with the column) or RangeError. */
export function compileProcessing(options: ProcessingOptions): Processing {
  const formats = new Map<string, DateFormat>();
  const context: EvalContext = { formats, compileFormat: compileDateFormat };
  if (options.dateFormat !== undefined) context.dateFormat = compileDateFormat(options.dateFormat);
  return {
    filter: options.filter === undefined ? undefined : parseExpression(options.filter),
    procs: (options.procs ?? []).map((text) => {
      const [field, source] = splitAssignment(text, "--proc", "FIELD=EXPRESSION");
      return { field, expr: parseExpression(source) };
    }),
    regexes: (options.regexes ?? []).map((text) => {
      const [field, pattern] = splitAssignment(text, "--regex", "FIELD=PATTERN");
      try {
        return { field, regex: new RegExp(pattern) };
      } catch (error) {
        throw new RangeError(`--regex ${field}: invalid pattern: ${(error as Error).message}`);
      }
    }),
    context,
  };
}

function splitAssignment(text: string, option: string, shape: string): [string, string] {
  const at = text.indexOf("=");
  if (at <= 0) throw new RangeError(`${option} takes ${shape} (got '${text}')`);
  return [text.slice(0, at).trim(), text.slice(at + 1)];
}

export class RecordProcessor {
  constructor(
    private readonly processing: Processing,
    private readonly operations: readonly WriteOperation[],
  ) {}

  process(fields: Fields, origin: string): Processed {
    const { filter, procs, regexes, context } = this.processing;
    try {
      for (const { field, regex } of regexes) {
        const value = fields.get(field);
        const groups = value === undefined || value === null ? undefined : regex.exec(toText(value))?.groups;
        if (groups) {
          for (const name in groups) if (groups[name] !== undefined) fields.set(name, groups[name]);
        }
      }
      for (const { field, expr } of procs) {
        const value = evaluate(expr, fields, context);
        if (value === null) fields.delete(field);
        else fields.set(field, value);
      }
      if (filter && !isTrue(evaluate(filter, fields, context))) return FILTERED;
    } catch (error) {
      if (!(error instanceof ExprEvalError)) throw error;
      return { kind: "failed", failure: recordFailure(NO_KEY, error.message, origin) };
    }
    return this.write(fields, origin);
  }

  private write(fields: Fields, origin: string): Processed {
    let key: Uint8Array | undefined;
    let commands: Command[] = [];
    for (const operation of this.operations) {
      try {
        const write = operation.write(fields);
        key ??= write.key;
        if (commands.length === 0) commands = write.commands; // one operation: no copy
        else for (const command of write.commands) commands.push(command);
      } catch (error) {
        if (error instanceof RecordError && error.missing && operation.ignoreMissing) continue;
        if (!(error instanceof RecordError || error instanceof ExprEvalError)) throw error;
        return {
          kind: "failed",
          failure: recordFailure(key ?? NO_KEY, `${operation.name}: ${error.message}`, origin),
        };
      }
    }
    if (key === undefined || commands.length === 0) return IGNORED;
    // Encoded now: the record waits for a writer as one view of bytes, and the fields and arrays it was
    // made of die young (cheap for V8's collector) instead of living through the queue.
    const bytes = encodeCommandsShared(commands);
    return { kind: "record", record: { kind: "encoded", key, bytes, count: commands.length, origin } };
  }
}
