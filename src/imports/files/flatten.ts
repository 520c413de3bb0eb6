/**
 * Nested JSON values as flat fields: `{"a": {"b": 1}, "t": [x, y]}` -> `a.b = 1`, `t[0] = x`, `t[1] = y`.
 * Scalars keep their JSON type (string, number, boolean, null). Nesting deeper than MAX_NESTING is cut:
 * the deeper part is kept as JSON text in one field.
 */
import type { Fields, FieldValue } from "../../expr/mod.ts";

export const MAX_NESTING = 32;

export function flatten(value: unknown, fields: Fields = new Map(), prefix = "", depth = 0): Fields {
  if (value === null || typeof value !== "object") {
    fields.set(prefix === "" ? "value" : prefix, value as FieldValue);
  } else if (depth >= MAX_NESTING) {
    fields.set(prefix, JSON.stringify(value));
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => flatten(item, fields, `${prefix}[${i}]`, depth + 1));
  } else {
    for (const [name, item] of Object.entries(value)) {
      flatten(item, fields, prefix === "" ? name : `${prefix}.${name}`, depth + 1);
    }
  }
  return fields;
}
