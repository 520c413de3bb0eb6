/**
 * The key of a record: `keyspace` + separator + the values of the key fields joined by the separator
 * (`--keyspace user --key id` -> `user:7`), or a `#{...}` template. Bytes stay bytes: a binary field is
 * copied into the key as it is. A missing key field is a RecordError with `missing` set.
 */
import {
  type Fields,
  type FieldValue,
  parseTemplate,
  renderTemplate,
  type Template,
  toText,
} from "../../expr/mod.ts";
import { type OperationOptions, RecordError } from "./operation.ts";

const encoder = new TextEncoder();

export class KeyBuilder {
  private readonly template: Template | undefined;

  constructor(private readonly options: OperationOptions, operation: string) {
    this.template = options.keyTemplate ? parseTemplate(options.keyTemplate) : undefined;
    if (!this.template && options.keyspace === undefined && options.keys.length === 0) {
      throw new RangeError(`${operation} needs --keyspace and/or --key FIELD to make the key`);
    }
  }

  build(fields: Fields): Uint8Array {
    if (this.template) return encoder.encode(renderTemplate(this.template, fields));
    return joinParts(this.options.keyspace, fields, this.options.keys, this.options.keySeparator, "key");
  }
}

/**
 * `prefix` + separator + the named fields' values, joined by `separator`: as bytes, binary values kept.
 * Throws RecordError (missing) naming `what` when a field is absent or null.
 */
export function joinParts(
  prefix: string | undefined,
  fields: Fields,
  names: readonly string[],
  separator: string,
  what: string,
): Uint8Array {
  const parts: FieldValue[] = prefix === undefined ? [] : [prefix];
  for (const name of names) {
    const value = fields.get(name);
    if (value === undefined || value === null) {
      throw new RecordError(`the ${what} field '${name}' is missing`, true);
    }
    parts.push(value);
  }
  if (!parts.some((part) => part instanceof Uint8Array)) {
    return encoder.encode(parts.map(toText).join(separator));
  }
  const chunks = parts.map((part) => part instanceof Uint8Array ? part : encoder.encode(toText(part)));
  const sep = encoder.encode(separator);
  const size = chunks.reduce((sum, chunk) => sum + chunk.length, 0) + sep.length * (chunks.length - 1);
  const out = new Uint8Array(size);
  let at = 0;
  chunks.forEach((chunk, i) => {
    if (i > 0) {
      out.set(sep, at);
      at += sep.length;
    }
    out.set(chunk, at);
    at += chunk.length;
  });
  return out;
}
