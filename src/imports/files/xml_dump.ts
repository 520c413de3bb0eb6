/**
 * Data-structure dump records from the XML that `file-export --format xml` writes
 * (src/exports/xml_format.ts), streamed with saxes: each `<record>` child of the root becomes the same
 * record the JSON dump holds (`{key, type, ttl, value, stream?}`, src/exports/dump_format.ts), which
 * restoreRecord turns into commands. Every byte string is carried as byte text (byte_text.ts): element
 * text and attributes as UTF-8, `encoding="base64"` and `*-base64` attributes decoded; a string's
 * `<value>` windows are joined.
 *
 *   readXmlDump(stream, name[, maxRecord]) -> chunks of { value: record, origin: "file:line" }
 *
 * Memory: one record at a time, at most MAX_RECORD characters of its text (a bigger record is an error
 * item, the file continues). A record that does not fit the layout (unknown element, bad base64, no key)
 * is an error item naming its line, and the next records are read. Malformed XML ends the file with an
 * error item (nothing after it can be trusted).
 */
import { bytesOf, textOf } from "../../exports/byte_text.ts";
import type { SourceItem } from "../import_source.ts";

/** Characters of one record's text kept at most (the same bound as one JSON element). */
export const MAX_RECORD = 64 * 1024 * 1024;

type Attributes = Record<string, string>;

/** A record being read: the dump record's parts, built as elements close. */
interface Pending {
  line: number;
  key: string;
  type: string;
  ttl: number;
  /** string: the joined windows; the others: their elements in order. */
  chunks: Uint8Array[];
  items: unknown[];
  /** The stream entry being read (its fields). */
  entry?: { id: string; body: [string, string][] };
  stream?: { lastId?: string; entriesAdded?: number; maxDeletedId?: string; groups: unknown[] };
  size: number;
  error?: string;
}

/** The element whose text is being collected, with its attributes. */
interface Leaf {
  name: string;
  attributes: Attributes;
  text: string;
}

export async function* readXmlDump(
  stream: ReadableStream<Uint8Array>,
  name: string,
  maxRecord = MAX_RECORD,
): AsyncGenerator<SourceItem<unknown>[]> {
  const { SaxesParser } = await import("saxes");
  const parser = new SaxesParser();
  const ready: SourceItem<unknown>[] = [];
  let depth = 0;
  let record: Pending | undefined;
  let leaf: Leaf | undefined;
  let failure: string | undefined;
  let failureLine = 0;

  const fail = (pending: Pending, message: string) => {
    pending.error ??= message;
    leaf = undefined;
  };

  parser.on("opentag", (tag) => {
    depth++;
    if (failure) return;
    const attributes = tag.attributes as Attributes;
    if (depth === 2) {
      record = openRecord(tag.name, attributes, parser.line);
      return;
    }
    if (!record || record.error) return;
    try {
      leaf = openChild(record, depth, tag.name, attributes);
    } catch (error) {
      fail(record, (error as Error).message);
    }
  });
  const addText = (chunk: string) => {
    if (failure || !record || record.error) return;
    if (!leaf) {
      if (chunk.trim() !== "") fail(record, `text outside an element: ${JSON.stringify(chunk.slice(0, 40))}`);
      return;
    }
    leaf.text += chunk;
    record.size += chunk.length;
    if (record.size > maxRecord) {
      fail(record, `the record is longer than ${maxRecord} characters`);
      record.items = [];
      record.chunks = [];
    }
  };
  parser.on("text", addText);
  parser.on("cdata", addText);
  parser.on("closetag", (tag) => {
    const closing = depth--;
    if (failure || !record) return;
    if (closing === 2) {
      ready.push(finish(record, name));
      record = undefined;
      return;
    }
    if (record.error) return;
    try {
      if (leaf && leaf.name === tag.name) {
        closeLeaf(record, leaf);
        leaf = undefined;
      } else if (tag.name === "entry" && record.entry) {
        record.items.push({ id: record.entry.id, body: record.entry.body });
        record.entry = undefined;
      }
    } catch (error) {
      fail(record, (error as Error).message);
    }
  });
  parser.on("error", (error) => {
    if (failure) return;
    failure = error.message;
    failureLine = parser.line;
    record = undefined;
  });

  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    parser.write(chunk);
    yield ready.splice(0);
    if (failure) break;
  }
  if (!failure) parser.close();
  const last = ready.splice(0);
  if (failure) last.push({ error: `malformed XML: ${failure}`, origin: `${name}:${failureLine}` });
  yield last;
}

