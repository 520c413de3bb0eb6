/**
 * Records of a fixed-width file: `--ranges` gives each field's columns (1-based): `1 9 25` (a field starts
 * at each column and runs to the next start), or `1-8 9-24 25-` / `1-8,9-24`. Values are trimmed. Names
 * come from `--fields` (one per range). A line shorter than a range gives "" for it.
 */
import type { Fields, FieldValue } from "../../expr/mod.ts";
import type { SourceItem } from "../import_source.ts";
import { readLines } from "./lines.ts";

export interface Range {
  /** 0-based start, inclusive. */
  start: number;
  /** 0-based end, exclusive (Infinity: to the end of the line). */
  end: number;
}

/** "1 9 25" / "1-8 9-24 25-" (as separate values or comma-separated) -> ranges; RangeError when invalid. */
export function parseRanges(values: readonly string[]): Range[] {
  const parts = values.flatMap((value) => value.split(/[,\s]+/)).filter((part) => part !== "");
  const ranges: Range[] = [];
  for (const part of parts) {
    const match = /^(\d+)(?:-(\d*))?$/.exec(part);
    if (!match || Number(match[1]) < 1) {
      throw new RangeError(
        `--ranges: '${part}' is not a column range (1-8, 9-, or a start column such as 9)`,
      );
    }
    const start = Number(match[1]) - 1;
    const end = match[2] === undefined ? NaN : match[2] === "" ? Infinity : Number(match[2]);
    if (end < start + 1) throw new RangeError(`--ranges: '${part}' ends before it starts`);
    ranges.push({ start, end });
  }
  for (let i = 0; i < ranges.length; i++) {
    if (Number.isNaN(ranges[i].end)) ranges[i].end = i + 1 < ranges.length ? ranges[i + 1].start : Infinity;
  }
  return ranges;
}

export async function* readFixedWidth(
  stream: ReadableStream<Uint8Array>,
  name: string,
  ranges: readonly Range[],
  names: readonly string[],
  skipLines: number,
): AsyncGenerator<SourceItem<Fields>[]> {
  for await (const lines of readLines(stream, name)) {
    const items: SourceItem<Fields>[] = [];
    for (const { line, text } of lines) {
      if (line <= skipLines || text.trim() === "") continue;
      const fields: Fields = new Map<string, FieldValue>();
      ranges.forEach((range, i) => fields.set(names[i], text.slice(range.start, range.end).trim()));
      items.push({ value: fields, origin: `${name}:${line}` });
    }
    yield items;
  }
}
