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

/**
 * Keys and members encoded as views into shared 64 KiB slabs instead of one ArrayBuffer each: a million
 * small ArrayBuffers keep V8's garbage collector busy (a third of an import's CPU, measured); views of a
 * slab cost one small object each. A slab is freed once no view of it is alive.
 */
const SLAB_BYTES = 64 * 1024;
let slab = new Uint8Array(SLAB_BYTES);
let slabUsed = 0;

/** The UTF-8 bytes of `text`, as a view into a shared slab. */
export function encodeText(text: string): Uint8Array {
  const most = text.length * 3;
  if (most > SLAB_BYTES / 4) return encoder.encode(text);
  if (slabUsed + most > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    slabUsed = 0;
  }
  const start = slabUsed;
  // ASCII by hand: keys are short, and a TextEncoder call costs more than copying them (measured).
  let written = 0;
  for (; written < text.length; written++) {
    const code = text.charCodeAt(written);
    if (code >= 0x80) {
      written = encoder.encodeInto(text, slab.subarray(start)).written;
      break;
    }
    slab[start + written] = code;
  }
  slabUsed += written;
  return slab.subarray(start, slabUsed);
}

export class KeyBuilder {
  private readonly template: Template | undefined;

  constructor(private readonly options: OperationOptions, operation: string) {
    this.template = options.keyTemplate ? parseTemplate(options.keyTemplate) : undefined;
    if (!this.template && options.keyspace === undefined && options.keys.length === 0) {
      throw new RangeError(`${operation} needs --keyspace and/or --key FIELD to make the key`);
    }
  }

  build(fields: Fields): Uint8Array {
    if (this.template) return encodeText(renderTemplate(this.template, fields));
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
  let text = prefix ?? "";
  let binary = false;
  for (let i = 0; i < names.length; i++) {
    const value = fields.get(names[i]);
    if (value === undefined || value === null) {
      throw new RecordError(`the ${what} field '${names[i]}' is missing`, true);
    }
    if (value instanceof Uint8Array) binary = true;
    else text += i === 0 && prefix === undefined ? toText(value) : separator + toText(value);
  }
  if (!binary) return encodeText(text);
  const parts: FieldValue[] = prefix === undefined ? [] : [prefix];
  for (const name of names) parts.push(fields.get(name)!);
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