function openRecord(tag: string, attributes: Attributes, line: number): Pending {
  const pending: Pending = { line, key: "", type: "", ttl: -1, chunks: [], items: [], size: 0 };
  try {
    if (tag !== "record") throw new Error(`expected <record>, found <${tag}>`);
    pending.key = bytesAttribute(attributes, "key");
    if (attributes.type === undefined) throw new Error("the record has no type attribute");
    pending.type = attributes.type;
    const ttl = attributes.ttl ?? "-1";
    if (!/^-?\d+$/.test(ttl.trim())) throw new Error(`ttl must be Unix milliseconds or -1 (got "${ttl}")`);
    pending.ttl = Number(ttl);
  } catch (error) {
    pending.error = (error as Error).message;
  }
  return pending;
}

/** The elements each type holds below `<record>` (depth 3), and inside a stream's entry or metadata. */
const LEAVES: Record<string, string> = {
  string: "value",
  hash: "field",
  list: "element",
  set: "member",
  zset: "member",
};

/** Handles an element below the record; returns the leaf whose text to collect, if it is one. */
function openChild(record: Pending, depth: number, tag: string, attributes: Attributes): Leaf | undefined {
  const leaf = { name: tag, attributes, text: "" };
  if (record.type === "stream") {
    if (depth === 3 && tag === "entry") {
      if (attributes.id === undefined) throw new Error("a stream <entry> needs an id attribute");
      record.entry = { id: attributes.id, body: [] };
      return undefined;
    }
    if (depth === 4 && tag === "field" && record.entry) return leaf;
    if (depth === 3 && tag === "stream") {
      record.stream = {
        lastId: attributes["last-id"],
        entriesAdded: optionalNumber(attributes["entries-added"], "entries-added"),
        maxDeletedId: attributes["max-deleted-id"],
        groups: [],
      };
      return undefined;
    }
    if (depth === 4 && tag === "group" && record.stream) {
      record.stream.groups.push({
        name: bytesAttribute(attributes, "name"),
        lastId: attributes["last-id"],
        entriesRead: optionalNumber(attributes["entries-read"], "entries-read"),
      });
      return undefined;
    }
  } else if (depth === 3 && LEAVES[record.type] === tag) return leaf;
  throw new Error(`unexpected <${tag}> in a ${record.type} record`);
}

function closeLeaf(record: Pending, leaf: Leaf): void {
  switch (record.type) {
    case "string":
      record.chunks.push(leafBytes(leaf));
      return;
    case "hash":
      record.items.push([bytesAttribute(leaf.attributes, "name"), leafText(leaf)]);
      return;
    case "zset":
      record.items.push({ value: leafText(leaf), score: leaf.attributes.score });
      return;
    case "stream":
      record.entry!.body.push([bytesAttribute(leaf.attributes, "name"), leafText(leaf)]);
      return;
    default:
      record.items.push(leafText(leaf));
  }
}

/** The dump record (the JSON dump's shape), or an error item. */
function finish(record: Pending, name: string): SourceItem<unknown> {
  const origin = `${name}:${record.line}`;
  if (record.error) return { error: `not a dump record: ${record.error}`, origin };
  const value = record.type === "string" ? textOf(joined(record.chunks)) : record.items;
  const out: Record<string, unknown> = { key: record.key, type: record.type, ttl: record.ttl, value };
  if (record.stream) out.stream = record.stream;
  return { value: out, origin };
}

/** An attribute holding bytes (`name="text"` or `name-base64="..."`), as byte text. */
function bytesAttribute(attributes: Attributes, name: string): string {
  const encoded = attributes[`${name}-base64`];
  if (encoded !== undefined) return textOf(fromBase64(encoded, `${name}-base64`));
  const text = attributes[name];
  if (text === undefined) throw new Error(`no ${name} attribute`);
  return text;
}

/** An element's bytes: its text as UTF-8, or decoded with encoding="base64". */
function leafBytes(leaf: Leaf): Uint8Array {
  return isBase64(leaf) ? fromBase64(leaf.text, `<${leaf.name}>`) : bytesOf(leaf.text);
}

/** An element's bytes as byte text (its text as it is, unless it is base64). */
function leafText(leaf: Leaf): string {
  return isBase64(leaf) ? textOf(fromBase64(leaf.text, `<${leaf.name}>`)) : leaf.text;
}

function isBase64(leaf: Leaf): boolean {
  const encoding = leaf.attributes.encoding;
  if (encoding === undefined) return false;
  if (encoding === "base64") return true;
  throw new Error(`<${leaf.name}> has encoding="${encoding}" (only base64 is known)`);
}

function fromBase64(text: string, where: string): Uint8Array {
  try {
    return Uint8Array.from(atob(text.trim()), (c) => c.charCodeAt(0));
  } catch {
    throw new Error(`${where} is not valid base64`);
  }
}

function optionalNumber(text: string | undefined, where: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new Error(`${where} must be a whole number (got "${text}")`);
  return Number(text);
}

function joined(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
