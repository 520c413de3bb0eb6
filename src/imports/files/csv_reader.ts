/**
 * Records of a delimited file (CSV, TSV, PSV, any --delimiter), parsed by csv-parse as the bytes stream in.
 *
 * - Field names: the header line (`--header`, or `--header-line N` for a header after N-1 other lines),
 *   else `--fields`; one of them is required.
 * - `--skip-lines N` drops the first N lines (before the header); quotes (`--quote`) may hold delimiters,
 *   doubled quotes and newlines; a UTF-8 BOM is dropped; empty lines are skipped; empty fields are "".
 * - A line with fewer values than names gives the fields it has; a line with more values, or a malformed
 *   line (a quote that does not close before the delimiter), is an error item naming its line, and the
 *   rest of the file is still read.
 * - Origins are `name:line` (the line a record ends on).
 */
import { parse } from "csv-parse";
import { Readable } from "node:stream";
import type { Fields, FieldValue } from "../../expr/mod.ts";
import type { SourceItem } from "../import_source.ts";

export interface CsvOptions {
  delimiter: string;
  quote: string;
  header: boolean;
  /** 1-based line of the header (implies header); lines before it are skipped. */
  headerLine?: number;
  fields?: string[];
  skipLines: number;
}

interface CsvInfo {
  lines: number;
}

export async function* readCsv(
  stream: ReadableStream<Uint8Array>,
  name: string,
  options: CsvOptions,
): AsyncGenerator<SourceItem<Fields>> {
  const fromLine = 1 + options.skipLines + (options.headerLine === undefined ? 0 : options.headerLine - 1);
  const parser = parse({
    delimiter: options.delimiter,
    quote: options.quote === "" ? false : options.quote,
    bom: true,
    info: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    from_line: fromLine,
    max_record_size: 16 * 1024 * 1024,
  });
  const skipped: SourceItem<Fields>[] = [];
  parser.on("skip", (error: Error & { lines?: number }) => {
    skipped.push({ error: `malformed line: ${error.message}`, origin: `${name}:${error.lines ?? "?"}` });
  });
  const input = Readable.fromWeb(stream as Parameters<typeof Readable.fromWeb>[0]);
  input.on("error", (error) => parser.destroy(error));
  input.pipe(parser);
  let names = options.header || options.headerLine !== undefined ? undefined : options.fields;
  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: CsvInfo }>) {
    while (skipped.length > 0) yield skipped.shift()!;
    if (names === undefined) {
      names = options.fields ?? record.map((column) => column.trim());
      continue;
    }
    const origin = `${name}:${info.lines}`;
    if (record.length > names.length) {
      yield { error: `${record.length} values on a line of ${names.length} fields`, origin };
      continue;
    }
    const fields: Fields = new Map<string, FieldValue>();
    for (let i = 0; i < record.length; i++) fields.set(names[i], record[i]);
    yield { value: fields, origin };
  }
  while (skipped.length > 0) yield skipped.shift()!;
}
