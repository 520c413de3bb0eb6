/**
 * Evaluates a parsed expression against one record. Pure: the record is the only thing it reads, and
 * `remove('f')` the only thing it changes.
 *
 * Semantics (close to the SpEL that RIOT's command lines were written for, lenient where files give text):
 * - A field that is absent is null. Literals are numbers, strings, true, false, null.
 * - `==` / `!=` compare numbers as numbers when both sides are numbers or numeric text ("5" == 5), else
 *   as text; null equals only null. `<`, `>`, `<=`, `>=` compare numerically when both sides are numbers,
 *   else as text; a null side makes them false.
 * - `+` concatenates when either side is text (as SpEL: "a" + 1 = "a1"), else adds; `-`, `*`, `/`, `%` need
 *   numbers (numeric text counts) and throw ExprEvalError otherwise; `/` by zero throws.
 * - `!`, `&&`, `||`, `? :` and a --filter use truth: true, "true", non-zero numbers; false for false,
 *   "false", 0, null, "".
 * - `a ?: b` is `a` unless it is null or "" (RIOT's "default value" idiom).
 * - `#date.parse(x[, 'format'])` returns a Date (--date-format, or ISO 8601); a text that does not match
 *   throws. `.getTime()` gives unix milliseconds. `#number.parse(x)` gives a number or throws.
 *   `#geo(lon, lat)` gives "lon,lat" (RediSearch GEO field text).
 */
import type { Expr } from "./ast.ts";
import { type DateFormat, parseIsoDate } from "./date_format.ts";
import { ExprEvalError } from "./errors.ts";
import { type Fields, type FieldValue, toNumber, toText } from "./value.ts";

export interface EvalContext {
  /** --date-format, for #date.parse with one argument. */
  dateFormat?: DateFormat;
  /** Formats named in #date.parse(x, 'format'), compiled once (the caller may share one map). */
  formats?: Map<string, DateFormat>;
  compileFormat?: (pattern: string) => DateFormat;
}

export function evaluate(expr: Expr, fields: Fields, context: EvalContext = {}): FieldValue {
  switch (expr.type) {
    case "literal":
      return expr.value;
    case "field":
      return fields.get(expr.name) ?? null;
    case "not":
      return !isTrue(evaluate(expr.operand, fields, context));
    case "negate":
      return -numeric(evaluate(expr.operand, fields, context), "-");
    case "and":
      return isTrue(evaluate(expr.left, fields, context)) && isTrue(evaluate(expr.right, fields, context));
    case "or":
      return isTrue(evaluate(expr.left, fields, context)) || isTrue(evaluate(expr.right, fields, context));
    case "elvis": {
      const left = evaluate(expr.left, fields, context);
      return left === null || left === "" ? evaluate(expr.right, fields, context) : left;
    }
    case "conditional":
      return isTrue(evaluate(expr.test, fields, context))
        ? evaluate(expr.then, fields, context)
        : evaluate(expr.otherwise, fields, context);
    case "matches": {
      const value = evaluate(expr.operand, fields, context);
      return value !== null && expr.regex.test(toText(value));
    }
    case "binary":
      return binary(expr.op, evaluate(expr.left, fields, context), evaluate(expr.right, fields, context));
    case "call":
      return call(expr, fields, context);
    case "method":
      return method(expr.name, evaluate(expr.target, fields, context));
  }
}

/** The truth of a value (see the module comment). */
export function isTrue(value: FieldValue): boolean {
  if (typeof value === "boolean") return value;
  if (value === null) return false;
  if (typeof value === "number") return value !== 0 && !Number.isNaN(value);
  if (typeof value === "bigint") return value !== 0n;
  const text = toText(value);
  return text !== "" && text.toLowerCase() !== "false" && text !== "0";
}

