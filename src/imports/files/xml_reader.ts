/**
 * Records of an XML file, streamed with saxes: the root element holds the records, each child of the root
 * is one record (`<records><record><id>1</id><name>x</name></record>...</records>`, RIOT's layout). A
 * record's attributes and child elements become fields; deeper elements are flattened (`address.city`);
 * a repeated child name gets `[1]`, `[2]`... from its second occurrence. Text is trimmed. Malformed XML
 * ends the file with an error item naming the line (no later record can be trusted), as does an element
 * whose text is longer than MAX_TEXT characters.
 */
import type { Fields, FieldValue } from "../../expr/mod.ts";
import type { SourceItem } from "../import_source.ts";

/** Longest text of one element kept in memory: a record is read whole, so it must stay bounded. */
export const MAX_TEXT = 16 * 1024 * 1024;

export async function* readXml(
  stream: ReadableStream<Uint8Array>,
  name: string,
): AsyncGenerator<SourceItem<Fields>[]> {
  // Loaded on first use: most runs read no XML, and every command pays for what main.ts loads.
  const { SaxesParser } = await import("saxes");
  const parser = new SaxesParser();
  const ready: SourceItem<Fields>[] = [];
  let depth = 0;
  let record: Fields | undefined;
  let recordLine = 0;
  /** Field path of each open element below the record, and its text so far. */
  const path: string[] = [];
  let text = "";
  let counts: Map<string, number>[] = [];

  let failure: Error | undefined;
  let failureLine = 0;
  parser.on("opentag", (tag) => {
    if (failure) return;
    depth++;
    if (depth === 2) {
      record = new Map<string, FieldValue>();
      recordLine = parser.line;
      counts = [new Map()];
      for (const [attr, value] of Object.entries(tag.attributes)) record.set(attr, String(value));
    } else if (depth > 2 && record) {
      const seen = counts[counts.length - 1];
      const n = seen.get(tag.name) ?? 0;
      seen.set(tag.name, n + 1);
      const field = n === 0 ? tag.name : `${tag.name}[${n}]`;
      const prefix = path.length === 0 ? "" : `${path[path.length - 1]}.`;
      path.push(prefix + field);
      counts.push(new Map());
      for (const [attr, value] of Object.entries(tag.attributes)) {
        record.set(`${prefix}${field}.${attr}`, String(value));
      }
      text = "";
    }
  });
  const addText = (chunk: string) => {
    if (failure || record === undefined) return;
    text += chunk;
    if (text.length > MAX_TEXT) {
      failure = new Error(`an element's text is longer than ${MAX_TEXT} characters`);
      failureLine = parser.line;
      record = undefined;
    }
  };
  parser.on("text", addText);
  parser.on("cdata", addText);
  parser.on("closetag", () => {
    if (failure) return;
    if (depth > 2 && record) {
      const field = path.pop()!;
      counts.pop();
      const value = text.trim();
      if (value !== "" || !hasChildren(record, field)) record.set(field, value);
      text = "";
    } else if (depth === 2 && record) {
      ready.push({ value: record, origin: `${name}:${recordLine}` });
      record = undefined;
    }
    depth--;
  });
  parser.on("error", (error) => {
    if (failure) return;
    failure = error;
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
  if (failure) last.push({ error: `malformed XML: ${failure.message}`, origin: `${name}:${failureLine}` });
  yield last;
}

function hasChildren(record: Fields, field: string): boolean {
  for (const name of record.keys()) {
    if (name.startsWith(`${field}.`) || name.startsWith(`${field}[`)) return true;
  }
  return false;
}
