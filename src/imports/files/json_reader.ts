/**
 * Records of JSON files: an array of objects streamed element by element (JsonArraySplitter), or JSON
 * lines (one value per line). Each element is flattened (`a.b`, `a[0]`). An element that is not valid JSON
 * is an error item naming its line; the rest of the file is still read. A broken array structure (a
 * missing comma, an unclosed array) ends the file with an error item, since no later element can be found.
 */
import type { Fields } from "../../expr/mod.ts";
import type { SourceItem } from "../import_source.ts";
import { flatten } from "./flatten.ts";
import { JsonArraySplitter, JsonSplitError } from "./json_array.ts";
import { readLines } from "./lines.ts";

export async function* readJsonArray(
  stream: ReadableStream<Uint8Array>,
  name: string,
): AsyncGenerator<SourceItem<Fields>> {
  const splitter = new JsonArraySplitter();
  try {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      for (const element of splitter.feed(text)) yield parsed(element.text, `${name}:${element.line}`);
    }
    splitter.end();
  } catch (error) {
    if (!(error instanceof JsonSplitError)) throw error;
    yield { error: `not a JSON array of records: ${error.message}`, origin: `${name}:${error.line}` };
  }
}

export async function* readJsonLines(
  stream: ReadableStream<Uint8Array>,
  name: string,
): AsyncGenerator<SourceItem<Fields>> {
  for await (const { line, text } of readLines(stream, name)) {
    if (text.trim() !== "") yield parsed(text, `${name}:${line}`);
  }
}

function parsed(text: string, origin: string): SourceItem<Fields> {
  try {
    return { value: flatten(JSON.parse(text)), origin };
  } catch (error) {
    return { error: `invalid JSON: ${(error as Error).message}`, origin };
  }
}