function binary(op: string, left: FieldValue, right: FieldValue): FieldValue {
  switch (op) {
    case "==":
      return equals(left, right);
    case "!=":
      return !equals(left, right);
    case "<":
    case ">":
    case "<=":
    case ">=":
      return order(op, left, right);
    case "+":
      if (isTextual(left) || isTextual(right)) return toText(left) + toText(right);
      return numeric(left, op) + numeric(right, op);
    case "-":
      return numeric(left, op) - numeric(right, op);
    case "*":
      return numeric(left, op) * numeric(right, op);
    default: {
      const divisor = numeric(right, op);
      if (divisor === 0) throw new ExprEvalError(`division by zero (${toText(left)} ${op} 0)`);
      return op === "/" ? numeric(left, op) / divisor : numeric(left, op) % divisor;
    }
  }
}

function isTextual(value: FieldValue): boolean {
  return typeof value === "string" || value instanceof Uint8Array;
}

function equals(left: FieldValue, right: FieldValue): boolean {
  if (left === null || right === null) return left === right;
  if (typeof left === "boolean" || typeof right === "boolean") return isTrue(left) === isTrue(right);
  const a = toNumber(left);
  const b = toNumber(right);
  if ((!isTextual(left) || !isTextual(right)) && !Number.isNaN(a) && !Number.isNaN(b)) return a === b;
  return toText(left) === toText(right);
}

function order(op: string, left: FieldValue, right: FieldValue): boolean {
  if (left === null || right === null) return false;
  const a = toNumber(left);
  const b = toNumber(right);
  const numbers = !Number.isNaN(a) && !Number.isNaN(b);
  const cmp = numbers ? a - b : toText(left) < toText(right) ? -1 : toText(left) > toText(right) ? 1 : 0;
  return op === "<" ? cmp < 0 : op === ">" ? cmp > 0 : op === "<=" ? cmp <= 0 : cmp >= 0;
}

function numeric(value: FieldValue, op: string): number {
  const number = toNumber(value);
  if (Number.isNaN(number)) {
    throw new ExprEvalError(`'${toText(value)}' is not a number (for '${op}')`);
  }
  return number;
}

function call(expr: Extract<Expr, { type: "call" }>, fields: Fields, context: EvalContext): FieldValue {
  const args = expr.args;
  switch (expr.name) {
    case "remove": {
      const name = toText(evaluate(args[0], fields, context));
      const value = fields.get(name) ?? null;
      fields.delete(name);
      return value;
    }
    case "number.parse": {
      const value = evaluate(args[0], fields, context);
      const number = toNumber(value);
      if (Number.isNaN(number)) throw new ExprEvalError(`#number.parse: '${toText(value)}' is not a number`);
      return number;
    }
    case "geo": {
      const lon = numeric(evaluate(args[0], fields, context), "#geo");
      const lat = numeric(evaluate(args[1], fields, context), "#geo");
      return `${lon},${lat}`;
    }
    case "date.parse":
      return parseDate(args, fields, context);
  }
}

function parseDate(args: Expr[], fields: Fields, context: EvalContext): FieldValue {
  const value = evaluate(args[0], fields, context);
  if (value === null) return null;
  if (value instanceof Date) return value;
  if (typeof value === "number") return new Date(value);
  const text = toText(value);
  let format = context.dateFormat;
  if (args.length === 2) {
    const pattern = toText(evaluate(args[1], fields, context));
    format = context.formats?.get(pattern);
    if (format === undefined && context.compileFormat) {
      format = context.compileFormat(pattern);
      context.formats?.set(pattern, format);
    }
  }
  const millis = format ? format.parse(text) : parseIsoDate(text);
  if (Number.isNaN(millis)) {
    throw new ExprEvalError(
      `#date.parse: '${text}' does not match ${
        format ? `the date format '${format.pattern}'` : "ISO 8601 (give --date-format)"
      }`,
    );
  }
  return new Date(millis);
}

function method(name: string, value: FieldValue): FieldValue {
  switch (name) {
    case "getTime":
      if (value instanceof Date) return value.getTime();
      if (value === null) throw new ExprEvalError(".getTime() on null: the date is missing");
      return numeric(value, ".getTime()");
    case "toUpperCase":
      return value === null ? null : toText(value).toUpperCase();
    case "toLowerCase":
      return value === null ? null : toText(value).toLowerCase();
    case "trim":
      return value === null ? null : toText(value).trim();
    case "length":
      return value === null ? 0 : toText(value).length;
    default:
      return toText(value);
  }
}
