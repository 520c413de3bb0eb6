/**
 * ImportInput (src/imports/import_source.ts) of file-import: the files in order, each opened as it is
 * reached (open_file.ts: paths, globs, `-`, URLs, .gz) and read by its format's reader.
 *
 *   await FileInput.create(names, options) -> FileInput   FileInputError for a glob matching nothing
 *   input.items(signal)                                   records (or error items) of every file
 *   input.progress                                        bytes read of the total size, when known
 *
 * The format is `--type` or the extension (before .gz): csv, tsv, psv, json, jsonl, xml, fw. `--max N`
 * stops after N records in all. A file that cannot be opened rejects the iteration (the run stops and
 * says which file); records already read stay written.
 */
import type { Fields } from "../../expr/mod.ts";
import type { ImportInput, InputProgress, SourceItem } from "../import_source.ts";
import { readCsv } from "./csv_reader.ts";
import { type Range, readFixedWidth } from "./fixed_width.ts";
import { type JsonConvert, readJsonArray, readJsonLines, toFields } from "./json_reader.ts";
import { expandInputs, FileInputError, isUrl, openInput, typeFromName } from "./open_file.ts";
import { readXml } from "./xml_reader.ts";
import { readXmlDump } from "./xml_dump.ts";

export const FILE_TYPES = ["csv", "tsv", "psv", "json", "jsonl", "xml", "fw"] as const;
export type FileType = typeof FILE_TYPES[number];

export interface FileOptions {
  type?: FileType;
  delimiter?: string;
  quote: string;
  header: boolean;
  headerLine?: number;
  fields?: string[];
  skipLines: number;
  max?: number;
  ranges?: Range[];
}

const DELIMITERS: Record<string, string> = { csv: ",", tsv: "\t", psv: "|" };

export class FileInput<T = Fields> implements ImportInput<T> {
  readonly progress: InputProgress = { done: 0, unit: "bytes" };

  private constructor(
    readonly names: string[],
    private readonly options: FileOptions,
    /** Dump records (no write operation): JSON elements as parsed, not flattened; XML read as a dump. */
    private readonly dump: boolean,
  ) {}

  /** Records for write operations: every format, JSON flattened to fields. */
  static create(names: readonly string[], options: FileOptions): Promise<FileInput<Fields>> {
    return FileInput.open<Fields>(names, options, false);
  }

  /** Data-structure dump records (JSON arrays, JSON lines, or file-export's XML), each as parsed. */
  static createDump(names: readonly string[], options: FileOptions): Promise<FileInput<unknown>> {
    return FileInput.open<unknown>(names, options, true);
  }

  private static async open<T>(
    names: readonly string[],
    options: FileOptions,
    dump: boolean,
  ): Promise<FileInput<T>> {
    const expanded = await expandInputs(names);
    const input = new FileInput<T>(expanded, options, dump);
    for (const name of expanded) {
      const type = input.typeOf(name);
      if (dump && type !== "json" && type !== "jsonl" && type !== "xml") {
        throw new RangeError(
          `${name}: without a write operation, file-import restores a data-structure dump, which is JSON (.json, .jsonl) or XML: give a write operation (hset ...) to import ${type} records`,
        );
      }
      if (
        (type === "csv" || type === "tsv" || type === "psv") && !options.header && !options.fields &&
        options.headerLine === undefined
      ) {
        throw new RangeError(`${name}: give --header (its first line names the fields) or --fields NAME...`);
      }
      if (
        type === "fw" &&
        (!options.ranges || !options.fields || options.fields.length !== options.ranges.length)
      ) {
        throw new RangeError(`${name}: a fixed-width file needs --ranges and as many --fields names`);
      }
    }
    input.progress.total = await totalSize(expanded);
    return input;
  }

  /** The file's type: --type, else its extension; RangeError when neither says. */
  typeOf(name: string): FileType {
    const type = this.options.type ?? typeFromName(name);
    if (type === undefined) {
      throw new RangeError(
        `Cannot tell the format of ${name} from its name: give --type (${FILE_TYPES.join(", ")})`,
      );
    }
    return type as FileType;
  }

  async *items(signal?: AbortSignal): AsyncGenerator<SourceItem<T>[]> {
    let count = 0;
    for (const name of this.names) {
      const opened = await openInput(name, this.progress);
      const shown = name === "-" ? "stdin" : name;
      const records = this.read(opened.stream, shown, this.typeOf(name));
      try {
        for await (let chunk of records) {
          const max = this.options.max;
          if (max !== undefined && count + chunk.length >= max) chunk = chunk.slice(0, max - count);
          count += chunk.length;
          if (chunk.length > 0) yield chunk;
          if ((max !== undefined && count >= max) || signal?.aborted) return;
        }
      } finally {
        await records.return(undefined);
        await opened.stream.cancel().catch(() => {});
      }
    }
  }

  private read(
    stream: ReadableStream<Uint8Array>,
    name: string,
    type: FileType,
  ): AsyncGenerator<SourceItem<T>[]> {
    const options = this.options;
    const convert = (this.dump ? (parsed: unknown) => parsed : toFields) as JsonConvert<T>;
    switch (type) {
      case "json":
        return readJsonArray(stream, name, convert);
      case "jsonl":
        return readJsonLines(stream, name, convert);
      case "xml":
        return (this.dump ? readXmlDump(stream, name) : readXml(stream, name)) as AsyncGenerator<
          SourceItem<T>[]
        >;
      case "fw":
        return readFixedWidth(
          stream,
          name,
          options.ranges!,
          options.fields!,
          options.skipLines,
        ) as AsyncGenerator<SourceItem<T>[]>;
      default:
        return readCsv(stream, name, {
          delimiter: options.delimiter ?? DELIMITERS[type],
          quote: options.quote,
          header: options.header,
          headerLine: options.headerLine,
          fields: options.fields,
          skipLines: options.skipLines,
        }) as AsyncGenerator<SourceItem<T>[]>;
    }
  }
}

/** The sum of the files' sizes, or undefined when one is unknown (stdin, a URL). */
async function totalSize(names: readonly string[]): Promise<number | undefined> {
  let total = 0;
  for (const name of names) {
    if (name === "-" || isUrl(name)) return undefined;
    try {
      total += (await Deno.stat(name)).size;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        throw new FileInputError(`Cannot read ${name}: no such file. Check the path (or use - for stdin)`);
      }
      throw error;
    }
  }
  return total;
}
