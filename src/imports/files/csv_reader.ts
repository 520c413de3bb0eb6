/**
 * Records of a delimited file (CSV, TSV, PSV, any --delimiter), parsed by CsvParser as the bytes stream in.
 *
 * - Field names: the header line (`--header`, or `--header-line N` for a header after N-1 other lines),
 *   else `--fields`; one of them is required.
 * - `--skip-lines N` drops the first N records' lines (before the header); see csv_parser.ts for quotes,
 *   newlines, the BOM and empty lines. Empty fields are "".
 * - A line with fewer values than names gives the fields it has; a line with more values, or a malformed
 *   line (text after a closing quote), is an error item naming its line, and the rest of the file is read.
 * - Origins are `name:line` (the line a record starts on).
 */
import type { Fields, FieldValue } from "../../expr/mod.ts";
import type { SourceItem } from "../import_source.ts";
import { CsvParser, type CsvRow } from "./csv_parser.ts";

export interface CsvOptions {
  delimiter: string;
  quote: string;
  header: boolean;
  /** 1-based line of the header (implies header); lines before it are skipped. */
  headerLine?: number;
  fields?: string[];
  skipLines: number;
}

export async function* readCsv(
  stream: ReadableStream<Uint8Array>,
  name: string,
  options: CsvOptions,
): AsyncGenerator<SourceItem<Fields>[]> {
  const parser = new CsvParser({ delimiter: options.delimiter, quote: options.quote });
  const skipBefore = 1 + options.skipLines + (options.headerLine === undefined ? 0 : options.headerLine - 1);
  let names = options.header || options.headerLine !== undefined ? undefined : options.fields;
  const toItem = (row: CsvRow): SourceItem<Fields> | undefined => {
    if (row.line < skipBefore) return undefined;
    const origin = `${name}:${row.line}`;
    if ("error" in row) return { error: `malformed line: ${row.error}`, origin };
    const values = row.values;
    if (names === undefined) {
      names = options.fields ?? values.map((column) => column.trim());
      return undefined;
    }
    if (values.length > names.length) {
      return { error: `${values.length} values on a line of ${names.length} fields`, origin };
    }
    const fields: Fields = new Map<string, FieldValue>();
    for (let i = 0; i < values.length; i++) fields.set(names[i], values[i]);
    return { value: fields, origin };
  };
  const items = (rows: CsvRow[]) => {
    const out: SourceItem<Fields>[] = [];
    for (const row of rows) {
      const item = toItem(row);
      if (item) out.push(item);
    }
    return out;
  };
  for await (const text of stream.pipeThrough(new TextDecoderStream())) yield items(parser.feed(text));
  yield items(parser.end());
}
