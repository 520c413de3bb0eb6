/**
 * Where the bytes of an import come from: a path, `-` (stdin), an `http://` / `https://` URL (streamed,
 * never loaded whole), each gunzipped on the fly when its name ends in `.gz` (or the bytes start with the
 * gzip magic). Globs in paths (`data/*.csv`, `part-?.json`) expand to the matching files, sorted.
 *
 *   expandInputs(names)      -> the list of inputs; FileInputError for a glob that matches nothing
 *   openInput(name, counter) -> { stream, size }: `counter.done` grows by the raw bytes read (for
 *                               progress against `size`, when known); FileInputError for a missing file,
 *                               an HTTP error status, an unreachable host
 */
import { globMatch } from "../../sources/glob.ts";

export class FileInputError extends Error {
  override name = "FileInputError";
}

export interface ByteCounter {
  done: number;
}

export interface OpenedInput {
  stream: ReadableStream<Uint8Array>;
  /** Raw bytes (compressed, for .gz), when known. */
  size?: number;
}

const encoder = new TextEncoder();

export function isUrl(name: string): boolean {
  return /^https?:\/\//i.test(name);
}

/** Each name as it is, or the files its glob matches (sorted). */
export async function expandInputs(names: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const name of names) {
    if (name === "-" || isUrl(name) || !/[*?[]/.test(name)) {
      out.push(name);
      continue;
    }
    const matches = await globFiles(name);
    if (matches.length === 0) {
      throw new FileInputError(`No file matches ${name}: check the path and the pattern`);
    }
    out.push(...matches);
  }
  return out;
}

async function globFiles(pattern: string): Promise<string[]> {
  const slash = pattern.slice(0, pattern.search(/[*?[]/)).lastIndexOf("/");
  const dir = slash === -1 ? "." : pattern.slice(0, slash) || "/";
  const rest = pattern.slice(slash + 1);
  if (rest.includes("/")) {
    throw new FileInputError(`${pattern}: patterns may only be in the file name, not in folders`);
  }
  const found: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && globMatch(encoder.encode(rest), encoder.encode(entry.name))) {
        found.push(slash === -1 ? entry.name : `${pattern.slice(0, slash)}/${entry.name}`);
      }
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  return found.sort();
}

export async function openInput(name: string, counter: ByteCounter): Promise<OpenedInput> {
  const opened = name === "-"
    ? { stream: Deno.stdin.readable }
    : isUrl(name)
    ? await openUrl(name)
    : await openPath(name);
  const counted = opened.stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        counter.done += chunk.length;
        controller.enqueue(chunk);
      },
    }),
  );
  const stream = await gunzipIfNeeded(name, counted);
  return { stream, size: opened.size };
}

async function openPath(path: string): Promise<OpenedInput> {
  try {
    const file = await Deno.open(path, { read: true });
    const info = await file.stat();
    if (info.isDirectory) {
      file.close();
      throw new FileInputError(`${path} is a folder: give files, or a pattern such as ${path}/*.csv`);
    }
    return { stream: file.readable, size: info.size };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new FileInputError(`Cannot read ${path}: no such file. Check the path (or use - for stdin)`);
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new FileInputError(`Cannot read ${path}: permission denied`);
    }
    throw error;
  }
}

async function openUrl(url: string): Promise<OpenedInput> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new FileInputError(`Cannot fetch ${redactUrl(url)}: ${(error as Error).message}`);
  }
  if (!response.ok || response.body === null) {
    await response.body?.cancel();
    throw new FileInputError(
      `Cannot fetch ${redactUrl(url)}: HTTP ${response.status} ${response.statusText}`,
    );
  }
  const length = Number(response.headers.get("content-length"));
  return { stream: response.body, size: Number.isFinite(length) && length > 0 ? length : undefined };
}

/** A URL for messages: its user and password (if any) replaced. */
export function redactUrl(url: string): string {
  return url.replace(/^(https?:\/\/)[^/@]*@/i, "$1***@");
}

/** Gunzip when the name ends in .gz or the first bytes are gzip's magic (1f 8b). */
async function gunzipIfNeeded(
  name: string,
  stream: ReadableStream<Uint8Array>,
): Promise<ReadableStream<Uint8Array>> {
  const reader = stream.getReader();
  const first = await reader.read();
  const head = first.done ? new Uint8Array(0) : first.value;
  const rest = new ReadableStream<Uint8Array>({
    start(controller) {
      if (head.length > 0) controller.enqueue(head);
    },
    async pull(controller) {
      const next = await reader.read();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
  const gzip = (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) || /\.gz$/i.test(stripQuery(name));
  return gzip
    ? rest.pipeThrough(new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>)
    : rest;
}

function stripQuery(name: string): string {
  return isUrl(name) ? name.replace(/[?#].*$/, "") : name;
}

/** The format name a file's extension gives (the one before .gz): csv, tsv, psv, json, jsonl, xml. */
export function typeFromName(name: string): string | undefined {
  const base = stripQuery(name).replace(/\.gz$/i, "");
  const ext = /\.([A-Za-z]+)$/.exec(base)?.[1]?.toLowerCase();
  if (ext === "ndjson") return "jsonl";
  return ext !== undefined && ["csv", "tsv", "psv", "json", "jsonl", "xml", "txt", "dat"].includes(ext)
    ? ext === "txt" || ext === "dat" ? "fw" : ext
    : undefined;
}
