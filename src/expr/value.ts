/**
 * The values an import record holds and expressions compute with, and the record itself.
 *
 * - `Fields`: one record, field name -> value, in the order the source gave them (a Map, so that any name,
 *   `__proto__` included, is just a name).
 * - `FieldValue`: text from files; numbers, booleans, null, bytes (binary columns) and dates from SQL rows
 *   and from expressions. Bytes stay bytes: they are written as they are and only decoded to compare.
 * - `toText` / `toNumber` are the conversions every consumer shares (write operations, templates,
 *   comparisons), so a value prints the same way everywhere.
 */
export type FieldValue = string | number | bigint | boolean | null | Uint8Array | Date;
export type Fields = Map<string, FieldValue>;

const decoder = new TextDecoder();

/** The text of a value: numbers in their shortest form, dates as unix milliseconds, null as "". */
export function toText(value: FieldValue | undefined): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (value instanceof Uint8Array) return decoder.decode(value);
  if (value instanceof Date) return String(value.getTime());
  return String(value);
}

/** The number a value stands for, or NaN when it is not one ("12", " 1.5 ", 7n, true -> 1; "x", "" -> NaN). */
export function toNumber(value: FieldValue | undefined): number {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "boolean") return value ? 1 : 0;
  if (value instanceof Date) return value.getTime();
  if (value === null || value === undefined) return NaN;
  const text = toText(value).trim();
  return text === "" ? NaN : Number(text);
}

/** A value as a Redis argument: bytes and text as they are, other values as their text. */
export function toArg(value: FieldValue | undefined): string | Uint8Array {
  return value instanceof Uint8Array ? value : toText(value);
}
