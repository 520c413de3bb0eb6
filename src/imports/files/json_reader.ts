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

/** How an element becomes a value: flattened to fields (records), or kept as parsed (dump records). */
export type JsonConvert<T> = (parsed: unknown) => T;

export const toFields: JsonConvert<Fields> = (parsed) => flatten(parsed);

export async function* readJsonArray<T = Fields>(
  stream: ReadableStream<Uint8Array>,
  name: string,
  convert: JsonConvert<T> = toFields as JsonConvert<T>,
): AsyncGenerator<SourceItem<T>[]> {
  const splitter = new JsonArraySplitter();
  try {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      yield splitter.feed(text).map((element) => parsed(element.text, `${name}:${element.line}`, convert));
    }
    splitter.end();
  } catch (error) {
    if (!(error instanceof JsonSplitError)) throw error;
    yield [{ error: `not a JSON array of records: ${error.message}`, origin: `${name}:${error.line}` }];
  }
}

export async function* readJsonLines<T = Fields>(
  stream: ReadableStream<Uint8Array>,
  name: string,
  convert: JsonConvert<T> = toFields as JsonConvert<T>,
): AsyncGenerator<SourceItem<T>[]> {
  for await (const lines of readLines(stream, name)) {
    yield lines.filter(({ text }) => text.trim() !== "").map(({ line, text }) =>
      parsed(text, `${name}:${line}`, convert)
    );
  }
}

function parsed<T>(text: string, origin: string, convert: JsonConvert<T>): SourceItem<T> {
  try {
    return { value: convert(JSON.parse(text)), origin };
  } catch (error) {
    return { error: `invalid JSON: ${(error as Error).message}`, origin };
  }
}
