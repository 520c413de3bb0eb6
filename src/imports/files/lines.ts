/**
 * Text lines of a byte stream (a chunk of lines at a time), numbered from 1, without their `\n` / `\r\n`: for JSON lines and fixed-width
 * files. A UTF-8 BOM at the start is dropped. A line longer than `maxLine` characters is an error (a binary
 * file read as text would otherwise grow one line without bound).
 */
import { FileInputError } from "./open_file.ts";

export const MAX_LINE = 16 * 1024 * 1024;

export async function* readLines(
  stream: ReadableStream<Uint8Array>,
  name: string,
  maxLine = MAX_LINE,
): AsyncGenerator<{ line: number; text: string }[]> {
  let pending = "";
  let number = 0;
  let first = true;
  for await (let chunk of stream.pipeThrough(new TextDecoderStream())) {
    if (first) {
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
      first = false;
    }
    let start = 0;
    const lines: { line: number; text: string }[] = [];
    for (let nl = chunk.indexOf("\n"); nl !== -1; nl = chunk.indexOf("\n", start)) {
      let text = pending + chunk.slice(start, nl);
      pending = "";
      if (text.endsWith("\r")) text = text.slice(0, -1);
      lines.push({ line: ++number, text });
      start = nl + 1;
    }
    yield lines;
    pending += chunk.slice(start);
    if (pending.length > maxLine) {
      throw new FileInputError(
        `${name}:${number + 1}: a line longer than ${maxLine} characters: is it a text file?`,
      );
    }
  }
  if (pending.endsWith("\r")) pending = pending.slice(0, -1);
  if (pending !== "") yield [{ line: ++number, text: pending }];
}
